"""The rooms of this process: loaded on first use, unloaded when empty for a while."""

from __future__ import annotations

import asyncio
import time

from asgiref.sync import async_to_sync, sync_to_async

from polku.live import selectors, services
from polku.live.engine import bridge as bridge_mod
from polku.live.engine.db import run_db
from polku.live.engine.room import Room
from polku.live.models import Participant
from polku.workshops.models import WorkshopDay

UNLOAD_AFTER = 120.0


# -- room registry ---------------------------------------------------------------------------
rooms: dict[str, Room] = {}
_locks: dict[str, asyncio.Lock] = {}
_reaper: asyncio.Task | None = None


async def room_get(code: str) -> Room | None:
    """The loaded room for this join code, or None for an unknown code."""
    global _reaper
    code = code.upper()
    room = rooms.get(code)
    if room is not None:
        return room
    lock = _locks.setdefault(code, asyncio.Lock())
    async with lock:
        room = rooms.get(code)
        if room is not None:
            return room
        room = Room(code)
        if not await room.load():
            return None
        await room.run()
        rooms[code] = room
        if bridge_mod.bridge is not None:
            await bridge_mod.bridge.join(room)
    if _reaper is None or _reaper.done():
        _reaper = asyncio.ensure_future(_reap())
    return room


async def room_reload(code: str) -> None:
    """Rebuild this process's room from the database (after the agenda, the day's status or
    the stored data changed), once everything it acknowledged is stored."""
    room = rooms.get(code.upper())
    if room is not None:
        await room.settle()
        await room.reload()
    if bridge_mod.bridge is not None:
        # every other instance with this room loaded rebuilds it too (e.g. the day was just
        # opened for participants: without this, phones reaching another instance were
        # refused as "not open" until that instance reloaded by itself)
        day_id = room.day_id if room is not None else await run_db(_day_id, code=code.upper())
        if day_id is not None:
            await bridge_mod.bridge.publish_reload(day_id)


async def room_forget(code: str, *, participant: Participant, anon_actors: list[str]) -> str:
    """ "Forget me": delete a participant and their inputs, and take them out of the live room
    without rebuilding it (``Room.forget``: only the agenda items they had inputs in). Their
    inputs still waiting in the room are stored first, so they are deleted too. Other
    instances (Redis) do the same; other worker processes on one SQLite file rebuild the room
    (they see the day's change stamp move). Returns what this process did: ``"targeted"``,
    ``"reload"`` (groups at work) or ``"not loaded"``."""
    room = rooms.get(code.upper())
    if room is not None:
        await room.settle()
    token_hash = participant.token_hash
    # in the caller's thread (the request's: its database connection, its transaction) —
    # sync_to_async, not database_sync_to_async: that closes the caller's connection around
    # the call, which inside the caller's transaction leaves it unusable (PostgreSQL)
    forgotten = await sync_to_async(services.participant_forget, thread_sensitive=True)(
        participant=participant, anon_actors=anon_actors
    )
    done = "not loaded"
    if room is not None:
        done = await room.forget(token_hash=token_hash, slot_ids=forgotten.slot_ids)
    if bridge_mod.bridge is not None:
        await bridge_mod.bridge.publish_forget(
            participant.workshop_day_id, token_hash, forgotten.slot_ids
        )
        if room is not None and bridge_mod.bridge.kind == "database":
            room.stamp = await run_db(selectors.room_stamp, day_id=room.day_id)  # not us
    return done


def _day_id(*, code: str) -> int | None:
    return WorkshopDay.objects.filter(join_code=code).values_list("pk", flat=True).first()


async def _reap() -> None:
    while rooms:
        await asyncio.sleep(10)
        now = time.monotonic()
        for code, room in list(rooms.items()):
            if room.empty_since and now - room.empty_since > UNLOAD_AFTER and not room.pending:
                await room.stop()
                rooms.pop(code, None)
                if bridge_mod.bridge is not None:
                    await bridge_mod.bridge.leave(room)


async def staff_recheck(*, organisation_id: int, user_id: int | None = None) -> int:
    """Re-check the staff sockets of this organisation's rooms in this process (all of its
    staff, or one user); returns how many sockets were closed."""
    closed = 0
    for room in list(rooms.values()):
        if room.organisation_id == organisation_id:
            closed += await room.staff_check({user_id} if user_id is not None else None)
    return closed


def staff_access_changed(*, organisation_id: int, user_id: int) -> None:
    """Receiver of the ``membership_changed`` hook (``polku.core.hooks``, registered in
    ``LiveConfig.ready``), called after the commit from a sync view or service: re-check this
    user's console and projector sockets in this process's rooms now. Other processes re-check
    within ``STAFF_RECHECK`` seconds."""
    if rooms:
        async_to_sync(staff_recheck)(organisation_id=organisation_id, user_id=user_id)


def rooms_reset() -> None:
    """Forget every room of this process (tests: each test has its own event loop)."""
    global _reaper
    rooms.clear()
    _locks.clear()
    _reaper = None
