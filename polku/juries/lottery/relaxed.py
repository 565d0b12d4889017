"""LEXIMIN through the LP relaxation, made exact by peeling panels off it.

The marginals a panel distribution can give the types are the points of
``Q = conv{x(P) / s : P a valid type panel}``.  Every such point satisfies the *relaxation*

    R:  0 <= pi_t <= 1,   sum_t s_t pi_t = k,   l_q <= sum_{t in q} s_t pi_t <= u_q  (every row q)

(with ``pi_t = 0`` for types in no valid panel), so ``Q`` is a subset of ``R``.  The LEXIMIN point
of ``R`` takes one small LP per level (``types + 1`` variables, a row per constraint and per
type; milliseconds to a second), and each level's LP optimum ``z_l`` is an upper bound on what
*any* panel distribution can give that level's people once the earlier levels have their
values, because it is an upper bound over the larger set ``R``.

If the LEXIMIN point of ``R`` lies in ``Q`` it is the LEXIMIN point of ``Q``, and a distribution
over panels with exactly those marginals proves it: the level values it reaches meet the
bounds ``z_l``.  :func:`peel` decides this constructively (Carathéodory's construction): with a
residual ``r`` (expected seats per type) of mass ``mu``, it takes a valid panel that respects
every constraint of ``R`` that is tight at ``r / mu`` (a type used up, a type in every remaining
panel, a quota row at its bound), removes as much of it as keeps ``r / mu`` inside ``R`` and
repeats.  Every step makes one more constraint tight, so there are at most about ``types +
rows`` steps.  Panels come from the swap search started at the previous panel, and from the
pricing MIP with the tight constraints as bounds when the swap search does not reach one.

The residual can leave ``Q`` while it stays in ``R``; then no valid panel respects the tight
constraints and the MIP says so.  :func:`peel` returns ``None`` and the caller solves the
levels by column generation over ``Q`` (``solver._ColumnGeneration``), starting from the panels
found so far.  On the generated bench instances (pools 50 to 800 with 4 to 8 attributes) the
relaxation's LEXIMIN point has always been in ``Q``.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from ._highs import INF, CountModel, FloatArray, add_rows, new_highs
from ._swap import SwapSearch
from .aggregation import TypeStructure

IntArray = npt.NDArray[np.int64]

#: Fixed levels are relaxed by this much so that later LPs stay numerically feasible.
FIX_RELAXATION = 1e-10
#: A row dual above this marks a type whose probability the level determines.
DUAL_FIX_THRESHOLD = 1e-9
#: Residual seats below this count as used up; constraints within it count as tight.
TIGHT = 1e-8
#: Peeling stops when this little probability mass is left (it is spread over the panels
#: found, which moves no marginal by more than this).
MASS_LEFT = 1e-11
#: Swaps tried from the previous panel before asking the MIP (one swap rarely meets rows at
#: their bounds, so a long search mostly wastes time).
PEEL_SWAPS = 10


@dataclass(frozen=True)
class RelaxedLevel:
    """One level of the relaxation's LEXIMIN: value ``z`` for ``types``."""

    value: float
    types: tuple[int, ...]


@dataclass(frozen=True)
class RelaxedLeximin:
    """The LEXIMIN point ``pi`` (per type) of the relaxation and its levels, lowest first."""

    pi: FloatArray
    levels: tuple[RelaxedLevel, ...]
    lp_calls: int


