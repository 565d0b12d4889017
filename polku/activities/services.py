"""Writes of the activities app: carrying a live activity's results forward to its path."""

from typing import Any

from django.db import transaction

from polku.activities.models import ActivityResult
from polku.activities.registry import ActivityType
from polku.workshops.models import AgendaSlot


def results_carry_forward(
    *, slot: AgendaSlot, activity: ActivityType, state: dict[str, Any], config: dict[str, Any]
) -> list[ActivityResult]:
    """Replace the slot's saved results with what the activity reports now."""
    path = slot.workshop_day.path
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
        for position, item in enumerate(activity.results(state, config))
    ]
    with transaction.atomic():
        ActivityResult.objects.filter(slot=slot).delete()
        ActivityResult.objects.bulk_create(rows)
        # Hook for activities whose results become domain objects (experiment canvases → experiments).
        hook = getattr(activity, "after_carry_forward", None)
        if hook is not None:
            hook(slot=slot, state=state, config=config)
    return rows
