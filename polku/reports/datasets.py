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

from django.db.models import Count

from polku.organisations.models import Membership, Organisation
from polku.paths.models import Path
from polku.reports.exporting import Table
from polku.reports.selectors import source_ready
from polku.workshops.models import AgendaSlot, WorkshopDay

OrgDatasetFn = Callable[[Organisation], list[dict]]


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
def _organisation(org: Organisation) -> list[dict]:
    return [
        {
            "id": org.pk,
            "name": org.name,
            "slug": org.slug,
            "description": org.description,
            "created_at": org.created_at,
        }
    ]


@organisation_dataset("units", models=("organisations.Unit",))
def _units(org: Organisation) -> list[dict]:
    return list(org.units.order_by("id").values("id", "parent_id", "code", "name", "kind"))


@organisation_dataset("members", models=("organisations.Membership",))
def _members(org: Organisation) -> list[dict]:
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
def _paths(org: Organisation) -> list[dict]:
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
def _workshop_days(org: Organisation) -> list[dict]:
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
def _agenda(org: Organisation) -> list[dict]:
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
def _share_links(org: Organisation) -> list[dict]:
    from polku.reports.models import ShareLink

    return list(
        ShareLink.objects.filter(path__organisation=org)
        .order_by("id")
        .values("id", "path_id", "label", "sections", "expires_at", "revoked_at", "created_at")
    )


@organisation_dataset("workshop_summaries", models=("reports.WorkshopSummary",))
def _summaries(org: Organisation) -> list[dict]:
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
def _measure_types(org: Organisation) -> list[dict]:
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
def _experiments(org: Organisation) -> list[dict]:
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
def _checkins(org: Organisation) -> list[dict]:
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
    "experiment_log", models=("experiments.LogEntry",), requires="experiments.LogEntry"
)
def _experiment_log(org: Organisation) -> list[dict]:
    from polku.experiments.models import LogEntry

    return list(
        LogEntry.objects.filter(experiment__path__organisation=org)
        .order_by("id")
        .values("id", "experiment_id", "kind", "text", "created_at")
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
