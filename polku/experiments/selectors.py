"""Reads for experiments. Request-facing queries start from a path loaded with
`polku.paths.selectors.path_get(membership=...)`, so tenancy and unit scope hold."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from polku.experiments.models import CheckIn, CheckInValue, Experiment, Measure, MeasureType
from polku.grouping import services as grouping
from polku.organisations.models import Membership, Unit
from polku.organisations.rules import has_perm, sees_whole_organisation
from polku.paths.models import Path
from polku.workshops.models import WorkshopDay

Status = Experiment.Status
SUMMED_KINDS = {MeasureType.Kind.COUNT, MeasureType.Kind.MONEY}


def can_edit_experiment(membership: Membership, experiment: Experiment) -> bool:
    """Facilitators and coordinators edit every experiment; unit contacts their own unit's."""
    if not has_perm(membership, "experiment.edit"):
        return False
    if not sees_whole_organisation(membership):
        return experiment.unit_id is not None and experiment.unit_id == membership.unit_id
    return True


def adoptable_units(*, membership: Membership, path: Path, experiment: Experiment) -> list[Unit]:
    """Units into which this member may copy the experiment."""
    if not has_perm(membership, "experiment.adopt"):
        return []
    taken: set[int | None] = set(
        Experiment.objects.filter(adopted_from=experiment, path=path).values_list(
            "unit_id", flat=True
        )
    )
    taken.add(experiment.unit_id)
    units = list(path.units.order_by("name"))
    if not sees_whole_organisation(membership):
        units = [u for u in units if u.pk == membership.unit_id]
    return [u for u in units if u.pk not in taken]


def measure_types(*, path: Path) -> QuerySet[MeasureType]:
    return path.measure_types.all()


def _measures_prefetch() -> Prefetch:
    return Prefetch("measures", queryset=Measure.objects.select_related("measure_type"))


def experiment_board(
    *,
    path: Path,
    status: str = "",
    unit_id: int | None = None,
    topic: str = "",
    q: str = "",
) -> list[Experiment]:
    """All experiments of a path with their counts, for the board. Fixed number of queries."""
    qs = (
        path.experiments.select_related("unit")
        .annotate(
            checkin_count=Count("checkins", distinct=True),
            adoption_count=Count("adoptions", distinct=True),
        )
        .prefetch_related(_measures_prefetch())
        .order_by("unit__name", "title", "round_number")
    )
    if status:
        qs = qs.filter(status=status)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if topic:
        qs = qs.filter(topic_title=topic)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(what_we_try__icontains=q))
    experiments: list[Experiment] = list(qs)
    attach_actuals(experiments)
    return experiments


def experiment_topics(*, path: Path) -> list[str]:
    return list(
        path.experiments.exclude(topic_title="")
        .values_list("topic_title", flat=True)
        .distinct()
        .order_by("topic_title")
    )


def topic_suggestions(*, path: Path) -> list[str]:
    """Prioritised topics from the path's workshops first, then topics already in use."""
    from polku.activities.selectors import path_topics

    seen: dict[str, None] = {}
    for result in path_topics(path=path):
        seen.setdefault(result.text, None)
    for title in experiment_topics(path=path):
        seen.setdefault(title, None)
    return list(seen)


def what_works(*, path: Path) -> list[str]:
    """What already works, as collected in the path's workshops (to build experiments on)."""
    from polku.activities.models import ActivityResult

    return list(
        ActivityResult.objects.filter(path=path, kind="what_works")
        .order_by("slot__workshop_day__starts_at", "slot__position", "position")
        .values_list("text", flat=True)[:50]
    )


def experiment_get(*, path: Path, pk: int) -> Experiment:
    experiment = (
        path.experiments.select_related(
            "unit", "path__organisation", "adopted_from__unit", "previous_round"
        )
        .filter(pk=pk)
        .first()
    )
    if experiment is None:
        raise Http404
    return experiment


# --------------------------------------------------------------------------- actuals


def _actuals_for_measures(measures: list[Measure]) -> dict[int, Decimal | None]:
    """Actual value per Measure pk: summed kinds add all check-ins; the others take the
    latest reported value. One query."""
    if not measures:
        return {}
    rows = (
        CheckInValue.objects.filter(measure_id__in=[m.pk for m in measures])
        .order_by("checkin__slot", "checkin_id")
        .values_list("measure_id", "value")
    )
    kinds = {m.pk: m.measure_type.kind for m in measures}
    out: dict[int, Decimal | None] = {m.pk: None for m in measures}
    for measure_id, value in rows:
        if kinds[measure_id] in SUMMED_KINDS:
            out[measure_id] = (out[measure_id] or Decimal(0)) + value
        else:
            out[measure_id] = value
    return out


