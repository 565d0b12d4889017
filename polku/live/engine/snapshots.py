"""What each audience sees: activity views, snapshots, and the fan-out tick."""

from __future__ import annotations

import time
from typing import Any

import orjson
from django.template.loader import render_to_string
from django.utils import translation

from polku.grouping.services import grouping_enabled
from polku.live.engine import bridge as bridge_mod
from polku.live.engine.connection import Conn, dumps
from polku.live.engine.slots import PLAIN, STATUS_LABELS, Slot

PROTOCOL_VERSION = 1
PHONE_INTERVAL = 0.5  # 2 Hz …
PHONE_INTERVAL_LARGE = 1.0  # … 1 Hz when more than LARGE_ROOM phones are connected
LARGE_ROOM = 1000
CONSOLE_INTERVAL = 0.5


class Snapshots:
    """The fan-out half of a Room (mixed into it): views rendered once per slot, audience and
    language; one snapshot per audience per tick, encoded once, pushed to every socket."""

    # provided by Room
    code: str
    title: str
    slots: dict[int, Slot]
    current: int | None
    screen_pin: int | None
    units: list[dict[str, Any]]
    unit_names: dict[int, str]
    conns: dict[str, set[Conn]]
    rev: int
    seq: int
    presence_rev: int

    @property
    def screen_slot(self) -> int | None:
        raise NotImplementedError

    def all_conns(self) -> list[Conn]:
        raise NotImplementedError

    async def send_me(self, conn: Conn, slot_id: int) -> None:
        raise NotImplementedError

    # provided by GroupRoom (engine/groups.py)
    phase: dict[str, Any] | None
    phase_slots: list[int]

    def view_template(self, slot: Slot | None, audience: str, conn: Conn) -> tuple[Any, str]:
        raise NotImplementedError

    def activity_info(self, slot: Slot, gid: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def activity_data(self, slot: Slot, audience: str, gid: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def groups_overview(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def groups_grid(self, conn: Conn) -> dict[str, Any] | None:
        raise NotImplementedError

    def attendance_counts(self) -> dict[str, int]:
        raise NotImplementedError

    def console_interval(self, default: float) -> float:
        raise NotImplementedError

    async def send_mirror_view(self, conn: Conn) -> bool:
        raise NotImplementedError

    async def tick_groups(self, now: float, view_changed: bool) -> None:
        raise NotImplementedError

    async def tick_mirrors(self, now: float) -> None:
        raise NotImplementedError

    async def _send_moved(self, pushed: set[str | None] | None = None) -> None:
        raise NotImplementedError

    def _init_fanout(self) -> None:
        self._views: dict[tuple, str] = {}
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

    # -- views and snapshots ---------------------------------------------------------------
    def _view_slot(self, conn: Conn) -> Slot | None:
        """Phones: what they work on; the projector: what is on screen; the console: the item
        being moderated (else what the phones have)."""
        if conn.audience == "screen":
            slot_id = self.screen_slot
        elif conn.audience == "console" and conn.selected:
            slot_id = conn.selected
        else:
            slot_id = self.current
        return self.slots.get(slot_id) if slot_id is not None else None

    def render_view(self, template: str, slot: Slot | None, lang: str) -> str:
        """A view template rendered once per slot and language (never per person)."""
        key = (template, slot.id if slot else None, lang)
        html = self._views.get(key)
        if html is None:
            context = {
                "slot": slot, "config": slot.config if slot else {}, "units": self.units,
                "grouping": bool(slot and slot.activity.groupable and grouping_enabled()),
            }  # fmt: skip
            with translation.override(lang):
                html = render_to_string(template, context)
            self._views[key] = html
        return html

    async def send_view(self, conn: Conn) -> None:
        slot = self._view_slot(conn)
        view_key, template = self.view_template(slot, conn.audience, conn)
        if conn.view_key == view_key:
            return
        conn.view_key = view_key
        html = self.render_view(template, slot, conn.lang)
        await conn.send({"t": "view", "slot": slot.id if slot else None,
                         "key": slot.activity.key if slot else None, "html": html})  # fmt: skip

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
        snap["activity"] = self.activity_info(slot) if slot else None
        snap["data"] = self.activity_data(slot, "phone") if slot else {}
        return snap

    def screen_snapshot(self) -> dict[str, Any]:
        screen = self.screen_slot
        slot = self.slots.get(screen) if screen else None
        snap = self._base_snapshot()
        snap["day"] = {"title": self.title, "code": self.code}
        snap["connected"] = len(self.conns["phone"])
        snap["activity"] = self.activity_info(slot) if slot else None
        overview = self.groups_overview()
        if overview is not None:  # during a group phase the projector shows the groups
            snap["data"] = overview
        else:
            snap["data"] = self.activity_data(slot, "screen") if slot else {}
        return snap

    def presence(self) -> dict[str, Any]:
        per_unit: dict[int | None, int] = {}
        for conn in self.conns["phone"]:
            unit = conn.participant.unit if conn.participant else None
            per_unit[unit] = per_unit.get(unit, 0) + 1
        # every row has an id: the console's list binding keys its rows by id (rows without
        # one were added again on every update)
        units = [
            {"id": str(u) if u else "none", "name": self.unit_names.get(u, "") if u else "", "n": n}
            for u, n in sorted(per_unit.items(), key=lambda kv: (-kv[1], kv[0] or 0))
        ]
        return {"total": len(self.conns["phone"]), "units": units,
                "where": self.attendance_counts()}  # fmt: skip

    def console_snapshot(self, conn: Conn, presence: dict[str, Any]) -> dict[str, Any]:
        slot = self._view_slot(conn)
        snap = self._base_snapshot()
        snap["day"] = {"title": self.title, "code": self.code}
        snap["connected"] = presence
        snap["current"] = self.current
        screen = self.screen_slot
        snap["screen"] = screen
        snap["screen_pinned"] = self.screen_pin is not None
        with translation.override(conn.lang):
            labels = {k: str(v) for k, v in STATUS_LABELS.items()}
            snap["agenda"] = [
                {**s.info(), "id": s.id, "status_label": labels[s.status],
                 "label": str(s.activity.label) if s.activity is not PLAIN else "",
                 "selected": slot is not None and s.id == slot.id, "on_screen": s.id == screen,
                 "on_phones": s.id == self.current}
                for s in self.slots.values()
            ]  # fmt: skip
            snap["phones_title"] = self.slots[self.current].title if self.current else ""
            snap["screen_title"] = self.slots[screen].title if screen else ""
        snap["activity"] = (
            {**self.activity_info(slot, conn.group), "status_label": labels[slot.status]}
            if slot
            else None
        )
        snap["groups"] = self.groups_grid(conn)
        if slot is not None and slot.id in self.phase_slots and conn.group is None:
            snap["data"] = {"grid": True}  # every group at once: the grid is in "groups"
        else:
            snap["data"] = self.activity_data(slot, "console", conn.group) if slot else {}
        snap["bridge_down"] = bridge_mod.bridge is not None and not bridge_mod.bridge.ok
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
                if conn.watch:
                    view_changed = await self.send_mirror_view(conn) or view_changed
        rev = (self.rev, self.presence_rev)
        if (rev != self._screen_rev or view_changed) and self.conns["screen"]:
            self._screen_rev = rev
            text = dumps(self.screen_snapshot())
            for conn in list(self.conns["screen"]):
                conn.push(text)
        if (
            self.conns["console"]
            and (rev != self._console_rev or view_changed)
            and (
                now - self._console_sent >= self.console_interval(CONSOLE_INTERVAL) or view_changed
            )
        ):
            self._console_rev, self._console_sent = rev, now
            presence = self.presence()
            for conn in list(self.conns["console"]):
                conn.push(dumps(self.console_snapshot(conn, presence)))
        await self.tick_mirrors(now)
        if self.phase is not None:  # one snapshot per group, to its members only
            await self.tick_groups(now, view_changed)
            return
        await self._send_moved()
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
