"""Groups in the live room (mixed into Room): a group id on every phone and every event, one
state per group per activity, one snapshot per group per tick for the groups that changed.

The phase itself (who is in which group, names, links, timers, notices) is a pure fold in
``polku.live.groups``; this module routes events to the right state, keeps every phone in
its group's fan-out bucket and builds what each audience sees:

* phones in group g: the activity's participant view bound to g's state, plus ``group``
  (name, table or video link, size, timer) and the facilitator's ``notice``;
* the projector during a phase: an overview of the groups; the facilitator console: the grid
  (members, inputs, last input, a live mini-view of every group);
* a grouped activity after the phase, on every screen: each group's result, labelled.

Protocol: docs/live-protocol.md ("Version 1.1"). Activity types need nothing for groups
(docs/new-activity.md, "Groups").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from polku.activities.registry import ActivityType, GroupCopy, Rejected
from polku.live import groups as groups_mod
from polku.live import identity, meeting, selectors
from polku.live.engine import frames
from polku.live.engine.connection import Conn, ParticipantInfo, dumps
from polku.live.engine.db import run_db
from polku.live.engine.slots import Pending
from polku.live.engine.snapshots import Snapshots
from polku.live.groups import Member

if TYPE_CHECKING:
    from polku.live.engine.slots import Slot

TOP_PER_GROUP = 3  # items each group hands to the plenary activity that follows
GROUP_INTERVAL = 0.1  # a small group's phones get its snapshot at the next tick …
SMALL_GROUP = 50  # … up to this many phones; bigger buckets at the phone rate
CONSOLE_INTERVAL_GROUPS = 0.25
MIRROR_INTERVAL = 0.5
GROUP_ACTIONS = frozenset(
    {"split", "move", "add", "edit", "timer", "notice", "time_left", "end", "view", "pick"}
)
MAX_SECONDS = 7200


@dataclass
class SlotGroups:
    """One agenda item's per-group states (made when the item runs during a group phase)."""

    order: list[str]
    names: dict[str, str]
    units: dict[str, int | None]
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    rev: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, int] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)  # wall clock of the last input (shown)


def _snapshot(activity: ActivityType, audience: str, state: dict, config: dict, revealed: bool):
    if audience == "phone":
        return activity.public_snapshot(state, config, revealed)
    if audience == "screen":
        return activity.presenter_snapshot(state, config, revealed)
    return activity.console_snapshot(state, config)


def _clock(ts: float | None) -> str:
    if not ts:
        return ""
    return timezone.localtime(dt.datetime.fromtimestamp(ts, tz=dt.UTC)).strftime("%H.%M.%S")


