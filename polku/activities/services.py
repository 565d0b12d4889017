"""Writes of the activities app: carrying a live activity's results forward to its path."""

from typing import Any

from django.db import transaction

from polku.activities.models import ActivityResult
from polku.activities.registry import ActivityType, GroupCopy, ResultItem
from polku.workshops.models import AgendaSlot


def results_carry_forward(
    *,
    slot: AgendaSlot,
    activity: ActivityType,
    state: dict[str, Any],
    config: dict[str, Any],
    groups: list[GroupCopy] | None = None,
) -> list[ActivityResult]:
    """Replace the slot's saved results with what the activity reports now. An activity run
    in groups reports every group's results, each labelled with its group."""
    path = slot.workshop_day.path
    copies = groups or []
    if groups is None:
        items = activity.results(state, config)
    else:
        items = [
            ResultItem(
                kind=item.kind,
                text=item.text,
                score=item.score,
                unit=item.unit,
                data={**item.data, "group": copy.id, "group_name": copy.name},
            )
            for copy in copies
            for item in activity.results(copy.state, copy.config)
        ]
    unit_ids = set(path.units.values_list("pk", flat=True))
    rows = [
        ActivityResult(
            path=path,
            slot=slot,
            activity_type=activity.key,
            kind=item.kind[:20],
            text=item.text[:300],
            score=item.score,
            unit_id=item.unit if item.unit in unit_ids else None,
            data=item.data,
            position=position,
        )
        for position, item in enumerate(items)
    ]
    with transaction.atomic():
        ActivityResult.objects.filter(slot=slot).delete()
        ActivityResult.objects.bulk_create(rows)
        # Hook for activities whose results become domain objects (experiment canvases → experiments).
        hook = getattr(activity, "after_carry_forward", None)
        if hook is not None and groups is None:
            hook(slot=slot, state=state, config=config)
        elif hook is not None:
            for copy in copies:  # once per group: the hook must be idempotent per group
                hook(slot=slot, state=copy.state, config=copy.config)
    return rows
