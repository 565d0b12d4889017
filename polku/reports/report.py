"""One report model for a path, shared by the dashboard, the share page and the impact PDF.

`path_report()` loads everything with a fixed number of queries and computes with
`metrics`. Sections whose source app is not ready carry `None`.
"""

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from polku.paths.models import Path
from polku.reports import metrics, participation, selectors
from polku.workshops.models import WorkshopDay

FUNNEL_LABELS = {
    "topics": _("Topics raised"),
    "prioritised": _("Topics prioritised"),
    "experiments": _("Experiments"),
    "reported": pgettext_lazy("funnel step", "Reported"),
    "reached_target": _("Reached the target"),
    "adopted_elsewhere": _("Copied by another unit"),
}


@dataclass
class PathReport:
    path: Path
    today: dt.date
    days: list[WorkshopDay]
    unit_count: int
    experiments: selectors.ExperimentData | None
    participation: participation.Participation | None
    topic_counts: tuple[int, int] | None  # (raised, prioritised)
    rollups: list[metrics.MeasureRollup] = field(default_factory=list)
    funnel: list[metrics.FunnelStep] = field(default_factory=list)
    statuses: list[tuple[str, str, int]] = field(default_factory=list)  # key, label, count
    health: list[metrics.CheckinHealth] = field(default_factory=list)
    lineage: list[metrics.LineageEdge] = field(default_factory=list)
    highlights: list[dict] = field(default_factory=list)

    @property
    def overdue(self) -> list[metrics.CheckinHealth]:
        return [h for h in self.health if h.overdue]

    @property
    def experiment_count(self) -> int:
        return len(self.experiments.experiments) if self.experiments else 0

    @property
    def closed_days(self) -> list[WorkshopDay]:
        return [d for d in self.days if d.status == WorkshopDay.Status.CLOSED]

    @property
    def upcoming_days(self) -> list[WorkshopDay]:
        now = timezone.now()
        return [d for d in self.days if d.ends_at >= now and d.status != WorkshopDay.Status.CLOSED]

    def funnel_rows(self) -> list[tuple[str, str, int | None]]:
        return [(s.key, str(FUNNEL_LABELS[s.key]), s.count) for s in self.funnel]


def checkin_schedules(
    *, path: Path, days: list[WorkshopDay], experiments: list[metrics.ExperimentRow]
) -> dict[int, list[dt.date]]:
    """Each running experiment's check-in slots, by the experiments app's own schedule rule
    (every interval from the start plus one before each workshop day); no queries."""
    from polku.experiments.services import checkin_schedule

    schedules: dict[int, list[dt.date]] = {}
    for e in experiments:
        if e.status != "running":
            continue
        start = e.started_on or e.first_step_on or e.created_on
        stand_in = SimpleNamespace(started_on=start, first_step_on=None, created_at=None, pk=e.id)
        slots = checkin_schedule(experiment=stand_in, path=path, workshop_days=days)  # type: ignore[arg-type]
        schedules[e.id] = [slot.date for slot in slots]
    return schedules


def path_report(
    *, path: Path, today: dt.date | None = None, with_stories: bool = False
) -> PathReport:
    today = today or timezone.localdate()
    days = selectors.workshop_days(path=path)
    report = PathReport(
        path=path,
        today=today,
        days=days,
        unit_count=path.units.count(),
        experiments=selectors.experiment_data(path=path, with_stories=with_stories),
        participation=participation.participation(path=path, days=days),
        topic_counts=participation.topic_counts(path=path),
    )
    data = report.experiments
    raised, prioritised = report.topic_counts if report.topic_counts else (None, None)
    if data is None:
        report.funnel = [
            metrics.FunnelStep(key, count)
            for key, count in [("topics", raised), ("prioritised", prioritised)]
        ] + [
            metrics.FunnelStep(k, None)
            for k in ("experiments", "reported", "reached_target", "adopted_elsewhere")
        ]
        return report
    kinds = {t.id: t.kind for t in data.measure_types}
    achieved = metrics.achieved_per_measure(data.measures, kinds, data.values)
    reached = metrics.experiments_reaching_target(data.measures, achieved)
    report.rollups = metrics.measure_rollups(
        measure_types=data.measure_types,
        experiments=data.experiments,
        measures=data.measures,
        values=data.values,
    )
    report.funnel = metrics.funnel(
        topics=raised, prioritised=prioritised, experiments=data.experiments, reached_target=reached
    )
    choices = selectors.experiment_status_choices()
    counts = dict(metrics.status_counts(data.experiments, [key for key, _label in choices]))
    report.statuses = [(key, str(label), counts.get(key, 0)) for key, label in choices]
    report.health = metrics.checkin_health(
        experiments=data.experiments,
        last_checkins=data.last_checkins,
        schedules=checkin_schedules(path=path, days=days, experiments=data.experiments),
        today=today,
    )
    report.lineage = metrics.lineage_edges(data.experiments)
    # Practice library (as in experiments.selectors.practice_library): experiments that reached
    # all their targets, the most copied first.
    copies: dict[int, int] = {}
    for e in data.experiments:
        if e.adopted_from_id:
            copies[e.adopted_from_id] = copies.get(e.adopted_from_id, 0) + 1
    labels = {key: str(label) for key, label in choices}
    library = sorted(
        (e for e in data.experiments if e.id in reached),
        key=lambda e: (-copies.get(e.id, 0), e.title),
    )
    report.highlights = [
        {
            "title": e.title,
            "unit_name": e.unit_name,
            "status_label": labels.get(e.status, e.status),
            "copies": copies.get(e.id, 0),
        }
        for e in library[:8]
    ]
    return report
