"""The live-room engine: one in-process Room per live workshop day.

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

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
from channels.db import database_sync_to_async
from django import db
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from polku.activities.registry import ActivityType, Event, Rejected, registry
from polku.live import identity, selectors, services

log = logging.getLogger("polku.live")

PROTOCOL_VERSION = 1
FLUSH_INTERVAL = 0.12
TICK = 0.1
PHONE_INTERVAL = 0.5  # 2 Hz …
PHONE_INTERVAL_LARGE = 1.0  # … 1 Hz when more than LARGE_ROOM phones are connected
LARGE_ROOM = 1000
CONSOLE_INTERVAL = 0.5
MAX_FRAME = 8192
UNLOAD_AFTER = 120.0
INSTANCE_ID = uuid.uuid4().hex[:12]
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
CONTROL_ACTIONS = frozenset(
    {"open", "pause", "close", "reveal", "conceal", "timer", "show", "carry"}
)


STATUS_LABELS = {
    "pending": _("not started"),
    "open": _("open"),
    "paused": _("paused"),
    "closed": _("closed"),
}


_db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="polku-live-db")


def _db_call(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """Run in the one live-room database thread. Its connection stays open between batches
    (no reconnect per batch); a broken connection is closed and the call retried once."""
    try:
        return fn(**kwargs)
    except (db.InterfaceError, db.OperationalError):
        db.connection.close()
        return fn(**kwargs)


async def run_db(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Database work of the rooms: one writer thread for all rooms of the process (SQLite has
    one writer anyway), off the event loop and off Django's per-request threads."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_db_executor, _db_call, fn, kwargs)


def dumps(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def short_id(actor: str, client_id: str) -> str:
    return hashlib.sha1(f"{actor}:{client_id}".encode(), usedforsecurity=False).hexdigest()[:10]


class TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(eq=False)
class ParticipantInfo:
    """A participant as the room knows it; ``id`` is None until the next flush stores it."""

    id: int | None
    token: str
    name: str = ""
    unit: int | None = None
    token_hash: str = ""

    def __post_init__(self) -> None:
        if not self.token_hash and self.token:
            self.token_hash = identity.token_hash(self.token)


class Conn:
    """One connected client (websocket or SSE). Subclasses implement ``send_text``."""

    def __init__(self, *, audience: str, lang: str, ip: str) -> None:
        self.audience = audience  # "phone", "screen" or "console"
        self.lang = lang if lang in ("fi", "sv", "en") else "fi"
        self.ip = ip
        self.participant: ParticipantInfo | None = None
        self.user_id: int | None = None
        self.selected: int | None = None  # console: the slot being moderated
        self.bucket = TokenBucket(8, 20) if audience == "phone" else TokenBucket(50, 100)
        self.view_key: tuple | None = None
        self._busy = False
        self._next: str | None = None
        self._pump_task: asyncio.Task | None = None

    async def send_text(self, text: str) -> None:
        raise NotImplementedError

    def push(self, text: str) -> None:
        """Fan-out without waiting for this client: the write starts at once (eager task); if
        the client is still busy with the previous one, only the newest snapshot is kept."""
        if self._busy:
            self._next = text
            return
        self._busy = True
        self._pump_task = asyncio.eager_task_factory(asyncio.get_running_loop(), self._pump(text))

    async def _pump(self, text: str | None) -> None:
        try:
            while text is not None:
                try:
                    await self.send_text(text)
                except Exception:
                    return
                text, self._next = self._next, None
        finally:
            self._busy = False

    async def close(self, code: int = 1000) -> None:
        """Close the transport (websocket) or end the stream (SSE)."""

    async def send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await self.send_text(dumps(message))

    async def error(self, code: str, message: Any, client_id: Any = None) -> None:
        with translation.override(self.lang):
            text = str(message)
        await self.send({"t": "error", "id": client_id, "code": code, "message": text})


class _Plain(ActivityType):
    """Stand-in for an agenda item whose activity type is not installed: shows the prompt."""

    key = "plain"

    @property
    def participant_template(self) -> str:
        return "live/activity_plain.html"

    presenter_template = participant_template
    console_template = participant_template


PLAIN = _Plain()


@dataclass
class Slot:
    id: int
    position: int
    title: str
    key: str
    activity: ActivityType
    config: dict[str, Any]
    state: dict[str, Any]
    status: str = "pending"  # pending, open, paused, closed
    revealed: bool = False
    timer_end: float | None = None
    opened: bool = False

    def info(self) -> dict[str, Any]:
        return {
            "slot": self.id,
            "key": self.activity.key,
            "title": self.title,
            "prompt": self.config.get("prompt", ""),
            "status": self.status,
            "revealed": self.revealed,
            "timer_end": self.timer_end,
        }


@dataclass
class Pending:
    row: dict[str, Any]
    key: tuple[str, str]
    seq: int
    slot_id: int | None
    conns: list[Conn] = field(default_factory=list)


class Room:
    def __init__(self, code: str) -> None:
        self.code = code
        self.loaded = False
        self.conns: dict[str, set[Conn]] = {"phone": set(), "screen": set(), "console": set()}
        self.pending: list[Pending] = []
        self.pending_keys: dict[tuple[str, str], Pending] = {}
        self.ip_buckets: dict[str, TokenBucket] = {}
        self.ip_conns: dict[str, int] = {}
        self.tasks: list[asyncio.Task] = []
        self.empty_since: float | None = None
        self._views: dict[tuple, str] = {}
        self._flush_lock = asyncio.Lock()
        self._phone_bytes = b""
        self._phone_sent = 0.0
        self._screen_rev: Any = -1
        self._phone_rev = -1
        self._console_sent = 0.0
        self._console_rev: Any = -1
        self.view_version = 0  # bumps when any client's view may have changed
        self._phone_cache: tuple[Any, Any, str] = (None, None, "")
        self._phone_last_text = ""
        self._phone_last_view = -1
        self._views_sent = -1
        self._reset()

    def _reset(self) -> None:
        self.slots: dict[int, Slot] = {}
        self.current: int | None = None
        self.seen: set[tuple[str, str]] = set()
        self.rev = 0
        self.seq = 0
        self.presence_rev = 0
        self.participants: dict[str, ParticipantInfo] = {}
        self.new_participants: dict[str, ParticipantInfo] = {}
        self.profile_updates: dict[str, ParticipantInfo] = {}

    # -- loading ---------------------------------------------------------------------------
    async def load(self) -> bool:
        data = await run_db(selectors.room_data, code=self.code)
        if data is None:
            return False
        self._build(data)
        self.loaded = True
        return True

    def _build(self, data: selectors.RoomData) -> None:
        self._reset()
        self.day_id, self.title, self.status = data.day_id, data.title, data.status
        self.path_id, self.units = data.path_id, data.units
        self.unit_names = {u["id"]: u["name"] for u in data.units}
        for s in sorted(data.slots, key=lambda s: (s.position, s.id)):
            activity = registry.get(s.activity_type) or PLAIN
            config = activity.get_config(s.config)
            config.setdefault("prompt", "")
            self.slots[s.id] = Slot(
                s.id, s.position, s.title, s.activity_type, activity, config,
                activity.initial_state(config),
            )  # fmt: skip
        for ev in data.events:
            self._replay(ev)
        for p in data.participants:
            self.participants[p["token_hash"]] = ParticipantInfo(
                id=p["id"], token="", name=p["nickname"], unit=p["unit_id"],
                token_hash=p["token_hash"],
            )  # fmt: skip
        self._views.clear()

    def participant_for(self, token: str, name: str, unit: int | None) -> ParticipantInfo:
        """The room's participant for a (valid) token; new ones are stored by the next flush.

        Joining touches no database: thousands of phones can join within seconds.
        """
        token_hash = identity.token_hash(token)
        info = self.participants.get(token_hash)
        if info is None:
            info = ParticipantInfo(
                id=None, token=token, name=name, unit=unit, token_hash=token_hash
            )
            self.participants[token_hash] = info
            self.new_participants[token_hash] = info
        else:
            info.token = token
            if (name and name != info.name) or (unit is not None and unit != info.unit):
                info.name = name or info.name
                info.unit = unit if unit is not None else info.unit
                self.profile_updates[token_hash] = info
        return info

    def _replay(self, ev: dict[str, Any]) -> None:
        key = (ev["actor"], ev["client_id"])
        if key in self.seen:
            return
        self.seen.add(key)
        try:
            self._apply(
                slot_id=ev["slot_id"], kind=ev["kind"], actor=ev["actor"],
                client_id=ev["client_id"], data=ev["data"], name=ev.get("name", ""),
                unit=ev.get("unit_id_tag"),
            )  # fmt: skip
        except Rejected:
            log.info("replay skipped a rejected %s event", ev["kind"])
        self.seq += 1

    # -- applying events -------------------------------------------------------------------
    def _apply(
        self,
        *,
        slot_id: int | None,
        kind: str,
        actor: str,
        client_id: str,
        data: dict[str, Any],
        name: str = "",
        unit: int | None = None,
    ) -> None:
        slot = self.slots.get(slot_id) if slot_id is not None else None
        if slot is None:
            raise Rejected(_("No such activity."), "invalid")
        if kind.startswith("sys:"):
            self._control(slot, kind[4:], data)
        elif kind.startswith("mod:"):
            slot.activity.moderate(slot.state, kind[4:], data, slot.config)
        else:
            event = Event(
                kind=kind, data=data, actor=actor, id=short_id(actor, client_id), name=name,
                unit=unit, facilitator=actor.startswith("f"),
            )  # fmt: skip
            slot.activity.reduce(slot.state, event, slot.config)
        self.rev += 1

    def _control(self, slot: Slot, action: str, data: dict[str, Any]) -> None:
        if action == "open":
            if not slot.opened:
                items = data.get("items")
                slot.activity.on_open(
                    slot.state, slot.config, items if isinstance(items, list) else []
                )
                slot.opened = True
            slot.status = "open"
            self.current = slot.id
            self.view_version += 1
        elif action == "pause":
            slot.status = "paused"
        elif action == "close":
            slot.status = "closed"
        elif action in ("reveal", "conceal"):
            slot.revealed = action == "reveal"
        elif action == "timer":
            end = data.get("end")
            slot.timer_end = float(end) if isinstance(end, int | float) else None
        elif action == "show":
            self.current = slot.id
            self.view_version += 1
        elif action == "carry":
            pass
        else:
            raise Rejected(_("Unknown action."), "invalid")

    def source_items(self, slot: Slot) -> list[dict[str, Any]]:
        """Items of the nearest earlier activity of the day that offers some."""
        earlier = [s for s in self.slots.values() if s.position < slot.position or (
            s.position == slot.position and s.id < slot.id)]  # fmt: skip
        for other in sorted(earlier, key=lambda s: (s.position, s.id), reverse=True):
            if other.activity.provides_items:
                items = other.activity.items(other.state, other.config)
                if items:
                    return items
        return []

    def actor(self, conn: Conn, slot: Slot) -> str:
        if conn.audience == "console":
            return f"f{conn.user_id}"
        assert conn.participant is not None
        return identity.actor_for(
            slot_id=slot.id,
            anonymous=bool(slot.config.get("anonymous", True)),
            participant_key=conn.participant.token_hash,
            token=conn.participant.token,
        )

    # -- incoming messages -----------------------------------------------------------------
    async def handle(self, conn: Conn, raw: str) -> None:
        if len(raw) > MAX_FRAME:
            await conn.error("too_large", _("The message is too large."))
            return
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            await conn.error("invalid", _("The message could not be read."))
            return
        if not isinstance(msg, dict):
            await conn.error("invalid", _("The message could not be read."))
            return
        client_id = msg.get("id") if isinstance(msg.get("id"), str) else None
        if not conn.bucket.take() or not self._ip_bucket(conn).take():
            await conn.error("rate", _("Too many messages. Wait a moment."), client_id)
            return
        t = msg.get("t")
        if t == "ping":
            await conn.send({"t": "pong"})
        elif t == "input":
            await self._input(conn, msg, client_id)
        elif t == "profile" and conn.audience == "phone":
            await self._profile(conn, msg, client_id)
        elif t in ("control", "moderate") and conn.audience == "console":
            await self._staff(conn, msg, client_id)
        elif t == "select" and conn.audience == "console":
            slot_id = msg.get("slot")
            conn.selected = slot_id if slot_id in self.slots else None
            self._console_rev = -1
            self.view_version += 1
        else:
            await conn.error("invalid", _("Unknown message."), client_id)

    def _ip_bucket(self, conn: Conn) -> TokenBucket:
        """Per-address flood limit. A whole hall can sit behind one NAT address, so the rate
        grows with the number of phones connected from that address."""
        bucket = self.ip_buckets.get(conn.ip)
        if bucket is None:
            if len(self.ip_buckets) > 50_000:
                self.ip_buckets.clear()
            bucket = self.ip_buckets[conn.ip] = TokenBucket(40, 80)
        bucket.rate = 20 + 4 * self.ip_conns.get(conn.ip, 1)
        bucket.burst = 2 * bucket.rate
        return bucket

    async def _input(self, conn: Conn, msg: dict[str, Any], client_id: str | None) -> None:
        if client_id is None or not CLIENT_ID.match(client_id):
            await conn.error("invalid", _("The message has no valid id."), client_id)
            return
        slot_id, kind, data = msg.get("slot"), msg.get("kind"), msg.get("data")
        slot = self.slots.get(slot_id) if isinstance(slot_id, int) else None
        if slot is None or not isinstance(kind, str) or not isinstance(data, dict):
            await conn.error("invalid", _("The message could not be read."), client_id)
            return
        if kind not in slot.activity.input_kinds:
            await conn.error("invalid", _("This activity does not take that input."), client_id)
            return
        actor = self.actor(conn, slot)
        key = (actor, client_id)
        if key in self.seen:
            pending = self.pending_keys.get(key)
            if pending is not None:
                pending.conns.append(conn)
            else:
                await conn.send({"t": "ack", "id": client_id, "dup": True})
            return
        if slot.status != "open":
            message = (
                _("This activity is paused.")
                if slot.status == "paused"
                else _("This activity is not open.")
            )
            await conn.error("closed", message, client_id)
            return
        named = conn.participant is not None and not slot.config.get("anonymous", True)
        name = conn.participant.name if named and conn.participant else ""
        unit = conn.participant.unit if named and conn.participant else None
        try:
            self._apply(
                slot_id=slot.id, kind=kind, actor=actor, client_id=client_id, data=data,
                name=name, unit=unit,
            )  # fmt: skip
        except Rejected as rejected:
            await conn.error(rejected.code, rejected.message, client_id)
            return
        self._enqueue(
            {
                "day_id": self.day_id, "slot_id": slot.id, "actor": actor, "client_id": client_id,
                "kind": kind, "data": data, "name": name, "unit_id_tag": unit,
                "participant": conn.participant.token_hash if named and conn.participant else None,
            },
            key, slot.id, conn,
        )  # fmt: skip

    async def _staff(self, conn: Conn, msg: dict[str, Any], client_id: str | None) -> None:
        if client_id is None or not CLIENT_ID.match(client_id):
            await conn.error("invalid", _("The message has no valid id."), client_id)
            return
        slot_id, action = msg.get("slot"), msg.get("action")
        raw = msg.get("data")
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        slot = self.slots.get(slot_id) if isinstance(slot_id, int) else None
        if slot is None or not isinstance(action, str):
            await conn.error("invalid", _("The message could not be read."), client_id)
            return
        if msg["t"] == "control":
            if action not in CONTROL_ACTIONS:
                await conn.error("invalid", _("Unknown action."), client_id)
                return
            data = {k: v for k, v in data.items() if k == "seconds"}
            if action == "open" and not slot.opened and slot.activity.needs_items:
                data["items"] = self.source_items(slot)
            if action == "timer":
                seconds = data.pop("seconds", None)
                ok = isinstance(seconds, int) and 0 <= seconds <= 7200
                data["end"] = round(time.time() + seconds, 1) if ok and seconds else None
            kind = f"sys:{action}"
        else:
            if action not in slot.activity.moderation_actions:
                await conn.error("invalid", _("Unknown action."), client_id)
                return
            kind = f"mod:{action}"
        actor = self.actor(conn, slot)
        key = (actor, client_id)
        if key in self.seen:
            await conn.send({"t": "ack", "id": client_id, "dup": True})
            return
        try:
            self._apply(slot_id=slot.id, kind=kind, actor=actor, client_id=client_id, data=data)
        except Rejected as rejected:
            await conn.error(rejected.code, rejected.message, client_id)
            return
        row = {
            "day_id": self.day_id, "slot_id": slot.id, "actor": actor, "client_id": client_id,
            "kind": kind, "data": data,
        }  # fmt: skip
        self._enqueue(row, key, slot.id, conn)
        if action in ("close", "carry") and msg["t"] == "control":
            self.tasks.append(asyncio.ensure_future(self.carry_forward(slot)))

    async def _profile(self, conn: Conn, msg: dict[str, Any], client_id: str | None) -> None:
        assert conn.participant is not None
        name = msg.get("name", "")
        unit = msg.get("unit")
        try:
            from polku.activities.registry import clean_text

            name = clean_text(name, max_length=40, required=False)
        except Rejected as rejected:
            await conn.error(rejected.code, rejected.message, client_id)
            return
        if unit is not None and unit not in self.unit_names:
            await conn.error("invalid", _("Unknown unit."), client_id)
            return
        conn.participant.name, conn.participant.unit = name, unit
        self.profile_updates[conn.participant.token_hash] = conn.participant
        self.presence_rev += 1
        await conn.send({"t": "ack", "id": client_id})
        await conn.send({"t": "welcome", **self._welcome(conn)})

    def _enqueue(self, row: dict[str, Any], key: tuple[str, str], slot_id: int, conn: Conn) -> None:
        self.seq += 1
        self.seen.add(key)
        pending = Pending(row=row, key=key, seq=self.seq, slot_id=slot_id, conns=[conn])
        self.pending.append(pending)
        self.pending_keys[key] = pending

    async def apply_remote(self, rows: list[dict[str, Any]]) -> None:
        """Events committed by another instance (Redis): apply those not seen yet."""
        for row in rows:
            key = (row["actor"], row["client_id"])
            if key in self.seen:
                continue
            self.seen.add(key)
            self.seq += 1
            try:
                self._apply(
                    slot_id=row["slot_id"], kind=row["kind"], actor=row["actor"],
                    client_id=row["client_id"], data=row["data"], name=row.get("name", ""),
                    unit=row.get("unit_id_tag"),
                )  # fmt: skip
            except Rejected:
                log.info("remote %s event rejected here", row["kind"])

    # -- writing ---------------------------------------------------------------------------
    async def flush(self) -> None:
        async with self._flush_lock:
            if not (self.pending or self.new_participants or self.profile_updates):
                return
            batch, self.pending = self.pending, []
            new, self.new_participants = self.new_participants, {}
            profiles, self.profile_updates = self.profile_updates, {}
            rows = [p.row for p in batch]
            people = [{"token_hash": th, "name": i.name, "unit": i.unit} for th, i in new.items()]
            changed = [
                {"token_hash": th, "name": i.name, "unit": i.unit} for th, i in profiles.items()
            ]
            try:
                ids = await run_db(
                    services.events_store,
                    day_id=self.day_id, rows=rows, new_participants=people, profiles=changed,
                )  # fmt: skip
            except Exception:
                self.new_participants.update(new)
                self.profile_updates.update(profiles)
                log.exception("storing %s live events failed; rebuilding the room", len(rows))
                for p in batch:
                    self.pending_keys.pop(p.key, None)
                    for conn in p.conns:
                        await conn.error("retry", _("Not saved yet. Sending again…"), p.key[1])
                await self.reload()
                return
            for token_hash, pk in ids.items():
                info = self.participants.get(token_hash)
                if info is not None:
                    info.id = pk
            touched: dict[Conn, set[int]] = {}
            for p in batch:
                self.pending_keys.pop(p.key, None)
                for conn in p.conns:
                    await conn.send({"t": "ack", "id": p.key[1], "seq": p.seq})
                    if p.slot_id is not None:
                        touched.setdefault(conn, set()).add(p.slot_id)
            for conn, slot_ids in touched.items():
                if conn.audience == "phone":
                    for slot_id in slot_ids:
                        await self.send_me(conn, slot_id)
            if bridge is not None:
                await bridge.publish(self.day_id, rows)

    async def reload(self) -> None:
        connected = [c.participant for c in self.conns["phone"] if c.participant is not None]
        await self.load()
        for info in connected:  # phones that joined but were not stored yet
            if info.token_hash not in self.participants:
                self.participants[info.token_hash] = info
                self.new_participants[info.token_hash] = info
        self._phone_rev = self._screen_rev = self._console_rev = -1
        self._phone_last_text = ""
        self.view_version += 1
        for conn in self.all_conns():
            conn.view_key = None

    async def carry_forward(self, slot: Slot) -> None:
        from polku.workshops.models import AgendaSlot

        if slot.activity is PLAIN:
            return
        state = copy.deepcopy(slot.state)

        def save() -> None:
            agenda_slot = AgendaSlot.objects.select_related("workshop_day__path").get(pk=slot.id)
            slot.activity.carry_forward(slot=agenda_slot, state=state, config=slot.config)

        try:
            await database_sync_to_async(save)()
        except Exception:
            log.exception("carrying results of slot %s forward failed", slot.id)

    # -- connections -----------------------------------------------------------------------
    def all_conns(self) -> list[Conn]:
        return [c for group in self.conns.values() for c in group]

    async def add(self, conn: Conn) -> None:
        self.conns[conn.audience].add(conn)
        self.ip_conns[conn.ip] = self.ip_conns.get(conn.ip, 0) + 1
        self.empty_since = None
        self.presence_rev += 1
        await conn.send({"t": "welcome", **self._welcome(conn)})
        await self.send_view(conn)
        if conn.audience == "phone":
            # a joining phone gets the snapshot the room last broadcast (≤ 1 s old; a newer
            # one follows at the next tick if anything changed) instead of a fresh build
            text = self._phone_last_text if self._phone_last_view == self.view_version else ""
            with contextlib.suppress(Exception):
                await conn.send_text(text or self.phone_snapshot_cached()[1])
        else:
            await conn.send(self.snapshot_for(conn))
        if conn.audience == "phone" and self.current is not None:
            await self.send_me(conn, self.current)

    def remove(self, conn: Conn) -> None:
        if conn in self.conns[conn.audience]:
            self.ip_conns[conn.ip] = self.ip_conns.get(conn.ip, 1) - 1
            if self.ip_conns[conn.ip] <= 0:
                del self.ip_conns[conn.ip]
        self.conns[conn.audience].discard(conn)
        self.presence_rev += 1
        if not any(self.conns.values()):
            self.empty_since = time.monotonic()

    def _welcome(self, conn: Conn) -> dict[str, Any]:
        me = {}
        if conn.participant is not None:
            me = {"name": conn.participant.name, "unit": conn.participant.unit}
        return {"v": PROTOCOL_VERSION, "role": conn.audience, "code": self.code, "me": me}

    async def send_me(self, conn: Conn, slot_id: int) -> None:
        slot = self.slots.get(slot_id)
        if slot is None or conn.participant is None:
            return
        data = slot.activity.personal(slot.state, self.actor(conn, slot), slot.config)
        await conn.send({"t": "me", "slot": slot_id, "data": data})

    # -- views and snapshots ---------------------------------------------------------------
    def _view_slot(self, conn: Conn) -> Slot | None:
        slot_id = conn.selected if conn.audience == "console" and conn.selected else self.current
        return self.slots.get(slot_id) if slot_id is not None else None

    def view_html(self, slot: Slot | None, audience: str, lang: str) -> str:
        key = (slot.id if slot else None, audience, lang)
        html = self._views.get(key)
        if html is None:
            if slot is None:
                template = "live/activity_waiting.html"
            else:
                template = {
                    "phone": slot.activity.participant_template,
                    "screen": slot.activity.presenter_template,
                    "console": slot.activity.console_template,
                }[audience]
            context = {"slot": slot, "config": slot.config if slot else {}, "units": self.units}
            with translation.override(lang):
                html = render_to_string(template, context)
            self._views[key] = html
        return html

    async def send_view(self, conn: Conn) -> None:
        slot = self._view_slot(conn)
        view_key = (slot.id if slot else None, slot.activity.key if slot else None)
        if conn.view_key == view_key:
            return
        conn.view_key = view_key
        html = self.view_html(slot, conn.audience, conn.lang)
        await conn.send({"t": "view", "slot": view_key[0], "key": view_key[1], "html": html})

    def _base_snapshot(self) -> dict[str, Any]:
        return {"t": "snapshot", "v": PROTOCOL_VERSION, "rev": self.rev, "seq": self.seq}

    def phone_snapshot_cached(self) -> tuple[dict[str, Any], str]:
        """The phone snapshot and its JSON, built at most once per room revision (joins in a
        big room would otherwise rebuild it for every phone)."""
        key = (self.rev, self.current)
        if self._phone_cache[0] != key:
            snap = self.phone_snapshot()
            self._phone_cache = (key, snap, dumps(snap))
        return self._phone_cache[1], self._phone_cache[2]

    def phone_snapshot(self) -> dict[str, Any]:
        slot = self.slots.get(self.current) if self.current else None
        snap = self._base_snapshot()
        snap["day"] = {"title": self.title, "code": self.code, "units": self.units}
        snap["activity"] = slot.info() if slot else None
        snap["data"] = (
            slot.activity.public_snapshot(slot.state, slot.config, slot.revealed) if slot else {}
        )
        return snap

    def screen_snapshot(self) -> dict[str, Any]:
        slot = self.slots.get(self.current) if self.current else None
        snap = self._base_snapshot()
        snap["day"] = {"title": self.title, "code": self.code}
        snap["connected"] = len(self.conns["phone"])
        snap["activity"] = slot.info() if slot else None
        snap["data"] = (
            slot.activity.presenter_snapshot(slot.state, slot.config, slot.revealed) if slot else {}
        )
        return snap

    def presence(self) -> dict[str, Any]:
        per_unit: dict[int | None, int] = {}
        for conn in self.conns["phone"]:
            unit = conn.participant.unit if conn.participant else None
            per_unit[unit] = per_unit.get(unit, 0) + 1
        units = [
            {"name": self.unit_names.get(u, "") if u else "", "n": n}
            for u, n in sorted(per_unit.items(), key=lambda kv: -kv[1])
        ]
        return {"total": len(self.conns["phone"]), "units": units}

    def console_snapshot(self, conn: Conn, presence: dict[str, Any]) -> dict[str, Any]:
        slot = self._view_slot(conn)
        snap = self._base_snapshot()
        snap["day"] = {"title": self.title, "code": self.code}
        snap["connected"] = presence
        snap["current"] = self.current
        with translation.override(conn.lang):
            labels = {k: str(v) for k, v in STATUS_LABELS.items()}
            snap["agenda"] = [
                {**s.info(), "id": s.id, "status_label": labels[s.status],
                 "label": str(s.activity.label) if s.activity is not PLAIN else "",
                 "selected": slot is not None and s.id == slot.id, "on_screen": s.id == self.current}
                for s in self.slots.values()
            ]  # fmt: skip
        snap["activity"] = {**slot.info(), "status_label": labels[slot.status]} if slot else None
        snap["data"] = slot.activity.console_snapshot(slot.state, slot.config) if slot else {}
        return snap

    def snapshot_for(self, conn: Conn) -> dict[str, Any]:
        if conn.audience == "phone":
            return self.phone_snapshot()
        if conn.audience == "screen":
            return self.screen_snapshot()
        return self.console_snapshot(conn, self.presence())

    async def tick(self) -> None:
        """One fan-out round; called every TICK seconds by the room loop."""
        now = time.monotonic()
        view_changed = False
        if self._views_sent != self.view_version:
            self._views_sent = self.view_version
            for conn in list(self.all_conns()):
                before = conn.view_key
                await self.send_view(conn)
                if conn.view_key != before:
                    view_changed = True
                    if conn.audience == "phone" and self.current is not None:
                        await self.send_me(conn, self.current)
        if self.rev != self._screen_rev[0] if isinstance(self._screen_rev, tuple) else True:
            pass
        rev = (self.rev, self.presence_rev)
        if (rev != self._screen_rev or view_changed) and self.conns["screen"]:
            self._screen_rev = rev
            text = dumps(self.screen_snapshot())
            for conn in list(self.conns["screen"]):
                conn.push(text)
        if (
            self.conns["console"]
            and (rev != self._console_rev or view_changed)
            and (now - self._console_sent >= CONSOLE_INTERVAL or view_changed)
        ):
            self._console_rev, self._console_sent = rev, now
            presence = self.presence()
            for conn in list(self.conns["console"]):
                conn.push(dumps(self.console_snapshot(conn, presence)))
        interval = (
            PHONE_INTERVAL if len(self.conns["phone"]) <= LARGE_ROOM else PHONE_INTERVAL_LARGE
        )
        if (self.rev != self._phone_rev or view_changed) and (
            now - self._phone_sent >= interval or view_changed
        ):
            self._phone_rev = self.rev
            snap, text = self.phone_snapshot_cached()
            body = orjson.dumps(snap["activity"]) + orjson.dumps(snap["data"])
            if body != self._phone_bytes or view_changed:
                self._phone_bytes = body
                self._phone_sent = now
                self._phone_last_text, self._phone_last_view = text, self.view_version
                for conn in list(self.conns["phone"]):
                    conn.push(text)

    async def run(self) -> None:
        async def flusher() -> None:
            while True:
                await asyncio.sleep(FLUSH_INTERVAL)
                try:
                    await self.flush()
                except Exception:
                    log.exception("flush failed")

        async def ticker() -> None:
            while True:
                await asyncio.sleep(TICK)
                try:
                    await self.tick()
                except Exception:
                    log.exception("tick failed")

        self.tasks += [asyncio.ensure_future(flusher()), asyncio.ensure_future(ticker())]

    async def stop(self) -> None:
        await self.flush()
        for task in self.tasks:
            task.cancel()


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
        if bridge is not None:
            await bridge.join(room)
    if _reaper is None or _reaper.done():
        _reaper = asyncio.ensure_future(_reap())
    return room


async def room_reload(code: str) -> None:
    room = rooms.get(code.upper())
    if room is not None:
        await room.flush()
        await room.reload()


async def _reap() -> None:
    while rooms:
        await asyncio.sleep(10)
        now = time.monotonic()
        for code, room in list(rooms.items()):
            if room.empty_since and now - room.empty_since > UNLOAD_AFTER and not room.pending:
                await room.stop()
                rooms.pop(code, None)
                if bridge is not None:
                    await bridge.leave(room)


# -- scale-out through Redis -----------------------------------------------------------------
class RedisBridge:
    """One pub/sub subscription per room per process; committed events go to other instances."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._loop: asyncio.AbstractEventLoop | None = None
        self.reader: asyncio.Task | None = None
        self.by_channel: dict[str, Room] = {}

    def _ensure(self) -> None:
        """Redis clients belong to one event loop (a server has one; tests make several)."""
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self.redis = aioredis.from_url(self.url)
            self.pubsub = self.redis.pubsub()
            self.reader = None
            self.by_channel = {}

    @staticmethod
    def channel(day_id: int) -> str:
        return f"polku:live:{day_id}"

    async def join(self, room: Room) -> None:
        self._ensure()
        name = self.channel(room.day_id)
        self.by_channel[name] = room
        await self.pubsub.subscribe(name)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.ensure_future(self._read())

    async def leave(self, room: Room) -> None:
        self._ensure()
        name = self.channel(room.day_id)
        self.by_channel.pop(name, None)
        with contextlib.suppress(Exception):
            await self.pubsub.unsubscribe(name)

    async def publish(self, day_id: int, rows: list[dict[str, Any]]) -> None:
        self._ensure()
        payload = orjson.dumps({"o": INSTANCE_ID, "rows": rows})
        try:
            await self.redis.publish(self.channel(day_id), payload)
        except Exception:
            log.exception("publishing to Redis failed")

    async def _read(self) -> None:
        while True:
            try:
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except Exception:
                log.exception("reading from Redis failed")
                await asyncio.sleep(1)
                continue
            if not message or message.get("type") != "message":
                continue
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            room = self.by_channel.get(channel)
            payload = orjson.loads(message["data"])
            if room is None or payload.get("o") == INSTANCE_ID:
                continue
            await room.apply_remote(payload["rows"])


bridge: RedisBridge | None = RedisBridge(settings.REDIS_URL) if settings.REDIS_URL else None
