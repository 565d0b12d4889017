"""Pure arithmetic of the reports: roll-ups, funnel, check-in health, lineage.

No database access here: selectors load plain rows, these functions compute. That keeps the
numbers testable with exact values and the dashboard's query count fixed.

Roll-up rules (same as `experiments.MeasureType.is_summed`):
- count and money: the values of all check-ins add up;
- percent and yes/no: the latest check-in's value per experiment counts; across experiments
  a percent is averaged and yes/no counts the experiments whose latest answer is yes (1).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

SUMMED_KINDS = ("count", "money")
TENTH = Decimal("0.1")  # percent means over time: one decimal, as in combine_measure_values


@dataclass(frozen=True)
class MeasureTypeRow:
    id: int
    name: str
    kind: str
    unit_label: str


@dataclass(frozen=True)
class ExperimentRow:
    id: int
    title: str
    status: str
    unit_id: int | None
    unit_name: str
    adopted_from_id: int | None
    previous_round_id: int | None
    round_number: int
    started_on: dt.date | None
    first_step_on: dt.date | None
    created_on: dt.date
    reported: bool


@dataclass(frozen=True)
class MeasureRow:
    id: int
    experiment_id: int
    measure_type_id: int
    target: Decimal


@dataclass(frozen=True)
class ValueRow:
    experiment_id: int
    measure_id: int
    slot: dt.date
    value: Decimal


@dataclass
class MeasureRollup:
    measure_type: MeasureTypeRow
    total: Decimal
    target: Decimal
    experiments: int
    reached: int
    by_unit: list[tuple[str, Decimal]] = field(default_factory=list)
    over_time: list[tuple[str, Decimal]] = field(default_factory=list)  # (YYYY-MM, cumulative)

    @property
    def summed(self) -> bool:
        return self.measure_type.kind in SUMMED_KINDS

    @property
    def percent_of_target(self) -> int | None:
        if not self.summed or not self.target:
            return None
        return round(100 * self.total / self.target)


def _q(value: Decimal) -> Decimal:
    """Drop meaningless decimals: 12.00 -> 12, 12.50 -> 12.5."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def achieved_per_measure(
    measures: Sequence[MeasureRow], kinds: dict[int, str], values: Iterable[ValueRow]
) -> dict[int, Decimal | None]:
    """What each experiment measure has achieved: a sum, or the latest value (None: no data)."""
    by_measure: dict[int, list[ValueRow]] = defaultdict(list)
    for v in values:
        by_measure[v.measure_id].append(v)
    result: dict[int, Decimal | None] = {}
    for m in measures:
        rows = by_measure.get(m.id, [])
        if not rows:
            result[m.id] = None
        elif kinds[m.measure_type_id] in SUMMED_KINDS:
            result[m.id] = sum((r.value for r in rows), Decimal(0))
        else:
            result[m.id] = max(rows, key=lambda r: r.slot).value
    return result


def experiments_reaching_target(
    measures: Sequence[MeasureRow], achieved: dict[int, Decimal | None]
) -> set[int]:
    """Experiments with at least one measure, every one of which reached its target."""
    ok: dict[int, bool] = {}
    for m in measures:
        value = achieved.get(m.id)
        reached = value is not None and value >= m.target
        ok[m.experiment_id] = ok.get(m.experiment_id, True) and reached
    return {exp_id for exp_id, reached in ok.items() if reached}


