"""Round a panel distribution to a *uniform* lottery over ``M`` panel slots.

A public draw is easiest to verify when it picks one of ``M`` equally likely slots (e.g. by
three decimal digits for ``M = 1000``).  Each panel ``P`` with probability ``lambda_P`` gets an
integer number of slots ``c_P`` with ``sum c_P = M``; person ``i``'s probability becomes
``sum_{P contains i} c_P / M``.

Method (documented for transparency):

1. *Largest remainder* (Hamilton apportionment): ``c_P = floor(M lambda_P)``, then the
   remaining slots go to the panels with the largest fractional parts (ties by panel order).
2. *Deviation-minimising ILP* (as in Flanigan, Kehne, Procaccia, "Fair sortition made
   transparent", 2021): every ``c_P`` is either ``floor`` or ``ceil`` of ``M lambda_P``, the
   slots sum to ``M``, and the maximum absolute change of any person's probability is
   minimised.  Solved with HiGHS, warm-started with (1) and time-limited; if it does not
   improve on (1), (1) is kept.

**Keeping the promise** (:func:`round_to_promise`).  The page promises "everyone has at least
p", where p is the smallest probability of the computed (LEXIMIN) distribution.  With ``M``
slots every probability is a multiple of ``1/M``, so ``M`` itself limits how well that can hold:
for p = 3 % and ``M = 1000`` a person's 29.x slots become 29 or 30, and the minimum drops by
several per cent whatever the rounding.  :func:`round_to_promise` therefore tries ``M = 1000,
10 000, 100 000, …`` and keeps the first whose rounded minimum is within ``tolerance`` (1 %) of
p.  The lottery file lists each panel once with its number of slots (format 2), so a large ``M``
costs only a longer dice roll (one more die per tenfold ``M``), not a larger file.

The resulting maximum deviation and the rounded minimum are reported in :class:`Lottery`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from ._highs import INF, add_rows, new_highs
from .solver import Distribution

__all__ = ["LOTTERY_SIZES", "Lottery", "round_distribution", "round_to_promise"]

#: Lottery sizes tried in turn by :func:`round_to_promise` (decimal: 3..6 digits per draw).
LOTTERY_SIZES = (1000, 10_000, 100_000, 1_000_000)


@dataclass(frozen=True)
class Lottery:
    """Uniform lottery over ``M = sum(counts)`` slots: the first ``counts[0]`` slots hold
    ``panels[0]``, the next ``counts[1]`` slots ``panels[1]``, and so on."""

    panels: tuple[tuple[str, ...], ...]
    counts: tuple[int, ...]
    marginals: dict[str, float]
    target: dict[str, float]
    max_deviation: float
    method: str

    @property
    def m(self) -> int:
        """Number of slots ``M``."""
        return int(sum(self.counts))

    @property
    def slots(self) -> tuple[tuple[str, ...], ...]:
        """Every slot's panel, in slot order (``M`` entries)."""
        out: list[tuple[str, ...]] = []
        for panel, count in zip(self.panels, self.counts, strict=True):
            out.extend([panel] * count)
        return tuple(out)

    @property
    def min_probability(self) -> float:
        """Smallest probability of a person the distribution gives a chance at all."""
        chosen = [p for pid, p in self.marginals.items() if self.target.get(pid, 0.0) > 0]
        return min(chosen) if chosen else 0.0

    @property
    def target_min(self) -> float:
        positive = [p for p in self.target.values() if p > 0]
        return min(positive) if positive else 0.0


def _largest_remainder(lam: np.ndarray, m: int) -> np.ndarray:
    scaled = lam * m
    counts = np.floor(scaled + 1e-9).astype(np.int64)
    rest = m - int(counts.sum())
    frac = scaled - counts
    order = sorted(range(len(lam)), key=lambda j: (-frac[j], j))
    for j in order[: max(0, rest)]:
        counts[j] += 1
    return counts


