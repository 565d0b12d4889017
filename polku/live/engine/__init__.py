"""The live-room engine: one in-process Room per live workshop day.

Modules: ``connection`` (a client socket, rate buckets, participants), ``slots`` (an agenda
item's live state), ``room`` (state, incoming frames, the batch writer), ``snapshots`` (views,
per-audience snapshots and the fan-out tick), ``rooms`` (the per-process registry and reaper),
``bridge`` (scale-out through Redis) and ``db`` (the one database thread of the rooms).


* State lives in memory and is a fold of the day's ``LiveEvent`` log through the activity
  reducers (``polku.activities.registry``); a room rebuilds itself from the database when the
  first client connects (also after a restart).
* Inputs are validated and applied at once, written in small batches (one transaction every
  ``FLUSH_INTERVAL``) and acknowledged only after the commit. ``(actor, client id)`` makes a
  resend idempotent.
* Fan-out is in-process: one compact snapshot per audience per tick, encoded once with orjson
  and written to every socket of that audience (presenter/console ~10 Hz, phones ~2 Hz, only
  when the bytes changed). No channel-layer ``group_send``.
* With ``REDIS_URL`` set, rooms of several instances exchange committed events through one
  Redis pub/sub subscription per room per process; each instance fans out to its own sockets.
"""

from polku.live.engine.connection import (
    MAX_FRAME,
    Conn,
    ParticipantInfo,
    TokenBucket,
    dumps,
    short_id,
)
from polku.live.engine.room import PROTOCOL_VERSION, Room
from polku.live.engine.rooms import (
    room_forget,
    room_get,
    room_reload,
    rooms,
    rooms_reset,
    staff_recheck,
)
from polku.live.engine.slots import PLAIN, Slot

__all__ = [
    "MAX_FRAME",
    "PLAIN",
    "PROTOCOL_VERSION",
    "Conn",
    "ParticipantInfo",
    "Room",
    "Slot",
    "TokenBucket",
    "dumps",
    "room_forget",
    "room_get",
    "room_reload",
    "rooms",
    "rooms_reset",
    "short_id",
    "staff_recheck",
]
