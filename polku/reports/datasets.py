"""Export datasets. Each dataset is one function, registered by name.

Two registries:

- `ORGANISATION_DATASETS`: the full organisation export (JSON) for portability and GDPR access
  requests. `organisation_dataset(name, models=(...))` declares which models a function covers;
  `EXCLUDED_MODELS` names, with a reason, the tenant models that are deliberately left out.
  A test asserts that every model with a foreign-key path to Organisation is one or the other,
  so a new model in any app cannot be silently forgotten.
- `PATH_TABLES`: the tabular exports of one path (CSV/XLSX) with stable column names
  (documented in docs/exports.md). A table function returns None when its source app has no
  models yet.

Privacy rules, enforced here: members appear with their email only; individual votes are never
exported, only aggregates; free text from anonymous activities never carries a participant
identifier.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from polku.organisations.models import Membership, Organisation
from polku.paths.models import Path
from polku.reports.exporting import Table
from polku.reports.selectors import source_ready
from polku.workshops.models import AgendaSlot, WorkshopDay

OrgDatasetFn = Callable[[Organisation], list[Any]]


@dataclass(frozen=True)
class OrgDataset:
    name: str
    fn: OrgDatasetFn
    models: tuple[str, ...]
    requires: str | None  # "app_label.Model" that must exist, or None


ORGANISATION_DATASETS: dict[str, OrgDataset] = {}

EXCLUDED_MODELS: dict[str, str] = {
    "organisations.Invitation": "pending invitations hold addresses of people who are not members",
    "reports.ReportJob": "generated PDF files; they can be made again from the data",
    "experiments.CheckInLink": "one-time login links (token hashes), no content",
    "experiments.Reminder": "delivery bookkeeping of reminder emails, no content",
    "live.LiveEvent": (
        "raw input log of the live rooms: individual (also anonymous) inputs and votes are never "
        "exported; their outcomes are in activity_results and participation"
    ),
    "juries.LotteryRun": "solver runs (inputs and outputs of the computation); the draws are exported",
    "organisations.LogEntry": "what the system did to the data (retention runs), no content",
}


def organisation_dataset(
    name: str, *, models: tuple[str, ...], requires: str | None = None
) -> Callable[[OrgDatasetFn], OrgDatasetFn]:
    def register(fn: OrgDatasetFn) -> OrgDatasetFn:
        ORGANISATION_DATASETS[name] = OrgDataset(name, fn, models, requires)
        return fn

    return register


def available_org_datasets() -> list[OrgDataset]:
    result = []
    for ds in ORGANISATION_DATASETS.values():
        if ds.requires and not source_ready(*ds.requires.split(".")):
            continue
        result.append(ds)
    return result


@organisation_dataset("organisation", models=("organisations.Organisation",))
def _organisation(org: Organisation) -> list[Any]:
    return [
        {
            "id": org.pk,
            "name": org.name,
            "slug": org.slug,
            "description": org.description,
            "created_at": org.created_at,
        }
    ]


@organisation_dataset(
    "meeting_rooms", models=("live.MeetingLinkTemplate",), requires="live.MeetingLinkTemplate"
)
def _meeting_rooms(org: Organisation) -> list[Any]:
    """The video-room address the groups of remote workshops get their links from."""
    from polku.live.models import MeetingLinkTemplate

    return list(
        MeetingLinkTemplate.objects.filter(organisation=org).values("template", "updated_at")
    )


@organisation_dataset("units", models=("organisations.Unit",))
def _units(org: Organisation) -> list[Any]:
    return list(org.units.order_by("id").values("id", "parent_id", "code", "name", "kind"))


@organisation_dataset("members", models=("organisations.Membership",))
def _members(org: Organisation) -> list[Any]:
    return [
        {
            "email": m["user__email"],
            "role": m["role"],
            "unit_id": m["unit_id"],
            "since": m["created_at"],
        }
        for m in Membership.objects.filter(organisation=org)
        .order_by("id")
        .values("user__email", "role", "unit_id", "created_at")
    ]


@organisation_dataset("paths", models=("paths.Path", "paths.Path_units"))
def _paths(org: Organisation) -> list[Any]:
    rows = []
    for p in org.paths.order_by("id").prefetch_related("units"):
        rows.append(
            {
                "id": p.pk,
                "name": p.name,
                "goal": p.goal,
                "template": p.template,
                "starts_on": p.starts_on,
                "ends_on": p.ends_on,
                "followup_until": p.followup_until,
                "checkin_interval_days": p.checkin_interval_days,
                "unit_ids": sorted(u.pk for u in p.units.all()),
            }
        )
    return rows


@organisation_dataset("workshop_days", models=("workshops.WorkshopDay",))
def _workshop_days(org: Organisation) -> list[Any]:
    return list(
        WorkshopDay.objects.filter(path__organisation=org)
        .order_by("id")
        .values(
            "id",
            "path_id",
            "title",
            "starts_at",
            "ends_at",
            "mode",
            "place",
            "video_link",
            "status",
        )
    )


@organisation_dataset("agenda_items", models=("workshops.AgendaSlot",))
def _agenda(org: Organisation) -> list[Any]:
    return list(
        AgendaSlot.objects.filter(workshop_day__path__organisation=org)
        .order_by("workshop_day_id", "position", "id")
        .values(
            "id",
            "workshop_day_id",
            "position",
            "title",
            "activity_type",
            "duration_minutes",
            "config",
        )
    )


@organisation_dataset("share_links", models=("reports.ShareLink",))
def _share_links(org: Organisation) -> list[Any]:
    from polku.reports.models import ShareLink

    return list(
        ShareLink.objects.filter(path__organisation=org)
        .order_by("id")
        .values("id", "path_id", "label", "sections", "expires_at", "revoked_at", "created_at")
    )


@organisation_dataset("workshop_summaries", models=("reports.WorkshopSummary",))
def _summaries(org: Organisation) -> list[Any]:
    from polku.reports.models import WorkshopSummary

    return list(
        WorkshopSummary.objects.filter(workshop_day__path__organisation=org)
        .order_by("id")
        .values(
            "id",
            "workshop_day_id",
            "data",
            "intro",
            "next_steps",
            "hidden_sections",
            "status",
            "sent_at",
        )
    )


# --- experiments ---------------------------------------------------------------------------


@organisation_dataset(
    "measure_types", models=("experiments.MeasureType",), requires="experiments.MeasureType"
)
def _measure_types(org: Organisation) -> list[Any]:
    from polku.experiments.models import MeasureType

    return list(
        MeasureType.objects.filter(path__organisation=org)
        .order_by("id")
        .values("id", "path_id", "name", "kind", "unit_label", "position")
    )


@organisation_dataset(
    "experiments",
    models=("experiments.Experiment", "experiments.Measure", "experiments.ExperimentMember"),
    requires="experiments.Experiment",
)
def _experiments(org: Organisation) -> list[Any]:
    from polku.experiments.models import Experiment

    rows = []
    qs = (
        Experiment.objects.filter(path__organisation=org)
        .order_by("id")
        .prefetch_related("measures", "members")
    )
    for e in qs:
        rows.append(
            {
                "id": e.pk,
                "path_id": e.path_id,
                "unit_id": e.unit_id,
                "title": e.title,
                "topic_title": e.topic_title,
                "builds_on": e.builds_on,
                "what_we_try": e.what_we_try,
                "who": e.who,
                "first_step": e.first_step,
                "first_step_on": e.first_step_on,
                "duration_weeks": e.duration_weeks,
                "support_needed": e.support_needed,
                "status": e.status,
                "started_on": e.started_on,
                "reported_at": e.reported_at,
                "report_summary": e.report_summary,
                "decision": e.decision,
                "decision_note": e.decision_note,
                "round_number": e.round_number,
                "previous_round_id": e.previous_round_id,
                "adopted_from_id": e.adopted_from_id,
                "contact_email": e.contact_email,
                "measures": [
                    {"measure_type_id": m.measure_type_id, "target": m.target}
                    for m in e.measures.all()
                ],
                # team members by nickname; an email only where the person consented
                "members": [
                    {"nickname": m.nickname, "email": m.email, "consent_at": m.consent_at}
                    for m in e.members.all()
                ],
            }
        )
    return rows


@organisation_dataset(
    "checkins",
    models=("experiments.CheckIn", "experiments.CheckInValue"),
    requires="experiments.CheckIn",
)
def _checkins(org: Organisation) -> list[Any]:
    from polku.experiments.models import CheckIn

    rows = []
    for c in (
        CheckIn.objects.filter(experiment__path__organisation=org)
        .order_by("id")
        .prefetch_related("values")
    ):
        rows.append(
            {
                "id": c.pk,
                "experiment_id": c.experiment_id,
                "slot": c.slot,
                "what_we_did": c.what_we_did,
                "what_helped": c.what_helped,
                "obstacles": c.obstacles,
                "needs_support": c.needs_support,
                "support_request": c.support_request,
                "shareable": c.shareable,
                "source": c.source,
                "values": [{"measure_id": v.measure_id, "value": v.value} for v in c.values.all()],
            }
        )
    return rows


@organisation_dataset(
    "adoption_interest",
    models=("experiments.AdoptionInterest",),
    requires="experiments.AdoptionInterest",
)
def _adoption_interest(org: Organisation) -> list[Any]:
    """Counts per unit of "we want to try this" in report-back rounds (no people)."""
    from polku.experiments.models import AdoptionInterest

    return list(
        AdoptionInterest.objects.filter(experiment__path__organisation=org)
        .order_by("id")
        .values("experiment_id", "slot_id", "unit_id", "count", "created_at")
    )


@organisation_dataset(
    "experiment_log", models=("experiments.LogEntry",), requires="experiments.LogEntry"
)
def _experiment_log(org: Organisation) -> list[Any]:
    from polku.experiments.models import LogEntry

    return list(
        LogEntry.objects.filter(experiment__path__organisation=org)
        .order_by("id")
        .values("id", "experiment_id", "kind", "text", "created_at")
    )


# --- live room and activities -------------------------------------------------------------

SAFE_RESULT_DATA_KEYS = ("theme", "cards")


def _result_data(data: dict) -> dict:
    """Only the known, identity-free keys of an activity result's data."""
    return {k: data[k] for k in SAFE_RESULT_DATA_KEYS if k in (data or {})}