def attach_actuals(experiments: Sequence[Experiment]) -> None:
    """Set `measure.actual`, `measure.reached` and `experiment.reached_targets` (needs the
    measures prefetched with their measure_type)."""
    measures = [m for e in experiments for m in e.measures.all()]
    actuals = _actuals_for_measures(measures)
    for experiment in experiments:
        reached = []
        for m in experiment.measures.all():
            m.actual = actuals.get(m.pk)  # type: ignore[attr-defined]
            m.reached = m.actual is not None and m.actual >= m.target  # type: ignore[attr-defined]
            reached.append(m.reached)  # type: ignore[attr-defined]
        experiment.reached_targets = bool(reached) and all(reached)  # type: ignore[attr-defined]


@dataclass
class SeriesPoint:
    slot: dt.date
    value: Decimal | None
    cumulative: Decimal | None


@dataclass
class MeasureSeries:
    measure: Measure
    points: list[SeriesPoint] = field(default_factory=list)

    @property
    def actual(self) -> Decimal | None:
        return self.points[-1].cumulative if self.points else None

    @property
    def reached(self) -> bool:
        return self.actual is not None and self.actual >= self.measure.target


def experiment_series(*, experiment: Experiment) -> list[MeasureSeries]:
    """Per measure: target and the actual over time (cumulative for summed kinds)."""
    measures = list(experiment.measures.select_related("measure_type"))
    values: dict[tuple[int, int], Decimal] = {
        (v.checkin_id, v.measure_id): v.value
        for v in CheckInValue.objects.filter(checkin__experiment=experiment)
    }
    checkins = list(experiment.checkins.order_by("slot"))
    out = []
    for measure in measures:
        series = MeasureSeries(measure)
        running: Decimal | None = None
        for checkin in checkins:
            value = values.get((checkin.pk, measure.pk))
            if value is not None:
                running = (
                    (running or Decimal(0)) + value if measure.measure_type.is_summed else value
                )
            series.points.append(SeriesPoint(checkin.slot, value, running))
        out.append(series)
    return out


def experiment_checkins(*, experiment: Experiment) -> list[CheckIn]:
    return list(
        experiment.checkins.prefetch_related(
            Prefetch(
                "values", queryset=CheckInValue.objects.select_related("measure__measure_type")
            )
        ).order_by("-slot")
    )


# --------------------------------------------------------------------------- lineage & rounds


@dataclass
class LineageNode:
    experiment: Experiment
    depth: int
    children: list["LineageNode"] = field(default_factory=list)


def experiment_lineage(*, experiment: Experiment) -> list[LineageNode]:
    """Where the experiment came from and where it spread: the whole tree from its original,
    depth-first, with actuals. A handful of queries (one per generation)."""
    root = experiment
    seen = {root.pk}
    while root.adopted_from_id and root.adopted_from_id not in seen:
        parent = Experiment.objects.filter(pk=root.adopted_from_id).first()
        if parent is None:
            break
        seen.add(parent.pk)
        root = parent
    all_nodes: list[Experiment] = []
    generation = [root]
    children_of: dict[int, list[Experiment]] = defaultdict(list)
    visited = {root.pk}
    while generation and len(visited) < 500:
        all_nodes.extend(generation)
        nxt = list(
            Experiment.objects.filter(adopted_from__in=generation)
            .exclude(pk__in=visited)
            .select_related("unit", "path")
            .order_by("created_at")
        )
        for child in nxt:
            children_of[child.adopted_from_id].append(child)  # type: ignore[index]
            visited.add(child.pk)
        generation = nxt
    nodes = (
        Experiment.objects.filter(pk__in=[e.pk for e in all_nodes])
        .select_related("unit", "path")
        .prefetch_related(_measures_prefetch())
    )
    by_pk = {e.pk: e for e in nodes}
    attach_actuals(list(by_pk.values()))
    ordered: list[LineageNode] = []

    def walk(e: Experiment, depth: int) -> None:
        ordered.append(LineageNode(by_pk[e.pk], depth))
        for child in children_of.get(e.pk, []):
            walk(child, depth + 1)

    walk(root, 0)
    return ordered


def experiment_rounds(*, experiment: Experiment) -> list[Experiment]:
    """All rounds of this experiment, first to last."""
    first = experiment
    seen = {first.pk}
    while first.previous_round_id and first.previous_round_id not in seen:
        first = Experiment.objects.get(pk=first.previous_round_id)
        seen.add(first.pk)
    rounds = [first]
    while True:
        nxt = Experiment.objects.filter(previous_round=rounds[-1]).first()
        if nxt is None or nxt.pk in {r.pk for r in rounds}:
            break
        rounds.append(nxt)
    return rounds


