"""The rooms of this process: loaded on first use, unloaded when empty for a while."""

from __future__ import annotations

import asyncio
import time

from polku.live.engine import bridge as bridge_mod
from polku.live.engine.room import Room

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


def rooms_reset() -> None:
    """Forget every room of this process (tests: each test has its own event loop)."""
    global _reaper
    rooms.clear()
    _locks.clear()
    _reaper = None
