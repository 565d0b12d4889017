"""Writes for experiments: lifecycle, rounds, copies (lineage), check-ins, magic links, reminders.

Lifecycle: planned → running → reported → decided (continue / adapt / scale / stop).
Every transition is one function here; views, live activities and the demo call them.
"""

import datetime as dt
import functools
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from polku.accounts.models import User
from polku.core.email import email_enqueue_on_commit
from polku.experiments.models import (
    AdoptionInterest,
    CheckIn,
    CheckInLink,
    CheckInValue,
    Experiment,
    ExperimentMember,
    LogEntry,
    Measure,
    MeasureType,
    Reminder,
    new_token,
)
from polku.organisations.models import Membership, Unit
from polku.paths.models import Path
from polku.workshops.models import AgendaSlot, WorkshopDay

logger = logging.getLogger("polku.experiments")

Status = Experiment.Status
Decision = Experiment.Decision

# Sensible maxima for one check-in's number, per measure kind.
MAXIMA: dict[str, Decimal] = {
    MeasureType.Kind.COUNT: Decimal(100_000),
    MeasureType.Kind.PERCENT: Decimal(100),
    MeasureType.Kind.MONEY: Decimal(10_000_000),
    MeasureType.Kind.YES_NO: Decimal(1),
}
BEFORE_WORKSHOP_DAYS = 7
# A queued reminder whose task has not finished after this long is enqueued again (the worker
# may have died); the task itself refuses to run twice for a reminder claimed more recently.
REMINDER_STALE_AFTER = dt.timedelta(
    seconds=int(os.environ.get("POLKU_REMINDER_STALE_SECONDS", "1800"))
)
LINK_MIN_VALID_DAYS = 14

PLAN_FIELDS = (
    "title",
    "topic_title",
    "builds_on",
    "what_we_try",
    "who",
    "first_step",
    "first_step_on",
    "duration_weeks",
    "support_needed",
    "contact_email",
)


# --------------------------------------------------------------------------- measure types


def measure_type_create(
    *, path: Path, name: str, kind: str = MeasureType.Kind.COUNT, unit_label: str = ""
) -> MeasureType:
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the measure a name."))
    if kind not in MeasureType.Kind.values:
        raise ValidationError(_("Unknown kind of measure."))
    if path.measure_types.filter(name__iexact=name).exists():
        raise ValidationError(_("This path already has a measure with that name."))
    position = path.measure_types.count()
    return MeasureType.objects.create(
        path=path, name=name, kind=kind, unit_label=unit_label.strip(), position=position
    )


# --------------------------------------------------------------------------- experiments


def _log(experiment: Experiment, kind: str, text: str = "", actor: User | None = None) -> LogEntry:
    return LogEntry.objects.create(experiment=experiment, kind=kind, text=text, actor=actor)


def _check_unit(path: Path, unit: Unit | None) -> None:
    if unit is not None and unit.organisation_id != path.organisation_id:
        raise ValidationError(_("The unit belongs to another organisation."))


def _clean_target(measure_type: MeasureType, target: object) -> Decimal:
    try:
        value = Decimal(str(target))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("A target must be a number.")) from None
    if value < 0:
        raise ValidationError(_("A target cannot be negative."))
    if value > MAXIMA[measure_type.kind]:
        raise ValidationError(
            _("The target of %(name)s is too large (at most %(max)s).")
            % {"name": measure_type.name, "max": MAXIMA[measure_type.kind]}
        )
    return value


def _set_targets(experiment: Experiment, targets: Mapping[MeasureType, object]) -> None:
    for measure_type, target in targets.items():
        if measure_type.path_id != experiment.path_id:
            raise ValidationError(_("The measure belongs to another path."))
        value = _clean_target(measure_type, target)
        Measure.objects.update_or_create(
            experiment=experiment, measure_type=measure_type, defaults={"target": value}
        )


@dataclass(frozen=True)
class MemberInput:
    nickname: str
    email: str = ""
    consent: bool = False


def _add_members(experiment: Experiment, members: Iterable[MemberInput]) -> None:
    for member in members:
        experiment_member_add(
            experiment=experiment,
            nickname=member.nickname,
            email=member.email,
            consent=member.consent,
        )