# --------------------------------------------------------------------------- library & roll-up


def practice_library(
    *, path: Path, topic: str = "", unit_id: int | None = None, q: str = ""
) -> list[Experiment]:
    """Experiments that reached all their targets, most copied first (copies of copies count
    too). Fixed number of queries."""
    qs = (
        path.experiments.filter(measures__isnull=False)
        .distinct()
        .select_related("unit")
        .annotate(
            adoption_count=Count("adoptions", distinct=True),
            checkin_count=Count("checkins", distinct=True),
        )
        .prefetch_related(_measures_prefetch())
    )
    if topic:
        qs = qs.filter(topic_title=topic)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(what_we_try__icontains=q))
    experiments: list[Experiment] = list(qs)
    attach_actuals(experiments)
    spread = copies_count(path=path)
    reached = [e for e in experiments if e.reached_targets]  # type: ignore[attr-defined]
    for e in reached:
        e.adoption_count = spread.get(e.pk, 0)  # type: ignore[attr-defined]
    reached.sort(key=lambda e: (-e.adoption_count, e.title))  # type: ignore[attr-defined]
    return reached


def copies_count(*, path: Path) -> dict[int, int]:
    """How many copies each experiment has, copies of copies included. One query."""
    parent = dict(
        Experiment.objects.filter(path__organisation_id=path.organisation_id).values_list(
            "pk", "adopted_from_id"
        )
    )
    counts: dict[int, int] = {}
    for pk in parent:
        seen = {pk}
        up = parent.get(pk)
        while up is not None and up not in seen:
            counts[up] = counts.get(up, 0) + 1
            seen.add(up)
            up = parent.get(up)
    return counts


@dataclass
class RollupRow:
    measure_type: MeasureType
    total: Decimal | None
    target: Decimal
    experiment_count: int
    by_unit: list[tuple[str, Decimal | None, Decimal]]  # (unit name, actual, target)


def path_rollup(*, path: Path) -> list[RollupRow]:
    """Each measure summed across experiments and rounds, with the per-unit breakdown.
    Counts and money: the sum of all check-ins. Percent: the mean of each experiment's latest
    value. Yes/no: how many experiments answer yes. Three queries."""
    types = list(path.measure_types.all())
    measures = list(
        Measure.objects.filter(experiment__path=path).select_related(
            "measure_type", "experiment__unit"
        )
    )
    actuals = _actuals_for_measures(measures)
    rows = []
    for mt in types:
        mine = [m for m in measures if m.measure_type_id == mt.pk]
        reported = [v for m in mine if (v := actuals[m.pk]) is not None]
        per_unit: dict[str, list] = {}
        for m in mine:
            name = m.experiment.unit.name if m.experiment.unit else "–"
            entry = per_unit.setdefault(name, [[], Decimal(0)])
            if actuals[m.pk] is not None:
                entry[0].append(actuals[m.pk])
            entry[1] += m.target
        rows.append(
            RollupRow(
                measure_type=mt,
                total=combine_measure_values(mt.kind, reported),
                target=sum((m.target for m in mine), Decimal(0)),
                experiment_count=len(mine),
                by_unit=[
                    (name, combine_measure_values(mt.kind, vals), target)
                    for name, (vals, target) in sorted(per_unit.items())
                ],
            )
        )
    return rows


def combine_measure_values(kind: str, values: Sequence[Decimal]) -> Decimal | None:
    """The one roll-up rule for a measure kind (also used by the reports dashboard and PDF):
    counts and money add up, yes/no counts the yeses, percent is the mean to one decimal.
    None when nothing was reported."""
    if not values:
        return None
    if kind in SUMMED_KINDS:
        return sum(values, Decimal(0))
    if kind == MeasureType.Kind.YES_NO:
        return Decimal(sum(1 for v in values if v >= 1))
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.1"))


# --------------------------------------------------------------------------- follow-up


def next_workshop_day(*, path: Path) -> WorkshopDay | None:
    """The next workshop day not yet held (an ended day of the same date is not it)."""
    return (
        path.workshop_days.filter(ends_at__gte=timezone.now())
        .exclude(status=WorkshopDay.Status.CLOSED)
        .order_by("starts_at", "pk")
        .first()
    )