def relaxed_leximin(
    types: TypeStructure, selectable: npt.NDArray[np.bool_], *, max_levels: int | None = None
) -> RelaxedLeximin:
    """LEXIMIN over the relaxation ``R`` by iterated maximin (one LP per level, warm-started).

    Column 0 is ``z``, column ``t + 1`` is ``pi_t``.  After each level the types whose row
    ``pi_t - z >= 0`` has a positive dual have ``pi_t = z`` in every optimum (complementary
    slackness); they are fixed at ``z`` and the next level maximises the minimum of the rest.
    """
    n = types.n_types
    sizes = types.sizes.astype(np.float64)
    h = new_highs()
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    upper = np.where(selectable, 1.0, 0.0)
    h.addCols(
        n + 1,
        np.concatenate([[1.0], np.zeros(n)]),
        np.zeros(n + 1),
        np.concatenate([[INF], upper]),
        0,
        np.zeros(n + 1, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0),
    )
    rows: list[tuple[float, float, list[int], list[float]]] = [
        (float(c.lower), float(c.upper), [m + 1 for m in c.members], [sizes[m] for m in c.members])
        for c in types.constraints
    ]
    first = len(rows)
    for t in range(n):
        rows.append((0.0, INF, [0, t + 1], [-1.0, 1.0]) if selectable[t] else (0.0, INF, [], []))
    add_rows(h, rows)
    fixed = ~selectable.copy()
    levels: list[RelaxedLevel] = []
    calls = 0
    while not fixed.all() and (max_levels is None or len(levels) < max_levels):
        h.run()
        calls += 1
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                "relaxation LP not optimal: " + h.modelStatusToString(h.getModelStatus())
            )
        z = float(h.getInfo().objective_function_value)
        duals = -np.asarray(h.getSolution().row_dual)[first:]
        level = np.flatnonzero(~fixed & (duals > DUAL_FIX_THRESHOLD))
        if len(level) == 0:  # cannot happen (the duals of the unfixed rows sum to 1); be safe
            level = np.flatnonzero(~fixed)
        z = min(1.0, max(0.0, z))
        levels.append(RelaxedLevel(z, tuple(int(t) for t in level)))
        for row in (first + int(t) for t in level):
            h.changeCoeff(row, 0, 0.0)
            h.changeRowBounds(row, max(0.0, z - FIX_RELAXATION), INF)
        fixed[level] = True
    # the last LP's values: they meet every row of R (the level values alone do not quite,
    # since each level was fixed a little below its value)
    pi = np.clip(np.asarray(h.getSolution().col_value)[1:], 0.0, 1.0)
    pi[~selectable] = 0.0
    return RelaxedLeximin(pi, tuple(levels), calls)


@dataclass
class PeelResult:
    """Type panels and their probabilities (summing to 1), or the panels tried on failure."""

    panels: list[IntArray]
    masses: list[float]
    complete: bool
    mip_calls: int
    steps: int


def peel(
    types: TypeStructure,
    pi: FloatArray,
    swap: SwapSearch,
    *,
    start: IntArray | None = None,
    max_steps: int | None = None,
    rng: np.random.Generator | None = None,
    noise: float = 0.0,
) -> PeelResult:
    """Write ``pi`` (a point of ``R``) as a distribution over valid type panels, if it can.

    See the module docstring.  ``start`` is a known valid panel for the first swap search.
    """
    sizes = types.sizes.astype(np.int64)
    size_f = sizes.astype(np.float64)
    n = types.n_types
    quota_rows = [c for c in types.constraints if c.kind != "size"]
    member = np.zeros((n, len(quota_rows)))
    for q, c in enumerate(quota_rows):
        member[list(c.members), q] = 1.0
    lower = np.array([c.lower for c in quota_rows], dtype=np.float64)
    upper = np.array([c.upper for c in quota_rows], dtype=np.float64)
    size_row = [i for i, c in enumerate(types.constraints) if c.kind == "size"]
    model = CountModel(types.constraints, sizes)
    # any panel within the bounds will do: the first one found (0.04 s instead of 0.4 s for
    # the 800-person bench pool)
    model.h.setOptionValue("mip_heuristic_effort", 0.3)
    model.h.setOptionValue("mip_max_improving_sols", 1)
    base_lower, base_upper = swap.lower.copy(), swap.upper.copy()

    r = pi * size_f  # expected seats per type in the residual
    mu = 1.0
    panels: list[IntArray] = []
    masses: list[float] = []
    prev = start
    steps = 0
    limit = max_steps if max_steps is not None else 4 * (n + len(quota_rows)) + 10
    try:
        while mu > MASS_LEFT:
            steps += 1
            if steps > limit:
                return PeelResult(panels, masses, False, model.calls, steps)
            used_up = r <= TIGHT
            r[used_up] = 0.0
            everywhere = r >= mu * size_f - TIGHT
            load = r @ member
            at_lower = load <= mu * lower + TIGHT
            at_upper = load >= mu * upper - TIGHT
            col_lo = np.where(everywhere, sizes, 0)
            col_hi = np.where(used_up, 0, sizes)
            row_lo = np.where(at_upper, upper, np.where(at_lower, lower, lower))
            row_hi = np.where(at_lower, lower, np.where(at_upper, upper, upper))
            x = None
            goal = r / (mu * size_f)
            if noise and rng is not None:
                goal = goal * (1.0 + noise * rng.random(n))
            if prev is not None:
                swap.lower, swap.upper = row_lo.astype(np.int64), row_hi.astype(np.int64)
                w = goal
                w = np.where(used_up, -10.0, np.where(everywhere, 10.0, w))
                cand = swap.improve_counts(prev, w, col_hi, max_swaps=PEEL_SWAPS)
                if _respects(cand, col_lo, col_hi, cand @ member, row_lo, row_hi):
                    x = cand
            if x is None:
                x = _restricted_mip(model, goal, col_lo, col_hi, row_lo, row_hi, size_row)
                if x is None:
                    return PeelResult(panels, masses, False, model.calls, steps)
            lam = _step(x, r, mu, size_f, x @ member, load, lower, upper)
            if mu - lam <= TIGHT:
                lam = mu  # the residual is this panel, up to rounding
            if not lam > 0.0:
                return PeelResult(panels, masses, False, model.calls, steps)
            panels.append(x)
            masses.append(lam)
            r = np.maximum(r - lam * x, 0.0)
            mu -= lam
            prev = x
    finally:
        swap.lower, swap.upper = base_lower, base_upper
    total = sum(masses)
    return PeelResult(panels, [m / total for m in masses], True, model.calls, steps)