class GroupRoom(Snapshots):
    """The group half of a Room (Room inherits it; it inherits the fan-out)."""

    # provided by Room
    day_id: int
    path_id: int
    mode: str
    meeting_template: str
    seen: set[tuple[str, str]]
    pending: list[Pending]
    pending_keys: dict[tuple[str, str], Pending]
    tasks: list[asyncio.Task]

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
        raise NotImplementedError

    def _enqueue(self, row: dict[str, Any], key: tuple[str, str], slot_id: int, conn: Conn) -> None:
        raise NotImplementedError

    async def carry_forward(self, slot: Slot) -> None:
        raise NotImplementedError

    def source_items(self, slot: Slot, group: str | None = None) -> list[dict[str, Any]]:
        raise NotImplementedError

    # -- state -----------------------------------------------------------------------------
    def _init_groups(self) -> None:
        self.phase: dict[str, Any] | None = None
        self.phase_slots: list[int] = []
        self.phase_no = 0
        self.plenary_rev = 0
        self.phase_rev = 0  # anything every group shows (names, notice, membership counts)
        self.group_info_rev: dict[str, int] = {}
        self._member_keys: dict[str, str] = {}  # token hash → member key
        self._by_member: dict[str, ParticipantInfo] = {}
        self._group_buckets: dict[str | None, set[Conn]] = {}
        self._bucket_sent: dict[str | None, tuple[Any, float, bytes, str]] = {}
        self._moved: set[Conn] = set()
        self._mini_cache: dict[tuple, Any] = {}
        self._mirror_state: tuple[Any, float, str] = (None, 0.0, "")
        self._grid_members: tuple[Any, ...] = (None, {}, [])
        self._grid_tiles: dict[str, tuple[Any, Any]] = {}

    def member_key(self, info: ParticipantInfo) -> str:
        key = self._member_keys.get(info.token_hash)
        if key is None:
            key = self._member_keys[info.token_hash] = identity.member_key(info.token_hash)
            self._by_member[key] = info
        return key

    def _member(self, info: ParticipantInfo) -> Member:
        return Member(self.member_key(info), name=info.name, unit=info.unit)

    def group_of(self, conn: Conn) -> str | None:
        if self.phase is None or conn.participant is None:
            return None
        return self.phase["member_of"].get(self.member_key(conn.participant))

    def _phone_slot(self) -> Slot | None:
        return self.slots.get(self.current) if self.current is not None else None

    def _screen_slot(self) -> Slot | None:
        screen = self.screen_slot
        return self.slots.get(screen) if screen is not None else None

    def state_for(self, slot: Slot, group: str | None) -> tuple[dict, dict]:
        """The state (and config) an event of this group works on."""
        if group and slot.groups is not None and group in slot.groups.states:
            return slot.groups.states[group], slot.groups.configs[group]
        return slot.state, slot.config

    def event_group(self, conn: Conn, slot: Slot) -> str:
        """The group id stored with an event this client sends to ``slot`` ("" = plenary)."""
        if slot.groups is None or self.phase is None or slot.id not in self.phase_slots:
            return ""
        return conn.group or ""

    def touched(self, slot: Slot, group: str, *, is_input: bool) -> None:
        """Bookkeeping after an event was applied: what changed for whom."""
        if group and slot.groups is not None and group in slot.groups.rev:
            slot.groups.rev[group] += 1
            if is_input:
                slot.groups.inputs[group] += 1
                slot.groups.last[group] = time.time()
        else:
            self.plenary_rev += 1

    # -- per-group copies of an activity ---------------------------------------------------
    def _group_config(self, slot: Slot, gid: str) -> dict[str, Any]:
        g = self.phase["groups"][gid] if self.phase else {"id": gid, "name": gid, "unit": None}
        return {**slot.config, "group": {"id": gid, "name": g["name"], "unit": g["unit"]}}

    def _add_copy(self, slot: Slot, gid: str, items: list[dict[str, Any]] | None) -> None:
        sg = slot.groups
        assert sg is not None and self.phase is not None
        config = self._group_config(slot, gid)
        state = slot.activity.initial_state(config)
        if slot.opened:
            slot.activity.on_open(state, config, items or [])
        sg.order.append(gid)
        sg.names[gid] = self.phase["groups"][gid]["name"]
        sg.units[gid] = self.phase["groups"][gid]["unit"]
        sg.states[gid], sg.configs[gid] = state, config
        sg.rev[gid], sg.inputs[gid] = 0, 0

    def _make_grouped(self, slot: Slot, group_items: dict[str, list] | None = None) -> None:
        assert self.phase is not None
        slot.groups = SlotGroups(order=[], names={}, units={})
        for gid in self.phase["order"]:
            self._add_copy(slot, gid, (group_items or {}).get(gid))
        if slot.id not in self.phase_slots:
            self.phase_slots.append(slot.id)

    def groups_on_open(self, slot: Slot, data: dict[str, Any]) -> bool:
        """Called by ``_control`` when an activity opens; True when it opens in groups."""
        if slot.groups is None and self.phase is not None and not slot.opened:
            self._make_grouped(slot)
        if slot.groups is None:
            return False
        if not slot.opened:
            group_items = data.get("group_items")
            group_items = group_items if isinstance(group_items, dict) else {}
            for gid, state in slot.groups.states.items():
                items = group_items.get(gid)
                slot.activity.on_open(
                    state, slot.groups.configs[gid], items if isinstance(items, list) else []
                )
        return True

    def open_items(self, slot: Slot, data: dict[str, Any]) -> None:
        """Items for an opening activity: a grouped earlier activity hands each group its own
        items when this one also runs in groups, else every group's top items, labelled."""
        if not slot.activity.needs_items or slot.opened:
            return
        if self.phase is not None and (slot.groups is not None or slot.id not in self.phase_slots):
            data["group_items"] = {
                gid: self.source_items(slot, group=gid) for gid in self.phase["order"]
            }

    def grouped_items(self, other: Slot, group: str | None) -> list[dict[str, Any]]:
        sg = other.groups
        assert sg is not None
        activity = other.activity
        if group is not None and group in sg.states:
            return activity.items(sg.states[group], sg.configs[group])
        out = []
        for gid in sg.order:
            for item in activity.items(sg.states[gid], sg.configs[gid])[:TOP_PER_GROUP]:
                out.append(
                    {"id": f"{gid}-{item['id']}", "text": f"{sg.names[gid]}: {item['text']}"[:200]}
                )
        return out

    def group_copies(self, slot: Slot) -> list[GroupCopy] | None:
        sg = slot.groups
        if sg is None:
            return None
        return [
            GroupCopy(id=gid, name=sg.names[gid], state=sg.states[gid], config=sg.configs[gid])
            for gid in sg.order
        ]

    # -- phase events (kind "grp:<action>") --------------------------------------------------
    def group_event(self, slot: Slot, action: str, data: dict[str, Any]) -> None:
        """Apply one logged phase event (live, at replay and from other instances)."""
        if action == "split":
            if self.phase is not None:
                raise Rejected(_("End the group phase first."), "invalid")
            split = groups_mod.Split(groups=list(data["groups"]), assign=dict(data["assign"]))
            self.phase = groups_mod.phase_new(
                slot_id=slot.id, method=str(data["method"]), split=split
            )
            self.phase_no += 1
            self.phase_slots = []
            if slot.groups is None and not slot.opened:
                self._make_grouped(slot)
            elif slot.groups is None:
                raise Rejected(_("This activity has already started in the plenary."), "invalid")
            self._regroup_all()
        elif action == "end":
            if self.phase is None:
                raise Rejected(_("There is no group phase now."), "invalid")
            for slot_id in self.phase_slots:
                self.slots[slot_id].status = "closed"
            self.phase = None
            self.phase_slots = []
            self._regroup_all()
            self.view_version += 1
        else:
            if self.phase is None:
                raise Rejected(_("There is no group phase now."), "invalid")
            before = list(self.phase["order"])
            old = (
                {self.phase["member_of"].get(k) for k in data["assign"]}
                if action == "join" and isinstance(data.get("assign"), dict)
                else set()
            )
            groups_mod.phase_reduce(self.phase, action, data)
            for gid in self.phase["order"]:
                if gid not in before:  # a new group gets its copy of each grouped activity
                    for slot_id in self.phase_slots:
                        target = self.slots[slot_id]
                        if target.groups is not None:
                            self._add_copy(target, gid, None)
            if action == "edit":
                gid = data["group"]
                for slot_id in self.phase_slots:
                    sg = self.slots[slot_id].groups
                    if sg is not None and gid in sg.names:
                        sg.names[gid] = self.phase["groups"][gid]["name"]
                        sg.configs[gid]["group"]["name"] = sg.names[gid]
            if action == "join":
                self._regroup(list(data["assign"]))
                changed = (old | set(data["assign"].values())) - {None}
                self._info_changed(changed)
                if self.phase["method"] == "choice":  # everybody's list of groups shows counts
                    self.phase_rev += 1
            elif action in ("edit", "timer") and data.get("group"):
                self._info_changed({data["group"]})
            else:
                self.phase_rev += 1
            return
        self.phase_rev += 1
        self.view_version += 1  # the projector turns to the groups and back

    def _info_changed(self, gids: set[str]) -> None:
        for gid in gids:
            self.group_info_rev[gid] = self.group_info_rev.get(gid, 0) + 1
        self._console_rev = -1

    def _regroup(self, keys: list[str]) -> None:
        """Move the connected phones of these members into their group's fan-out bucket."""
        wanted = set(keys)
        for conn in self.conns["phone"]:
            if conn.participant is not None and self.member_key(conn.participant) in wanted:
                self._bucket(conn)

    def _regroup_all(self) -> None:
        self._group_buckets = {}
        self._bucket_sent = {}
        for conn in self.conns["phone"]:
            conn.group = None
            self._bucket(conn)

    def _bucket(self, conn: Conn) -> None:
        old = conn.group
        bucket = self._group_buckets.get(old)
        if bucket is not None:
            bucket.discard(conn)
        conn.group = self.group_of(conn)
        if self.phase is not None:
            self._group_buckets.setdefault(conn.group, set()).add(conn)
        if old != conn.group:
            self._moved.add(conn)  # gets its new group's snapshot and "me" at the next tick

    def groups_add_conn(self, conn: Conn) -> None:
        if conn.audience == "phone":
            self._bucket(conn)

    def groups_remove_conn(self, conn: Conn) -> None:
        bucket = self._group_buckets.get(conn.group)
        if bucket is not None:
            bucket.discard(conn)
        self._moved.discard(conn)

    def newcomer_row(self, conn: Conn) -> dict[str, Any] | None:
        """A joining phone with no group yet goes where the phase puts newcomers: a logged
        ``grp:join`` so that every instance and a replay agree."""
        if self.phase is None or conn.participant is None or self.group_of(conn) is not None:
            return None
        member = self._member(conn.participant)
        gid = groups_mod.newcomer_group(self.phase, member)
        if gid is None:
            return None
        return {"assign": {member.key: gid}}

    # -- frames: {"t": "group", "id", "action", "slot"?, "data"} -----------------------------
    async def group_frame(self, conn: Conn, frame: frames.Group) -> None:
        client_id, action = frame.id, frame.action
        data: dict[str, Any] = dict(frame.data or {})
        msg = {"slot": frame.slot}
        staff = conn.audience == "console"
        if action not in GROUP_ACTIONS or (action == "pick") == staff:
            await conn.error("invalid", _("Unknown action."), client_id)
            return
        if action == "view":  # the console looks into one group (or back at all of them)
            gid = data.get("group")
            conn.group = gid if self.phase and gid in self.phase["groups"] else None
            conn.view_key = None
            self._console_rev = -1
            self.view_version += 1
            await conn.send({"t": "ack", "id": client_id})
            return
        try:
            slot, event = await self._group_event_data(conn, action, data, msg)
        except Rejected as rejected:
            await conn.error(rejected.code, rejected.message, client_id)
            return
        await self.group_log(conn, slot, event, client_id)

    async def _group_event_data(
        self, conn: Conn, action: str, data: dict[str, Any], msg: dict[str, Any]
    ) -> tuple[Slot, tuple[str, dict[str, Any]]]:
        """Check a group frame and turn it into the event to log (kind, data)."""
        if action == "split":
            slot_id = msg.get("slot")
            slot = self.slots.get(slot_id) if isinstance(slot_id, int) else None
            if slot is None:
                raise Rejected(_("No such activity."), "invalid")
            if self.phase is not None:
                raise Rejected(_("End the group phase first."), "invalid")
            if slot.opened:
                raise Rejected(_("This activity has already started in the plenary."), "invalid")
            return slot, ("split", await self._split(data, conn.lang))
        if self.phase is None:
            raise Rejected(_("There is no group phase now."), "invalid")
        slot = self.slots[self.phase["slot"]]
        if action == "pick":
            if self.phase["method"] != "choice":
                raise Rejected(_("The facilitator puts people into groups this time."), "invalid")
            gid = data.get("group")
            if not isinstance(gid, str) or gid not in self.phase["groups"]:
                raise Rejected(_("No such group."), "invalid")
            assert conn.participant is not None
            return slot, ("join", {"assign": {self.member_key(conn.participant): gid}})
        if action == "move":
            return slot, ("join", {"assign": {data.get("member"): data.get("group")}})
        if action == "add":
            return slot, ("add", {"name": data.get("name")})
        if action == "edit":
            keep: dict[str, Any] = {
                k: data[k] for k in ("group", "name", "link", "table") if k in data
            }
            return slot, ("edit", keep)
        if action in ("timer", "time_left"):
            key = "seconds" if action == "timer" else "minutes"
            amount = data.get(key)
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise Rejected(_("Invalid value."), "invalid")
            seconds = amount if action == "timer" else amount * 60
            if not 0 <= seconds <= MAX_SECONDS:
                raise Rejected(_("Invalid value."), "invalid")
            end = round(time.time() + seconds, 1) if seconds else None
            event = {"end": end, "group": data.get("group") or None}
            if action == "time_left":
                event["notice"] = {"text": "", "time_left": True}
            return slot, ("timer", event)
        if action == "notice":
            return slot, ("notice", {"text": data.get("text"), "time_left": False})
        return slot, ("end", {})

    async def _split(self, data: dict[str, Any], lang: str) -> dict[str, Any]:
        method = data.get("method")
        people: dict[str, Member] = {}
        for conn in self.conns["phone"]:
            if conn.participant is not None:
                member = self._member(conn.participant)
                people[member.key] = member
        members = list(people.values())
        with translation.override(lang):
            label = gettext("Group %(n)s")
        if method == "unit":
            split = groups_mod.split_by_unit(members, self.units)
        elif method == "random":
            split = groups_mod.split_random(
                members, size=data.get("size"), seed=secrets.randbits(64),  # type: ignore[arg-type]
                name=lambda n: label % {"n": n},
            )  # fmt: skip
        elif method == "choice":
            names = data.get("names")
            if not isinstance(names, list) and isinstance(data.get("names_text"), str):
                names = data["names_text"].splitlines()
            count = data.get("count")
            if not isinstance(names, list) or not any(
                isinstance(n, str) and n.strip() for n in names
            ):
                if isinstance(count, bool) or not isinstance(count, int) or not 2 <= count <= 50:
                    raise Rejected(_("Give at least two groups."), "invalid")
                names = [label % {"n": n} for n in range(1, count + 1)]
            split = groups_mod.split_by_choice(names)
        elif method == "list":
            rows = groups_mod.parse_list(data.get("lines"))
            # opted-in identity: the list's email or return code, hashed as the opt-in was
            identity_keys = {
                person: identity.return_key(path_id=self.path_id, secret=person)
                for _name, person in rows
            }
            stored = await run_db(selectors.return_keys, day_id=self.day_id)
            members = [
                Member(m.key, name=m.name, unit=m.unit,
                       return_key=stored.get(self._by_member[m.key].token_hash, ""))
                for m in members
            ]  # fmt: skip
            split = groups_mod.split_from_list(members, rows, identity_keys=identity_keys)
        else:
            raise Rejected(_("Choose how to split into groups."), "invalid")
        if self.mode == "in_person":  # tables in the hall: numbered in order
            for i, g in enumerate(split.groups, start=1):
                g["table"] = i
        event = {"method": method, "groups": split.groups, "assign": split.assign}
        if split.unmatched or split.ambiguous:
            event["unmatched"] = split.unmatched[:50]
            event["ambiguous"] = split.ambiguous[:50]
        return event

    async def group_log(
        self, conn: Conn, slot: Slot, event: tuple[str, dict[str, Any]], client_id: str
    ) -> None:
        kind, data = event
        notice = data.pop("notice", None)
        actor = (
            f"f{conn.user_id}"
            if conn.audience == "console"
            else "m" + self.member_key(conn.participant)  # type: ignore[arg-type]
        )
        key = (actor, client_id)
        if key in self.seen:
            await conn.send({"t": "ack", "id": client_id, "dup": True})
            return
        ending = list(self.phase_slots) if kind == "end" else []
        try:
            self._apply(slot_id=slot.id, kind=f"grp:{kind}", actor=actor, client_id=client_id,
                        data=data)  # fmt: skip
        except Rejected as rejected:
            await conn.error(rejected.code, rejected.message, client_id)
            return
        row = {"day_id": self.day_id, "slot_id": slot.id, "actor": actor, "client_id": client_id,
               "kind": f"grp:{kind}", "data": data, "group": ""}  # fmt: skip
        self._enqueue(row, key, slot.id, conn)
        if notice is not None:  # "2 minutes left": the timer, then the notice
            await self.group_log(conn, slot, ("notice", notice), client_id + ".n")
        if kind == "split":
            self.assign_newcomers(list(self.conns["phone"]))
        for slot_id in ending:  # the group phase ends: every group's results are saved
            self.tasks.append(asyncio.ensure_future(self.carry_forward(self.slots[slot_id])))

    def assign_newcomers(self, conns: list[Conn]) -> None:
        """Phones of this instance that are in no group yet (joined late, or a split made on
        another instance did not know them) go where the phase puts newcomers."""
        if self.phase is None:
            return
        assign: dict[str, str] = {}
        for conn in conns:
            row = self.newcomer_row(conn)
            if row is not None:
                assign.update(row["assign"])
                # later newcomers are balanced against these too
                self.phase["member_of"].update(row["assign"])
        if not assign:
            return
        for key in assign:
            del self.phase["member_of"][key]
        client_id = f"auto{self.phase_no}-{secrets.token_hex(6)}"
        slot = self.slots[self.phase["slot"]]
        data = {"assign": assign}
        self._apply(slot_id=slot.id, kind="grp:join", actor="s", client_id=client_id, data=data)
        row = {"day_id": self.day_id, "slot_id": slot.id, "actor": "s", "client_id": client_id,
               "kind": "grp:join", "data": data, "group": ""}  # fmt: skip
        self.seq += 1
        self.seen.add(("s", client_id))
        pending = Pending(row=row, key=("s", client_id), seq=self.seq, slot_id=slot.id, conns=[])
        self.pending.append(pending)
        self.pending_keys[pending.key] = pending

    # -- what each audience sees -------------------------------------------------------------
    def group_block(self, gid: str | None) -> dict[str, Any] | None:
        """What a phone shows about its own group (only its members get it: the link)."""
        if self.phase is None or gid is None:
            return None
        g = self.phase["groups"][gid]
        link = g["link"]
        if not link and g["table"] is None and self.meeting_template:
            link = meeting.room_link(
                self.meeting_template, day_id=self.day_id, day_title=self.title,
                group_id=gid, group_name=g["name"],
            )  # fmt: skip
        n = sum(1 for v in self.phase["member_of"].values() if v == gid)
        return {"id": gid, "name": g["name"], "table": g["table"], "link": link, "n": n}

    def choices(self) -> list[dict[str, Any]] | None:
        if self.phase is None or self.phase["method"] != "choice":
            return None
        counts = groups_mod.counts(self.phase)
        return [
            {"id": gid, "name": self.phase["groups"][gid]["name"], "n": counts.get(gid, 0)}
            for gid in self.phase["order"]
        ]

    def _timer_for(self, slot: Slot | None, gid: str | None) -> float | None:
        if self.phase is not None and gid is not None:
            end = self.phase["groups"][gid]["timer_end"]
            if end:
                return end
        return slot.timer_end if slot else None

    def activity_info(self, slot: Slot, gid: str | None = None) -> dict[str, Any]:
        info = slot.info()
        if slot.groups is not None:
            info["grouped"] = True
        if self.phase is not None:
            info["timer_end"] = self._timer_for(slot, gid)
        return info

    def activity_data(self, slot: Slot, audience: str, gid: str | None = None) -> dict:
        """The activity part of a snapshot: a group's own copy, or (for the plenary, after a
        phase) every group's result side by side."""
        sg = slot.groups
        if sg is None:
            return _snapshot(slot.activity, audience, slot.state, slot.config, slot.revealed)
        if gid is not None and gid in sg.states:
            return _snapshot(
                slot.activity, audience, sg.states[gid], sg.configs[gid], slot.revealed
            )
        return {"grouped": True, "groups": [
            {"id": g, "name": sg.names[g], "data": self._mini(slot, g, "screen")}
            for g in sg.order
        ]}  # fmt: skip

    def _mini(self, slot: Slot, gid: str, audience: str) -> Any:
        sg = slot.groups
        assert sg is not None
        key = (slot.id, gid, audience, sg.rev[gid], slot.revealed)
        cached = self._mini_cache.get(key)
        if cached is None:
            if len(self._mini_cache) > 5000:
                self._mini_cache.clear()
            cached = self._mini_cache[key] = _snapshot(
                slot.activity, audience, sg.states[gid], sg.configs[gid], slot.revealed
            )
        return cached

    def group_phone_snapshot(self, gid: str | None) -> dict[str, Any]:
        slot = self._phone_slot()
        snap = self._base_snapshot()
        snap["day"] = {"title": self.title, "code": self.code, "units": self.units}
        in_copy = gid if slot is not None and slot.id in self.phase_slots else None
        snap["activity"] = self.activity_info(slot, gid) if slot else None
        snap["data"] = self.activity_data(slot, "phone", in_copy) if slot else {}
        snap["group"] = self.group_block(gid)
        snap["choices"] = self.choices()
        snap["notice"] = self.phase["notice"] if self.phase else None
        return snap

    def groups_overview(self) -> dict[str, Any] | None:
        """The projector during a phase: every group's name, place and progress."""
        if self.phase is None:
            return None
        counts = groups_mod.counts(self.phase)
        online = {gid: len(b) for gid, b in self._group_buckets.items() if gid is not None}
        slot = self.slots.get(self.phase["slot"])
        sg = slot.groups if slot else None
        return {
            "groups": [
                {"id": gid, "name": g["name"], "table": g["table"], "n": counts.get(gid, 0),
                 "online": online.get(gid, 0), "inputs": sg.inputs.get(gid, 0) if sg else 0}
                for gid in self.phase["order"]
                for g in (self.phase["groups"][gid],)
            ],
            "notice": self.phase["notice"],
            "choices": self.phase["method"] == "choice",
        }  # fmt: skip

    def groups_grid(self, conn: Conn) -> dict[str, Any] | None:
        """The facilitator's grid: members, inputs, last input and a live mini-view per group.

        Built from per-group tiles encoded once and kept until that group changes (an input
        there, a member moving, someone connecting): a 1,000-phone room in 100 groups re-encodes
        only the tiles of the groups that changed since the last console tick."""
        if self.phase is None:
            return None
        phase = self.phase
        members_key = (self.phase_no, self.phase_rev, self.presence_rev,
                       sum(self.group_info_rev.values()))  # fmt: skip
        if self._grid_members[0] != members_key:
            self._grid_members = (members_key, *self._grid_partition())
        _key, members, unassigned = self._grid_members
        slot = self._phone_slot()
        shown = slot if slot is not None and slot.id in self.phase_slots else None
        sg = shown.groups if shown is not None else None
        tiles: list[Any] = []
        for gid in phase["order"]:
            key = (members_key, shown.id if shown else None, sg.rev.get(gid) if sg else None,
                   shown.revealed if shown else None, conn.group == gid)  # fmt: skip
            cached = self._grid_tiles.get(gid)
            if cached is None or cached[0] != key:
                tile = orjson.Fragment(
                    orjson.dumps(self._grid_tile(gid, members[gid], conn, shown))
                )
                cached = self._grid_tiles[gid] = (key, tile)
            tiles.append(cached[1])
        options = [{"id": gid, "name": phase["groups"][gid]["name"]} for gid in phase["order"]]
        return {
            "method": phase["method"], "slot": phase["slot"], "list": tiles,
            "unassigned": unassigned, "options": options, "notice": phase["notice"],
            "viewing": conn.group,
        }  # fmt: skip

    def _grid_partition(self) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
        """Every known member by group (sorted by name), and the connected ones in none."""
        assert self.phase is not None
        members: dict[str, list[dict[str, Any]]] = {gid: [] for gid in self.phase["order"]}
        connected = {self.member_key(c.participant) for c in self.conns["phone"] if c.participant}
        unassigned = []
        for key, info in self._by_member.items():
            gid = self.phase["member_of"].get(key)
            entry = {"id": key, "name": info.name or f"#{key[:4]}", "group": gid or "",
                     "room": info.attendance == "room", "remote": info.attendance == "remote",
                     "online": key in connected, "select_id": f"move-{key}"}  # fmt: skip
            if gid in members:
                members[gid].append(entry)
            elif key in connected:
                unassigned.append(entry)
        for people in members.values():
            people.sort(key=lambda e: str(e["name"]).casefold())
        unassigned.sort(key=lambda e: str(e["name"]).casefold())
        return members, unassigned[:200]

    def _grid_tile(
        self, gid: str, people: list[dict[str, Any]], conn: Conn, shown: Slot | None
    ) -> dict[str, Any]:
        assert self.phase is not None
        g = self.phase["groups"][gid]
        sg = shown.groups if shown is not None else None
        block = self.group_block(gid) or {}
        return {
            "id": gid, "name": g["name"], "table": g["table"], "link": block.get("link", ""),
            "n": len(people), "online": len(self._group_buckets.get(gid) or ()),
            "room": sum(1 for e in people if e["room"]),
            "remote": sum(1 for e in people if e["remote"]),
            "inputs": sg.inputs.get(gid, 0) if sg else 0,
            "last": _clock(sg.last.get(gid)) if sg else "",
            "members": people[:60], "timer_end": g["timer_end"], "viewing": conn.group == gid,
            "data": self._mini(shown, gid, "screen") if shown and sg and gid in sg.states else {},
        }  # fmt: skip

    def attendance_counts(self) -> dict[str, int]:
        out = {"room": 0, "remote": 0, "unknown": 0}
        for conn in self.conns["phone"]:
            where = conn.participant.attendance if conn.participant else ""
            out[where if where in ("room", "remote") else "unknown"] += 1
        return out

    # -- views -------------------------------------------------------------------------------
    def view_template(self, slot: Slot | None, audience: str, conn: Conn) -> tuple[Any, str]:
        """(view key, template) for a client: the activity's own, the projector's overview of
        the groups, or the side-by-side results of a grouped activity."""
        if audience == "screen" and self.phase is not None:
            return ("groups", self.phase_no), "live/groups_overview.html"
        if slot is None:
            return (None, None), "live/activity_waiting.html"
        in_phase = (
            slot.groups is not None and self.phase is not None and slot.id in self.phase_slots
        )
        if in_phase and audience == "console" and conn.group is None:
            return (slot.id, "grid"), "live/groups_grid.html"
        if slot.groups is not None and not (in_phase and (conn.group or audience == "phone")):
            return (slot.id, "gallery"), "live/groups_gallery.html"
        template = {
            "phone": slot.activity.participant_template,
            "screen": slot.activity.presenter_template,
            "console": slot.activity.console_template,
        }[audience]
        return (slot.id, slot.activity.key), template

    # -- the screen pane of a participant's page ------------------------------------------
    def mirror_source(self, conn: Conn) -> tuple[Any, str, Slot | None]:
        """What a participant's screen pane shows: their group's own screen during a phase,
        else what the projector shows."""
        slot = self._screen_slot()
        if (
            self.phase is not None
            and conn.group is not None
            and slot is not None
            and (slot.id in self.phase_slots)
        ):
            return (slot.id, slot.activity.key, conn.group), slot.activity.presenter_template, slot
        key, template = self.view_template(slot, "screen", conn)
        return key, template, slot

    async def send_mirror_view(self, conn: Conn) -> bool:
        if not conn.watch:
            return False
        key, template, slot = self.mirror_source(conn)
        if conn.mirror_key == key:
            return False
        conn.mirror_key = key
        html = self.render_view(template, slot, conn.lang)
        await conn.send({"t": "view", "pane": "screen", "slot": slot.id if slot else None,
                         "key": slot.activity.key if slot else None, "html": html})  # fmt: skip
        return True

    def mirror_snapshot(self, gid: str | None) -> dict[str, Any]:
        slot = self._screen_slot()
        if (
            gid is not None
            and self.phase is not None
            and slot is not None
            and (slot.id in self.phase_slots)
        ):
            snap = self._base_snapshot()
            snap["pane"] = "screen"
            snap["day"] = {"title": self.title, "code": self.code}
            snap["activity"] = self.activity_info(slot, gid)
            snap["data"] = self.activity_data(slot, "screen", gid)
            snap["group"] = self.group_block(gid)
            return snap
        return {**self.screen_snapshot(), "pane": "screen"}

    async def watch_frame(self, conn: Conn, screen: bool) -> None:
        """``{"t": "watch", "screen": true}``: the page shows (or hides) its screen pane."""
        conn.watch = screen
        conn.mirror_key = None
        if conn.watch:
            await self.send_mirror_view(conn)
            await conn.send(self.mirror_snapshot(conn.group))

    # -- fan-out ---------------------------------------------------------------------------
    def _bucket_key(self, gid: str | None) -> tuple:
        slot = self._phone_slot()
        sg = slot.groups if slot is not None else None
        own = sg.rev.get(gid) if sg is not None and gid is not None else None
        return (self.view_version, self.plenary_rev, self.phase_rev, own,
                self.group_info_rev.get(gid, 0) if gid else 0)  # fmt: skip

    async def tick_groups(self, now: float, view_changed: bool) -> None:
        """Phones during a phase: one snapshot per group whose view changed, pushed to its
        members only (and their screen panes)."""
        pushed: set[str | None] = set()
        for gid, conns in list(self._group_buckets.items()):
            if not conns:
                continue
            key = self._bucket_key(gid)
            last = self._bucket_sent.get(gid)
            interval = GROUP_INTERVAL if len(conns) <= SMALL_GROUP else self.phone_interval()
            if last is not None and last[0] == key and not view_changed:
                continue
            if last is not None and now - last[1] < interval and not view_changed:
                continue
            snap = self.group_phone_snapshot(gid)
            body = orjson.dumps(snap["activity"]) + orjson.dumps(
                [snap["data"], snap["group"], snap["choices"], snap["notice"]]
            )
            if last is not None and body == last[2] and not view_changed:
                self._bucket_sent[gid] = (key, last[1], body, last[3])
                continue
            text = dumps(snap)
            self._bucket_sent[gid] = (key, now, body, text)
            mirror = None
            pushed.add(gid)
            for conn in list(conns):
                conn.push(text)
                if conn.watch:
                    if mirror is None:
                        mirror = dumps(self.mirror_snapshot(gid))
                    conn.push(mirror)
        await self._send_moved(pushed)

    async def _send_moved(self, pushed: set[str | None] | None = None) -> None:
        """Phones that changed group: their new group's snapshot (if the group's own push did
        not reach them this tick), their own inputs there, their screen pane."""
        moved, self._moved = self._moved, set()
        slot = self._phone_slot()
        for conn in moved:
            if conn not in self.conns["phone"]:
                continue
            sent = self._bucket_sent.get(conn.group)
            if self.phase is not None and conn.group not in (pushed or ()):
                conn.push(sent[3] if sent else dumps(self.group_phone_snapshot(conn.group)))
            if slot is not None:
                await self.send_me(conn, slot.id)
            if conn.watch and await self.send_mirror_view(conn):
                conn.push(dumps(self.mirror_snapshot(conn.group)))

    async def tick_mirrors(self, now: float) -> None:
        """Screen panes outside a group: the projector's snapshot at the phone rate."""
        if not self._any_watchers():
            return
        rev = (self.rev, self.presence_rev, self.view_version)
        last_rev, sent, _text = self._mirror_state
        if rev == last_rev or now - sent < MIRROR_INTERVAL:
            return
        text = dumps(self.mirror_snapshot(None))
        self._mirror_state = (rev, now, text)
        for conn in list(self.conns["phone"]):
            if conn.watch and (self.phase is None or conn.group is None or not self._grouped_now()):
                conn.push(text)

    def _grouped_now(self) -> bool:
        slot = self._screen_slot()
        return slot is not None and slot.id in self.phase_slots

    def _any_watchers(self) -> bool:
        return any(c.watch for c in self.conns["phone"])

    def phone_interval(self) -> float:
        from polku.live.engine.snapshots import LARGE_ROOM, PHONE_INTERVAL, PHONE_INTERVAL_LARGE

        return PHONE_INTERVAL if len(self.conns["phone"]) <= LARGE_ROOM else PHONE_INTERVAL_LARGE

    def console_interval(self, default: float) -> float:
        return CONSOLE_INTERVAL_GROUPS if self.phase is not None else default