@organisation_dataset(
    "activity_results", models=("activities.ActivityResult",), requires="activities.ActivityResult"
)
def _activity_results(org: Organisation) -> list[Any]:
    """What the workshop activities carried forward: topics, themes, vote totals …
    No participant identifiers (results carry none, also not from anonymous activities)."""
    from polku.activities.models import ActivityResult

    return [
        dict(
            r,
            data=_result_data(r["data"]),
        )
        for r in ActivityResult.objects.filter(path__organisation=org)
        .order_by("id")
        .values(
            "id",
            "path_id",
            "slot_id",
            "activity_type",
            "kind",
            "text",
            "score",
            "unit_id",
            "data",
            "position",
        )
    ]


@organisation_dataset("participation", models=("live.Participant",), requires="live.Participant")
def _participation(org: Organisation) -> list[Any]:
    """Participants as counts per workshop day (they are pseudonymous phones; no nicknames,
    no tokens, no return keys)."""
    from polku.live.models import Participant

    return list(
        Participant.objects.filter(workshop_day__path__organisation=org)
        .values("workshop_day_id")
        .annotate(joined=Count("id"), consented=Count("consented_at"))
        .order_by("workshop_day_id")
    )


# --- path tables (CSV / XLSX) --------------------------------------------------------------

PathTableFn = Callable[[Path], Table | None]


