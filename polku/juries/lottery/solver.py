"""Fair panel distributions: MAXIMIN and LEXIMIN via column generation.

Implements the approach of Flanigan, Gölz, Gupta, Hennig and Procaccia, *Fair algorithms for
selecting citizens' assemblies*, Nature 596 (2021), written from the paper.

A *distribution* is a probability vector ``lambda`` over valid panels; person ``i``'s selection
probability (marginal) is ``pi_i = sum_{P contains i} lambda_P``.

**MAXIMIN** maximises ``min_i pi_i``.  With a fixed finite set of panels ``S`` this is the LP

    (P)  max z   s.t.  sum_{P in S, i in P} lambda_P >= z  (all i),  sum_P lambda_P = 1,  lambda >= 0

We always solve its dual, whose variables are one weight ``y_i >= 0`` per person plus ``yhat``:

    (D)  min yhat   s.t.  sum_{i in P} y_i <= yhat  (all P in S),   sum_i y_i = 1,  y >= 0

``S`` is exponentially large, so (D) is solved by *constraint generation* (column generation on
(P)): solve (D) over the current panels, then the *pricing problem* ``max_P sum_{i in P} y_i``
over all valid panels is an integer program (:class:`~._highs.PanelModel`).  If its value exceeds
``yhat`` the panel is a violated constraint (an improving column of (P)) and is added; otherwise
``y`` is feasible for the full dual, which certifies optimality.  At every step
``obj(D restricted) <= OPT <= obj(D restricted) + max(0, pricing bound - yhat)``, which is the
gap we report.  The primal ``lambda`` is read off the row duals of (D).

**LEXIMIN** maximises the minimum probability, then the second lowest, and so on.  After the
maximin value ``z*`` of the currently *unfixed* people is found, complementary slackness says
that every person with ``y_i > 0`` in an optimal dual has ``pi_i = z*`` in *every* optimal
distribution; these people are fixed at ``z*`` and the process repeats.  With fixed people the
primal gets constraints ``pi_i >= p_i`` and the dual objective becomes
``yhat - sum_{i fixed} p_i y_i`` while the normalisation ``sum y_i = 1`` only runs over unfixed
people.  Each level fixes at least one person, so at most ``n`` levels are needed; the same
dual LP is modified in place so HiGHS warm-starts every solve.

People who are in no valid panel at all are detected up front (a coverage phase that also
supplies the initial panels), get probability 0, and are reported in
:attr:`Distribution.unselectable`.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np

from ._highs import INF, FloatArray, PanelModel, add_rows, new_highs
from ._swap import SwapSearch
from .instance import Instance, Person

logger = logging.getLogger(__name__)

__all__ = [
    "Distribution",
    "InfeasibleInstanceError",
    "LevelReport",
    "SolveReport",
    "find_panel",
    "leximin",
    "maximin",
]

#: Fixed probabilities are relaxed by this much so that later LPs stay numerically feasible.
FIX_RELAXATION = 1e-9
#: A dual weight above this marks a person whose probability is determined at this level.
DUAL_FIX_THRESHOLD = 1e-7
#: Pricing must beat ``yhat`` by this much to count as an improving panel.
PRICING_EPS = 1e-9
#: Number of known panels used as starting points of the swap heuristic per pricing round.
HEUR_STARTS = 10


class InfeasibleInstanceError(ValueError):
    """No panel satisfies the quotas; see :func:`.feasibility.check_feasibility` for why."""


@dataclass(frozen=True)
class LevelReport:
    """Certificate for one (leximin) level.

    ``value`` is the optimal minimum probability of the people unfixed at this level (primal
    value of the restricted LP), ``dual_bound`` an upper bound on it over *all* panels, and
    ``gap = dual_bound - value``.
    """

    level: int
    value: float
    dual_bound: float
    gap: float
    iterations: int
    fixed: int
    seconds: float


@dataclass(frozen=True)
class SolveReport:
    """Summary of a solve: levels, iterations, solver calls and wall time."""

    method: str
    levels: tuple[LevelReport, ...]
    iterations: int
    mip_calls: int
    lp_calls: int
    panels_generated: int
    seconds: float

    @property
    def max_gap(self) -> float:
        """Largest optimality gap over all levels."""
        return max((lv.gap for lv in self.levels), default=0.0)


@dataclass(frozen=True)
class Distribution:
    """A probability distribution over panels.

    ``panels`` are tuples of sorted person ids, sorted lexicographically; ``probabilities`` is
    aligned with ``panels`` and sums to 1; ``marginals`` gives every eligible person's
    selection probability (they sum to ``k``).
    """

    panels: tuple[tuple[str, ...], ...]
    probabilities: tuple[float, ...]
    marginals: Mapping[str, float]
    unselectable: tuple[str, ...] = ()
    report: SolveReport | None = None
    k: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def min_probability(self) -> float:
        """Lowest selection probability among selectable people."""
        vals = [p for i, p in self.marginals.items() if i not in set(self.unselectable)]
        return min(vals) if vals else 0.0

    def sorted_marginals(self) -> list[float]:
        """Marginals of selectable people in increasing order (the leximin profile)."""
        unsel = set(self.unselectable)
        return sorted(p for i, p in self.marginals.items() if i not in unsel)


def _rng(seed: int | None) -> random.Random:
    return random.Random(seed) if seed is not None else secrets.SystemRandom()


def find_panel(instance: Instance, weights: Mapping[str, float] | None = None) -> tuple[str, ...]:
    """Return a valid panel maximising the sum of ``weights`` (missing ids weigh 0).

    Raises :class:`InfeasibleInstanceError` when no valid panel exists.
    """
    people = list(instance.eligible)
    model = PanelModel(instance, people)
    w = np.array([float((weights or {}).get(p.id, 0.0)) for p in people])
    sol = model.solve(w)
    if sol is None:
        raise InfeasibleInstanceError("no panel satisfies the quotas")
    return tuple(sorted(people[i].id for i in sol[0]))


class _ColumnGeneration:
    """State shared by maximin and leximin: panel MIP, dual LP and the panel set."""

    def __init__(self, instance: Instance, seed: int | None) -> None:
        self.instance = instance
        self.people: list[Person] = list(instance.eligible)
        self.n = len(self.people)
        self.rng = _rng(seed)
        self.model = PanelModel(instance, self.people)
        # every panel ever generated (the column pool) and which of them are rows of the LP
        self.panels: list[tuple[int, ...]] = []
        self.panel_index: dict[tuple[int, ...], int] = {}
        self.in_lp: list[bool] = []
        self.lp_rows: list[int] = []  # panel index of LP row r + 1 (row 0 = normalisation)
        self.pending: list[int] = []
        self.lp_calls = 0
        self.lp_seconds = 0.0
        self.iterations = 0
        self.selectable = np.zeros(self.n, dtype=bool)
        self._initial_panels()
        self.swap = SwapSearch(self.n, self.model.constraints, self.selectable)
        self.heuristic_columns = 0
        self._build_lp()

    # -- initial panels -------------------------------------------------------------------
    def _add_panel(self, members: Sequence[int]) -> bool:
        """Queue a panel as a new LP row; False if it is already a row (or queued)."""
        key = tuple(sorted(members))
        j = self.panel_index.get(key)
        if j is None:
            j = len(self.panels)
            self.panel_index[key] = j
            self.panels.append(key)
            self.in_lp.append(False)
        if self.in_lp[j]:
            return False
        self.in_lp[j] = True
        self.pending.append(j)
        return True

    def _initial_panels(self) -> None:
        """Coverage phase: find panels until every selectable person is in one.

        Maximising the number of not-yet-covered people (plus small random noise for
        diversity) either covers someone new or proves that nobody left is in any panel.
        """
        n = self.n
        covered = self.selectable
        while True:
            w = np.array(
                [
                    1.0 + 0.01 * self.rng.random() if not covered[i] else 0.01 * self.rng.random()
                    for i in range(n)
                ]
            )
            sol = self.model.solve(w)
            if sol is None:
                if not self.panels:
                    raise InfeasibleInstanceError("no panel satisfies the quotas")
                break
            members, _, _ = sol
            new = [i for i in members if not covered[i]]
            self._add_panel(members)
            if not new:
                # best panel covers nobody new: the remaining people are in no valid panel
                break
            covered[new] = True
            if covered.all():
                break
        # a few random panels for diversity of the starting set
        for _ in range(min(10, max(2, n // max(1, self.instance.k)))):
            w = np.array([self.rng.random() for _ in range(n)])
            w[~covered] = 0.0
            sol = self.model.solve(w)
            if sol is not None:
                self._add_panel(sol[0])

    # -- dual LP ------------------------------------------------------------------------------
    def _build_lp(self) -> None:
        """Dual LP (D): columns y_0..y_{n-1}, yhat; row 0 is normalisation, then panels."""
        n = self.n
        h = new_highs()
        h.setOptionValue("primal_feasibility_tolerance", 1e-10)
        h.setOptionValue("dual_feasibility_tolerance", 1e-10)
        upper = np.where(self.selectable, INF, 0.0)
        h.addCols(
            n + 1,
            np.concatenate([np.zeros(n), [1.0]]),
            np.concatenate([np.zeros(n), [-INF]]),
            np.concatenate([upper, [INF]]),
            0,
            np.zeros(n + 1, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        sel = [i for i in range(n) if self.selectable[i]]
        add_rows(h, [(1.0, 1.0, sel, [1.0] * len(sel))])
        self.h = h
        self._sync_rows()
        self.fixed = np.zeros(n, dtype=bool)
        self.fixed[~self.selectable] = True
        self.fixed_value = np.zeros(n)

    def _sync_rows(self) -> None:
        new = [self.panels[j] for j in self.pending]
        add_rows(
            self.h,
            [(0.0, INF, [*p, self.n], [-1.0] * len(p) + [1.0]) for p in new],
        )
        self.lp_rows.extend(self.pending)
        self.pending = []

    def _prune_rows(self, y: FloatArray, yhat: float) -> None:
        """Drop LP rows of panels that are slack (zero weight) once the LP gets large.

        Dropped panels stay in the pool and are re-added by pricing when they become violated.
        """
        limit = max(2000, 10 * (self.n + 1))
        if len(self.lp_rows) <= limit:
            return
        duals = np.abs(np.asarray(self.h.getSolution().row_dual)[1:])
        arr = np.array([self.panels[j] for j in self.lp_rows], dtype=np.int64)
        slack = yhat - y[arr].sum(axis=1)
        drop = np.flatnonzero((slack > 1e-7) & (duals < 1e-12))
        if len(drop) < len(self.lp_rows) // 4:
            return
        self.h.deleteRows(len(drop), (drop + 1).astype(np.int32))
        dropped = set(drop.tolist())
        for r in drop:
            self.in_lp[self.lp_rows[int(r)]] = False
        self.lp_rows = [j for r, j in enumerate(self.lp_rows) if r not in dropped]

    def fix(self, people: Sequence[int], value: float) -> None:
        """Fix ``people`` at probability ``value`` (constraint pi_i >= value in the primal)."""
        for i in people:
            self.fixed[i] = True
            self.fixed_value[i] = value
            self.h.changeColCost(i, -max(0.0, value - FIX_RELAXATION))
            self.h.changeCoeff(0, i, 0.0)

    def _solve_lp(self) -> tuple[FloatArray, float, float]:
        self.lp_calls += 1
        t0 = time.perf_counter()
        self.h.run()
        self.lp_seconds += time.perf_counter() - t0
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"dual LP not optimal: {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        x = np.asarray(sol.col_value)
        return (
            x[: self.n].copy(),
            float(x[self.n]),
            float(self.h.getInfo().objective_function_value),
        )

    def primal_lambda(self) -> FloatArray:
        """Panel probabilities = row duals of the panel rows of (D)."""
        duals = np.abs(np.asarray(self.h.getSolution().row_dual)[1:])
        duals[duals < 1e-13] = 0.0
        s = duals.sum()
        if s <= 0:
            raise RuntimeError("dual LP returned no primal distribution")
        return np.asarray(duals / s, dtype=np.float64)

    def solve_level(self, level: int, max_iterations: int = 100_000) -> LevelReport:
        """Run constraint generation to optimality for the current set of unfixed people."""
        t0 = time.perf_counter()
        its = 0
        while True:
            its += 1
            self.iterations += 1
            y, yhat, obj = self._solve_lp()
            y = np.maximum(y, 0.0)
            self._prune_rows(y, yhat)
            if self._heuristic_pricing(y, yhat):
                logger.debug(
                    "level %d it %d obj %.9f heuristic rows %d", level, its, obj, len(self.panels)
                )
                continue
            sol = self.model.solve(y)
            assert sol is not None
            members, value, bound = sol
            gap = max(0.0, bound - yhat)
            logger.debug(
                "level %d it %d obj %.9f mip gap %.3g rows %d",
                level,
                its,
                obj,
                gap,
                len(self.panels),
            )
            if its >= max_iterations:
                break
            if value > yhat + PRICING_EPS and self._add_panel(members):
                self._sync_rows()
                continue
            break  # optimal (or numerically converged: best panel already present)
        return LevelReport(level, obj, obj + gap, gap, its, 0, time.perf_counter() - t0)

    def _heuristic_pricing(self, y: FloatArray, yhat: float, starts: int = HEUR_STARTS) -> bool:
        """Add improving panels found by swap local search; True if any was added."""
        arr = np.array(self.panels, dtype=np.int64)
        values = y[arr].sum(axis=1)
        order = np.argsort(-values)[:starts]
        added = False
        # column pool: re-add previously dropped panels that are violated again
        for j in order:
            if values[j] > yhat + PRICING_EPS and not self.in_lp[int(j)]:
                added |= self._add_panel(self.panels[int(j)])
        for j in order:
            cand = self.swap.improve(self.panels[int(j)], y)
            if y[cand].sum() > yhat + PRICING_EPS and self._add_panel(cand):
                added = True
                self.heuristic_columns += 1
        if added:
            self._sync_rows()
        return added

    def last_duals(self) -> FloatArray:
        return np.asarray(self.h.getSolution().col_value)[: self.n]

    def distribution(self, method: str, levels: list[LevelReport], t0: float) -> Distribution:
        lam = self.primal_lambda()
        support = [j for j in range(len(lam)) if lam[j] > 0]
        probs = lam[support] / lam[support].sum()
        marg = np.zeros(self.n)
        ids = [p.id for p in self.people]
        items: list[tuple[tuple[str, ...], float]] = []
        for j, pr in zip(support, probs, strict=True):
            panel = self.panels[self.lp_rows[j]]
            marg[list(panel)] += pr
            items.append((tuple(sorted(ids[i] for i in panel)), float(pr)))
        items.sort()
        report = SolveReport(
            method=method,
            levels=tuple(levels),
            iterations=self.iterations,
            mip_calls=self.model.calls,
            lp_calls=self.lp_calls,
            panels_generated=len(self.panels),
            seconds=time.perf_counter() - t0,
        )
        return Distribution(
            panels=tuple(p for p, _ in items),
            probabilities=tuple(pr for _, pr in items),
            marginals={ids[i]: float(marg[i]) for i in range(self.n)},
            unselectable=tuple(sorted(ids[i] for i in range(self.n) if not self.selectable[i])),
            report=report,
            k=self.instance.k,
        )


def maximin(instance: Instance, *, seed: int | None = None) -> Distribution:
    """Distribution maximising the minimum selection probability (one leximin level).

    Fast preview: a single column-generation run.  People in no valid panel are ignored for the
    minimum (they get 0 and are listed in ``unselectable``).
    """
    t0 = time.perf_counter()
    cg = _ColumnGeneration(instance, seed)
    rep = cg.solve_level(1)
    y = cg.last_duals()
    fixed = int(np.sum((y > DUAL_FIX_THRESHOLD) & ~cg.fixed))
    rep = LevelReport(
        rep.level, rep.value, rep.dual_bound, rep.gap, rep.iterations, fixed, rep.seconds
    )
    return cg.distribution("maximin", [rep], t0)


def leximin(instance: Instance, *, seed: int | None = None) -> Distribution:
    """LEXIMIN-optimal distribution by iterated maximin with column generation.

    See the module docstring for the algorithm and the certificate in ``report.levels``.
    """
    t0 = time.perf_counter()
    cg = _ColumnGeneration(instance, seed)
    levels: list[LevelReport] = []
    level = 0
    while not cg.fixed.all():
        level += 1
        rep = cg.solve_level(level)
        y = cg.last_duals()
        unfixed = ~cg.fixed
        to_fix = np.flatnonzero(unfixed & (y > DUAL_FIX_THRESHOLD))
        if len(to_fix) == 0:  # cannot happen mathematically (sum of y = 1); be safe
            to_fix = np.flatnonzero(unfixed)
        value = min(1.0, max(0.0, rep.value))
        remaining = int(unfixed.sum()) - len(to_fix)
        levels.append(
            LevelReport(
                rep.level, value, rep.dual_bound, rep.gap, rep.iterations, len(to_fix), rep.seconds
            )
        )
        if remaining == 0:
            break
        cg.fix([int(i) for i in to_fix], value)
    return cg.distribution("leximin", levels, t0)
