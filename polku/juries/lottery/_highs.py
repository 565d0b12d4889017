"""Thin helpers around :mod:`highspy` shared by the solver and the feasibility checker.

:class:`PanelModel` is the integer program whose feasible points are exactly the valid panels::

    x_i in {0, 1}                       for every eligible person i
    sum_i x_i = k                       (panel size)
    min_q <= sum_{i has q} x_i <= max_q  for every quota q
    sum_{i in team t} x_i <= max_per_team

It is built once and re-solved with different objective vectors (weights), which is what the
column-generation pricing step needs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from .instance import Instance, Person

INF = highspy.kHighsInf
#: HiGHS threads; the models here are small, so more threads mostly add overhead.
THREADS = max(1, min(2, int(os.environ.get("POLKU_LOTTERY_THREADS", "1"))))

FloatArray = npt.NDArray[np.float64]


def new_highs(*, mip_gap: float = 1e-9, time_limit: float | None = None) -> highspy.Highs:
    """Create a silent HiGHS instance with sensible options."""
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("threads", THREADS)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", mip_gap)
    h.setOptionValue("mip_abs_gap", 1e-10)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    return h


def add_rows(h: highspy.Highs, rows: list[tuple[float, float, list[int], list[float]]]) -> None:
    """Add ``(lower, upper, indices, values)`` rows to ``h`` in one call."""
    if not rows:
        return
    lower = np.array([r[0] for r in rows], dtype=np.float64)
    upper = np.array([r[1] for r in rows], dtype=np.float64)
    starts = np.zeros(len(rows), dtype=np.int32)
    idx: list[int] = []
    val: list[float] = []
    for j, r in enumerate(rows):
        starts[j] = len(idx)
        idx.extend(r[2])
        val.extend(r[3])
    h.addRows(
        len(rows),
        lower,
        upper,
        len(idx),
        starts,
        np.array(idx, dtype=np.int32),
        np.array(val, dtype=np.float64),
    )


@dataclass(frozen=True)
class ConstraintRow:
    """Description of one constraint of the panel model (for explanations)."""

    kind: str  # "size", "quota" or "team"
    label: str
    members: tuple[int, ...]
    lower: int
    upper: int


def panel_constraints(instance: Instance, people: list[Person]) -> list[ConstraintRow]:
    """All constraints of the panel model over the given (eligible) people."""
    rows = [ConstraintRow("size", "size", tuple(range(len(people))), instance.k, instance.k)]
    for q in instance.quotas:
        members = tuple(i for i, p in enumerate(people) if p.features.get(q.attribute) == q.value)
        rows.append(ConstraintRow("quota", q.label(), members, q.min, q.max))
    if instance.max_per_team is not None:
        teams: dict[str, list[int]] = {}
        for i, p in enumerate(people):
            if p.team is not None:
                teams.setdefault(p.team, []).append(i)
        for team, members_list in sorted(teams.items()):
            if len(members_list) > instance.max_per_team:
                rows.append(
                    ConstraintRow("team", team, tuple(members_list), 0, instance.max_per_team)
                )
    return rows


class PanelModel:
    """Reusable MIP ``max w.x`` over valid panels of ``instance`` (restricted to ``people``)."""

    def __init__(
        self,
        instance: Instance,
        people: list[Person],
        *,
        mip_gap: float = 1e-9,
        time_limit: float | None = None,
    ) -> None:
        self.instance = instance
        self.people = people
        self.n = len(people)
        self.h = new_highs(mip_gap=mip_gap, time_limit=time_limit)
        n = self.n
        self.h.addCols(
            n,
            np.zeros(n),
            np.zeros(n),
            np.ones(n),
            0,
            np.zeros(n, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        self.h.changeColsIntegrality(
            n,
            np.arange(n, dtype=np.int32),
            np.full(n, highspy.HighsVarType.kInteger.value, dtype=np.uint8),
        )
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.constraints = panel_constraints(instance, people)
        add_rows(
            self.h,
            [
                (float(c.lower), float(c.upper), list(c.members), [1.0] * len(c.members))
                for c in self.constraints
            ],
        )
        self.calls = 0
        self.seconds = 0.0

    def solve(
        self, weights: FloatArray, hint: list[int] | None = None
    ) -> tuple[list[int], float, float] | None:
        """Maximise ``weights . x`` over valid panels.

        Returns ``(members, objective, dual_bound)`` with ``members`` sorted indices, or ``None``
        when no valid panel exists.  ``hint`` is an optional known panel used as a MIP start.
        """
        self.calls += 1
        t0 = time.perf_counter()
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), weights.astype(np.float64))
        if hint is not None:
            start = np.zeros(self.n)
            start[hint] = 1.0
            self.h.setSolution(self.n, np.arange(self.n, dtype=np.int32), start)
        self.h.run()
        self.seconds += time.perf_counter() - t0
        status = self.h.getModelStatus()
        info = self.h.getInfo()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            if status == highspy.HighsModelStatus.kTimeLimit:
                raise TimeoutError("MIP time limit reached before a panel was found")
            return None
        x = np.asarray(self.h.getSolution().col_value)
        members = [int(i) for i in np.flatnonzero(x > 0.5)]
        obj = float(weights[members].sum())
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else obj
        return members, obj, max(bound, obj)


class CountModel:
    """MIP ``max w.x`` over integer count vectors ``0 <= x_t <= upper_t`` meeting ``constraints``.

    With ``upper = 1`` everywhere this is :class:`PanelModel`; with type sizes as upper bounds it
    is the aggregated panel model of :mod:`.aggregation`.
    """

    def __init__(
        self,
        constraints: Sequence[ConstraintRow],
        upper: npt.NDArray[np.int64],
        *,
        mip_gap: float = 1e-9,
        time_limit: float | None = None,
        save_solutions: bool = False,
    ) -> None:
        self.n = n = len(upper)
        self.constraints = list(constraints)
        self.mip_gap = self._gap = mip_gap
        #: keep every improving solution of the last solve in :attr:`saved`
        self.save_solutions = save_solutions
        self.saved: list[npt.NDArray[np.int64]] = []

        self.h = new_highs(mip_gap=mip_gap, time_limit=time_limit)
        if save_solutions:
            self.h.setOptionValue("mip_improving_solution_save", True)
        self.h.addCols(
            n,
            np.zeros(n),
            np.zeros(n),
            upper.astype(np.float64),
            0,
            np.zeros(n, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        self.h.changeColsIntegrality(
            n,
            np.arange(n, dtype=np.int32),
            np.full(n, highspy.HighsVarType.kInteger.value, dtype=np.uint8),
        )
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        add_rows(
            self.h,
            [
                (float(c.lower), float(c.upper), list(c.members), [1.0] * len(c.members))
                for c in self.constraints
            ],
        )
        self.calls = 0
        self.seconds = 0.0

    def solve(
        self,
        weights: FloatArray,
        *,
        rel_gap: float | None = None,
        hint: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.int64], float, float] | None:
        """Maximise ``weights . x``; returns ``(counts, objective, dual_bound)`` or ``None``
        when the model is infeasible.  ``rel_gap`` overrides the relative MIP gap for this call
        (the dual bound stays valid), ``hint`` is a known solution used as a MIP start."""
        self.calls += 1
        t0 = time.perf_counter()
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), weights.astype(np.float64))
        if hint is not None:
            self.h.setSolution(self.n, np.arange(self.n, dtype=np.int32), hint.astype(np.float64))
        gap = self.mip_gap if rel_gap is None else rel_gap
        if gap != self._gap:
            self.h.setOptionValue("mip_rel_gap", gap)
            self._gap = gap
        self.h.run()
        self.seconds += time.perf_counter() - t0
        status = self.h.getModelStatus()
        info = self.h.getInfo()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            if status == highspy.HighsModelStatus.kTimeLimit:
                raise TimeoutError("MIP time limit reached before a panel was found")
            return None
        x = np.rint(np.asarray(self.h.getSolution().col_value)).astype(np.int64)
        if self.save_solutions:
            self.saved = [
                np.rint(np.asarray(sol.col_value)).astype(np.int64)
                for sol in self.h.getSavedMipSolutions()
            ]
        obj = float(weights @ x)
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else obj
        return x, obj, max(bound, obj)
