"""Fair replacement of a panel member who declines or withdraws.

Given the drawn panel and the person who leaves, every candidate (by default: every eligible
pool member not on the panel; or an explicit list of alternates) is tested: the candidate is
*valid* if the panel with the leaver swapped for the candidate still satisfies all quotas and
the team cap.

**Like for like first.** Among the valid candidates, those most alike the leaver are preferred:
the candidates who share the largest number of the leaver's attribute values (all of them, when
someone like that is left). The replacement is drawn uniformly among those with
:class:`secrets.SystemRandom` (or a supplied ``random.Random`` for reproducible tests). When the
chosen person differs from the leaver, :attr:`Replacement.differs` names the attributes and
:attr:`Replacement.reason` says why nobody alike could take the seat:

* ``"none_alike_left"`` — nobody among the alternates has the leaver's values;
* ``"alike_break_rules"`` — people like that are left, but each of them would break a quota or
  the team cap (typically their team is full).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from .instance import Instance, panel_violations

__all__ = ["Replacement", "find_replacement"]


@dataclass(frozen=True)
class Replacement:
    """Chosen replacement (``None`` if no valid candidate), all valid candidates, the most
    alike of them (the ones the choice was made among) and how the choice differs."""

    chosen: str | None
    candidates: tuple[str, ...]
    new_panel: tuple[str, ...] | None
    alike: tuple[str, ...] = ()
    differs: tuple[str, ...] = ()
    reason: str = ""


def find_replacement(
    instance: Instance,
    panel: Iterable[str],
    decliner: str,
    alternates: Iterable[str] | None = None,
    rng: random.Random | None = None,
) -> Replacement:
    """Pick a quota-preserving replacement for ``decliner``: uniformly at random among the
    valid candidates most alike the decliner (see the module docstring)."""
    members = list(panel)
    if decliner not in members:
        raise ValueError(f"{decliner} is not on the panel")
    rest = [m for m in members if m != decliner]
    by_id = {p.id: p for p in instance.eligible}
    if alternates is None:
        pool = [pid for pid in by_id if pid not in members]
    else:
        pool = [pid for pid in alternates if pid in by_id and pid not in members]
    valid = tuple(sorted(c for c in pool if not panel_violations(instance, [*rest, c])))
    if not valid:
        return Replacement(None, (), None)
    leaver = instance.person(decliner).features
    attributes = sorted(leaver)

    def matches(pid: str) -> int:
        features = by_id[pid].features
        return sum(1 for a in attributes if features.get(a) == leaver[a])

    best = max(matches(c) for c in valid)
    alike = tuple(c for c in valid if matches(c) == best)
    chooser = rng if rng is not None else secrets.SystemRandom()
    chosen = chooser.choice(alike)
    features = by_id[chosen].features
    differs = tuple(a for a in attributes if features.get(a) != leaver[a])
    reason = ""
    if differs:
        identical_left = any(matches(c) == len(attributes) for c in pool)
        reason = "alike_break_rules" if identical_left else "none_alike_left"
    return Replacement(
        chosen, valid, tuple(sorted([*rest, chosen])), alike=alike, differs=differs, reason=reason
    )
