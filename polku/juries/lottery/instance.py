"""Problem description for a fair jury lottery (sortition).

An :class:`Instance` is a pool of volunteers (:class:`Person`), a panel size ``k`` and a set of
:class:`Quota` constraints of the form ``min <= #{panel members with attribute == value} <= max``.
Optionally at most ``max_per_team`` members may come from the same team and some people may be
``excluded`` (for example because they are on leave).  A *panel* is a set of exactly ``k``
non-excluded people that satisfies every quota and the team cap.

This module is pure Python (no Django, no solver) so that it can be used anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Instance",
    "InstanceError",
    "Person",
    "Quota",
    "panel_violations",
    "population_shares",
    "proportional_quotas",
]


class InstanceError(ValueError):
    """Raised when an instance is malformed (duplicate ids, negative quotas, ...)."""


@dataclass(frozen=True)
class Person:
    """A member of the volunteer pool.

    ``id`` is an opaque, stable identifier (a pseudonym in published lottery files),
    ``features`` maps attribute name to value (e.g. ``{"role": "nurse"}``) and ``team`` is the
    organisational team used for the optional ``max_per_team`` cap.
    """

    id: str
    features: Mapping[str, str]
    team: str | None = None

    def value(self, attribute: str) -> str | None:
        """Return the value of ``attribute`` for this person (``None`` if missing)."""
        return self.features.get(attribute)


@dataclass(frozen=True, order=True)
class Quota:
    """``min <= #{members with features[attribute] == value} <= max``."""

    attribute: str
    value: str
    min: int
    max: int

    def label(self) -> str:
        """Human readable ``attribute=value`` label."""
        return f"{self.attribute}={self.value}"

    def to_dict(self) -> dict[str, str | int]:
        """Serialise to a JSON-compatible dict."""
        return {"attribute": self.attribute, "value": self.value, "min": self.min, "max": self.max}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Quota:
        """Inverse of :meth:`to_dict`."""
        mn = data["min"]
        mx = data["max"]
        if not isinstance(mn, int) or not isinstance(mx, int):
            raise InstanceError("quota bounds must be integers")
        return cls(str(data["attribute"]), str(data["value"]), mn, mx)


@dataclass(frozen=True)
class Instance:
    """A sortition instance: pool, panel size, quotas, team cap and exclusions."""

    people: tuple[Person, ...]
    k: int
    quotas: tuple[Quota, ...] = ()
    max_per_team: int | None = None
    excluded: frozenset[str] = field(default_factory=frozenset)

    def __init__(
        self,
        people: Iterable[Person],
        k: int,
        quotas: Iterable[Quota] = (),
        max_per_team: int | None = None,
        excluded: Iterable[str] = (),
    ) -> None:
        object.__setattr__(self, "people", tuple(people))
        object.__setattr__(self, "k", int(k))
        object.__setattr__(self, "quotas", tuple(quotas))
        object.__setattr__(self, "max_per_team", max_per_team)
        object.__setattr__(self, "excluded", frozenset(excluded))
        self._validate()

    def _validate(self) -> None:
        ids = [p.id for p in self.people]
        if len(set(ids)) != len(ids):
            raise InstanceError("duplicate person ids in the pool")
        if self.k <= 0:
            raise InstanceError("panel size k must be positive")
        if self.max_per_team is not None and self.max_per_team <= 0:
            raise InstanceError("max_per_team must be positive when given")
        seen: set[tuple[str, str]] = set()
        for q in self.quotas:
            if q.min < 0 or q.max < q.min:
                raise InstanceError(f"invalid quota bounds for {q.label()}: {q.min}..{q.max}")
            if (q.attribute, q.value) in seen:
                raise InstanceError(f"duplicate quota for {q.label()}")
            seen.add((q.attribute, q.value))

    @property
    def eligible(self) -> tuple[Person, ...]:
        """People in the pool who are not excluded, in pool order."""
        return tuple(p for p in self.people if p.id not in self.excluded)

    @property
    def n(self) -> int:
        """Number of eligible people."""
        return len(self.eligible)

    def attributes(self) -> list[str]:
        """Attributes that carry quotas, in first-seen order."""
        out: list[str] = []
        for q in self.quotas:
            if q.attribute not in out:
                out.append(q.attribute)
        return out

    def person(self, person_id: str) -> Person:
        """Look a person up by id (raises ``KeyError``)."""
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(person_id)

    def check_panel(self, panel: Iterable[str]) -> list[str]:
        """Return a list of violations (empty list means ``panel`` is a valid panel)."""
        return panel_violations(self, panel)


def panel_violations(instance: Instance, panel: Iterable[str]) -> list[str]:
    """List every way in which ``panel`` fails to be a valid panel of ``instance``."""
    members = list(panel)
    problems: list[str] = []
    by_id = {p.id: p for p in instance.people}
    if len(set(members)) != len(members):
        problems.append("panel contains duplicate members")
    if len(set(members)) != instance.k:
        problems.append(f"panel has {len(set(members))} members, expected {instance.k}")
    unknown = sorted(m for m in set(members) if m not in by_id)
    if unknown:
        problems.append(f"panel contains people not in the pool: {', '.join(unknown)}")
    excluded = sorted(m for m in set(members) if m in instance.excluded)
    if excluded:
        problems.append(f"panel contains excluded people: {', '.join(excluded)}")
    people = [by_id[m] for m in set(members) if m in by_id]
    for q in instance.quotas:
        c = sum(1 for p in people if p.features.get(q.attribute) == q.value)
        if not q.min <= c <= q.max:
            problems.append(f"quota {q.label()} needs {q.min}..{q.max}, panel has {c}")
    if instance.max_per_team is not None:
        teams: dict[str, int] = {}
        for p in people:
            if p.team is not None:
                teams[p.team] = teams.get(p.team, 0) + 1
        for team, c in sorted(teams.items()):
            if c > instance.max_per_team:
                problems.append(f"team {team} has {c} members, max is {instance.max_per_team}")
    return problems


def population_shares(
    features: Sequence[Mapping[str, str]], attributes: Iterable[str] | None = None
) -> dict[str, dict[str, float]]:
    """Compute ``{attribute: {value: share}}`` from a list of feature dicts (whole staff)."""
    if not features:
        return {}
    attrs = list(attributes) if attributes is not None else sorted({a for f in features for a in f})
    out: dict[str, dict[str, float]] = {}
    for a in attrs:
        counts: dict[str, int] = {}
        for f in features:
            if a in f:
                counts[f[a]] = counts.get(f[a], 0) + 1
        total = sum(counts.values())
        out[a] = {v: c / total for v, c in sorted(counts.items())}
    return out


def proportional_quotas(
    population_shares: Mapping[str, Mapping[str, float]], k: int, slack: int = 0
) -> list[Quota]:
    """Quotas proportional to population shares.

    For every attribute value with share ``s`` the quota is
    ``[floor(s*k) - slack, ceil(s*k) + slack]`` clipped to ``[0, k]``.  Because the floors of one
    attribute sum to at most ``k`` and the ceilings to at least ``k``, each attribute on its own
    is always satisfiable.  ``s*k`` is rounded to 9 decimals first so that e.g. ``0.3 * 10`` is
    treated as exactly 3.
    """
    if slack < 0:
        raise InstanceError("slack must be non-negative")
    quotas: list[Quota] = []
    for attribute, shares in population_shares.items():
        for value, share in shares.items():
            exact = round(share * k, 9)
            lo = max(0, math.floor(exact) - slack)
            hi = min(k, math.ceil(exact) + slack)
            quotas.append(Quota(attribute, value, lo, hi))
    return quotas