def measure_rollups(
    *,
    measure_types: Sequence[MeasureTypeRow],
    experiments: Sequence[ExperimentRow],
    measures: Sequence[MeasureRow],
    values: Sequence[ValueRow],
) -> list[MeasureRollup]:
    from polku.experiments.selectors import combine_measure_values

    kinds = {t.id: t.kind for t in measure_types}
    achieved = achieved_per_measure(measures, kinds, values)
    experiments_by_id = {e.id: e for e in experiments}
    rollups = []
    for mt in measure_types:
        mine = [m for m in measures if m.measure_type_id == mt.id]
        summed = mt.kind in SUMMED_KINDS
        per_unit: dict[str, list[Decimal]] = defaultdict(list)
        for m in mine:
            value = achieved[m.id]
            if value is None:
                continue
            unit = (
                experiments_by_id[m.experiment_id].unit_name
                if m.experiment_id in experiments_by_id
                else ""
            )
            per_unit[unit].append(value)
        all_values = [v for vs in per_unit.values() for v in vs]
        total = combine_measure_values(mt.kind, all_values) or Decimal(0)
        by_unit = [
            (u, _q(combine_measure_values(mt.kind, vs) or Decimal(0))) for u, vs in per_unit.items()
        ]
        # Over time: month by month, cumulative for sums, latest-so-far for the others.
        month_values: dict[str, list[ValueRow]] = defaultdict(list)
        mine_ids = {m.id for m in mine}
        for v in values:
            if v.measure_id in mine_ids:
                month_values[v.slot.strftime("%Y-%m")].append(v)
        over_time: list[tuple[str, Decimal]] = []
        running = Decimal(0)
        latest: dict[int, Decimal] = {}
        for month in sorted(month_values):
            rows = sorted(month_values[month], key=lambda r: r.slot)
            if summed:
                running += sum((r.value for r in rows), Decimal(0))
                over_time.append((month, _q(running)))
            else:
                for r in rows:
                    latest[r.measure_id] = r.value
                if mt.kind == "yes_no":
                    over_time.append((month, Decimal(sum(1 for x in latest.values() if x >= 1))))
                else:
                    mean = sum(latest.values(), Decimal(0)) / len(latest)
                    over_time.append((month, _q(mean.quantize(TENTH))))
        reached = experiments_reaching_target(mine, achieved)
        rollups.append(
            MeasureRollup(
                measure_type=mt,
                total=_q(total),
                target=_q(sum((m.target for m in mine), Decimal(0))) if summed else Decimal(0),
                experiments=len({m.experiment_id for m in mine}),
                reached=len(reached),
                by_unit=sorted(by_unit, key=lambda item: (-item[1], item[0])),
                over_time=over_time,
            )
        )
    return rollups


@dataclass(frozen=True)
class FunnelStep:
    key: str
    count: int | None  # None: the source is not available yet


def funnel(
    *,
    topics: int | None,
    prioritised: int | None,
    experiments: Sequence[ExperimentRow],
    reached_target: set[int],
) -> list[FunnelStep]:
    ids = {e.id for e in experiments}
    unit_of = {e.id: e.unit_id for e in experiments}
    adopted_elsewhere = {
        e.adopted_from_id
        for e in experiments
        if e.adopted_from_id in ids and e.unit_id != unit_of.get(e.adopted_from_id)
    }
    return [
        FunnelStep("topics", topics),
        FunnelStep("prioritised", prioritised),
        FunnelStep("experiments", len(experiments)),
        FunnelStep("reported", sum(1 for e in experiments if e.reported)),
        FunnelStep("reached_target", len(reached_target & ids)),
        FunnelStep("adopted_elsewhere", len(adopted_elsewhere)),
    ]


@dataclass(frozen=True)
class CheckinHealth:
    experiment: ExperimentRow
    last_checkin: dt.date | None
    due_on: dt.date | None  # the missed slot when overdue, else the next one
    days_overdue: int

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def checkin_health(
    *,
    experiments: Sequence[ExperimentRow],
    last_checkins: dict[int, dt.date],
    schedules: dict[int, list[dt.date]],
    today: dt.date,
) -> list[CheckinHealth]:
    """Running experiments against their check-in schedule.

    Overdue: the latest slot due by `today` has no check-in for it or later; the days count
    from that slot. Otherwise `due_on` is the next slot.
    """
    rows = []
    for e in experiments:
        if e.status != "running":
            continue
        last = last_checkins.get(e.id)
        slots = schedules.get(e.id, [])
        due = [d for d in slots if d <= today]
        upcoming = [d for d in slots if d > today]
        if due and (last is None or last < due[-1]):
            rows.append(CheckinHealth(e, last, due[-1], (today - due[-1]).days))
        else:
            rows.append(CheckinHealth(e, last, upcoming[0] if upcoming else None, 0))
    return sorted(
        rows,
        key=lambda h: (-h.days_overdue, h.due_on or dt.date.max, h.experiment.title),
    )


@dataclass(frozen=True)
class LineageEdge:
    source_unit: str
    target_unit: str
    experiment: str
    count: int


def lineage_edges(experiments: Sequence[ExperimentRow]) -> list[LineageEdge]:
    """Copies between units: (from unit, to unit, original title) with how many copies."""
    by_id = {e.id: e for e in experiments}
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for e in experiments:
        source = by_id.get(e.adopted_from_id) if e.adopted_from_id else None
        if source is None or source.unit_id == e.unit_id:
            continue
        counts[(source.unit_name, e.unit_name, source.title)] += 1
    return [LineageEdge(s, t, title, n) for (s, t, title), n in sorted(counts.items())]


def status_counts(
    experiments: Sequence[ExperimentRow], statuses: Sequence[str]
) -> list[tuple[str, int]]:
    counts = dict.fromkeys(statuses, 0)
    for e in experiments:
        counts[e.status] = counts.get(e.status, 0) + 1
    return list(counts.items())
