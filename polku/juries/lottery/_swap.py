"""Cheap pricing heuristic: improve a valid panel by feasible one-for-one swaps.

Column generation only needs *some* panel whose weight exceeds the current dual bound ``yhat``
to make progress; the exact MIP is needed only to prove that none exists.  Starting from the
best panels already known, :class:`SwapSearch` repeatedly applies the best weight-increasing
swap (one member out, one non-member in) that keeps every constraint satisfied.  Because a
valid panel satisfies all constraints, after removing member ``i`` every constraint row is at
most one below its lower bound, so a candidate ``j`` is feasible exactly when it belongs to
every row now below its minimum and to no row already at its maximum.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ._highs import ConstraintRow, FloatArray

BoolMatrix = npt.NDArray[np.bool_]


class SwapSearch:
    """Local search over valid panels for a fixed constraint structure."""

    def __init__(self, n: int, constraints: Sequence[ConstraintRow], allowed: BoolMatrix) -> None:
        rows = [c for c in constraints if c.kind != "size"]
        self.n = n
        self.member = np.zeros((n, len(rows)), dtype=bool)
        for r, c in enumerate(rows):
            self.member[list(c.members), r] = True
        self.lower = np.array([c.lower for c in rows], dtype=np.int64)
        self.upper = np.array([c.upper for c in rows], dtype=np.int64)
        self.allowed = allowed.copy()
        self.member_f = self.member.astype(np.float32)
        self.member_t = np.ascontiguousarray(self.member_f.T)
        self.not_member_t = np.ascontiguousarray(1.0 - self.member_t)

    def improve(self, panel: Sequence[int], y: FloatArray, max_swaps: int = 200) -> list[int]:
        """Return a valid panel obtained from ``panel`` by best-improvement swaps (weights ``y``).

        All ``k x n`` swaps are evaluated at once: for each member ``i`` the rows that become
        full or deficient after removing ``i`` are found, and a product with the membership
        matrix marks the candidates ``j`` that would break one of them.
        """
        inside = np.zeros(self.n, dtype=bool)
        inside[list(panel)] = True
        m = self.member_f
        counts = m[inside].sum(axis=0)
        for _ in range(max_swaps):
            outs = np.flatnonzero(inside)
            ci = counts[None, :] - m[outs]
            full = (ci >= self.upper[None, :] - 0.5).astype(np.float32)
            deficit = (ci <= self.lower[None, :] - 0.5).astype(np.float32)
            bad = (full @ self.member_t > 0.5) | (deficit @ self.not_member_t > 0.5)
            score = y[None, :] - y[outs][:, None]
            score[bad] = -np.inf
            score[:, inside | ~self.allowed] = -np.inf
            flat = int(np.argmax(score))
            a, j = divmod(flat, self.n)
            if not score[a, j] > 1e-12:
                break
            i = int(outs[a])
            inside[i] = False
            inside[j] = True
            counts = counts - m[i] + m[j]
        return [int(i) for i in np.flatnonzero(inside)]

    def improve_counts(
        self,
        counts: npt.NDArray[np.int64],
        w: FloatArray,
        caps: npt.NDArray[np.int64],
        max_swaps: int = 200,
    ) -> npt.NDArray[np.int64]:
        """Like :meth:`improve` for type panels: ``counts[t]`` members of type ``t`` (``<= caps``).

        A swap moves one seat from a type with ``counts > 0`` to a type below its cap; ``w`` is
        the weight of one seat of each type.
        """
        x = counts.astype(np.int64).copy()
        m = self.member_f
        rowcounts = x.astype(np.float32) @ m
        closed = ~self.allowed
        for _ in range(max_swaps):
            outs = np.flatnonzero(x > 0)
            ci = rowcounts[None, :] - m[outs]
            full = (ci >= self.upper[None, :] - 0.5).astype(np.float32)
            deficit = (ci <= self.lower[None, :] - 0.5).astype(np.float32)
            bad = (full @ self.member_t > 0.5) | (deficit @ self.not_member_t > 0.5)
            score = w[None, :] - w[outs][:, None]
            score[bad] = -np.inf
            score[:, (x >= caps) | closed] = -np.inf
            flat = int(np.argmax(score))
            a, j = divmod(flat, self.n)
            if not score[a, j] > 1e-12:
                break
            i = int(outs[a])
            x[i] -= 1
            x[j] += 1
            rowcounts = rowcounts - m[i] + m[j]
        return x