def _respects(
    x: IntArray,
    col_lo: IntArray,
    col_hi: IntArray,
    load: FloatArray,
    row_lo: FloatArray,
    row_hi: FloatArray,
) -> bool:
    return bool(
        np.all(x >= col_lo)
        and np.all(x <= col_hi)
        and np.all(load >= row_lo - 0.5)
        and np.all(load <= row_hi + 0.5)
    )


def _restricted_mip(
    model: CountModel,
    weights: FloatArray,
    col_lo: IntArray,
    col_hi: IntArray,
    row_lo: FloatArray,
    row_hi: FloatArray,
    size_row: list[int],
) -> IntArray | None:
    """A valid panel within the tight bounds (maximising ``weights``), or None if none exists."""
    h = model.h
    n = model.n
    h.changeColsBounds(
        n, np.arange(n, dtype=np.int32), col_lo.astype(np.float64), col_hi.astype(np.float64)
    )
    quota_idx = np.array(
        [i for i in range(len(model.constraints)) if i not in size_row], dtype=np.int32
    )
    # changeRowsBounds exists in highspy but not in its type stubs
    h.changeRowsBounds(len(quota_idx), quota_idx, row_lo, row_hi)  # type: ignore[attr-defined]
    sol = model.solve(weights, rel_gap=1.0)  # any panel within the bounds will do
    return None if sol is None else sol[0]


def _step(
    x: IntArray,
    r: FloatArray,
    mu: float,
    sizes: FloatArray,
    x_load: FloatArray,
    load: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
) -> float:
    """The largest mass of panel ``x`` that can be removed with ``r / mu`` staying in ``R``."""
    lam = mu
    xf = x.astype(np.float64)
    inside = xf > 0
    if inside.any():
        lam = min(lam, float(np.min(r[inside] / xf[inside])))
    room = xf < sizes
    if room.any():
        lam = min(lam, float(np.min((mu * sizes[room] - r[room]) / (sizes[room] - xf[room]))))
    over = x_load > lower
    if over.any():
        lam = min(
            lam, float(np.min((load[over] - mu * lower[over]) / (x_load[over] - lower[over])))
        )
    under = x_load < upper
    if under.any():
        lam = min(
            lam, float(np.min((mu * upper[under] - load[under]) / (upper[under] - x_load[under])))
        )
    return max(0.0, lam)
