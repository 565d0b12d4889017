"""Fair replacement of a panel member who declines.

Given the drawn panel and the person who declines, every candidate (by default: every
eligible pool member not on the panel; or an explicit list of alternates) is tested: the
candidate is *valid* if the panel with the decliner swapped for the candidate still satisfies
all quotas and the team cap.  The replacement is drawn uniformly among the valid candidates
with :class:`secrets.SystemRandom` (or a supplied ``random.Random`` for reproducible tests).
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
    """Chosen replacement (``None`` if no valid candidate) and all valid candidates."""

    chosen: str | None
    candidates: tuple[str, ...]
    new_panel: tuple[str, ...] | None


def find_replacement(
    instance: Instance,
    panel: Iterable[str],
    decliner: str,
    alternates: Iterable[str] | None = None,
    rng: random.Random | None = None,
) -> Replacement:
    """Pick a quota-preserving replacement for ``decliner`` uniformly at random."""
    members = list(panel)
    if decliner not in members:
        raise ValueError(f"{decliner} is not on the panel")
    rest = [m for m in members if m != decliner]
    pool_ids = [p.id for p in instance.eligible]
    eligible = set(pool_ids)
    if alternates is None:
        pool = [pid for pid in pool_ids if pid not in members]
    else:
        pool = [pid for pid in alternates if pid in eligible and pid not in members]
    valid = tuple(sorted(c for c in pool if not panel_violations(instance, [*rest, c])))
    if not valid:
        return Replacement(None, (), None)
    chooser = rng if rng is not None else secrets.SystemRandom()
    chosen = chooser.choice(valid)
    return Replacement(chosen, valid, tuple(sorted([*rest, chosen])))