@dataclass(frozen=True)
class PathTable:
    name: str
    fn: PathTableFn
    columns: tuple[str, ...]


PATH_TABLES: dict[str, PathTable] = {}


def path_table(name: str, *, columns: tuple[str, ...]) -> Callable[[PathTableFn], PathTableFn]:
    def register(fn: PathTableFn) -> PathTableFn:
        PATH_TABLES[name] = PathTable(name, fn, columns)
        return fn

    return register


def build_path_table(name: str, path: Path) -> Table | None:
    spec = PATH_TABLES[name]
    table = spec.fn(path)
    if table is not None:
        assert tuple(table.columns) == spec.columns, f"{name}: columns drifted from the spec"
    return table


TOPIC_COLUMNS = (
    "workshop_day_id",
    "workshop_day",
    "agenda_item",
    "activity_type",
    "kind",
    "text",
    "theme",
    "score",
    "unit_name",
    "position",
)
VOTE_ACTIVITY_TYPES = ("dot_vote", "ranking", "poll", "scale", "decide")
TOPIC_RESULT_KINDS = ("topic", "theme", "priority", "what_works", "influence")


@path_table("topics", columns=TOPIC_COLUMNS)
def _table_topics(path: Path) -> Table | None:
    """Topics, themes, prioritised topics and other card results of the workshop activities."""
    if not source_ready("activities", "ActivityResult"):
        return None
    from polku.activities.models import ActivityResult

    rows = [
        (
            r.slot.workshop_day_id,
            r.slot.workshop_day.title,
            r.slot.title,
            r.activity_type,
            r.kind,
            r.text,
            (r.data or {}).get("theme", "") if r.kind != "theme" else r.text,
            r.score,
            r.unit.name if r.unit else "",
            r.position,
        )
        for r in ActivityResult.objects.filter(path=path)
        .exclude(activity_type__in=VOTE_ACTIVITY_TYPES)
        .select_related("slot__workshop_day", "unit")
        .order_by("slot__workshop_day__starts_at", "slot__position", "slot_id", "position", "id")
    ]
    return Table("topics", TOPIC_COLUMNS, rows)


