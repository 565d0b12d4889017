"""Chart specifications of the path dashboard.

One `Chart` feeds three things: the Chart.js canvas (its JSON), the table alternative and the
CSV download of the same numbers, so the three can never disagree.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from polku.reports.exporting import Table
from polku.reports.report import PathReport


@dataclass
class Chart:
    key: str  # stable, used in the CSV URL
    title: str
    kind: str  # "bar", "hbar" or "line"
    labels: list[str]
    series: list[tuple[str, list[float | int | None]]]
    label_header: str
    group: str = "results"

    @property
    def data_id(self) -> str:
        return f"chart-data-{self.key}"

    def js(self) -> dict:
        return {
            "kind": self.kind,
            "labels": self.labels,
            "series": [{"name": name, "values": values} for name, values in self.series],
        }

    def table(self) -> Table:
        columns = [self.label_header] + [name for name, _values in self.series]
        rows = [
            [label] + [values[i] for _name, values in self.series]
            for i, label in enumerate(self.labels)
        ]
        return Table(self.key, columns, rows)

    def rows(self) -> list[list]:
        return [list(r) for r in self.table().rows]

    @property
    def headers(self) -> list[str]:
        return list(self.table().columns)


def _num(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def dashboard_charts(report: PathReport) -> list[Chart]:
    charts: list[Chart] = []
    if report.participation is not None:
        charts.append(
            Chart(
                key="participation",
                title=_("Participation over the workshop days"),
                kind="bar",
                labels=[d.day.title for d in report.participation.days],
                series=[
                    (_("Joined"), [d.joined for d in report.participation.days]),
                    (_("Active"), [d.active for d in report.participation.days]),
                    (_("Returning"), [d.returning for d in report.participation.days]),
                ],
                label_header=_("Workshop day"),
                group="participation",
            )
        )
        if report.participation.per_unit:
            charts.append(
                Chart(
                    key="participation-units",
                    title=_("Participants by unit"),
                    kind="hbar",
                    labels=[u or "–" for u, _n in report.participation.per_unit],
                    series=[(_("Joined"), [n for _u, n in report.participation.per_unit])],
                    label_header=_("Unit"),
                    group="participation",
                )
            )
    steps = report.funnel_rows()
    charts.append(
        Chart(
            key="funnel",
            title=_("From topics to results"),
            kind="hbar",
            labels=[label for _k, label, _c in steps],
            series=[(_("Number"), [c for _k, _l, c in steps])],
            label_header=_("Step"),
        )
    )
    if report.experiments is not None:
        charts.append(
            Chart(
                key="status",
                title=_("Experiments by status"),
                kind="bar",
                labels=[label.capitalize() for _k, label, _n in report.statuses],
                series=[(_("Experiments"), [n for _k, _l, n in report.statuses])],
                label_header=_("Status"),
            )
        )
    for rollup in report.rollups:
        name = rollup.measure_type.name
        if rollup.over_time:
            series = [(name, [_num(v) for _m, v in rollup.over_time])]
            if rollup.summed and rollup.target:
                series.append((_("Target"), [_num(rollup.target)] * len(rollup.over_time)))
            charts.append(
                Chart(
                    key=f"measure-{rollup.measure_type.id}-time",
                    title=_("%(name)s over time") % {"name": name},
                    kind="line",
                    labels=[m for m, _v in rollup.over_time],
                    series=series,
                    label_header=_("Month"),
                    group=f"measure-{rollup.measure_type.id}",
                )
            )
        if rollup.by_unit:
            charts.append(
                Chart(
                    key=f"measure-{rollup.measure_type.id}-units",
                    title=_("%(name)s by unit") % {"name": name},
                    kind="hbar",
                    labels=[u or "–" for u, _v in rollup.by_unit],
                    series=[(name, [_num(v) for _u, v in rollup.by_unit])],
                    label_header=_("Unit"),
                    group=f"measure-{rollup.measure_type.id}",
                )
            )
    return charts


@dataclass
class LineageGraph:
    width: int
    height: int
    nodes: list[dict]
    arcs: list[dict]

    @property
    def wide(self) -> bool:
        return len(self.nodes) > 4


def lineage_graph(edges: list) -> LineageGraph | None:
    """An arc diagram: units on a line, one arc per copy from the source unit to the copier.
    The drawing grows with the number of units so that labels keep a readable size."""
    if not edges:
        return None
    names = sorted({e.source_unit for e in edges} | {e.target_unit for e in edges})
    width = max(480, 130 * (len(names) + 1))
    step = width / (len(names) + 1)
    x = {name: round(step * (i + 1)) for i, name in enumerate(names)}
    baseline = 0
    arcs = []
    for e in edges:
        x1, x2 = x[e.source_unit], x[e.target_unit]
        r = abs(x2 - x1) / 2
        arcs.append(
            {
                "d": f"M {x1} BASE A {r:.0f} {r:.0f} 0 0 {1 if x2 > x1 else 0} {x2} BASE",
                "width": min(2 + 2 * (e.count - 1), 10),
                "title": f"{e.experiment}: {e.source_unit or '–'} → {e.target_unit or '–'}",
                "r": r,
            }
        )
    top = max(a["r"] for a in arcs) + 20
    baseline = round(top)
    for a in arcs:
        a["d"] = a["d"].replace("BASE", str(baseline))
    nodes = [{"name": n or "–", "x": x[n], "y": baseline} for n in names]
    return LineageGraph(width=width, height=baseline + 110, nodes=nodes, arcs=arcs)
