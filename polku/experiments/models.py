"""Experiments between workshops: the heart of a co-development path.

Names are stable; the reports app builds dashboards on them (see docs/experiments.md).

    MeasureType    defined once per path (name, kind, unit label) so sums are meaningful
    Experiment     a unit's small, time-boxed experiment; rounds (previous_round) and copies
                   (adopted_from) form its history and lineage
    Measure        an experiment's target for one MeasureType
    ExperimentMember  team members by nickname (email only with consent)
    CheckIn        one report for one schedule slot (a date); values per measure
    CheckInValue   the number reported for one Measure in one CheckIn
    CheckInLink    a magic link (only the token's hash is stored)
    Reminder       one reminder per (experiment, slot): never twice for the same slot
    LogEntry       the experiment's log (what happened, by whom)
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from polku.core.models import TimeStampedModel
from polku.core.tokens import hash_token
from polku.organisations.models import Unit
from polku.paths.models import Path


class MeasureType(TimeStampedModel):
    """A measure defined once per path, e.g. "new young people reached" (count, "nuorta")."""

    class Kind(models.TextChoices):
        COUNT = "count", _("count")
        PERCENT = "percent", _("percent")
        MONEY = "money", _("money (€)")
        YES_NO = "yes_no", _("yes / no")

    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="measure_types")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COUNT)
    unit_label = models.CharField(_("unit"), max_length=30, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["path", "name"], name="measure_type_name_unique_per_path"
            ),
        ]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")

    def __str__(self) -> str:
        return self.name

    @property
    def is_summed(self) -> bool:
        """Counts and money add up over check-ins; percent and yes/no take the latest value."""
        return self.kind in (self.Kind.COUNT, self.Kind.MONEY)


class Experiment(TimeStampedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        RUNNING = "running", _("running")
        REPORTED = "reported", _("reported")
        DECIDED = "decided", _("decided")

    class Decision(models.TextChoices):
        CONTINUE = "continue", _("continue")
        ADAPT = "adapt", _("adapt")
        SCALE = "scale", _("scale to other units")
        STOP = "stop", _("stop")

    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="experiments")
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="experiments",
        verbose_name=_("unit"),
    )
    title = models.CharField(_("title"), max_length=200)
    topic_title = models.CharField(
        _("topic"), max_length=200, blank=True, help_text=_("Which prioritised topic it answers.")
    )
    builds_on = models.TextField(_("what already works that it builds on"), blank=True)
    what_we_try = models.TextField(_("what we try"), blank=True)
    who = models.TextField(_("who does it"), blank=True)
    first_step = models.TextField(_("first step"), blank=True)
    first_step_on = models.DateField(_("date of the first step"), null=True, blank=True)
    duration_weeks = models.PositiveSmallIntegerField(_("duration (weeks)"), null=True, blank=True)
    support_needed = models.TextField(_("support needed"), blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    report_summary = models.TextField(_("what came of it"), blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_note = models.TextField(_("why"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    round_number = models.PositiveSmallIntegerField(_("round"), default=1)
    previous_round = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_round",
        verbose_name=_("previous round"),
    )
    adopted_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="adoptions",
        verbose_name=_("copied from"),
    )

    contact_email = models.EmailField(
        _("contact email for check-ins"),
        blank=True,
        help_text=_("Reminders with a personal check-in link go to this address."),
    )
    contact_language = models.CharField(max_length=8, default="fi")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_slot = models.ForeignKey(
        "workshops.AgendaSlot",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The canvas activity the experiment was designed in.",
    )
    source_key = models.CharField(max_length=40, blank=True)  # the canvas group

    class Meta:
        ordering = ["path", "unit__name", "title", "round_number"]
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.DECIDED


class Measure(TimeStampedModel):
    """How we know the experiment worked: one MeasureType with this experiment's target."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="measures")
    measure_type = models.ForeignKey(
        MeasureType, on_delete=models.PROTECT, related_name="measures", verbose_name=_("measure")
    )
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2, default=Decimal(0))

    class Meta:
        ordering = ["measure_type__position", "measure_type_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "measure_type"], name="measure_once_per_experiment"
            ),
        ]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return f"{self.measure_type}: {self.target}"


class ExperimentMember(TimeStampedModel):
    """A team member by nickname; an email address only with the person's consent."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="members")
    nickname = models.CharField(_("nickname"), max_length=80)
    email = models.EmailField(_("email"), blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(email="") | Q(consent_at__isnull=False),
                name="member_email_needs_consent",
            ),
        ]

    def __str__(self) -> str:
        return self.nickname


class CheckIn(TimeStampedModel):
    """One report for one slot of the experiment's check-in schedule (a due date)."""

    class Source(models.TextChoices):
        LINK = "link", _("magic link")
        APP = "app", _("logged in")
        WORKSHOP = "workshop", _("workshop")

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="checkins")
    slot = models.DateField(_("period"))
    what_we_did = models.TextField(_("what did we do"), blank=True)
    what_helped = models.TextField(_("what helped"), blank=True)
    obstacles = models.TextField(_("what got in the way"), blank=True)
    needs_support = models.BooleanField(_("we need support"), default=False)
    support_request = models.TextField(_("what kind of support"), blank=True)
    shareable = models.BooleanField(
        _("others may read our learnings"),
        default=True,
        help_text=_("Quotes and learnings may be shown in reports and to other units."),
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.APP)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["experiment", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "slot"], name="one_checkin_per_slot"),
        ]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self) -> str:
        return f"{self.experiment} {self.slot}"


class CheckInValue(models.Model):
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="values")
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="values")
    value = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkin", "measure"], name="one_value_per_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id}: {self.value}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class CheckInLink(TimeStampedModel):
    """A single-purpose magic link to one slot's check-in form. Only the hash is stored."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="links")
    slot = models.DateField()
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.experiment_id} {self.slot}"

    hash_token = staticmethod(hash_token)

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class Reminder(TimeStampedModel):
    """A check-in reminder. The unique (experiment, slot) makes "never twice" a database fact."""

    class Kind(models.TextChoices):
        CADENCE = "cadence", _("regular check-in")
        BEFORE_WORKSHOP = "before_workshop", _("before a workshop")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("skipped")

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="reminders")
    slot = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CADENCE)
    workshop_day = models.ForeignKey(
        "workshops.WorkshopDay", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    link = models.ForeignKey(
        CheckInLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["slot"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "slot"], name="one_reminder_per_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.experiment_id} {self.slot} {self.status}"


class LogEntry(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        EDITED = "edited", _("edited")
        STARTED = "started", _("started")
        CHECKIN = "checkin", _("check-in")
        REPORTED = "reported", _("reported")
        DECIDED = "decided", _("decided")
        NEXT_ROUND = "next_round", _("next round")
        ADOPTED = "adopted", _("copied to another unit")
        SUPPORT = "support", _("support requested")
        NOTE = "note", _("note")

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text[:40]}"


class AdoptionInterest(models.Model):
    """How many people of a unit said "we want to try this" about an experiment in a
    report-back round (a live workshop's agenda item). Copying the experiment offers these units
    first. Counts only: who pressed the button is not stored."""

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="adoption_interest"
    )
    slot = models.ForeignKey("workshops.AgendaSlot", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-count", "id"]
        verbose_name = _("interest in copying")
        verbose_name_plural = _("interest in copying")
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "slot", "unit"], name="adoption_interest_once_per_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.experiment_id}: {self.count}"
