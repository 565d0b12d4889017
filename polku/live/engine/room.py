"""A live room: state as a fold of its event log, incoming frames, the batch writer."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from polku.activities.registry import Event, Rejected, ShapeError, clean_text, registry
from polku.core import metrics
from polku.live import identity, selectors, services
from polku.live.engine import bridge as bridge_mod
from polku.live.engine import frames
from polku.live.engine.connection import (
    Conn,
    ParticipantInfo,
    TokenBucket,
    short_id,
)
from polku.live.engine.db import run_db
from polku.live.engine.groups import GroupRoom
from polku.live.engine.slots import PLAIN, Pending, Slot
from polku.live.engine.snapshots import PROTOCOL_VERSION
from polku.live.engine.suggest import Suggestions
from polku.workshops.models import AgendaSlot

log = logging.getLogger("polku.live")

FLUSH_INTERVAL = 0.12
REPAIR_INTERVAL = 30.0
# staff sockets are re-checked against the database this often (the membership hook closes them
# at once in this process; this catches changes made elsewhere: another instance, the admin)
STAFF_RECHECK = 10.0
TICK = 0.1
CONTROL_ACTIONS = frozenset(
    {"open", "pause", "close", "reveal", "conceal", "timer", "show", "follow", "carry"}
)
STILL_OPEN = ("open", "paused")

__all__ = ["PROTOCOL_VERSION", "Room"]


class Room(GroupRoom, Suggestions):
    """One live workshop day in this process: its state, its clients and its batch writer."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.loaded = False
        self.conns: dict[str, set[Conn]] = {"phone": set(), "screen": set(), "console": set()}
        self.pending: list[Pending] = []
        self.pending_keys: dict[tuple[str, str], Pending] = {}
        self.ip_buckets: dict[str, TokenBucket] = {}
        self.ip_conns: dict[str, int] = {}
        self.ip_participants: dict[str, int] = {}  # participants added per address
        self.organisation_id: int | None = None
        self.tasks: list[asyncio.Task] = []
        self.carrying: set[asyncio.Task] = set()  # results being saved to the path
        self.empty_since: float | None = None
        self._repaired_at = -REPAIR_INTERVAL
        self._flush_lock = asyncio.Lock()
        self._init_fanout()
        self._init_suggestions()
        self._reset()

    def _reset(self) -> None:
        self.slots: dict[int, Slot] = {}
        # what the phones work on, and what the projector shows when the facilitator has put
        # something else there (None: the screen follows the phones)
        self.current: int | None = None
        self.screen_pin: int | None = None
        self.seen: set[tuple[str, str]] = set()
        self.rev = 0
        self.seq = 0
        self.presence_rev = 0
        self.participants: dict[str, ParticipantInfo] = {}
        self.new_participants: dict[str, ParticipantInfo] = {}
        self.profile_updates: dict[str, ParticipantInfo] = {}
        self._init_groups()

    # -- loading ---------------------------------------------------------------------------
    async def load(self) -> bool:
        data = await run_db(selectors.room_data, code=self.code)
        if data is None:
            return False
        self._build(data)
        self.loaded = True
        self.warm_all()
        return True

    def _build(self, data: selectors.RoomData) -> None:
        self._reset()
        self.day_id, self.title, self.status = data.day_id, data.title, data.status
        self.last_event_id, self.stamp = data.last_event_id, data.stamp
        self.path_id, self.units = data.path_id, data.units
        self.organisation_id = data.organisation_id
        self.mode, self.meeting_template = data.mode, data.meeting_template
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
            self.participants[p["token_hash"]] = info = ParticipantInfo(
                id=p["id"], token="", name=p["nickname"], unit=p["unit_id"],
                token_hash=p["token_hash"], attendance=p["attendance"],
            )  # fmt: skip
            self.member_key(info)
        self._views.clear()

    def participant_for(
        self, token: str, name: str, unit: int | None, *, ip: str = "", attendance: str = ""
    ) -> ParticipantInfo:
        """The room's participant for a (valid) token; new ones are stored by the next flush.

        Joining touches no database: thousands of phones can join within seconds. One address
        adds at most ``POLKU_LIVE_PARTICIPANTS_PER_ADDRESS`` participants (a hall behind one NAT
        fits; a script minting identities for more dots does not): :class:`Rejected` beyond.
        """
        token_hash = identity.token_hash(token)
        info = self.participants.get(token_hash)
        if info is None:
            added = self.ip_participants.get(ip, 0)
            if added >= settings.POLKU_LIVE_PARTICIPANTS_PER_ADDRESS:
                raise Rejected(
                    _("Too many participants from your network. Ask the facilitator for help."),
                    "limit",
                )
            if len(self.ip_participants) > 50_000:
                self.ip_participants.clear()
            self.ip_participants[ip] = added + 1
            info = ParticipantInfo(
                id=None, token=token, name=name, unit=unit, token_hash=token_hash,
                attendance=attendance,
            )  # fmt: skip
            self.participants[token_hash] = info
            self.new_participants[token_hash] = info
        else:
            info.token = token
            if (
                (name and name != info.name)
                or (unit is not None and unit != info.unit)
                or (attendance and attendance != info.attendance)
            ):
                info.name = name or info.name
                info.unit = unit if unit is not None else info.unit
                info.attendance = attendance or info.attendance
                self.profile_updates[token_hash] = info
        self.member_key(info)
        return info

    # -- staff -----------------------------------------------------------------------------
    async def staff_may_connect(self, user_id: int) -> bool:
        """Checked against the database on every console/screen connect (the signed key alone
        outlives a removed membership)."""
        allowed = await run_db(selectors.staff_allowed, day_id=self.day_id, user_ids={user_id})
        return user_id in allowed

    async def staff_check(self, user_ids: set[int] | None = None) -> int:
        """Close the console and screen sockets of users who may no longer run this day
        (membership removed or changed, account deactivated); returns how many closed."""
        staff = [
            c for audience in ("screen", "console") for c in self.conns[audience]
            if c.user_id is not None and (user_ids is None or c.user_id in user_ids)
        ]  # fmt: skip
        if not staff:
            return 0
        allowed = await run_db(
            selectors.staff_allowed, day_id=self.day_id, user_ids={c.user_id for c in staff}
        )
        closed = 0
        for conn in staff:
            if conn.user_id not in allowed:
                await conn.error("forbidden", _("You no longer have access to this workshop."))
                self.remove(conn)
                await conn.close(4401)
                closed += 1
        return closed

    def _replay(self, ev: dict[str, Any]) -> None:
        key = (ev["actor"], ev["client_id"])
        if key in self.seen:
            return
        self.seen.add(key)
        try:
            self._apply(
                slot_id=ev["slot_id"], kind=ev["kind"], actor=ev["actor"],
                client_id=ev["client_id"], data=ev["data"], name=ev.get("name", ""),
                unit=ev.get("unit_id_tag"), group=ev.get("group") or "",
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
        group: str = "",
    ) -> list[Slot]:
        """Apply one event; returns the activities it closed on the way (moving on). An
        event of a group (``group``) works on that group's own copy of the activity."""
        slot = self.slots.get(slot_id) if slot_id is not None else None
        if slot is None:
            raise Rejected(_("No such activity."), "invalid")
        closed: list[Slot] = []
        if kind.startswith("sys:"):
            closed = self._control(slot, kind[4:], data)
        elif kind.startswith("grp:"):
            self.group_event(slot, kind[4:], data)
        elif kind.startswith("mod:"):
            state, config = self.state_for(slot, group)
            slot.activity.moderate(state, kind[4:], data, config)
        else:
            state, config = self.state_for(slot, group)
            self._reduce(slot, state, config, kind, data, actor, client_id, name, unit)
        self.rev += 1
        self.touched(slot, group, is_input=not kind.startswith(("sys:", "mod:", "grp:")))
        return closed

    @staticmethod
    def _reduce(
        slot: Slot,
        state: dict[str, Any],
        config: dict[str, Any],
        kind: str,
        data: dict[str, Any],
        actor: str,
        client_id: str,
        name: str,
        unit: int | None,
    ) -> None:
        event = Event(
            kind=kind, data=data, actor=actor, id=short_id(actor, client_id), name=name,
            unit=unit, facilitator=actor.startswith("f"),
        )  # fmt: skip
        slot.activity.reduce(state, event, config)

    # -- "forget me" -----------------------------------------------------------------------
    async def forget(self, *, token_hash: str, slot_ids: list[int]) -> str:
        """A participant's data was deleted (``engine.room_forget``): drop them, close their
        phones and rebuild only the agenda items they had inputs in, from what remains stored
        (and what is still waiting to be stored). Everyone else's views and sockets stay as
        they are; the next tick sends the changed snapshots. Returns ``"targeted"``, or
        ``"reload"`` while groups work (a group's copies are rebuilt with the whole room)."""
        self.participants.pop(token_hash, None)
        self.new_participants.pop(token_hash, None)
        self.profile_updates.pop(token_hash, None)
        for conn in list(self.conns["phone"]):
            if conn.participant is not None and conn.participant.token_hash == token_hash:
                await conn.error(
                    "forgotten",
                    _("Your data in this workshop was deleted. Join again to take part."),
                )
                self.remove(conn)
                await conn.close(4410)
        slots = [self.slots[pk] for pk in slot_ids if pk in self.slots]
        if self.phase is not None or any(slot.groups is not None for slot in slots):
            await self.reload()
            return "reload"
        if slots:
            stored = await run_db(
                selectors.slot_events, day_id=self.day_id, slot_ids=[slot.id for slot in slots]
            )
            for slot in slots:
                keys = {(ev["actor"], ev["client_id"]) for ev in stored[slot.id]}
                waiting = [
                    p.row for p in self.pending if p.slot_id == slot.id and p.key not in keys
                ]
                self._refold(slot, stored[slot.id] + waiting)
        self.presence_rev += 1
        return "targeted"

    def _refold(self, slot: Slot, events: list[dict[str, Any]]) -> None:
        """Rebuild one agenda item's state from its events: what ``_apply`` does to the state,
        without the room-wide effects of the controls (status, current item, screen), which
        did not change."""
        slot.state = slot.activity.initial_state(slot.config)
        opened = False
        for ev in events:
            kind, data = ev["kind"], ev["data"]
            try:
                if kind == "sys:open":
                    if not opened:
                        items = data.get("items")
                        slot.activity.on_open(
                            slot.state, slot.config, items if isinstance(items, list) else []
                        )
                        opened = True
                    read = data.get("open_data")
                    if slot.activity.reads_on_open and isinstance(read, dict):
                        slot.activity.on_open_data(slot.state, slot.config, read)
                elif kind.startswith(("sys:", "grp:")):
                    continue
                elif kind.startswith("mod:"):
                    slot.activity.moderate(slot.state, kind[4:], data, slot.config)
                else:
                    self._reduce(
                        slot, slot.state, slot.config, kind, data, ev["actor"], ev["client_id"],
                        ev.get("name", ""), ev.get("unit_id_tag"),
                    )  # fmt: skip
            except Rejected:
                log.info("refold skipped a rejected %s event", kind)
        self.rev += 1
        self.touched(slot, "", is_input=True)

    @property
    def screen_slot(self) -> int | None:
        """The agenda item on the projector: pinned by "show", else what the phones have."""
        return self.screen_pin if self.screen_pin is not None else self.current

    def _control(self, slot: Slot, action: str, data: dict[str, Any]) -> list[Slot]:
        closed: list[Slot] = []
        if action == "open":
            if not slot.opened:
                items = data.get("items")
                self.groups_on_open(slot, data)
                slot.activity.on_open(
                    slot.state, slot.config, items if isinstance(items, list) else []
                )
                slot.opened = True
            # Moving on: the activity the phones had (or any other still open) is closed; the
            # console saves its results to the path (see _staff). One activity is open at a time.
            for other in self.slots.values():
                if other is not slot and other.status in STILL_OPEN:
                    other.status = "closed"
                    closed.append(other)
            read = data.get("open_data")
            if slot.activity.reads_on_open and isinstance(read, dict):
                slot.activity.on_open_data(slot.state, slot.config, read)
                for copy_ in self.group_copies(slot) or []:  # every group's own copy too
                    slot.activity.on_open_data(copy_.state, copy_.config, read)
            slot.status = "open"
            self.current = slot.id
            if self.screen_pin == slot.id:
                self.screen_pin = None
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
            # the projector only; the phones stay where they are
            self.screen_pin = None if slot.id == self.current else slot.id
            self.view_version += 1
        elif action == "follow":
            self.screen_pin = None
            self.view_version += 1
        elif action == "carry":
            pass
        else:
            raise Rejected(_("Unknown action."), "invalid")
        return closed

    def source_items(self, slot: Slot, group: str | None = None) -> list[dict[str, Any]]:
        """Items of the nearest earlier activity of the day that offers some (of an activity
        run in groups: this group's own, or every group's top items for the plenary)."""
        earlier = [s for s in self.slots.values() if s.position < slot.position or (
            s.position == slot.position and s.id < slot.id)]  # fmt: skip
        granularity = str(slot.config.get("items_from", "groups"))
        for other in sorted(earlier, key=lambda s: (s.position, s.id), reverse=True):
            if other.activity.provides_items and other.groups is not None:
                items = self.grouped_items(other, group)
            elif other.activity.provides_items:
                items = other.activity.items_for(other.state, other.config, granularity)
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
        """One client frame: checked against its declared shape (``engine.frames``), then
        dispatched. Whatever goes wrong inside is answered with an ``error`` frame; it never
        closes the socket."""
        try:
            # a prepared group list from the console may be longer than a phone's frame
            frame = frames.parse(
                raw, limit=frames.MAX_FRAME if conn.audience == "phone" else frames.MAX_STAFF_FRAME
            )
        except frames.FrameError as exc:
            if exc.code == "too_large":
                await conn.error("too_large", _("The message is too large."))
            else:
                await conn.error(
                    "invalid", _("The message could not be read."), exc.client_id, exc.detail
                )
            return
        client_id = getattr(frame, "id", None)
        if not conn.bucket.take() or not self._ip_bucket(conn).take():
            await conn.error("rate", _("Too many messages. Wait a moment."), client_id)
            return
        try:
            await self._dispatch(conn, frame, client_id)
        except Exception:
            log.exception("room %s: a %s frame failed", self.code, type(frame).__name__)
            await conn.error(
                "internal",
                _("Something went wrong on our side. This was not saved; try again."),
                client_id,
            )
            self.repair()

    async def _dispatch(self, conn: Conn, frame: frames.AnyFrame, client_id: str | None) -> None:
        staff = conn.audience == "console"
        if isinstance(frame, frames.Ping):
            await conn.send({"t": "pong"})
        elif isinstance(frame, frames.Input):
            await self._input(conn, frame)
        elif isinstance(frame, frames.Profile) and conn.audience == "phone":
            await self._profile(conn, frame)
        elif isinstance(frame, frames.Control) and staff:
            data = {"seconds": frame.data.seconds} if frame.data and frame.data.seconds else {}
            await self._staff(conn, frame.id, frame.slot, frame.action, data, control=True)
        elif isinstance(frame, frames.Moderate) and staff:
            await self._staff(conn, frame.id, frame.slot, frame.action, frame.data or {})
        elif isinstance(frame, frames.Group) and conn.audience in ("console", "phone"):
            await self.group_frame(conn, frame)
        elif isinstance(frame, frames.Watch) and conn.audience == "phone":
            await self.watch_frame(conn, frame.screen)
        elif isinstance(frame, frames.Suggest) and staff:
            await self.suggest(conn, frame)
        elif isinstance(frame, frames.Select) and staff:
            conn.selected = frame.slot if frame.slot in self.slots else None
            self._console_rev = -1
            self.view_version += 1
        else:
            await conn.error("invalid", _("Unknown message."), client_id)

    def repair(self) -> None:
        """After an unexpected error inside a reducer the state may be half changed: rebuild
        the room from the stored log (at most once every REPAIR_INTERVAL seconds)."""
        now = time.monotonic()
        if now - self._repaired_at < REPAIR_INTERVAL:
            return
        self._repaired_at = now

        async def rebuild() -> None:
            try:
                await self.flush()
                await self.reload()
            except Exception:
                log.exception("room %s: repair failed", self.code)

        self.tasks.append(asyncio.ensure_future(rebuild()))

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

    async def _input(self, conn: Conn, frame: frames.Input) -> None:
        client_id, kind, data = frame.id, frame.kind, frame.data
        slot = self.slots.get(frame.slot)
        if slot is None:
            await conn.error("invalid", _("No such activity."), client_id)
            return
        if kind not in slot.activity.input_kinds:
            await conn.error("invalid", _("This activity does not take that input."), client_id)
            return
        try:
            slot.activity.check_input(kind, data)
        except ShapeError as exc:
            await conn.error("invalid", _("The message could not be read."), client_id, exc.detail)
            return
        if conn.participant is None and conn.audience != "console":
            await conn.error("join_first", _("Join the workshop first."), client_id)
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
        if conn.audience == "phone" and self.status != "live":
            await conn.error("closed", _("The workshop has ended."), client_id)
            return
        if slot.status != "open":
            message = (
                _("This activity is paused.")
                if slot.status == "paused"
                else _("This activity is not open.")
            )
            await conn.error("closed", message, client_id)
            return
        group = self.event_group(conn, slot)
        if not group and slot.id in self.phase_slots:
            message = (
                _("Choose your group first.")
                if conn.audience == "phone"
                else _("Look into one group to write in its activity.")
            )
            await conn.error("group", message, client_id)
            return
        named = conn.participant is not None and not slot.config.get("anonymous", True)
        name = conn.participant.name if named and conn.participant else ""
        unit = conn.participant.unit if named and conn.participant else None
        try:
            self._apply(
                slot_id=slot.id, kind=kind, actor=actor, client_id=client_id, data=data,
                name=name, unit=unit, group=group,
            )  # fmt: skip
        except Rejected as rejected:
            await conn.error(rejected.code, rejected.message, client_id, data=rejected.data)
            return
        self.card_arrived(slot, data.get("text"))
        self._enqueue(
            {
                "day_id": self.day_id, "slot_id": slot.id, "actor": actor, "client_id": client_id,
                "kind": kind, "data": data, "name": name, "unit_id_tag": unit,
                "participant": conn.participant.token_hash if named and conn.participant else None,
                "group": group,
            },
            key, slot.id, conn,
        )  # fmt: skip

    async def _staff(
        self,
        conn: Conn,
        client_id: str,
        slot_id: int,
        action: str,
        data: dict[str, Any],
        *,
        control: bool = False,
    ) -> None:
        slot = self.slots.get(slot_id)
        if slot is None:
            await conn.error("invalid", _("No such activity."), client_id)
            return
        if control:
            if action not in CONTROL_ACTIONS:
                await conn.error("invalid", _("Unknown action."), client_id)
                return
            if action == "open" and not slot.opened and slot.activity.needs_items:
                data["items"] = self.source_items(slot)
                self.open_items(slot, data)
            if action == "open" and slot.activity.reads_on_open:
                try:
                    data["open_data"] = await run_db(
                        selectors.activity_open_data, slot_id=slot.id, activity=slot.activity
                    )
                except Exception:
                    log.exception("reading the data of slot %s on open failed", slot.id)
                    await conn.error("retry", _("Not saved yet. Sending again…"), client_id)
                    return
            if action == "timer":
                seconds = data.pop("seconds", None)
                data["end"] = round(time.time() + seconds, 1) if seconds else None
            kind = f"sys:{action}"
        else:
            if action not in slot.activity.moderation_actions:
                await conn.error("invalid", _("Unknown action."), client_id)
                return
            try:
                slot.activity.check_moderation(action, data)
            except ShapeError as exc:
                await conn.error(
                    "invalid", _("The message could not be read."), client_id, exc.detail
                )
                return
            if action in slot.activity.clock_actions:
                data = {**data, "now": round(time.time(), 1)}
            kind = f"mod:{action}"
        group = self.event_group(conn, slot) if kind.startswith("mod:") else ""
        if kind.startswith("mod:") and not group and slot.id in self.phase_slots:
            await conn.error("group", _("Look into one group to moderate it."), client_id)
            return
        actor = self.actor(conn, slot)
        key = (actor, client_id)
        if key in self.seen:
            await conn.send({"t": "ack", "id": client_id, "dup": True})
            return
        try:
            closed = self._apply(
                slot_id=slot.id, kind=kind, actor=actor, client_id=client_id, data=data,
                group=group,
            )  # fmt: skip
        except Rejected as rejected:
            await conn.error(rejected.code, rejected.message, client_id)
            return
        row = {
            "day_id": self.day_id, "slot_id": slot.id, "actor": actor, "client_id": client_id,
            "kind": kind, "data": data, "group": group,
        }  # fmt: skip
        self._enqueue(row, key, slot.id, conn)
        if action in ("close", "carry") and control:
            closed.append(slot)
        for done in closed:
            task = asyncio.ensure_future(self.carry_forward(done))
            self.carrying.add(task)
            task.add_done_callback(self.carrying.discard)

    async def _profile(self, conn: Conn, frame: frames.Profile) -> None:
        client_id = frame.id
        if conn.participant is None:
            await conn.error("join_first", _("Join the workshop first."), client_id)
            return
        try:
            name = clean_text(frame.name, max_length=40, required=False)
        except Rejected as rejected:
            await conn.error(rejected.code, rejected.message, client_id)
            return
        if frame.unit is not None and frame.unit not in self.unit_names:
            await conn.error("invalid", _("Unknown unit."), client_id)
            return
        conn.participant.name, conn.participant.unit = name, frame.unit
        conn.participant.attendance = frame.attendance or ""
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
                    unit=row.get("unit_id_tag"), group=row.get("group") or "",
                )  # fmt: skip
            except Rejected:
                log.info("remote %s event rejected here", row["kind"])
            if row["kind"] == "grp:split":  # our phones that the other instance did not know
                self.assign_newcomers(list(self.conns["phone"]))

    async def catch_up(self, margin: int = 1000) -> None:
        """Apply events stored since the room was loaded (ids a little below the last one seen
        too: PostgreSQL may commit a lower id later)."""
        rows = await run_db(
            selectors.events_after, day_id=self.day_id, after=max(0, self.last_event_id - margin)
        )
        if rows:
            self.last_event_id = max(self.last_event_id, rows[-1]["id"])
            await self.apply_remote(rows)

    def bridge_changed(self) -> None:
        """The link to the other instances went down or came back: the console shows it."""
        self._console_rev = -1

    # -- writing ---------------------------------------------------------------------------
    async def flush(self) -> None:
        async with self._flush_lock:
            if not (self.pending or self.new_participants or self.profile_updates):
                return
            batch, self.pending = self.pending, []
            new, self.new_participants = self.new_participants, {}
            profiles, self.profile_updates = self.profile_updates, {}
            rows = [p.row for p in batch]
            people = [
                {"token_hash": th, "name": i.name, "unit": i.unit, "attendance": i.attendance}
                for th, i in new.items()
            ]
            changed = [
                {"token_hash": th, "name": i.name, "unit": i.unit, "attendance": i.attendance}
                for th, i in profiles.items()
            ]
            started = time.perf_counter()
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
            metrics.LIVE_BATCH_COMMIT.observe(time.perf_counter() - started)
            metrics.LIVE_INPUTS.inc(sum(1 for row in rows if not row["actor"].startswith("f")))
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
            if bridge_mod.bridge is not None:
                await bridge_mod.bridge.publish(self.day_id, rows)

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
            conn.mirror_key = None
        self._regroup_all()

    async def carry_forward(self, slot: Slot) -> None:
        if slot.activity is PLAIN:
            return
        state = copy.deepcopy(slot.state)
        groups = copy.deepcopy(self.group_copies(slot))

        def save() -> None:
            agenda_slot = AgendaSlot.objects.select_related("workshop_day__path").get(pk=slot.id)
            slot.activity.carry_forward(
                slot=agenda_slot, state=state, config=slot.config, groups=groups
            )

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
        if conn.audience == "phone" and self.phase is not None:
            self.assign_newcomers([conn])
            self.groups_add_conn(conn)
            self._moved.discard(conn)
        await conn.send({"t": "welcome", **self._welcome(conn)})
        await self.send_view(conn)
        if conn.audience == "phone" and self.phase is not None:
            await conn.send(self.group_phone_snapshot(conn.group))
        elif conn.audience == "phone":
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
        self.groups_remove_conn(conn)
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
            me = {"name": conn.participant.name, "unit": conn.participant.unit,
                  "attendance": conn.participant.attendance or None}  # fmt: skip
        return {"v": PROTOCOL_VERSION, "role": conn.audience, "code": self.code, "me": me}

    async def send_me(self, conn: Conn, slot_id: int) -> None:
        slot = self.slots.get(slot_id)
        if slot is None or conn.participant is None:
            return
        state, config = self.state_for(slot, self.event_group(conn, slot))
        data = slot.activity.personal(state, self.actor(conn, slot), config)
        await conn.send({"t": "me", "slot": slot_id, "data": data})

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

        async def guard() -> None:
            while True:
                await asyncio.sleep(STAFF_RECHECK)
                try:
                    await self.staff_check()
                except Exception:
                    log.exception("staff check failed")

        self.tasks += [
            asyncio.ensure_future(flusher()),
            asyncio.ensure_future(ticker()),
            asyncio.ensure_future(guard()),
        ]

    async def settle(self) -> None:
        """Everything acknowledged is stored and every result being saved is saved."""
        await self.flush()
        if self.carrying:
            await asyncio.gather(*self.carrying, return_exceptions=True)

    async def stop(self) -> None:
        await self.settle()
        for task in self.tasks:
            task.cancel()
