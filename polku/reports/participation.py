"""Participation in workshop days and topic counts, read from the live room and activities.

Both return None while the owning app has no models yet ("not available yet" on the pages).
"""

from dataclasses import dataclass, field

from polku.paths.models import Path
from polku.reports.selectors import source_ready
from polku.workshops.models import WorkshopDay


@dataclass
class DayParticipation:
    day: WorkshopDay
    joined: int
    active: int
    returning: int


@dataclass
class Participation:
    days: list[DayParticipation]
    per_unit: list[tuple[str, int]] = field(default_factory=list)  # (unit name, joined)

    @property
    def total_joined(self) -> int:
        return sum(d.joined for d in self.days)


def participation(*, path: Path, days: list[WorkshopDay]) -> Participation | None:
    if not source_ready("live", "Participant"):
        return None
    return None


def topic_counts(*, path: Path) -> tuple[int, int] | None:
    """(topics raised, topics prioritised) over the path's workshop days."""
    if not source_ready("activities", "Topic"):
        return None
    return None
