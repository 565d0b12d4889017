"""Participation in workshop days and topic counts, read from the live room and activities.

- joined: participants (phones) that joined the day;
- active: of them, those who sent at least one input under their own pseudonym (inputs to
  anonymous activities cannot be linked to anybody, by design, so they do not count here);
- returning: participants recognised (opted-in return key) from an earlier day of the path;
- per unit: participants per unit they chose when joining, over all days.

Both functions return None while the owning app has no models yet.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count

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

    @property
    def total_returning(self) -> int:
        return sum(d.returning for d in self.days)


def participation(*, path: Path, days: list[WorkshopDay]) -> Participation | None:
    """Three queries, whatever the number of days and participants."""
    if not source_ready("live", "Participant"):
        return None
    from polku.live.models import LiveEvent, Participant

    rows = list(
        Participant.objects.filter(workshop_day__path=path).values_list(
            "id", "workshop_day_id", "return_key", "unit__name"
        )
    )
    active_ids = set(
        LiveEvent.objects.filter(workshop_day__path=path, participant__isnull=False)
        .order_by()
        .values_list("participant_id", flat=True)
        .distinct()
    )
    order = {d.pk: i for i, d in enumerate(days)}
    first_seen: dict[str, int] = {}
    for _pid, day_id, key, _unit in sorted(rows, key=lambda r: order.get(r[1], 0)):
        if key and key not in first_seen:
            first_seen[key] = order.get(day_id, 0)
    joined: Counter[int] = Counter()
    active: Counter[int] = Counter()
    returning: Counter[int] = Counter()
    units: Counter[str] = Counter()
    for pid, day_id, key, unit in rows:
        joined[day_id] += 1
        if pid in active_ids:
            active[day_id] += 1
        if key and first_seen[key] < order.get(day_id, 0):
            returning[day_id] += 1
        units[unit or ""] += 1
    return Participation(
        # planned days have nobody yet: leave them out rather than show zeros
        days=[
            DayParticipation(d, joined[d.pk], active[d.pk], returning[d.pk])
            for d in days
            if d.status != WorkshopDay.Status.PLANNED or joined[d.pk]
        ],
        per_unit=sorted(units.items(), key=lambda item: (-item[1], item[0])),
    )


TOPIC_KINDS = ("topic",)
PRIORITY_KINDS = ("priority",)


def topic_counts(*, path: Path) -> tuple[int, int] | None:
    """(topics raised, topics prioritised) over the path's workshop days: one query."""
    if not source_ready("activities", "ActivityResult"):
        return None
    from polku.activities.models import ActivityResult

    counts = dict(
        ActivityResult.objects.filter(path=path, kind__in=TOPIC_KINDS + PRIORITY_KINDS)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return (
        sum(counts.get(k, 0) for k in TOPIC_KINDS),
        sum(counts.get(k, 0) for k in PRIORITY_KINDS),
    )
