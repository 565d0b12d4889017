"""Fair panel distributions: MAXIMIN and LEXIMIN via column generation.

Implements the approach of Flanigan, Gölz, Gupta, Hennig and Procaccia, *Fair algorithms for
selecting citizens' assemblies*, Nature 596 (2021), written from the paper.

A *distribution* is a probability vector ``lambda`` over valid panels; person ``i``'s selection
probability (marginal) is ``pi_i = sum_{P contains i} lambda_P``.

**MAXIMIN** maximises ``min_i pi_i``.  With a fixed finite set of panels ``S`` this is the LP

    (P)  max z   s.t.  sum_{P in S, i in P} lambda_P >= z  (all i),  sum_P lambda_P = 1,  lambda >= 0

Its dual has one weight ``y_i >= 0`` per person plus ``yhat``:

    (D)  min yhat   s.t.  sum_{i in P} y_i <= yhat  (all P in S),   sum_i y_i = 1,  y >= 0

``S`` is exponentially large, so (P) is solved by *column generation*: solve (P) over the
current panels (HiGHS primal simplex; new panels are new columns, so the basis stays feasible
and every solve is warm-started), read ``y`` and ``yhat`` off its row duals, then the *pricing
problem* ``max_P sum_{i in P} y_i`` over all valid panels is an integer program
(:class:`~._highs.CountModel`).  If its value exceeds ``yhat`` the panel is an improving column
and is added; otherwise ``y`` is feasible for the full dual, which certifies optimality.

Performance measures (see ``scripts/bench_jury.py``):

* **Type aggregation** (:mod:`.aggregation`): interchangeable people (same constraint rows)
  form one type; the LP has one row per type and the MIP one integer variable per type.  The
  leximin marginals are unique, so this loses nothing; panels are expanded back to people
  exactly and deterministically.
* **Stabilised pricing**: the MIP prices the Wentges-smoothed dual ``alpha * centre +
  (1 - alpha) * y``; any such weight vector gives a valid Lagrangian bound
  ``max_P y.x(P) - sum_{fixed} y_t p_t >= OPT``, so the level ends when the LP value meets the
  best bound (mispricing falls back to plain pricing, which is the classic certificate).
* **Many columns per round**: swap local search (:mod:`._swap`) from the best known panels,
  also with perturbed weights, plus every incumbent the MIP found on the way; diverse
  random-weight columns up front; a coverage phase that calls the MIP only to prove that the
  remaining people are in no valid panel.
* The LP drops long-unused columns (they stay in a pool and come back when improving).

At the end of each level ``obj(P restricted) <= OPT <= best bound``; the difference is the gap
we report.

**LEXIMIN** maximises the minimum probability, then the second lowest, and so on.  After the
maximin value ``z*`` of the currently *unfixed* people is found, complementary slackness says
that every person with ``y_i > 0`` in an optimal dual has ``pi_i = z*`` in *every* optimal
distribution; these people are fixed at ``z*`` and the process repeats.  With fixed people the
primal gets constraints ``pi_i >= p_i`` and the dual objective becomes
``yhat - sum_{i fixed} p_i y_i`` while the normalisation ``sum y_i = 1`` only runs over unfixed
people.  Each level fixes at least one person, so at most ``n`` levels are needed; the same
LP is modified in place so HiGHS warm-starts every solve.

**LEXIMIN from the relaxation** (the default, :mod:`.relaxed`): the LEXIMIN point of the LP
relaxation of the panel polytope takes one small LP per level and bounds every level from
above.  When panels can reach it, it is the answer: one column generation aimed at that point
(:class:`_AimedColumnGeneration`, master in dual form), started from the panels peeling finds,
stops when every level is within ``LEXIMIN_GAP`` of its bound; each level's certificate is
then that bound against the smallest probability the distribution gives the level.  When
panels cannot reach it (the relaxation promises more than real panels give), the level by level
column generation above runs instead, with its own certificates.

People who are in no valid panel at all are detected up front (a coverage phase that also
supplies the initial panels), get probability 0, and are reported in
:attr:`Distribution.unselectable`.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from ._highs import INF, CountModel, FloatArray, PanelModel, add_rows, new_highs
from ._swap import SwapSearch
from .aggregation import aggregate_types, expand_panel
from .instance import Instance, Person
from .relaxed import peel, relaxed_leximin

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
HEUR_STARTS = int(os.environ.get("POLKU_LOTTERY_STARTS", "10"))
#: Random-weight swap-search panels added up front, per type (cheap, diverse columns).
DIVERSE_PANELS = float(os.environ.get("POLKU_LOTTERY_DIVERSE", "1"))
#: Swaps per random-weight search (they only need to be diverse, not optimal).
DIVERSE_SWAPS = int(os.environ.get("POLKU_LOTTERY_DIVERSE_SWAPS", "15"))
USE_HINT = os.environ.get("POLKU_LOTTERY_HINT", "1") == "1"
#: Extra swap searches per start with randomly perturbed weights (more distinct columns).
PERTURBED = int(os.environ.get("POLKU_LOTTERY_PERTURBED", "0"))
PERTURB = float(os.environ.get("POLKU_LOTTERY_PERTURB", "0.2"))
#: Prune the master LP to half this many columns per row when it exceeds it (0: never).
PRUNE_FACTOR = int(os.environ.get("POLKU_LOTTERY_PRUNE", "3"))
#: Add the pricing MIP's intermediate incumbents as columns too.
SAVE_SOLUTIONS = os.environ.get("POLKU_LOTTERY_SAVE", "1") == "1"
#: Also run the exact (smoothed) pricing MIP when the heuristic found columns.
ALWAYS_MIP = os.environ.get("POLKU_LOTTERY_ALWAYS_MIP", "1") == "1"
#: Wentges smoothing factor for pricing (0 disables stabilisation).
SMOOTHING = float(os.environ.get("POLKU_LOTTERY_SMOOTHING", "0.5"))
#: A level is solved when the LP value is within this of the best dual bound.
CONVERGENCE_TOL = 1e-9
#: Relative MIP gap for pricing calls that only need a bound (never for the final certificate).
SMOOTH_MIP_GAP = float(os.environ.get("POLKU_LOTTERY_SMOOTH_GAP", "1e-4"))
#: Relative MIP gap of those calls when the level's bound is already known (the relaxation's).
KNOWN_BOUND_MIP_GAP = float(os.environ.get("POLKU_LOTTERY_KNOWN_BOUND_GAP", "1e-2"))
#: HiGHS simplex strategy for the master LP (4 = primal: new columns keep the basis feasible).
SIMPLEX_STRATEGY = int(os.environ.get("POLKU_LOTTERY_SIMPLEX", "4"))
#: Columns per round from multiplicative-weights covering (0: off), and its step size.
MWU_COLUMNS = int(os.environ.get("POLKU_LOTTERY_MWU", "0"))
MWU_ETA = float(os.environ.get("POLKU_LOTTERY_MWU_ETA", "0.5"))
#: LEXIMIN starts from the LP relaxation's LEXIMIN point (:mod:`.relaxed`); 0: level by level.
USE_RELAXATION = os.environ.get("POLKU_LOTTERY_RELAXATION", "1") == "1"
#: Largest gap (probability) a level may be left from the relaxation's bound: the column
#: generation aimed at the relaxation's point converges slowly in its last digits.
LEXIMIN_GAP = float(os.environ.get("POLKU_LOTTERY_LEXIMIN_GAP", "1e-7"))
#: Start the column generation aimed at that point from the panels peeling finds.
USE_PEEL = os.environ.get("POLKU_LOTTERY_PEEL", "1") == "1"


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


def single_threaded_blas() -> threadpool_limits:
    """Limit numpy's BLAS to ``POLKU_LOTTERY_BLAS_THREADS`` threads (default 1) while solving.

    The swap search multiplies small matrices (tens of rows by hundreds of types); a
    multi-threaded BLAS spends far more time starting and synchronising its threads than
    computing: the 800/40/8 bench's MAXIMIN took five times the CPU with the default threads,
    and much more wall time on a shared machine.  ``0`` leaves BLAS as it is (the bench's
    baseline)."""
    threads = int(os.environ.get("POLKU_LOTTERY_BLAS_THREADS", "1"))
    return threadpool_limits(limits=threads if threads > 0 else None, user_api="blas")


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
    """State shared by maximin and leximin: type panel MIP, primal LP and the panel set.

    The restricted master LP is the *primal* (P) over type panels (see :mod:`.aggregation`):
    column 0 is ``z``, column ``j + 1`` is ``lambda`` of panel ``j``; row 0 is
    ``sum lambda = 1`` and row ``t + 1`` is ``sum_P lambda_P x_t(P) / s_t - z >= 0`` for an
    unfixed type (``>= p_t`` without ``z`` once fixed).  It has one row per type, however many
    panels there are, and new panels are new columns, so the primal simplex warm-starts.  The
    weights ``y_t`` of (D) are minus the row duals of the type rows and ``yhat`` the dual of
    row 0.
    """

    def __init__(self, instance: Instance, seed: int | None, *, aggregate: bool = True) -> None:
        self.instance = instance
        self.people: list[Person] = list(instance.eligible)
        self.n = len(self.people)
        self.rng = _rng(seed)
        self.types = aggregate_types(instance, self.people, merge=aggregate)
        self.t = self.types.n_types
        self.sizes = self.types.sizes
        self.inv_sizes = 1.0 / self.sizes.astype(np.float64)
        self.model = CountModel(self.types.constraints, self.sizes, save_solutions=SAVE_SOLUTIONS)
        # every panel generated so far; all of them are columns of the LP
        self.panels: list[tuple[int, ...]] = []  # sorted multiset of type indices
        self.panel_index: dict[tuple[int, ...], int] = {}
        self.counts = np.zeros((64, self.t), dtype=np.float64)
        self.pending: list[int] = []
        self.in_lp: list[bool] = []
        self.lp_panels: list[int] = []  # panel index of LP column c + 1
        self.lp_calls = 0
        self.lp_seconds = 0.0
        self.iterations = 0
        self.heuristic_columns = 0
        self.selectable = np.zeros(self.t, dtype=bool)
        self._initial_panels()
        self.swap = SwapSearch(self.t, self.types.constraints, self.selectable)
        self._diverse_panels(int(DIVERSE_PANELS * self.t))
        self._build_lp()

    # -- panels ---------------------------------------------------------------------------------
    def _add_panel(self, counts: np.ndarray) -> bool:
        """Queue a type panel as a new LP column; False if it is already known."""
        c = np.asarray(counts, dtype=np.int64)
        key = tuple(int(t) for t in np.repeat(np.arange(self.t), c))
        j = self.panel_index.get(key, -1)
        if j >= 0:
            if self.in_lp[j]:
                return False
            self.in_lp[j] = True  # a pruned panel that is useful again
            self.pending.append(j)
            return True
        j = len(self.panels)
        self.in_lp.append(True)
        self.panel_index[key] = j
        self.panels.append(key)
        if j >= len(self.counts):
            self.counts = np.concatenate([self.counts, np.zeros_like(self.counts)])
        self.counts[j] = c
        self.pending.append(j)
        return True

    def panel_values(self, w: FloatArray) -> FloatArray:
        """``w . x(P)`` for every known panel."""
        return np.asarray(self.counts[: len(self.panels)] @ w, dtype=np.float64)

    def _initial_panels(self) -> None:
        """Coverage phase: find panels until every selectable type is in one.

        Weights are 1 per seat of a not-yet-covered type plus noise below 1/2 in total (for
        diversity).  Swap search from the last panel is tried first; when it covers no new
        type, the MIP maximises the weight exactly, which either covers a new type or proves
        that no type left is in any valid panel.
        """
        covered = self.selectable
        k = max(1, self.instance.k)
        search = SwapSearch(self.t, self.types.constraints, np.ones(self.t, dtype=bool))
        last: np.ndarray | None = None
        while True:
            w = np.array([self.rng.random() * 0.5 / k for _ in range(self.t)])
            w[~covered] += 1.0
            x = None
            if last is not None:
                cand = search.improve_counts(last, w, self.sizes)
                if np.any((cand > 0) & ~covered):
                    x = cand
            if x is None:
                sol = self.model.solve(w)
                if sol is None:
                    if not self.panels:
                        raise InfeasibleInstanceError("no panel satisfies the quotas")
                    break
                x = sol[0]
            new = np.flatnonzero((x > 0) & ~covered)
            self._add_panel(x)
            last = x
            if len(new) == 0:
                break  # best panel covers nobody new: the rest are in no valid panel
            covered[new] = True
            if covered.all():
                break

    def _diverse_panels(self, count: int) -> None:
        """Add up to ``count`` panels found by swap search for random weights (cheap, diverse
        starting columns: the LP then needs fewer pricing rounds)."""
        known = len(self.panels)
        for _ in range(count):
            w = np.array([self.rng.random() for _ in range(self.t)])
            w[~self.selectable] = 0.0
            start = self.counts[self.rng.randrange(known)].astype(np.int64)
            self._add_panel(self.swap.improve_counts(start, w, self.sizes, max_swaps=DIVERSE_SWAPS))

    # -- primal LP ------------------------------------------------------------------------------
    def _build_lp(self) -> None:
        h = new_highs()
        h.setOptionValue("primal_feasibility_tolerance", 1e-10)
        h.setOptionValue("dual_feasibility_tolerance", 1e-10)
        h.setOptionValue("simplex_strategy", SIMPLEX_STRATEGY)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        # column 0: z
        h.addCols(
            1,
            np.array([1.0]),
            np.array([0.0]),
            np.array([INF]),
            0,
            np.zeros(1, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        rows: list[tuple[float, float, list[int], list[float]]] = [(1.0, 1.0, [], [])]
        for t in range(self.t):
            if self.selectable[t]:
                rows.append((0.0, INF, [0], [-1.0]))
            else:
                rows.append((0.0, INF, [], []))
        add_rows(h, rows)
        self.h = h
        self._reset_fixed()
        self._sync_cols()

    def _pending_entries(
        self, extra_index: int, extra_value: float, shift: int
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], FloatArray]:
        """``(starts, indices, values)`` of the pending panels as sparse LP vectors: first
        ``extra_value`` at ``extra_index`` (the sum row or ``yhat``), then
        ``x_t(P) * inv_sizes_t`` at ``t + shift`` for every type in the panel."""
        starts: list[int] = []
        idx: list[int] = []
        val: list[float] = []
        for j in self.pending:
            starts.append(len(idx))
            c = self.counts[j]
            nz = np.flatnonzero(c)
            idx.append(extra_index)
            val.append(extra_value)
            idx.extend((nz + shift).tolist())
            val.extend((c[nz] * self.inv_sizes[nz]).tolist())
        return (
            np.array(starts, dtype=np.int32),
            np.array(idx, dtype=np.int32),
            np.array(val, dtype=np.float64),
        )

    def _reset_fixed(self) -> None:
        self.fixed = ~self.selectable.copy()
        self.fixed_value = np.zeros(self.t)
        self.fixed_value_relaxed = np.zeros(self.t)

    def _sync_cols(self) -> None:
        if not self.pending:
            return
        starts, idx, val = self._pending_entries(0, 1.0, 1)
        m = len(self.pending)
        self.h.addCols(m, np.zeros(m), np.zeros(m), np.full(m, INF), len(idx), starts, idx, val)
        self.lp_panels.extend(self.pending)
        self.pending = []

    def _prune_cols(self, col_value: FloatArray, col_dual: FloatArray) -> None:
        """Drop non-basic panel columns with the most negative reduced cost once the LP has
        many more columns than rows; they stay in the pool and pricing re-adds them when they
        become improving again."""
        limit = PRUNE_FACTOR * (self.t + 1)
        if PRUNE_FACTOR <= 0 or len(self.lp_panels) <= limit:
            return
        value = col_value[1:]  # solution before the latest columns were appended
        rc = col_dual[1:]
        cand = np.flatnonzero((value <= 0.0) & (rc < -1e-9))
        drop = cand[np.argsort(rc[cand])][: len(self.lp_panels) - limit // 2]
        if len(drop) == 0:
            return
        drop.sort()
        self.h.deleteCols(len(drop), (drop + 1).astype(np.int32))
        gone = set(drop.tolist())
        for c in gone:
            self.in_lp[self.lp_panels[c]] = False
        self.lp_panels = [j for c, j in enumerate(self.lp_panels) if c not in gone]

    def aim_at(self, pi: FloatArray) -> None:
        """Rebuild the LP so that its rows measure each type's probability *relative to*
        ``pi``: row ``t`` becomes ``sum_P lambda_P x_t(P) / (s_t pi_t) - z >= 0`` (types with
        ``pi_t = 0`` drop out).  Since the probabilities of any distribution add up to ``k``
        like ``s . pi`` does, ``z <= 1``, and ``z = 1`` exactly when the distribution's
        probabilities are ``pi``.  Every known panel is a column again."""
        aimed = self.selectable & (pi > 0)
        self.inv_sizes = np.where(aimed, 1.0 / (self.sizes * np.where(aimed, pi, 1.0)), 0.0)
        self.selectable = aimed
        self.swap.allowed = aimed.copy()
        self.pending = list(range(len(self.panels)))
        self.in_lp = [True] * len(self.panels)
        self.lp_panels = []
        self._build_lp()

    def fix(self, types: Sequence[int], value: float) -> None:
        """Fix ``types`` at probability ``value`` (constraint pi_t >= value in the primal)."""
        for t in types:
            self.fixed[t] = True
            self.fixed_value[t] = value
            self.fixed_value_relaxed[t] = max(0.0, value - FIX_RELAXATION)
            self.h.changeCoeff(t + 1, 0, 0.0)
            self.h.changeRowBounds(t + 1, max(0.0, value - FIX_RELAXATION), INF)

    def _solve_lp(self) -> tuple[FloatArray, float, float]:
        self.lp_calls += 1
        t0 = time.perf_counter()
        self.h.run()
        self.lp_seconds += time.perf_counter() - t0
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"master LP not optimal: {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        rd = np.asarray(sol.row_dual)
        y = np.maximum(-rd[1:], 0.0)
        return y, float(rd[0]), float(self.h.getInfo().objective_function_value)

    def primal_lambda(self) -> FloatArray:
        """Panel probabilities (column values of the LP), normalised."""
        lam = np.zeros(len(self.panels))
        lam[self.lp_panels] = np.asarray(self.h.getSolution().col_value)[1:]
        lam[lam < 1e-13] = 0.0
        s = lam.sum()
        if s <= 0:
            raise RuntimeError("master LP returned no distribution")
        return np.asarray(lam / s, dtype=np.float64)

    # -- column generation --------------------------------------------------------------------
    def solve_level(
        self,
        level: int,
        max_iterations: int = 100_000,
        *,
        bound: float | None = None,
        stop_at: float | None = None,
        on_round: Callable[[], None] | None = None,
    ) -> LevelReport:
        """Run column generation to optimality for the current set of unfixed types.

        Pricing uses *Wentges smoothing*: the weights priced are ``alpha * center + (1 - alpha)
        * y`` where ``center`` is the dual vector with the best (lowest) Lagrangian bound seen so
        far and ``y`` the current LP dual.  Any ``y >= 0`` with ``sum_{unfixed} y = 1`` gives the
        bound ``max_P y.x(P) - sum_{fixed} y_t p_t >= OPT`` (the pricing MIP's dual bound is used
        for the max), and a convex combination of two such vectors is again one, so every exact
        pricing call yields a valid bound.  A smoothed pricing that finds no column improving the
        LP (*mispricing*) is repeated with less smoothing; with ``alpha = 0`` it is the plain
        certificate.  The level stops when the LP value reaches the best bound.

        ``bound`` is a known upper bound on the level's value (the relaxation's, or 1 for the
        decomposition of a target point): when the LP reaches it the level is solved at once,
        without the certifying pricing call; ``stop_at`` (below ``bound``) stops it once the LP
        value is there.  ``on_round`` is called after every LP solve.
        """
        t0 = time.perf_counter()
        its = 0
        best_bound = INF if bound is None else bound
        center_bound = INF  # the Lagrangian bound of ``center``
        # with a known bound the smoothed MIP only finds columns and moves the centre: a
        # coarser gap will do (the certifying call, if any, is still exact)
        smooth_gap = SMOOTH_MIP_GAP if bound is None else KNOWN_BOUND_MIP_GAP
        self.best_candidate: np.ndarray | None = None
        center: FloatArray | None = None
        alpha = SMOOTHING
        obj = 0.0
        while True:
            its += 1
            self.iterations += 1
            y, yhat, obj = self._solve_lp()
            self.last_y = y
            if on_round is not None:
                on_round()
            sol_now = self.h.getSolution()
            cols_now = (np.array(sol_now.col_value), np.array(sol_now.col_dual))
            if its > max_iterations:
                break
            if bound is not None and obj >= bound - CONVERGENCE_TOL:
                break  # the known bound is reached: optimal
            if stop_at is not None and obj >= stop_at:
                break  # close enough to the known bound
            w_out = y * self.inv_sizes
            if MWU_COLUMNS and its > 1 and not obj >= best_bound - CONVERGENCE_TOL:
                self._mwu_columns(y, obj, MWU_COLUMNS)
            if center is None and its > 1:
                # exact pricing once at the start of a level: first bound and centre
                sol = self.model.solve(w_out, rel_gap=smooth_gap)
                assert sol is not None
                center_bound = sol[2] - self._fixed_term(y)
                best_bound = min(best_bound, center_bound)
                center = y.copy()
            # Once the LP meets the bound, only the exact plain pricing is left: it certifies
            # that the LP dual ``y`` itself is optimal for the full problem, which is what
            # fixing by ``y > 0`` needs (a near-optimal smoothed centre would not do).
            certify = obj >= best_bound - CONVERGENCE_TOL
            a = alpha if center is not None and not certify else 0.0
            added = False
            while True:
                y_sep = y if center is None or a == 0.0 else a * center + (1.0 - a) * y
                w_sep = y_sep * self.inv_sizes
                if not certify and self._heuristic_pricing(w_sep, w_out, yhat):
                    added = True
                    if not ALWAYS_MIP or a == 0.0:
                        break
                sol = self.model.solve(
                    w_sep,
                    rel_gap=smooth_gap if a > 0 else None,
                    hint=self.best_candidate if USE_HINT and not certify else None,
                )
                assert sol is not None
                x, _, mip_bound = sol
                lagrange = mip_bound - self._fixed_term(y_sep)
                best_bound = min(best_bound, lagrange)
                if lagrange < center_bound:
                    center_bound = lagrange
                    center = y_sep.copy()
                for extra in self.model.saved:  # the MIP's earlier incumbents
                    if float(w_out @ extra) > yhat + PRICING_EPS and self._add_panel(extra):
                        added = True
                if float(w_out @ x) > yhat + PRICING_EPS and self._add_panel(x):
                    added = True
                if added:
                    self._sync_cols()
                    break
                if a == 0.0:
                    # plain pricing found nothing: the LP is optimal up to the MIP's gap
                    best_bound = min(best_bound, obj + max(0.0, mip_bound - yhat))
                    break
                a = 0.0 if a < 0.2 else a / 2  # mispricing: smooth less
            logger.debug(
                "level %d it %d obj %.9f bound %.9f alpha %.2f cols %d mip %d",
                level,
                its,
                obj,
                best_bound,
                a,
                len(self.panels),
                self.model.calls,
            )
            if not added:
                break  # optimal (or numerically converged: best panel already present)
            self._prune_cols(*cols_now)
        gap = max(0.0, best_bound - obj) if np.isfinite(best_bound) else 0.0
        return LevelReport(level, obj, obj + gap, gap, its, 0, time.perf_counter() - t0)

    def _mwu_columns(self, y: FloatArray, z: float, count: int) -> int:
        """Diverse columns by multiplicative weights: start from the LP duals, and after each
        panel found (swap search from the best known panel) lower the weight of the types it
        covers relative to what they need (``z`` unfixed, ``p_t`` fixed).  Each new panel is
        then a best response to what the previous ones left uncovered, so together they form
        a covering mix the LP can use at once, instead of one similar column after another."""
        need = np.where(self.fixed, self.fixed_value_relaxed, max(z, 1e-9))
        need = np.maximum(need, 1e-9)
        base = y + 0.1 * float(y.mean() if len(y) else 0.0)
        base[~self.selectable] = 0.0
        cover = np.zeros(self.t)
        added = 0
        for _ in range(count):
            w = base * np.exp(-MWU_ETA * cover / need)
            w_seat = w * self.inv_sizes
            start = self.counts[int(np.argmax(self.panel_values(w_seat)))].astype(np.int64)
            x = self.swap.improve_counts(start, w_seat, self.sizes)
            cover += x * self.inv_sizes
            if self._add_panel(x):
                added += 1
        if added:
            self._sync_cols()
        return added

    def _fixed_term(self, y: FloatArray) -> float:
        return float(y[self.fixed] @ self.fixed_value_relaxed[self.fixed])

    def _heuristic_pricing(
        self, w_sep: FloatArray, w_out: FloatArray, yhat: float, starts: int = HEUR_STARTS
    ) -> bool:
        """Swap local search from the best known panels for weights ``w_sep``; add the results
        that improve the LP (weights ``w_out`` beat ``yhat``).  True if any was added."""
        values = self.panel_values(w_sep)
        order = np.argsort(-values)[:starts]
        added = False
        best = -INF
        scale = float(np.max(w_sep)) if len(w_sep) else 0.0
        weightings = [w_sep]
        if w_out is not w_sep:
            weightings.append(w_out)
        for _ in range(PERTURBED):
            noise = np.array([self.rng.random() for _ in range(self.t)])
            weightings.append(w_sep + PERTURB * scale * noise)
        for j in order:
            start = self.counts[int(j)].astype(np.int64)
            for wi, w in enumerate(weightings):
                cand = self.swap.improve_counts(start, w, self.sizes)
                if wi == 0:
                    value = float(w_sep @ cand)
                    if value > best:
                        best = value
                        self.best_candidate = cand
                if float(w_out @ cand) > yhat + PRICING_EPS and self._add_panel(cand):
                    added = True
                    self.heuristic_columns += 1
        if added:
            self._sync_cols()
        return added

    def last_duals(self) -> FloatArray:
        return self.last_y

    def fixed_people(self, types: Sequence[int] | np.ndarray) -> int:
        return int(sum(int(self.sizes[int(t)]) for t in types))

    def type_probabilities(self) -> FloatArray:
        """Each type's selection probability in the LP's current distribution."""
        lam = self.primal_lambda()
        return np.asarray((lam @ self.counts[: len(self.panels)]) / self.sizes, dtype=np.float64)

    def distribution(self, method: str, levels: list[LevelReport], t0: float) -> Distribution:
        lam = self.primal_lambda()
        ids = [p.id for p in self.people]
        merged: dict[tuple[int, ...], float] = {}
        for j in np.flatnonzero(lam > 0):
            for panel, pr in expand_panel(self.types, self.counts[int(j)], float(lam[j])):
                merged[panel] = merged.get(panel, 0.0) + pr
        if len(merged) > self.n + 1:
            merged = _sparsify(merged, self.n)
        total = sum(merged.values())
        marg = np.zeros(self.n)
        items: list[tuple[tuple[str, ...], float]] = []
        for panel, pr in merged.items():
            marg[list(panel)] += pr / total
            items.append((tuple(sorted(ids[i] for i in panel)), pr / total))
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
        type_of = self.types.type_of
        return Distribution(
            panels=tuple(p for p, _ in items),
            probabilities=tuple(pr for _, pr in items),
            marginals={ids[i]: float(marg[i]) for i in range(self.n)},
            unselectable=tuple(
                sorted(ids[i] for i in range(self.n) if not self.selectable[type_of[i]])
            ),
            report=report,
            k=self.instance.k,
            extra={"types": self.t},
        )


class _AimedColumnGeneration(_ColumnGeneration):
    """Column generation aimed at a point ``pi`` (see :meth:`aim_at`) with the master LP in
    *dual* form: a column per type weight ``y_t`` and ``yhat``, a row per panel
    (``sum_t y_t x_t(P) / (s_t pi_t) <= yhat``), ``sum y = 1``, minimise ``yhat``.

    New panels are new rows, so HiGHS's dual simplex warm-starts from a dual feasible basis;
    on the 800-person bench pool its solves take about 3 s where the primal form's primal
    simplex took 9 s.  Near the optimum the master is very degenerate and the dual simplex can
    stall: after ``20 * types + 1000`` iterations the solve is finished by the interior point
    method (with crossover, so the next solve has a basis again).  The panel probabilities
    are the row duals.  Only one level is solved (no :meth:`fix`).
    """

    def _build_lp(self) -> None:
        h = new_highs()
        h.setOptionValue("primal_feasibility_tolerance", 1e-10)
        h.setOptionValue("dual_feasibility_tolerance", 1e-10)
        h.setOptionValue("simplex_strategy", 1)
        self.iteration_limit = 20 * self.t + 1000
        h.setOptionValue("simplex_iteration_limit", self.iteration_limit)
        t = self.t
        upper = np.where(self.selectable, INF, 0.0)
        h.addCols(
            t + 1,
            np.concatenate([np.zeros(t), [1.0]]),
            np.concatenate([np.zeros(t), [-INF]]),
            np.concatenate([upper, [INF]]),
            0,
            np.zeros(t + 1, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        idx = np.flatnonzero(self.selectable).astype(np.int32)
        h.addRow(1.0, 1.0, len(idx), idx, np.ones(len(idx)))
        self.h = h
        self._reset_fixed()
        self.stalls = 0
        self._sync_cols()

    def _sync_cols(self) -> None:
        if not self.pending:
            return
        starts, idx, val = self._pending_entries(self.t, -1.0, 0)
        m = len(self.pending)
        self.h.addRows(m, np.full(m, -INF), np.zeros(m), len(idx), starts, idx, val)
        self.lp_panels.extend(self.pending)
        self.pending = []

    def _prune_cols(self, col_value: FloatArray, col_dual: FloatArray) -> None:
        """Drop the slackest panel rows that carry no probability (see the base class)."""
        limit = PRUNE_FACTOR * (self.t + 1)
        if PRUNE_FACTOR <= 0 or len(self.lp_panels) <= limit:
            return
        sol = self.h.getSolution()
        m = len(self.lp_panels)
        lam = np.asarray(sol.row_dual)[1 : 1 + m]
        activity = np.asarray(sol.row_value)[1 : 1 + m]
        cand = np.flatnonzero((lam == 0.0) & (activity < -1e-9))
        drop = cand[np.argsort(activity[cand])][: m - limit // 2]
        if len(drop) == 0:
            return
        drop.sort()
        self.h.deleteRows(len(drop), (drop + 1).astype(np.int32))
        gone = set(drop.tolist())
        for c in gone:
            self.in_lp[self.lp_panels[c]] = False
        self.lp_panels = [j for c, j in enumerate(self.lp_panels) if c not in gone]

    def fix(self, types: Sequence[int], value: float) -> None:
        raise NotImplementedError("the aimed column generation solves a single level")

    def _solve_lp(self) -> tuple[FloatArray, float, float]:
        self.lp_calls += 1
        t0 = time.perf_counter()
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            self.stalls += 1
            self.h.setOptionValue("solver", "ipm")
            self.h.setOptionValue("simplex_iteration_limit", 2**31 - 1)
            self.h.run()
            self.h.setOptionValue("solver", "simplex")
            self.h.setOptionValue("simplex_iteration_limit", self.iteration_limit)
        self.lp_seconds += time.perf_counter() - t0
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"master LP not optimal: {self.h.modelStatusToString(status)}")
        cv = np.asarray(self.h.getSolution().col_value)
        y = np.maximum(cv[: self.t], 0.0)
        return y, float(cv[self.t]), float(self.h.getInfo().objective_function_value)

    def primal_lambda(self) -> FloatArray:
        lam = np.zeros(len(self.panels))
        m = len(self.lp_panels)
        lam[self.lp_panels] = np.abs(np.asarray(self.h.getSolution().row_dual)[1 : 1 + m])
        lam[lam < 1e-13] = 0.0
        s = lam.sum()
        if s <= 0:
            raise RuntimeError("master LP returned no distribution")
        return np.asarray(lam / s, dtype=np.float64)


def _sparsify(dist: dict[tuple[int, ...], float], n: int) -> dict[tuple[int, ...], float]:
    """Same marginals with at most ``n + 1`` panels (a vertex of the marginal-matching LP).

    Expanding type panels can give several person panels per type panel.  The LP ``sum_P
    lambda_P [i in P] = pi_i`` (all people), ``sum lambda = 1``, ``lambda >= 0`` over those panels
    is feasible (the expansion itself solves it), and a basic solution from the simplex method
    has at most one non-zero per row: a smaller support for the same probabilities (a smaller
    support also rounds better to a uniform lottery).  Falls back to ``dist`` if the LP fails.
    """
    panels = list(dist)
    lam0 = np.array([dist[p] for p in panels])
    target = np.zeros(n)
    for p, pr in zip(panels, lam0, strict=True):
        target[list(p)] += pr
    h = new_highs()
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    h.setOptionValue("solver", "simplex")
    m = len(panels)
    starts: list[int] = []
    idx: list[int] = []
    for p in panels:
        starts.append(len(idx))
        idx.append(0)
        idx.extend(i + 1 for i in p)
    h.addRows(
        n + 1,
        np.concatenate([[1.0], target]),
        np.concatenate([[1.0], target]),
        0,
        np.zeros(n + 1, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0),
    )
    h.addCols(
        m,
        np.zeros(m),
        np.zeros(m),
        np.full(m, INF),
        len(idx),
        np.array(starts, dtype=np.int32),
        np.array(idx, dtype=np.int32),
        np.ones(len(idx)),
    )
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return dist
    lam = np.asarray(h.getSolution().col_value)
    lam[lam < 1e-12] = 0.0
    got = np.zeros(n)
    for p, pr in zip(panels, lam, strict=True):
        if pr > 0:
            got[list(p)] += pr
    if np.max(np.abs(got - target), initial=0.0) > 1e-8:
        return dist
    return {p: float(pr) for p, pr in zip(panels, lam, strict=True) if pr > 0}


def maximin(instance: Instance, *, seed: int | None = None, aggregate: bool = True) -> Distribution:
    """Distribution maximising the minimum selection probability (one leximin level).

    Fast preview: a single column-generation run.  People in no valid panel are ignored for the
    minimum (they get 0 and are listed in ``unselectable``).  ``aggregate=False`` solves the
    person-level model without merging interchangeable people (for cross-checks).
    """
    with single_threaded_blas():
        return _maximin(instance, seed, aggregate)


def _maximin(instance: Instance, seed: int | None, aggregate: bool) -> Distribution:
    t0 = time.perf_counter()
    cg = _ColumnGeneration(instance, seed, aggregate=aggregate)
    # the relaxation's maximin bounds the true one; where they meet, no certifying call is needed
    bound = relaxed_leximin(cg.types, cg.selectable, max_levels=1).levels[0].value
    rep = cg.solve_level(1, bound=bound + CONVERGENCE_TOL)
    y = cg.last_duals()
    fixed = cg.fixed_people(np.flatnonzero((y > DUAL_FIX_THRESHOLD) & ~cg.fixed))
    rep = LevelReport(
        rep.level, rep.value, rep.dual_bound, rep.gap, rep.iterations, fixed, rep.seconds
    )
    return cg.distribution("maximin", [rep], t0)


#: ``progress(level, people fixed so far, eligible people, levels in all if known)``, called
#: after every level.
ProgressCallback = Callable[[int, int, int, int | None], None]


def leximin(
    instance: Instance,
    *,
    seed: int | None = None,
    aggregate: bool = True,
    progress: ProgressCallback | None = None,
) -> Distribution:
    """LEXIMIN-optimal distribution by iterated maximin with column generation.

    See the module docstring for the algorithm and the certificate in ``report.levels``.
    ``aggregate=False`` solves the person-level model (for cross-checks); ``progress`` is told
    after each level how many people's probabilities are settled.
    """
    with single_threaded_blas():
        return _leximin(instance, seed, aggregate, progress)


def _leximin(
    instance: Instance, seed: int | None, aggregate: bool, progress: ProgressCallback | None
) -> Distribution:
    t0 = time.perf_counter()
    if USE_RELAXATION:
        try:
            found = _leximin_from_relaxation(
                _AimedColumnGeneration(instance, seed, aggregate=aggregate), progress, t0
            )
        except RuntimeError:  # the master LP failed numerically: the exact route below
            logger.exception("LEXIMIN from the relaxation failed")
            found = None
        if found is not None:
            return found
        logger.info("relaxation's LEXIMIN point is not reached: solving level by level")
    cg = _ColumnGeneration(instance, seed, aggregate=aggregate)
    return _leximin_by_levels(cg, progress, t0)


def _leximin_from_relaxation(
    cg: _ColumnGeneration, progress: ProgressCallback | None, t0: float
) -> Distribution | None:
    """LEXIMIN as the relaxation's LEXIMIN point, if panels can reach it (see
    :mod:`.relaxed`); ``None`` if they cannot.

    The relaxation's levels are upper bounds; the panels are found by one column generation
    aimed at the point (``aim_at``), started from the panels :func:`.relaxed.peel` finds.  Each
    level's certificate is then ``value`` = the smallest probability the distribution gives that
    level's people, against ``dual_bound`` = the relaxation's optimum for the level."""
    relaxed = relaxed_leximin(cg.types, cg.selectable)
    n_levels = len(relaxed.levels)
    unselectable = cg.fixed_people(np.flatnonzero(~cg.selectable))
    told = 0

    def tell() -> None:
        """Report the levels the current distribution already reaches: level ``l`` is done
        when everyone in levels ``1..l`` has at least that level's probability."""
        nonlocal told
        if progress is None:
            return
        got = cg.type_probabilities()
        settled = unselectable + sum(cg.fixed_people(lv.types) for lv in relaxed.levels[:told])
        for lv in relaxed.levels[told:]:
            if float(np.min(got[list(lv.types)])) < lv.value - 1e-9:
                break
            told += 1
            settled += cg.fixed_people(lv.types)
            progress(told, settled, cg.n, n_levels)

    if USE_PEEL:
        peeled = peel(cg.types, relaxed.pi, cg.swap, start=cg.counts[0].astype(np.int64))
        for x in peeled.panels:
            cg._add_panel(x)
    cg.aim_at(relaxed.pi)
    # z = 1 - e gives everybody at least (1 - e) times their relaxed probability: a level
    # gap of at most e * max(pi); stop once that is within LEXIMIN_GAP
    tolerance = LEXIMIN_GAP / max(float(np.max(relaxed.pi)), 1e-12)
    rep = cg.solve_level(1, bound=1.0, stop_at=1.0 - tolerance, on_round=tell)
    if rep.value < 1.0 - tolerance:
        return None
    got = cg.type_probabilities()
    levels: list[LevelReport] = []
    for i, lv in enumerate(relaxed.levels, start=1):
        value = float(np.min(got[list(lv.types)]))
        gap = max(0.0, lv.value - value)
        levels.append(
            LevelReport(
                i,
                value,
                value + gap,
                gap,
                rep.iterations if i == 1 else 0,
                cg.fixed_people(lv.types),
                rep.seconds if i == 1 else 0.0,
            )
        )
    # the stop rule bounds each gap by LEXIMIN_GAP up to the LP's tolerances; only a clearly
    # larger gap means the distribution is not what the relaxation promised
    if max(lv.gap for lv in levels) > 2 * LEXIMIN_GAP:
        return None
    return cg.distribution("leximin", levels, t0)


def _leximin_by_levels(
    cg: _ColumnGeneration, progress: ProgressCallback | None, t0: float
) -> Distribution:
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
                rep.level,
                value,
                rep.dual_bound,
                rep.gap,
                rep.iterations,
                cg.fixed_people(to_fix),
                rep.seconds,
            )
        )
        if progress is not None:
            progress(
                level, cg.fixed_people(np.flatnonzero(cg.fixed)) + levels[-1].fixed, cg.n, None
            )
        if remaining == 0:
            break
        cg.fix([int(i) for i in to_fix], value)
    return cg.distribution("leximin", levels, t0)