VOTE_COLUMNS = (
    "workshop_day_id",
    "workshop_day",
    "agenda_item",
    "activity_type",
    "option",
    "votes",
    "rank",
)


@path_table("votes", columns=VOTE_COLUMNS)
def _table_votes(path: Path) -> Table | None:
    """Vote results as totals per option. Individual votes are never exported."""
    if not source_ready("activities", "ActivityResult"):
        return None
    from polku.activities.models import ActivityResult

    rows: list[tuple] = []
    rank_in_slot: dict[int, int] = {}
    for r in (
        ActivityResult.objects.filter(path=path, activity_type__in=VOTE_ACTIVITY_TYPES)
        .select_related("slot__workshop_day")
        .order_by("slot__workshop_day__starts_at", "slot__position", "slot_id", "position", "id")
    ):
        rank_in_slot[r.slot_id] = rank_in_slot.get(r.slot_id, 0) + 1
        score = int(r.score) if r.score is not None and float(r.score).is_integer() else r.score
        rows.append(
            (
                r.slot.workshop_day_id,
                r.slot.workshop_day.title,
                r.slot.title,
                r.activity_type,
                r.text,
                score,
                rank_in_slot[r.slot_id],
            )
        )
    return Table("votes", VOTE_COLUMNS, rows)


WORKSHOP_DAY_COLUMNS = (
    "workshop_day_id",
    "title",
    "starts_at",
    "ends_at",
    "mode",
    "place",
    "status",
    "agenda_items",
)


@path_table("workshop_days", columns=WORKSHOP_DAY_COLUMNS)
def _table_days(path: Path) -> Table:
    rows = [
        (d.pk, d.title, d.starts_at, d.ends_at, d.mode, d.place, d.status, d.slot_count)
        for d in path.workshop_days.annotate(slot_count=Count("agenda_slots")).order_by(
            "starts_at", "id"
        )
    ]
    return Table("workshop_days", WORKSHOP_DAY_COLUMNS, rows)


EXPERIMENT_COLUMNS = (
    "experiment_id",
    "title",
    "unit_code",
    "unit_name",
    "topic",
    "status",
    "round",
    "previous_round_id",
    "adopted_from_id",
    "first_step_on",
    "started_on",
    "reported_at",
    "decision",
    "what_we_try",
    "builds_on",
    "report_summary",
)


