"""Is there any valid panel?  And if not, why not and what is the smallest fix?

:func:`check_feasibility` runs, in order:

1. *Trivial checks* with precise reasons: pool smaller than ``k``; a quota minimum larger than
   the number of eligible people with that value; per attribute, the sum of minimums above
   ``k`` or (when every eligible person carries a quota value of that attribute) the sum of
   maximums below ``k``; the team cap leaving fewer than ``k`` seats.
2. The panel MIP (:class:`~._highs.PanelModel`) with a zero objective.
3. If infeasible: a *deletion filter* over the individual quota bounds (each quota's min and
   max, and the team cap) giving a minimal set of bounds that conflict given the panel size
   (dropping any one of them makes the rest satisfiable), and an *elastic* MIP that adds a non-negative integer slack to
   every bound and minimises the total slack; bounds with positive slack are the proposed
   smallest relaxation ("raise max of role=nurse from 3 to 4").

All findings are structured (:class:`Issue`, :class:`Relaxation` with ``code`` and ``params``) so
that a UI can translate them; ``describe()`` gives English text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np

from ._highs import INF, PanelModel, add_rows, new_highs
from .instance import Instance

__all__ = ["FeasibilityReport", "Issue", "Relaxation", "check_feasibility"]


@dataclass(frozen=True)
class Issue:
    """One reason for infeasibility: a machine-readable ``code`` plus parameters."""

    code: str
    params: dict[str, object] = field(default_factory=dict)

    def describe(self) -> str:
        """English description."""
        p = self.params
        match self.code:
            case "pool_too_small":
                return f"the pool has {p['pool']} eligible people but the panel needs {p['k']}"
            case "not_enough_people":
                return (
                    f"quota {p['attribute']}={p['value']} needs at least {p['min']} but only "
                    f"{p['available']} eligible people have that value"
                )
            case "sum_of_mins_exceeds_k":
                return (
                    f"the minimums for {p['attribute']} add up to {p['sum_min']}, more than "
                    f"the panel size {p['k']}"
                )
            case "sum_of_maxes_below_k":
                return (
                    f"the maximums for {p['attribute']} add up to {p['sum_max']}, fewer than "
                    f"the panel size {p['k']}"
                )
            case "team_cap_too_tight":
                return (
                    f"with at most {p['max_per_team']} per team only {p['seats']} seats can "
                    f"be filled, fewer than the panel size {p['k']}"
                )
            case "conflict":
                items = ", ".join(str(c) for c in p["constraints"])  # type: ignore[attr-defined]
                return f"these constraints cannot all hold together: {items}"
            case _:
                return f"{self.code}: {p}"


@dataclass(frozen=True)
class Relaxation:
    """Proposed change of one bound: ``bound`` is ``"min"``, ``"max"`` or ``"max_per_team"``."""

    attribute: str
    value: str
    bound: str
    old: int
    new: int

    @property
    def code(self) -> str:
        """``lower_min``, ``raise_max`` or ``raise_team_cap``."""
        if self.bound == "max_per_team":
            return "raise_team_cap"
        return "lower_min" if self.bound == "min" else "raise_max"

    @property
    def params(self) -> dict[str, object]:
        """Parameters for translation."""
        return {"attribute": self.attribute, "value": self.value, "old": self.old, "new": self.new}

    def describe(self) -> str:
        """English description, e.g. ``raise max of role=nurse from 3 to 4``."""
        if self.bound == "max_per_team":
            return f"raise the per-team maximum from {self.old} to {self.new}"
        verb = "lower min" if self.bound == "min" else "raise max"
        return f"{verb} of {self.attribute}={self.value} from {self.old} to {self.new}"


@dataclass(frozen=True)
class FeasibilityReport:
    """Result of :func:`check_feasibility`."""

    feasible: bool
    issues: tuple[Issue, ...] = ()
    conflicting: tuple[str, ...] = ()
    relaxations: tuple[Relaxation, ...] = ()
    example_panel: tuple[str, ...] = ()

    def describe(self) -> str:
        """Multi-line English summary."""
        if self.feasible:
            return "a panel satisfying all quotas exists"
        lines = ["no panel satisfies all quotas:"]
        lines += [f"- {i.describe()}" for i in self.issues]
        if self.relaxations:
            lines.append(
                "smallest relaxation: " + "; ".join(r.describe() for r in self.relaxations)
            )
        return "\n".join(lines)


def _trivial_issues(instance: Instance) -> list[Issue]:
    people = instance.eligible
    k = instance.k
    issues: list[Issue] = []
    if len(people) < k:
        issues.append(Issue("pool_too_small", {"pool": len(people), "k": k}))
    by_attr: dict[str, list[tuple[str, int, int]]] = {}
    for q in instance.quotas:
        available = sum(1 for p in people if p.features.get(q.attribute) == q.value)
        if available < q.min:
            issues.append(
                Issue(
                    "not_enough_people",
                    {
                        "attribute": q.attribute,
                        "value": q.value,
                        "min": q.min,
                        "available": available,
                    },
                )
            )
        by_attr.setdefault(q.attribute, []).append((q.value, q.min, q.max))
    for attribute, rows in by_attr.items():
        sum_min = sum(r[1] for r in rows)
        if sum_min > k:
            issues.append(
                Issue("sum_of_mins_exceeds_k", {"attribute": attribute, "sum_min": sum_min, "k": k})
            )
        values = {r[0] for r in rows}
        if all(p.features.get(attribute) in values for p in people):
            sum_max = sum(r[2] for r in rows)
            if sum_max < k:
                issues.append(
                    Issue(
                        "sum_of_maxes_below_k", {"attribute": attribute, "sum_max": sum_max, "k": k}
                    )
                )
    if instance.max_per_team is not None:
        teams: dict[str, int] = {}
        loose = 0
        for p in people:
            if p.team is None:
                loose += 1
            else:
                teams[p.team] = teams.get(p.team, 0) + 1
        seats = loose + sum(min(c, instance.max_per_team) for c in teams.values())
        if seats < k:
            issues.append(
                Issue(
                    "team_cap_too_tight",
                    {"max_per_team": instance.max_per_team, "seats": seats, "k": k},
                )
            )
    return issues


def _bound_label(kind: str, label: str, side: str, value: int) -> str:
    if kind == "team":
        return f"max_per_team<={value} (team {label})"
    return f"{label} {'>=' if side == 'min' else '<='} {value}"


def _conflict_set(instance: Instance, model: PanelModel) -> list[str]:
    """Deletion filter: a minimal set of bounds that cannot hold together."""
    cons = model.constraints
    zero = np.zeros(model.n)
    # candidate bounds: (row, side)
    active: list[tuple[int, str]] = []
    for r, c in enumerate(cons):
        if c.kind == "size":
            continue
        if c.lower > 0:
            active.append((r, "min"))
        if c.upper < len(c.members):
            active.append((r, "max"))
    lo = {r: float(c.lower) for r, c in enumerate(cons)}
    hi = {r: float(c.upper) for r, c in enumerate(cons)}
    needed: list[tuple[int, str]] = []
    for r, side in active:
        if side == "min":
            lo[r] = -INF
        else:
            hi[r] = INF
        model.h.changeRowBounds(r, lo[r], hi[r])
        if model.solve(zero) is None:
            continue  # still infeasible without this bound: drop it for good
        # feasible without it: the bound is part of the conflict, restore it
        if side == "min":
            lo[r] = float(cons[r].lower)
        else:
            hi[r] = float(cons[r].upper)
        model.h.changeRowBounds(r, lo[r], hi[r])
        needed.append((r, side))
    labels = [
        _bound_label(
            cons[r].kind, cons[r].label, side, cons[r].lower if side == "min" else cons[r].upper
        )
        for r, side in needed
    ]
    return labels


def _elastic(instance: Instance, model: PanelModel) -> list[Relaxation]:
    """Minimise total slack added to the bounds; return the bounds that needed slack."""
    cons = list(model.constraints)
    n = model.n
    h = new_highs(time_limit=30.0)
    n_slack = 2 * len(cons) + 1
    ncol = n + n_slack
    team_rows = [r for r, c in enumerate(cons) if c.kind == "team"]
    # unit cost per seat of slack plus a tiny, order-dependent tie-break so that among equally
    # small relaxations the one touching the earliest-listed quota is proposed (deterministic)
    costs = np.concatenate([np.zeros(n), 1.0 + 1e-3 * np.arange(n_slack) / n_slack])
    upper = np.concatenate([np.ones(n), np.full(n_slack, float(instance.k))])
    # slack columns: lo_r at n + 2r, hi_r at n + 2r + 1, shared team slack at the end
    for r, c in enumerate(cons):
        if c.kind in ("size", "team"):
            upper[n + 2 * r] = 0.0
            upper[n + 2 * r + 1] = 0.0
    if not team_rows:
        upper[-1] = 0.0
    h.addCols(
        ncol,
        costs,
        np.zeros(ncol),
        upper,
        0,
        np.zeros(ncol, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0),
    )
    h.changeColsIntegrality(
        ncol,
        np.arange(ncol, dtype=np.int32),
        np.full(ncol, highspy.HighsVarType.kInteger.value, dtype=np.uint8),
    )
    rows: list[tuple[float, float, list[int], list[float]]] = []
    for r, c in enumerate(cons):
        m = list(c.members)
        if c.kind == "size":
            rows.append((float(c.lower), float(c.upper), m, [1.0] * len(m)))
        elif c.kind == "team":
            rows.append((-INF, float(c.upper), [*m, ncol - 1], [1.0] * len(m) + [-1.0]))
        else:
            rows.append((float(c.lower), INF, [*m, n + 2 * r], [1.0] * len(m) + [1.0]))
            rows.append((-INF, float(c.upper), [*m, n + 2 * r + 1], [1.0] * len(m) + [-1.0]))
    add_rows(h, rows)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return []
    x = np.rint(np.asarray(h.getSolution().col_value))
    out: list[Relaxation] = []
    for r, c in enumerate(cons):
        if c.kind != "quota":
            continue
        attribute, _, value = c.label.partition("=")
        s_lo, s_hi = int(x[n + 2 * r]), int(x[n + 2 * r + 1])
        if s_lo > 0:
            out.append(Relaxation(attribute, value, "min", c.lower, c.lower - s_lo))
        if s_hi > 0:
            out.append(Relaxation(attribute, value, "max", c.upper, c.upper + s_hi))
    if team_rows and int(x[-1]) > 0 and instance.max_per_team is not None:
        cap = instance.max_per_team
        out.append(Relaxation("", "", "max_per_team", cap, cap + int(x[-1])))
    return out


def check_feasibility(instance: Instance, *, explain: bool = True) -> FeasibilityReport:
    """Decide whether a valid panel exists; if not, explain why (see module docstring)."""
    issues = _trivial_issues(instance)
    if any(i.code == "pool_too_small" for i in issues):
        return FeasibilityReport(False, tuple(issues))
    model = PanelModel(instance, list(instance.eligible), time_limit=60.0)
    sol = model.solve(np.zeros(model.n))
    if sol is not None:
        panel = tuple(sorted(model.people[i].id for i in sol[0]))
        return FeasibilityReport(True, example_panel=panel)
    if not explain:
        return FeasibilityReport(False, tuple(issues))
    relaxations = _elastic(instance, model)
    conflict = _conflict_set(instance, model)
    if not issues:
        issues.append(Issue("conflict", {"constraints": conflict}))
    return FeasibilityReport(False, tuple(issues), tuple(conflict), tuple(relaxations))
