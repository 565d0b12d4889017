"""The end of a workshop day for its live room: a ``day_closed`` step (polku.core.hooks).

Every activity still open or paused is closed (a ``sys:close`` event in the log, as if the
facilitator had pressed "Close") and its results are saved to the path, so the summary made by
the next step reflects what happened. Safe to run again: a closed activity is left alone, the
close events are idempotent (fixed client ids).
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from polku.accounts.models import User
from polku.activities.models import ActivityResult
from polku.live import selectors, services
from polku.live.engine import bridge as bridge_mod
from polku.live.engine.room import STILL_OPEN, Room
from polku.live.engine.rooms import room_reload
from polku.live.engine.slots import PLAIN, Slot
from polku.workshops.models import AgendaSlot, WorkshopDay

log = logging.getLogger("polku.live")


def _settle(code: str) -> None:
    """This process's room (if loaded) stores what it acknowledged and the results it is
    saving, and rebuilds itself: with the day closed, phones can no longer send."""
    async_to_sync(room_reload)(code)  # here, and (with Redis) on every other instance


def _fold(code: str) -> Room | None:
    """The room's state as its event log has it (built offline, touching no sockets)."""
    data = selectors.room_data(code=code)
    if data is None:
        return None
    room = Room(code)
    room._build(data)
    return room


def open_activities(*, day: WorkshopDay) -> list[Slot]:
    """The day's activities still open or paused, in agenda order."""
    _settle(day.join_code)
    room = _fold(day.join_code)
    return [s for s in room.slots.values() if s.status in STILL_OPEN] if room else []


def day_close_activities(*, day: WorkshopDay, user: User | None) -> str:
    """Close every activity still open or paused and save its results to the path; also save
    those of closed activities that have none saved (their saving failed or was cut short)."""
    _settle(day.join_code)
    room = _fold(day.join_code)
    slots = list(room.slots.values()) if room else []
    still_open = [s for s in slots if s.status in STILL_OPEN]
    saved = set(
        ActivityResult.objects.filter(slot__workshop_day=day).values_list("slot_id", flat=True)
    )
    unsaved = [s for s in slots if s.opened and s.status == "closed" and s.id not in saved]
    if not still_open and not unsaved:
        return _("No activity was left open.")
    actor = f"f{user.pk}" if user is not None else "f0"
    rows = [
        {"day_id": day.pk, "slot_id": s.id, "actor": actor, "client_id": f"day-close-{s.id}",
         "kind": "sys:close", "data": {}}
        for s in still_open
    ]  # fmt: skip
    failed = []
    with transaction.atomic():
        services.events_store(day_id=day.pk, rows=rows)
        agenda = AgendaSlot.objects.select_related("workshop_day__path").in_bulk(
            [s.id for s in still_open + unsaved]
        )
        for slot in sorted(still_open + unsaved, key=lambda s: (s.position, s.id)):
            if slot.activity is PLAIN:
                continue
            try:
                with transaction.atomic():
                    slot.activity.carry_forward(
                        slot=agenda[slot.id], state=slot.state, config=slot.config,
                        groups=room.group_copies(slot) if room else None,
                    )  # fmt: skip
            except Exception:
                log.exception("saving the results of slot %s at the end of the day failed", slot.id)
                failed.append(slot.title)

    def after_commit() -> None:
        _settle(day.join_code)
        if bridge_mod.bridge is not None:
            bridge_mod.bridge.publish_sync(day.pk, rows)

    transaction.on_commit(after_commit)
    if failed:
        raise RuntimeError(f"results of {failed} could not be saved")
    if not still_open:
        return _("No activity was left open.")
    names = ", ".join(s.title for s in still_open)
    return ngettext(
        "Closed %(n)s open activity and saved its results: %(names)s.",
        "Closed %(n)s open activities and saved their results: %(names)s.",
        len(still_open),
    ) % {"n": len(still_open), "names": names}