@path_table("experiments", columns=EXPERIMENT_COLUMNS)
def _table_experiments(path: Path) -> Table | None:
    if not source_ready("experiments", "Experiment"):
        return None
    from polku.experiments.models import Experiment

    rows = [
        (
            e.pk,
            e.title,
            e.unit.code if e.unit else "",
            e.unit.name if e.unit else "",
            e.topic_title,
            e.status,
            e.round_number,
            e.previous_round_id,
            e.adopted_from_id,
            e.first_step_on,
            e.started_on,
            e.reported_at,
            e.decision,
            e.what_we_try,
            e.builds_on,
            e.report_summary,
        )
        for e in Experiment.objects.filter(path=path).select_related("unit").order_by("id")
    ]
    return Table("experiments", EXPERIMENT_COLUMNS, rows)


CHECKIN_COLUMNS = (
    "checkin_id",
    "experiment_id",
    "experiment_title",
    "unit_name",
    "period",
    "what_we_did",
    "what_helped",
    "obstacles",
    "needs_support",
    "shareable",
    "submitted_at",
)


@path_table("checkins", columns=CHECKIN_COLUMNS)
def _table_checkins(path: Path) -> Table | None:
    if not source_ready("experiments", "CheckIn"):
        return None
    from polku.experiments.models import CheckIn

    rows = [
        (
            c.pk,
            c.experiment_id,
            c.experiment.title,
            c.experiment.unit.name if c.experiment.unit else "",
            c.slot,
            c.what_we_did,
            c.what_helped,
            c.obstacles,
            c.needs_support,
            c.shareable,
            c.created_at,
        )
        for c in CheckIn.objects.filter(experiment__path=path)
        .select_related("experiment", "experiment__unit")
        .order_by("experiment_id", "slot")
    ]
    return Table("checkins", CHECKIN_COLUMNS, rows)


MEASURE_COLUMNS = (
    "experiment_id",
    "experiment_title",
    "unit_name",
    "measure",
    "kind",
    "unit_label",
    "period",
    "value",
    "target",
)


@path_table("measures", columns=MEASURE_COLUMNS)
def _table_measures(path: Path) -> Table | None:
    if not source_ready("experiments", "CheckInValue"):
        return None
    from polku.experiments.models import CheckInValue, Measure

    rows: list[tuple] = []
    values = (
        CheckInValue.objects.filter(checkin__experiment__path=path)
        .select_related("measure__measure_type", "checkin__experiment__unit")
        .order_by("checkin__experiment_id", "measure__measure_type__position", "checkin__slot")
    )
    for v in values:
        e, mt = v.checkin.experiment, v.measure.measure_type
        rows.append(
            (
                e.pk,
                e.title,
                e.unit.name if e.unit else "",
                mt.name,
                mt.kind,
                mt.unit_label,
                v.checkin.slot,
                v.value,
                v.measure.target,
            )
        )
    # Targets without any reported value yet: one row with an empty period and value.
    reported = {(r[0], r[3]) for r in rows}
    for m in (
        Measure.objects.filter(experiment__path=path)
        .select_related("measure_type", "experiment__unit")
        .order_by("experiment_id", "measure_type__position")
    ):
        e, mt = m.experiment, m.measure_type
        if (e.pk, mt.name) not in reported:
            rows.append(
                (
                    e.pk,
                    e.title,
                    e.unit.name if e.unit else "",
                    mt.name,
                    mt.kind,
                    mt.unit_label,
                    None,
                    None,
                    m.target,
                )
            )
    return Table("measures", MEASURE_COLUMNS, rows)


# --- juries --------------------------------------------------------------------------------


