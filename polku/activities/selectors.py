"""Reads of the activities app."""

from dataclasses import dataclass

from polku.activities.models import ActivityResult
from polku.activities.registry import registry
from polku.paths.models import Path


@dataclass
class ResultGroup:
    slot_title: str
    day_title: str
    label: str
    results: list[ActivityResult]


def path_results(*, path: Path) -> list[ResultGroup]:
    """The path's carried-forward results, grouped by agenda slot, in agenda order."""
    rows = (
        ActivityResult.objects.filter(path=path)
        .select_related("slot__workshop_day", "unit")
        .order_by("slot__workshop_day__starts_at", "slot__position", "slot_id", "position")
    )
    groups: dict[int, ResultGroup] = {}
    for row in rows:
        group = groups.get(row.slot_id)
        if group is None:
            activity = registry.get(row.activity_type)
            group = groups[row.slot_id] = ResultGroup(
                slot_title=row.slot.title,
                day_title=row.slot.workshop_day.title,
                label=str(activity.label) if activity else row.activity_type,
                results=[],
            )
        group.results.append(row)
    return list(groups.values())


def path_topics(*, path: Path) -> list[ActivityResult]:
    """Prioritised topics and themes of the path (for experiments and reports)."""
    return list(
        ActivityResult.objects.filter(path=path, kind__in=["priority", "theme", "topic"]).order_by(
            "slot__workshop_day__starts_at", "slot__position", "position"
        )
    )
