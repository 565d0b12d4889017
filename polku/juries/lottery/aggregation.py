"""Type aggregation: interchangeable people are solved as one *type*.

Two eligible people are *interchangeable* when they belong to exactly the same constraint rows
of the panel model (the same value for every quota attribute, and the same capped team when a
team cap applies; excluded people are not in the model at all).  Swapping two interchangeable
people maps valid panels to valid panels, so the LEXIMIN marginal vector — which is unique —
gives them the same probability, and a MAXIMIN optimum can be symmetrised the same way.

The solver therefore works on types ``t`` of size ``s_t``: a *type panel* is a count vector
``x_t in {0..s_t}`` with ``sum x_t = k`` that satisfies the (type-level) constraints, and a
person of type ``t`` is selected with probability ``sum_P lambda_P x_t(P) / s_t``.

:func:`expand_panel` turns a type panel with probability ``lambda`` back into concrete person
panels **deterministically** and so that every person's marginal is exact:

* for a type with ``0 < c < s`` seats (``c = x_t``), list its members in pool order
  ``m_0..m_{s-1}``; rotation ``r`` selects the cyclic block ``m_{(rc) mod s} .. m_{(rc+c-1) mod s}``.
  With ``g = gcd(s, c)`` the ``s/g`` rotations ``r = 0..s/g-1`` start at every multiple of ``g``
  once, so each member is in exactly ``c/g`` of them: probability ``c/s`` when the rotation is
  uniform;
* all types share one position ``u in [0, 1)``: type ``t`` uses rotation ``floor(u * s_t/g_t)``.
  The interval ``[0, 1)`` is cut at every ``r / (s_t/g_t)`` into pieces; each piece becomes one
  person panel with probability ``lambda * length``.  Within each piece every type's rotation is
  constant, and each rotation of type ``t`` covers total length ``g_t/s_t``, so the marginals are
  exact; every piece is a valid panel because it has the same counts per type.

Identical person panels coming from different type panels are merged by the solver.  The
public draw then works on ordinary person panels, unchanged.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from ._highs import ConstraintRow, panel_constraints
from .instance import Instance, Person

__all__ = ["TypeStructure", "aggregate_types", "expand_panel"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TypeStructure:
    """People grouped into interchangeable types (indices refer to ``people``)."""

    people: tuple[Person, ...]
    members: tuple[tuple[int, ...], ...]  # person indices of each type, in pool order
    type_of: tuple[int, ...]  # type index of each person
    constraints: tuple[ConstraintRow, ...]  # panel constraints over *types*

    @property
    def n_types(self) -> int:
        return len(self.members)

    @property
    def sizes(self) -> IntArray:
        return np.array([len(m) for m in self.members], dtype=np.int64)


def aggregate_types(
    instance: Instance, people: list[Person] | None = None, *, merge: bool = True
) -> TypeStructure:
    """Group the eligible people of ``instance`` into interchangeable types.

    With ``merge=False`` every person is a type of its own (the plain person-level model).
    """
    people = list(instance.eligible) if people is None else people
    rows = panel_constraints(instance, people)
    signature: list[list[int]] = [[] for _ in people]
    for r, c in enumerate(rows):
        if c.kind == "size":
            continue
        for i in c.members:
            signature[i].append(r)
    index: dict[tuple[int, ...], int] = {}
    members: list[list[int]] = []
    type_of: list[int] = []
    for i, sig in enumerate(signature):
        key = tuple(sig) if merge else (-1 - i,)
        t = index.get(key)
        if t is None:
            t = index[key] = len(members)
            members.append([])
        members[t].append(i)
        type_of.append(t)
    type_rows = tuple(
        ConstraintRow(
            c.kind,
            c.label,
            tuple(sorted({type_of[i] for i in c.members})),
            c.lower,
            c.upper,
        )
        for c in rows
    )
    return TypeStructure(
        people=tuple(people),
        members=tuple(tuple(m) for m in members),
        type_of=tuple(type_of),
        constraints=type_rows,
    )


def expand_panel(
    types: TypeStructure, counts: IntArray | list[int], probability: float
) -> list[tuple[tuple[int, ...], float]]:
    """Split a type panel into person panels (sorted person indices) with exact marginals."""
    fixed: list[int] = []
    fractional: list[tuple[tuple[int, ...], int, int]] = []  # (members, c, period)
    for t, c in enumerate(counts):
        c = int(c)
        if c <= 0:
            continue
        mem = types.members[t]
        s = len(mem)
        if c >= s:
            fixed.extend(mem)
        else:
            fractional.append((mem, c, s // math.gcd(s, c)))
    if not fractional:
        return [(tuple(sorted(fixed)), probability)]
    cuts = sorted({Fraction(r, p) for _, _, p in fractional for r in range(p)} | {Fraction(1)})
    out: list[tuple[tuple[int, ...], float]] = []
    for a, b in itertools.pairwise(cuts):
        mid = (a + b) / 2
        panel = list(fixed)
        for mem, c, p in fractional:
            r = math.floor(mid * p)
            s = len(mem)
            panel.extend(mem[(r * c + j) % s] for j in range(c))
        out.append((tuple(sorted(panel)), probability * float(b - a)))
    return out