def experiment_create(
    *,
    path: Path,
    title: str,
    unit: Unit | None = None,
    topic_title: str = "",
    builds_on: str = "",
    what_we_try: str = "",
    who: str = "",
    first_step: str = "",
    first_step_on: dt.date | None = None,
    duration_weeks: int | None = None,
    support_needed: str = "",
    contact_email: str = "",
    targets: Mapping[MeasureType, object] | None = None,
    members: Sequence[MemberInput] = (),
    created_by: User | None = None,
    source_slot: AgendaSlot | None = None,
) -> Experiment:
    title = title.strip()
    if not title:
        raise ValidationError(_("Give the experiment a title."))
    _check_unit(path, unit)
    if duration_weeks is not None and not 1 <= duration_weeks <= 104:
        raise ValidationError(_("The duration must be 1–104 weeks."))
    with transaction.atomic():
        experiment = Experiment.objects.create(
            path=path,
            unit=unit,
            title=title,
            topic_title=topic_title.strip(),
            builds_on=builds_on,
            what_we_try=what_we_try,
            who=who,
            first_step=first_step,
            first_step_on=first_step_on,
            duration_weeks=duration_weeks,
            support_needed=support_needed,
            contact_email=contact_email.strip(),
            created_by=created_by,
            source_slot=source_slot,
        )
        _set_targets(experiment, targets or {})
        _add_members(experiment, members)
        _log(experiment, LogEntry.Kind.CREATED, actor=created_by)
    return experiment


def experiment_update(
    *,
    experiment: Experiment,
    actor: User | None = None,
    targets: Mapping[MeasureType, object] | None = None,
    unit: Unit | None = None,
    **fields: object,
) -> Experiment:
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    if "title" in fields and not str(fields["title"]).strip():
        raise ValidationError(_("Give the experiment a title."))
    duration = fields.get("duration_weeks")
    if duration is not None and not 1 <= int(duration) <= 104:  # type: ignore[call-overload]
        raise ValidationError(_("The duration must be 1–104 weeks."))
    if unit is not None:
        _check_unit(experiment.path, unit)
        experiment.unit = unit
    for name, value in fields.items():
        setattr(experiment, name, value.strip() if isinstance(value, str) else value)
    with transaction.atomic():
        experiment.save()
        if targets is not None:
            _set_targets(experiment, targets)
            experiment.measures.exclude(measure_type__in=list(targets)).filter(
                values__isnull=True
            ).delete()
        _log(experiment, LogEntry.Kind.EDITED, actor=actor)
    return experiment


def experiment_member_add(
    *, experiment: Experiment, nickname: str, email: str = "", consent: bool = False
) -> ExperimentMember:
    nickname = nickname.strip()
    if not nickname:
        raise ValidationError(_("Give a nickname for the team member."))
    email = email.strip()
    if email and not consent:
        raise ValidationError(_("An email address can be saved only with the person's consent."))
    return ExperimentMember.objects.create(
        experiment=experiment,
        nickname=nickname[:80],
        email=email,
        consent_at=timezone.now() if email else None,
    )


def experiment_member_remove(*, member: ExperimentMember) -> None:
    """Remove a team member and whatever was stored about them."""
    member.delete()


def experiment_start(
    *, experiment: Experiment, started_on: dt.date | None = None, actor: User | None = None
) -> Experiment:
    if experiment.status != Status.PLANNED:
        raise ValidationError(_("Only a planned experiment can be started."))
    experiment.status = Status.RUNNING
    experiment.started_on = started_on or timezone.localdate()
    with transaction.atomic():
        experiment.save(update_fields=["status", "started_on", "updated_at"])
        _log(experiment, LogEntry.Kind.STARTED, actor=actor)
    return experiment


def experiment_report(
    *, experiment: Experiment, summary: str = "", actor: User | None = None
) -> Experiment:
    """The team has told what it did and what came of it (usually in the follow-up workshop)."""
    if experiment.status != Status.RUNNING:
        raise ValidationError(_("Only a running experiment can report its results."))
    experiment.status = Status.REPORTED
    experiment.reported_at = timezone.now()
    experiment.report_summary = summary.strip()
    with transaction.atomic():
        experiment.save(update_fields=["status", "reported_at", "report_summary", "updated_at"])
        _log(experiment, LogEntry.Kind.REPORTED, summary.strip(), actor=actor)
    return experiment