@organisation_dataset(
    "juries",
    models=(
        "juries.Jury",
        "juries.Jury_sessions",
        "juries.Quota",
        "juries.Recommendation",
        "juries.Response",
        "juries.Vote",
        "juries.FollowUpAction",
    ),
    requires="juries.Jury",
)
def _juries(org: Organisation) -> list[Any]:
    """Juries with quotas, recommendations, responses, follow-up actions and vote totals.

    Votes appear only as totals per level (never who voted what).
    """
    from polku.juries.models import Jury, Vote

    totals: dict[int, dict[int, int]] = {}
    for row in (
        Vote.objects.filter(recommendation__jury__organisation=org)
        .values("recommendation_id", "level")
        .annotate(n=Count("id"))
    ):
        totals.setdefault(row["recommendation_id"], {})[row["level"]] = row["n"]
    rows = []
    for jury in (
        Jury.objects.filter(organisation=org)
        .order_by("id")
        .prefetch_related(
            "sessions", "quotas", "recommendations__response", "recommendations__actions"
        )
    ):
        rows.append(
            {
                "id": jury.pk,
                "path_id": jury.path_id,
                "question": jury.question,
                "commissioner": jury.commissioner,
                "steering_group": jury.steering_group,
                "commitment": jury.commitment,
                "response_days": jury.response_days,
                "panel_size": jury.panel_size,
                "max_per_team": jury.max_per_team,
                "attribute_values": jury.attribute_values,
                "session_workshop_day_ids": sorted(d.pk for d in jury.sessions.all()),
                "statement_intro": jury.statement_intro,
                "statement_published_at": jury.statement_published_at,
                "quotas": [
                    {
                        "attribute": q.attribute,
                        "value": q.value,
                        "min_seats": q.min_seats,
                        "max_seats": q.max_seats,
                        "population_share": q.population_share,
                    }
                    for q in jury.quotas.all()
                ],
                "recommendations": [
                    {
                        "id": r.pk,
                        "position": r.position,
                        "title": r.title,
                        "body": r.body,
                        "version": r.version,
                        "vote_totals": {str(k): v for k, v in sorted(totals.get(r.pk, {}).items())},
                        "response": (
                            {"decision": r.response.decision, "reasons": r.response.reasons}
                            if hasattr(r, "response")
                            else None
                        ),
                        "actions": [
                            {
                                "title": a.title,
                                "owner": a.owner,
                                "due_on": a.due_on,
                                "path_id": a.path_id,
                                "experiment_id": a.experiment_id,
                            }
                            for a in r.actions.all()
                        ],
                    }
                    for r in jury.recommendations.all()
                ],
            }
        )
    return rows


@organisation_dataset(
    "jury_pool",
    models=("juries.PoolMember", "juries.JuryMember"),
    requires="juries.PoolMember",
)
def _jury_pool(org: Organisation) -> list[Any]:
    """The staff pool a jury was drawn from, and who was drawn (seat status; no login tokens)."""
    from polku.juries.models import PoolMember

    rows = []
    for p in (
        PoolMember.objects.filter(jury__organisation=org).order_by("id").prefetch_related("seats")
    ):
        rows.append(
            {
                "jury_id": p.jury_id,
                "external_id": p.external_id,
                "pseudonym": p.pseudonym,
                "name": p.name,
                "email": p.email,
                "attributes": p.attributes,
                "team": p.team,
                "excluded": p.excluded,
                "exclusion_reason": p.exclusion_reason,
                "seats": [{"draw_id": s.draw_id, "status": s.status} for s in p.seats.all()],
            }
        )
    return rows


@organisation_dataset(
    "jury_lottery",
    models=("juries.Draw", "juries.AuditEntry"),
    requires="juries.Draw",
)
def _jury_lottery(org: Organisation) -> list[Any]:
    """The published lottery files and the jury's audit trail (verifiable by anyone)."""
    from polku.juries.models import AuditEntry, Draw

    draws = list(
        Draw.objects.filter(jury__organisation=org)
        .order_by("id")
        .values(
            "id",
            "jury_id",
            "lottery",
            "commitment",
            "committed_at",
            "input_kind",
            "draw_input",
            "panel_index",
            "drawn_at",
            "voided_at",
            "void_reason",
        )
    )
    audit = list(
        AuditEntry.objects.filter(jury__organisation=org)
        .order_by("jury_id", "seq")
        .values(
            "jury_id", "seq", "action", "actor", "payload", "created_at", "prev_hash", "entry_hash"
        )
    )
    return [{"draws": draws, "audit": audit}]