def round_distribution(
    dist: Distribution, m: int = 1000, *, method: str = "ilp", time_limit: float = 10.0
) -> Lottery:
    """Round ``dist`` to ``m`` equally likely slots (``method`` is ``"ilp"`` or ``"largest_remainder"``)."""
    if m <= 0:
        raise ValueError("M must be positive")
    panels = list(dist.panels)
    lam = np.array(dist.probabilities, dtype=np.float64)
    lam = lam / lam.sum()
    ids = sorted(dist.marginals)
    index = {pid: i for i, pid in enumerate(ids)}
    inc = np.zeros((len(ids), len(panels)))
    for j, p in enumerate(panels):
        for pid in p:
            inc[index[pid], j] = 1.0
    target = np.array([dist.marginals[i] for i in ids])

    def deviation(c: np.ndarray) -> float:
        return float(np.max(np.abs(inc @ c / m - target))) if len(ids) else 0.0

    counts = _largest_remainder(lam, m)
    used = "largest_remainder"
    if method == "ilp":
        improved = _ilp(inc, lam, target, m, counts, time_limit)
        if improved is not None and deviation(improved) < deviation(counts) - 1e-12:
            counts = improved
            used = "ilp"
    elif method != "largest_remainder":
        raise ValueError(f"unknown rounding method {method!r}")
    keep = [j for j in range(len(panels)) if counts[j] > 0]
    marg = inc @ counts / m
    return Lottery(
        panels=tuple(panels[j] for j in keep),
        counts=tuple(int(counts[j]) for j in keep),
        marginals={pid: float(marg[i]) for i, pid in enumerate(ids)},
        target=dict(dist.marginals),
        max_deviation=deviation(counts),
        method=used,
    )


def round_to_promise(
    dist: Distribution,
    *,
    tolerance: float = 0.01,
    sizes: Sequence[int] = LOTTERY_SIZES,
    time_limit: float = 3.0,
) -> Lottery:
    """The smallest lottery (from ``sizes``) in which the smallest probability is at least
    ``(1 - tolerance)`` times the distribution's; the largest size if none is.

    ``1/M`` must be well below ``tolerance * p``, so sizes below ``1 / (tolerance * p)``
    are skipped without rounding; each size tried gets ``time_limit`` seconds of ILP.
    """
    lottery: Lottery | None = None
    positive = [p for p in dist.marginals.values() if p > 0]
    p_min = min(positive) if positive else 0.0
    for m in sizes:
        if p_min > 0 and m != sizes[-1] and 1.0 / m > tolerance * p_min:
            continue  # granularity alone breaks the promise: a slot is worth more than 1 % of p
        lottery = round_distribution(dist, m, time_limit=time_limit)
        if lottery.min_probability >= (1.0 - tolerance) * lottery.target_min - 1e-12:
            return lottery
    assert lottery is not None
    return lottery


def _ilp(
    inc: np.ndarray,
    lam: np.ndarray,
    target: np.ndarray,
    m: int,
    start: np.ndarray,
    time_limit: float,
) -> np.ndarray | None:
    n_people, n_panels = inc.shape
    base = np.floor(lam * m + 1e-9)
    frac_cols = [j for j in range(n_panels) if lam[j] * m - base[j] > 1e-9]
    rest = m - int(base.sum())
    if not frac_cols or rest <= 0 or time_limit <= 0:
        return None
    h = new_highs(time_limit=time_limit, mip_gap=1e-6)
    nb = len(frac_cols)
    ncol = nb + 1  # binaries b_j and t (max deviation, scaled by m)
    cost = np.zeros(ncol)
    cost[-1] = 1.0
    h.addCols(
        ncol,
        cost,
        np.zeros(ncol),
        np.concatenate([np.ones(nb), [INF]]),
        0,
        np.zeros(ncol, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0),
    )
    h.changeColsIntegrality(
        nb,
        np.arange(nb, dtype=np.int32),
        np.full(nb, highspy.HighsVarType.kInteger.value, dtype=np.uint8),
    )
    rows: list[tuple[float, float, list[int], list[float]]] = [
        (float(rest), float(rest), list(range(nb)), [1.0] * nb)
    ]
    sub = inc[:, frac_cols]
    for i in range(n_people):
        # |base_i + sum_j inc_ij b_j - m target_i| <= t
        const = float(inc[i] @ base) - m * float(target[i])
        cols = [int(a) for a in np.flatnonzero(sub[i] > 0)]
        rows.append((-INF, -const, [*cols, nb], [1.0] * len(cols) + [-1.0]))
        rows.append((-const, INF, [*cols, nb], [1.0] * len(cols) + [1.0]))
    add_rows(h, rows)
    sol0 = np.zeros(ncol)
    for a, j in enumerate(frac_cols):
        sol0[a] = start[j] - base[j]
    dev0 = np.abs(inc @ start - m * target).max(initial=0.0)
    sol0[-1] = dev0
    h.setSolution(ncol, np.arange(ncol, dtype=np.int32), sol0)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return None
    x = np.rint(np.asarray(h.getSolution().col_value)[:nb])
    counts = base.copy()
    for a, j in enumerate(frac_cols):
        counts[j] += x[a]
    if int(counts.sum()) != m or math.isnan(float(counts.sum())):
        return None
    return counts.astype(np.int64)