def experiment_decide(
    *,
    experiment: Experiment,
    decision: str,
    note: str = "",
    actor: User | None = None,
    start_next_round: bool = True,
    next_round_first_step_on: dt.date | None = None,
    scale_to_units: Iterable[Unit] = (),
) -> Experiment:
    """Record the decision. Continue/adapt starts the next round (unless told not to); scale
    copies the experiment to the given units. Reminders stop and open check-in links close."""
    if decision not in Decision.values:
        raise ValidationError(_("Choose continue, adapt, scale or stop."))
    if experiment.status not in (Status.RUNNING, Status.REPORTED):
        raise ValidationError(_("Only a running or reported experiment can be decided."))
    now = timezone.now()
    with transaction.atomic():
        if experiment.status == Status.RUNNING:
            experiment.reported_at = now
        experiment.status = Status.DECIDED
        experiment.decision = decision
        experiment.decision_note = note.strip()
        experiment.decided_at = now
        experiment.save()
        _log(
            experiment,
            LogEntry.Kind.DECIDED,
            f"{Decision(decision).label}{': ' + note.strip() if note.strip() else ''}",
            actor=actor,
        )
        experiment.reminders.filter(status=Reminder.Status.QUEUED).update(
            status=Reminder.Status.SKIPPED
        )
        experiment.links.filter(used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if decision in (Decision.CONTINUE, Decision.ADAPT) and start_next_round:
            experiment_next_round(
                experiment=experiment, first_step_on=next_round_first_step_on, actor=actor
            )
        for unit in scale_to_units:
            experiment_adopt(original=experiment, unit=unit, actor=actor)
    return experiment


def experiment_next_round(
    *,
    experiment: Experiment,
    first_step_on: dt.date | None = None,
    targets: Mapping[MeasureType, object] | None = None,
    actor: User | None = None,
) -> Experiment:
    """A new iteration of the same experiment with its own dates and measures; history stays."""
    if experiment.status != Status.DECIDED or experiment.decision not in (
        Decision.CONTINUE,
        Decision.ADAPT,
    ):
        raise ValidationError(
            _("A next round starts only after the decision to continue or adapt.")
        )
    if Experiment.objects.filter(previous_round=experiment).exists():
        raise ValidationError(_("The next round has already been started."))
    with transaction.atomic():
        nxt = Experiment.objects.create(
            path=experiment.path,
            unit=experiment.unit,
            **{f: getattr(experiment, f) for f in PLAN_FIELDS if f != "first_step_on"},
            first_step_on=first_step_on,
            contact_language=experiment.contact_language,
            round_number=experiment.round_number + 1,
            previous_round=experiment,
            adopted_from=experiment.adopted_from,
            created_by=actor,
        )
        if targets is None:
            targets = {m.measure_type: m.target for m in experiment.measures.all()}
        _set_targets(nxt, targets)
        for member in experiment.members.all():
            ExperimentMember.objects.create(
                experiment=nxt,
                nickname=member.nickname,
                email=member.email,
                consent_at=member.consent_at,
            )
        _log(nxt, LogEntry.Kind.NEXT_ROUND, str(experiment.round_number), actor=actor)
        _log(experiment, LogEntry.Kind.NEXT_ROUND, str(nxt.round_number), actor=actor)
    return nxt


def _ancestors(experiment: Experiment) -> list[int]:
    """Ids from `experiment` up the adopted_from chain (bounded, cycle-safe)."""
    seen: list[int] = []
    current: int | None = experiment.pk
    while current is not None and current not in seen and len(seen) < 1000:
        seen.append(current)
        current = (
            Experiment.objects.filter(pk=current).values_list("adopted_from_id", flat=True).first()
        )
    return seen


def experiment_link_origin(*, experiment: Experiment, original: Experiment | None) -> Experiment:
    """Mark an existing experiment as a copy of `original` (or clear it). Cycles are rejected."""
    if original is not None:
        if original.path.organisation_id != experiment.path.organisation_id:
            raise ValidationError(_("The original belongs to another organisation."))
        if experiment.pk in _ancestors(original):
            raise ValidationError(
                _("An experiment cannot be a copy of itself or of its own copies.")
            )
    experiment.adopted_from = original
    experiment.save(update_fields=["adopted_from", "updated_at"])
    return experiment


def experiment_adopt(
    *,
    original: Experiment,
    unit: Unit,
    actor: User | None = None,
    title: str = "",
    contact_email: str = "",
    first_step_on: dt.date | None = None,
    path: Path | None = None,
) -> Experiment:
    """Copy what worked (vertaisoppiminen): a new experiment in `unit`, pre-filled from the
    original and linked to it. The original team is notified by email."""
    path = path or original.path
    if path.organisation_id != original.path.organisation_id:
        raise ValidationError(_("The original belongs to another organisation."))
    _check_unit(path, unit)
    if unit.pk == original.unit_id:
        raise ValidationError(_("This unit already runs this experiment."))
    if original.adoptions.filter(unit=unit, path=path).exists():
        raise ValidationError(_("This unit has already copied this experiment."))
    with transaction.atomic():
        copy = Experiment.objects.create(
            path=path,
            unit=unit,
            **{
                f: getattr(original, f)
                for f in PLAN_FIELDS
                if f not in ("first_step_on", "contact_email", "title")
            },
            title=title.strip() or original.title,
            first_step_on=first_step_on,
            contact_email=contact_email.strip(),
            adopted_from=original,
            created_by=actor,
        )
        measure_types = {mt.pk: mt for mt in path.measure_types.all()}
        _set_targets(
            copy,
            {
                measure_types[m.measure_type_id]: m.target
                for m in original.measures.all()
                if m.measure_type_id in measure_types
            },
        )
        unit_name = unit.name
        _log(copy, LogEntry.Kind.CREATED, original.title, actor=actor)
        _log(original, LogEntry.Kind.ADOPTED, unit_name, actor=actor)
        if original.contact_email:
            email_enqueue_on_commit(kind="experiments.adopted", copy=copy.pk)
    return copy


# --------------------------------------------------------------------------- check-ins


def clean_value(measure_type: MeasureType, raw: object) -> Decimal | None:
    """Parse one reported number; None for blank. Finnish-style decimal comma is accepted."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip().replace(",", ".").replace(" ", "").replace("\u00a0", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter a number.")) from None
    if not value.is_finite():
        raise ValidationError(_("Enter a number."))
    if value < 0:
        raise ValidationError(_("The number cannot be negative."))
    if measure_type.kind in (MeasureType.Kind.COUNT, MeasureType.Kind.YES_NO) and value != int(
        value
    ):
        raise ValidationError(_("Enter a whole number."))
    maximum = MAXIMA[measure_type.kind]
    if value > maximum:
        raise ValidationError(
            _("The number is too large: at most %(max)s.")
            % {"max": f"{maximum:,}".replace(",", " ")}
        )
    return value


def _facilitator_emails(path: Path) -> list[str]:
    return list(
        Membership.objects.filter(
            organisation_id=path.organisation_id, role=Membership.Role.FACILITATOR
        ).values_list("user__email", flat=True)
    )


def checkin_submit(
    *,
    experiment: Experiment,
    slot: dt.date,
    values: Mapping[int, object],
    what_we_did: str = "",
    what_helped: str = "",
    obstacles: str = "",
    needs_support: bool = False,
    support_request: str = "",
    shareable: bool = True,
    source: str = CheckIn.Source.APP,
    submitted_by: User | None = None,
) -> tuple[CheckIn, bool]:
    """Store a check-in for one slot. Returns (check-in, created). A second submission for the
    same slot (double tap, resend) stores nothing and returns the first one.

    `values` maps Measure pk → raw number; errors come back as one ValidationError whose dict
    has the key ``measure_<pk>``.
    """
    measures = {m.pk: m for m in experiment.measures.select_related("measure_type")}
    cleaned: dict[int, Decimal] = {}
    errors: dict[str, list[str]] = {}
    for pk, raw in values.items():
        measure = measures.get(int(pk))
        if measure is None:
            continue
        try:
            value = clean_value(measure.measure_type, raw)
        except ValidationError as exc:
            errors[f"measure_{measure.pk}"] = exc.messages
            continue
        if value is not None:
            cleaned[measure.pk] = value
    if errors:
        raise ValidationError(errors)
    if experiment.status == Status.DECIDED:
        raise ValidationError(_("This experiment has been decided; check-ins are closed."))
    existing = CheckIn.objects.filter(experiment=experiment, slot=slot).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                experiment=experiment,
                slot=slot,
                what_we_did=what_we_did.strip(),
                what_helped=what_helped.strip(),
                obstacles=obstacles.strip(),
                needs_support=needs_support,
                support_request=support_request.strip(),
                shareable=shareable,
                source=source,
                submitted_by=submitted_by,
            )
            CheckInValue.objects.bulk_create(
                [CheckInValue(checkin=checkin, measure_id=pk, value=v) for pk, v in cleaned.items()]
            )
            if experiment.status == Status.PLANNED:
                experiment_start(experiment=experiment, started_on=slot, actor=submitted_by)
            _log(experiment, LogEntry.Kind.CHECKIN, what_we_did.strip()[:500], actor=submitted_by)
            if needs_support:
                _log(experiment, LogEntry.Kind.SUPPORT, support_request.strip(), actor=submitted_by)
                path = experiment.path
                if _facilitator_emails(path):
                    email_enqueue_on_commit(kind="experiments.support_needed", checkin=checkin.pk)
    except IntegrityError:
        # A concurrent submission for the same slot won the race: store once.
        existing = CheckIn.objects.filter(experiment=experiment, slot=slot).first()
        if existing is None:
            raise
        return existing, False
    return checkin, True


class LinkInvalid(Exception):
    """A magic link that cannot be used. `reason`: unknown, expired, revoked, used, closed."""

    def __init__(self, reason: str, link: CheckInLink | None = None):
        super().__init__(reason)
        self.reason = reason
        self.link = link


def checkin_link_create(
    *, experiment: Experiment, slot: dt.date, email: str = "", valid_days: int | None = None
) -> tuple[CheckInLink, str]:
    """Issue a magic link for one slot. Returns (link, raw token); only the hash is stored."""
    email = email or experiment.contact_email
    if not email:
        raise ValidationError(_("The experiment has no contact email."))
    days = valid_days or max(LINK_MIN_VALID_DAYS, experiment.path.checkin_interval_days + 7)
    token = new_token()
    link = CheckInLink.objects.create(
        experiment=experiment,
        slot=slot,
        email=email,
        token_hash=CheckInLink.hash_token(token),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return link, token


def checkin_link_revoke(*, link: CheckInLink) -> CheckInLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at", "updated_at"])
    return link


def checkin_link_check(*, token: str) -> CheckInLink:
    """The usable link for `token`, or LinkInvalid with the reason."""
    if not token or len(token) > 100:
        raise LinkInvalid("unknown")
    link = (
        CheckInLink.objects.select_related("experiment__path__organisation", "experiment__unit")
        .filter(token_hash=CheckInLink.hash_token(token))
        .first()
    )
    if link is None:
        raise LinkInvalid("unknown")
    if link.revoked_at is not None:
        raise LinkInvalid("revoked", link)
    if link.used_at is not None:
        raise LinkInvalid("used", link)
    if link.expires_at <= timezone.now():
        raise LinkInvalid("expired", link)
    if link.experiment.status == Status.DECIDED:
        raise LinkInvalid("closed", link)
    return link


def checkin_submit_with_link(
    *, token: str, values: Mapping[int, object], **data: object
) -> CheckIn:
    """Submit through a magic link: the link is checked and used up in the same transaction."""
    with transaction.atomic():
        link = checkin_link_check(token=token)
        link = CheckInLink.objects.select_for_update().get(pk=link.pk)
        if link.used_at is not None:
            raise LinkInvalid("used", link)
        checkin, _created = checkin_submit(
            experiment=link.experiment,
            slot=link.slot,
            values=values,
            source=CheckIn.Source.LINK,
            **data,  # type: ignore[arg-type]
        )
        link.used_at = timezone.now()
        link.save(update_fields=["used_at", "updated_at"])
    return checkin


# --------------------------------------------------------------------------- schedule & reminders


@dataclass(frozen=True)
class Slot:
    date: dt.date
    kind: str
    workshop_day: WorkshopDay | None = None


def checkin_schedule(
    *, experiment: Experiment, path: Path, workshop_days: Sequence[WorkshopDay]
) -> list[Slot]:
    """The experiment's check-in slots from the path's timeline: every `checkin_interval_days`
    from its start, plus one a week before each workshop day (which replaces a regular slot
    closer than half an interval to it), until follow-up ends."""
    anchor = (
        experiment.started_on
        or experiment.first_step_on
        or timezone.localdate(experiment.created_at)
    )
    end = path.followup_until or path.ends_on
    interval = max(1, path.checkin_interval_days)
    before: list[Slot] = []
    for day in workshop_days:
        date = timezone.localdate(day.starts_at) - dt.timedelta(days=BEFORE_WORKSHOP_DAYS)
        if anchor < date <= end:
            before.append(Slot(date, Reminder.Kind.BEFORE_WORKSHOP, day))
    slots = list(before)
    k = 1
    while (date := anchor + dt.timedelta(days=k * interval)) <= end:
        if all(abs((date - b.date).days) * 2 >= interval for b in before):
            slots.append(Slot(date, Reminder.Kind.CADENCE))
        k += 1
    return sorted(slots, key=lambda s: s.date)


def checkin_current_slot(*, experiment: Experiment, today: dt.date | None = None) -> Slot | None:
    """The latest slot that is due on `today`, or None if none is due yet."""
    today = today or timezone.localdate()
    path = experiment.path
    due = [
        s
        for s in checkin_schedule(
            experiment=experiment, path=path, workshop_days=list(path.workshop_days.all())
        )
        if s.date <= today
    ]
    return due[-1] if due else None


def reminders_schedule_due(*, now: dt.datetime | None = None) -> int:
    """Create the reminder for each open experiment's latest due slot (once per slot, ever)
    and enqueue its sending; re-enqueue reminders whose task seems lost. Returns the number of
    send tasks enqueued. Run periodically: `manage.py send_due_reminders`."""
    from polku.experiments.tasks import send_checkin_reminder

    now = now or timezone.now()
    today = timezone.localdate(now)
    enqueued = 0
    experiments = (
        Experiment.objects.exclude(status=Status.DECIDED)
        .exclude(contact_email="")
        .select_related("path")
        .order_by("pk")
    )
    days_by_path: dict[int, list[WorkshopDay]] = {}
    for experiment in experiments:
        path = experiment.path
        if path.pk not in days_by_path:
            days_by_path[path.pk] = list(path.workshop_days.all())
        due = [
            s
            for s in checkin_schedule(
                experiment=experiment, path=path, workshop_days=days_by_path[path.pk]
            )
            if s.date <= today
        ]
        if not due:
            continue
        slot = due[-1]
        if experiment.reminders.filter(slot=slot.date).exists():
            continue
        if experiment.checkins.filter(slot=slot.date).exists():
            continue
        try:
            with transaction.atomic():
                reminder = Reminder.objects.create(
                    experiment=experiment,
                    slot=slot.date,
                    kind=slot.kind,
                    workshop_day=slot.workshop_day,
                    enqueued_at=now,
                )
                transaction.on_commit(
                    functools.partial(send_checkin_reminder.enqueue, reminder_id=reminder.pk)
                )
        except IntegrityError:
            continue  # another scheduler run created it first
        enqueued += 1
    cutoff = now - REMINDER_STALE_AFTER
    stale = Reminder.objects.filter(status=Reminder.Status.QUEUED, enqueued_at__lt=cutoff).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=cutoff)
    )
    for reminder in stale:
        Reminder.objects.filter(pk=reminder.pk).update(enqueued_at=now)
        send_checkin_reminder.enqueue(reminder_id=reminder.pk)
        enqueued += 1
    return enqueued


def reminder_send(*, reminder_id: int, now: dt.datetime | None = None) -> str:
    """Send one reminder; safe to run any number of times (returns what happened).

    1. claim the reminder (row lock; refuse if sent, skipped or claimed recently),
    2. issue the magic link and send the email,
    3. mark it sent.
    A worker killed before 3 leaves the claim; after REMINDER_STALE_AFTER the scheduler enqueues
    it again and a new link is sent (the old, unsent link is revoked).
    """
    now = now or timezone.now()
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(of=("self",))
            .select_related("experiment__path__organisation", "experiment__unit", "workshop_day")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None:
            return "missing"
        if reminder.status != Reminder.Status.QUEUED:
            return reminder.status
        experiment = reminder.experiment
        if experiment.status == Status.DECIDED or not experiment.contact_email:
            reminder.status = Reminder.Status.SKIPPED
            reminder.save(update_fields=["status", "updated_at"])
            return "skipped"
        if reminder.claimed_at is not None and reminder.claimed_at > now - REMINDER_STALE_AFTER:
            return "in_progress"
        if reminder.link_id:
            CheckInLink.objects.filter(pk=reminder.link_id, used_at__isnull=True).update(
                revoked_at=now
            )
        link, token = checkin_link_create(experiment=experiment, slot=reminder.slot)
        reminder.claimed_at = now
        reminder.attempts += 1
        reminder.link = link
        reminder.save(update_fields=["claimed_at", "attempts", "link", "updated_at"])
    path = experiment.path
    url = settings.POLKU_BASE_URL + reverse("experiments:checkin_link", args=[token])
    with translation.override(experiment.contact_language or "fi"):
        subject = (
            _("Before the workshop: how is %(title)s going?")
            if reminder.kind == Reminder.Kind.BEFORE_WORKSHOP
            else _("Check-in: how is %(title)s going?")
        ) % {"title": experiment.title}
        body = render_to_string(
            "experiments/email/reminder.txt",
            {
                "experiment": experiment,
                "path": path,
                "reminder": reminder,
                "url": url,
                "expires_at": link.expires_at,
            },
        )
    EmailMessage(subject=subject, body=body, to=[link.email]).send()
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.SENT, sent_at=timezone.now()
    )
    return "sent"


def checkin_link_send_now(*, experiment: Experiment, slot: dt.date | None = None) -> None:
    """Email a check-in link now (facilitator's "send link" button). The link and its token
    are made when the email is sent (experiments.emails), so no token waits in the queue."""
    if not experiment.contact_email:
        raise ValidationError(_("The experiment has no contact email."))
    slot = slot or timezone.localdate()
    email_enqueue_on_commit(
        kind="experiments.checkin_link", experiment=experiment.pk, slot=slot.isoformat()
    )


def open_experiments_q() -> Q:
    return ~Q(status=Status.DECIDED)


# --------------------------------------------------------------------------- live activities


def experiments_from_canvas(*, slot: AgendaSlot, canvases: Sequence[Mapping]) -> list[Experiment]:
    """Turn the canvases of a closed `experiment_canvas` activity into planned experiments.
    Idempotent: a canvas already turned into an experiment (same slot and group) is updated
    while the experiment is still planned, and left alone after that."""
    path = slot.workshop_day.path
    unit_ids = set(path.units.values_list("pk", flat=True))
    types = {mt.name.casefold(): mt for mt in path.measure_types.all()}
    made = []
    with transaction.atomic():
        for canvas in canvases:
            fields = dict(canvas.get("fields") or {})
            title = str(fields.get("title") or "").strip()
            if not title:
                continue
            unit_id = canvas.get("unit") if canvas.get("unit") in unit_ids else None
            targets: dict[MeasureType, object] = {}
            for name, target in (canvas.get("targets") or {}).items():
                mt = types.get(str(name).casefold())
                if mt is None:
                    mt = measure_type_create(path=path, name=str(name)[:120])
                    types[mt.name.casefold()] = mt
                targets[mt] = target
            duration = str(fields.get("duration_weeks") or "")
            plan: dict[str, Any] = {
                "title": title[:200],
                "topic_title": str(fields.get("topic") or "")[:200],
                "builds_on": str(fields.get("builds_on") or ""),
                "what_we_try": str(fields.get("what_we_try") or ""),
                # a group's canvas: the group is who does it, unless it says otherwise
                "who": str(fields.get("who") or canvas.get("group_name") or ""),
                "first_step": str(fields.get("first_step") or ""),
                "first_step_on": _date_or_none(fields.get("first_step_on")),
                "duration_weeks": int(duration) if duration.isdigit() else None,
                "support_needed": str(fields.get("support_needed") or ""),
                "contact_email": str(fields.get("contact_email") or "")[:254],
            }
            key = str(canvas.get("group") or "")[:40]
            existing = Experiment.objects.filter(source_slot=slot, source_key=key).first()
            if existing is not None:
                if existing.status == Status.PLANNED:
                    unit = Unit.objects.filter(pk=unit_id).first() if unit_id else existing.unit
                    made.append(
                        experiment_update(experiment=existing, unit=unit, targets=targets, **plan)
                    )
                continue
            experiment = experiment_create(
                path=path,
                unit=Unit.objects.filter(pk=unit_id).first() if unit_id else None,
                targets=targets,
                # The group's nicknames from the live room; no email addresses.
                members=[MemberInput(str(n)[:80]) for n in canvas.get("members") or [] if n],
                source_slot=slot,
                **plan,
            )
            experiment.source_key = key
            experiment.save(update_fields=["source_key"])
            made.append(experiment)
    return made


def _date_or_none(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def workshop_cards(*, path: Path) -> list[dict]:
    """Cards for the report-back gallery and the decide activity: each open experiment of the
    path with its latest shareable check-in and results vs. targets (JSON-able)."""
    from polku.experiments.selectors import attach_actuals

    experiments = list(
        path.experiments.exclude(status=Status.DECIDED)
        .select_related("unit")
        .prefetch_related("measures__measure_type", "checkins")
        .order_by("unit__name", "title")
    )
    attach_actuals(experiments)
    cards = []
    for e in experiments:
        checkins = sorted(e.checkins.all(), key=lambda c: c.slot)
        shared = [c for c in checkins if c.shareable]
        last = shared[-1] if shared else None
        results = "; ".join(
            f"{m.measure_type.name} {_num(m.actual)} / {_num(m.target)}"  # type: ignore[attr-defined]
            for m in e.measures.all()
        )
        cards.append(
            {
                "id": str(e.pk),
                "title": e.title[:120],
                "unit": e.unit.name if e.unit else "",
                "round": e.round_number,
                "did": (last.what_we_did if last else "")[:400],
                "helped": (last.what_helped if last else "")[:300],
                "obstacles": (last.obstacles if last else "")[:300],
                "results": results[:300],
                "reached": bool(getattr(e, "reached_targets", False)),
                "checkins": len(checkins),
            }
        )
    return cards


def _num(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return f"{value.normalize():f}"


def decisions_apply(*, decisions: Sequence[Mapping], path: Path) -> list[Experiment]:
    """Apply the decisions recorded in a closed `decide` activity (idempotent: experiments
    already decided are left alone)."""
    done = []
    for d in decisions:
        pk = _int_or_none(d.get("experiment"))
        experiment = path.experiments.filter(pk=pk).first() if pk is not None else None
        if experiment is None or experiment.status not in (Status.RUNNING, Status.REPORTED):
            continue
        if d.get("decision") not in Decision.values:
            continue
        experiment_decide(
            experiment=experiment, decision=str(d["decision"]), note=str(d.get("note") or "")
        )
        done.append(experiment)
    return done


def interest_record(*, interests: Sequence[Mapping], slot: AgendaSlot) -> int:
    """Log the report-back reactions ("we want to try this", questions) on each experiment, and
    count per unit who want to try it (``AdoptionInterest``: offered first when copying).
    Saving the same activity again replaces its earlier log lines and counts."""
    path = slot.workshop_day.path
    marker = f"[{slot.title}] "
    count = 0
    LogEntry.objects.filter(
        experiment__path=path, kind=LogEntry.Kind.NOTE, text__startswith=marker
    ).delete()
    AdoptionInterest.objects.filter(slot=slot).delete()
    unit_ids = set(path.units.values_list("pk", flat=True))
    for item in interests:
        pk = _int_or_none(item.get("experiment"))
        experiment = path.experiments.filter(pk=pk).first() if pk is not None else None
        if experiment is None:
            continue
        per_unit: dict[int | None, int] = {}
        for raw_unit, n in (item.get("units") or {}).items():
            unit_id = _int_or_none(raw_unit) if raw_unit else None
            if unit_id is not None and unit_id == experiment.unit_id:
                continue  # the team's own unit runs it already
            unit_id = unit_id if unit_id in unit_ids else None
            per_unit[unit_id] = per_unit.get(unit_id, 0) + max(0, int(n))
        AdoptionInterest.objects.bulk_create(
            AdoptionInterest(experiment=experiment, slot=slot, unit_id=unit_id, count=n)
            for unit_id, n in per_unit.items()
            if n
        )
        wants = int(item.get("want") or 0)
        questions = [str(q)[:280] for q in item.get("questions") or []]
        if not wants and not questions:
            continue
        text = ngettext("%(n)s wants to try this.", "%(n)s want to try this.", wants) % {"n": wants}
        if questions:
            text += " " + _("Questions:") + " " + " | ".join(questions)
        _log(experiment, LogEntry.Kind.NOTE, marker + text)
        count += 1
    return count


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def checkin_links_purge_for_path(*, path: Path) -> int:
    """Data retention (the ``path_retention`` hook): delete the path's check-in links (the
    token hashes and the addresses they were sent to); submitted check-ins stay."""
    deleted, _by_model = CheckInLink.objects.filter(experiment__path=path).delete()
    return deleted