def experiments_not_reported(*, path: Path, before: WorkshopDay | None = None) -> list[Experiment]:
    """Open experiments with no check-in since the previous workshop day (or since they
    started): the facilitator asks them before the follow-up workshop."""
    before = before or next_workshop_day(path=path)
    since = None
    if before is not None:
        previous = (
            path.workshop_days.filter(starts_at__lt=before.starts_at).order_by("-starts_at").first()
        )
        if previous is not None:
            since = timezone.localdate(previous.ends_at)
    qs = path.experiments.exclude(status=Status.DECIDED).select_related("unit")
    recent = CheckIn.objects.filter(experiment__path=path)
    if since is not None:
        recent = recent.filter(slot__gte=since)
    reported_ids = set(recent.values_list("experiment_id", flat=True))
    return [e for e in qs.order_by("unit__name", "title") if e.pk not in reported_ids]


def shareable_learnings(*, path: Path) -> QuerySet[CheckIn]:
    """Check-ins the teams agreed to share (quotes for reports and other units)."""
    return (
        CheckIn.objects.filter(experiment__path=path, shareable=True)
        .select_related("experiment__unit")
        .order_by("-slot")
    )


@dataclass
class Interest:
    unit: Unit | None
    count: int


def adoption_interest(*, experiment: Experiment) -> list[Interest]:
    """Who said "we want to try this" in report-back rounds, per unit (most first; units that
    already run a copy are left out)."""
    copied = set(experiment.adoptions.values_list("unit_id", flat=True))
    totals: dict[int | None, int] = {}
    for unit_id, n in experiment.adoption_interest.values_list("unit_id", "count"):
        if unit_id is None or unit_id not in copied:
            totals[unit_id] = totals.get(unit_id, 0) + n
    units = Unit.objects.in_bulk([u for u in totals if u is not None])
    rows = [Interest(units.get(u) if u is not None else None, n) for u, n in totals.items()]
    return sorted(rows, key=lambda r: (-r.count, r.unit is None, r.unit.name if r.unit else ""))


# --------------------------------------------------------------------------- similar (grouping)

SIMILAR_CANDIDATES = 300


def experiment_text(experiment: Experiment) -> str:
    """What an experiment is about, for finding similar ones (title, what we try, topic)."""
    return " ".join(
        part
        for part in (experiment.title, experiment.what_we_try[:300], experiment.topic_title)
        if part
    )


def similar_experiments(
    *, experiment: Experiment, lineage_pks: set[int] | None = None, limit: int = 5
) -> list[Experiment]:
    """Experiments of other units on the same path that are most like this one (peer learning
    across localities), best first, each with ``similarity``; its own copies and originals
    (``lineage_pks``) are left out. Two queries."""
    skip = {experiment.pk, *(lineage_pks or set())}
    qs = experiment.path.experiments.exclude(pk__in=skip)
    if experiment.unit_id is not None:
        qs = qs.exclude(unit_id=experiment.unit_id)
    others = list(qs.select_related("unit").order_by("-created_at")[:SIMILAR_CANDIDATES])
    by_pk = {str(e.pk): e for e in others}
    ranked = grouping.similar_texts(
        text=experiment_text(experiment),
        candidates=[(str(e.pk), experiment_text(e)) for e in others],
        limit=limit,
    )
    out = []
    for pk, score in ranked:
        found = by_pk[pk]
        found.similarity = score  # type: ignore[attr-defined]
        out.append(found)
    return out


def library_similar(*, path: Path, q: str, exclude: set[int], limit: int = 6) -> list[Experiment]:
    """Practice-library search by meaning: experiments of the path like the words ``q`` that
    the plain text search did not find (``exclude``). Two queries."""
    if not q.strip():
        return []
    candidates = list(
        path.experiments.exclude(pk__in=exclude)
        .select_related("unit")
        .order_by("-created_at")[:SIMILAR_CANDIDATES]
    )
    by_pk = {str(e.pk): e for e in candidates}
    ranked = grouping.similar_texts(
        text=q, candidates=[(str(e.pk), experiment_text(e)) for e in candidates], limit=limit
    )
    return [by_pk[pk] for pk, _score in ranked]


@dataclass
class LearningGroup:
    name: str
    learnings: list[CheckIn]


def learnings_grouped(*, learnings: Sequence[CheckIn]) -> list[LearningGroup]:
    """The teams' learnings ("what helped") in suggested groups with names; learnings that fit
    no group come last under an empty name. Empty when grouping is off or there are too few."""
    by_pk = {str(c.pk): c for c in learnings}
    suggestion = grouping.texts_group(items=[(str(c.pk), c.what_helped) for c in learnings])
    if suggestion is None:
        return []
    groups = [
        LearningGroup(name=g.name, learnings=[by_pk[i] for i in g.cards]) for g in suggestion.groups
    ]
    if suggestion.ungrouped:
        groups.append(LearningGroup(name="", learnings=[by_pk[i] for i in suggestion.ungrouped]))
    return groups
