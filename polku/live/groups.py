"""Groups of a live room, as pure functions over JSON-able data: no sockets, no ORM, no clock.

A *group phase* splits the room's participants into small groups; while it lasts, every
activity the phones work on has one state per group (the engine holds them,
``polku/live/engine/groups.py``). This module decides who is in which group and folds the
phase's events, so a restart or another instance replays exactly the same phase.

Members are named by a *member key* (``identity.member_key``: a keyed hash of the participant's
token hash), never by the token hash itself, so the event log cannot be joined to the
participant table without the server's secret.

Splitting:

* ``split_by_unit``  one group per unit that has members; members without a unit fill the
  smallest groups;
* ``split_random``   groups of at most ``size``, sizes differing by at most one;
* ``split_by_choice`` named, empty groups: participants pick one;
* ``split_from_list`` a prepared list ("Group: nickname" or "Group: email" per line), matched by
  nickname or by opted-in identity (the keyed hash of an email or return code).

Phase events (``phase_reduce``): ``split``, ``join`` (assignments, also moves), ``add``,
``edit`` (name, link, table), ``timer``, ``notice`` and ``end``. Each checks first and mutates
after, raising ``Rejected`` with a translated message.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from polku.activities.registry import Rejected, clean_text

METHODS = ("unit", "random", "choice", "list")
MAX_GROUPS = 200
MAX_GROUP_SIZE = 100
MAX_LIST_LINES = 5000
MAX_NOTICE = 200
MAX_LINK = 300
GROUP_ID = re.compile(r"^g[0-9]{1,4}$")
MEMBER_KEY = re.compile(r"^[0-9a-f]{16}$")
_LINE_SPLIT = re.compile(r"\s*[:;\t]\s*|\s*,\s*")


@dataclass(frozen=True)
class Member:
    """A participant as the group functions see them."""

    key: str
    name: str = ""
    unit: int | None = None
    return_key: str = ""


@dataclass
class Split:
    """The outcome of a split: groups in order, member key → group id, and what did not fit."""

    groups: list[dict[str, Any]]
    assign: dict[str, str]
    unmatched: list[str] = field(default_factory=list)  # list rows nobody matched
    ambiguous: list[str] = field(default_factory=list)  # nicknames two people share


def group(
    gid: str, name: str, *, unit: int | None = None, table: int | None = None, link: str = ""
) -> dict[str, Any]:
    return {"id": gid, "name": name, "unit": unit, "table": table, "link": link}


def _ids(n: int, start: int = 1) -> list[str]:
    return [f"g{i}" for i in range(start, start + n)]


def _balanced(order: list[str], counts: dict[str, int]) -> str:
    """The group with the fewest members (the earliest one on a tie)."""
    return min(order, key=lambda gid: (counts.get(gid, 0), order.index(gid)))


def split_by_unit(members: Sequence[Member], units: Sequence[dict[str, Any]]) -> Split:
    """One group per unit (in the given unit order) that has at least one member."""
    present = {m.unit for m in members if m.unit is not None}
    chosen = [u for u in units if u["id"] in present][:MAX_GROUPS]
    if not chosen:
        raise Rejected(_("Nobody has told their unit yet: choose another way to split."), "invalid")
    groups = [
        group(gid, str(u["name"])[:80], unit=u["id"])
        for gid, u in zip(_ids(len(chosen)), chosen, strict=True)
    ]
    by_unit = {g["unit"]: g["id"] for g in groups}
    assign: dict[str, str] = {}
    counts: dict[str, int] = {}
    for m in sorted(members, key=lambda m: m.key):
        gid = by_unit.get(m.unit)
        if gid is not None:
            assign[m.key] = gid
            counts[gid] = counts.get(gid, 0) + 1
    order = [g["id"] for g in groups]
    for m in sorted(members, key=lambda m: m.key):
        if m.key not in assign:
            gid = _balanced(order, counts)
            assign[m.key] = gid
            counts[gid] = counts.get(gid, 0) + 1
    return Split(groups, assign)


def split_random(
    members: Sequence[Member], *, size: int, seed: int | str, name: Callable[[int], str]
) -> Split:
    """Groups of at most ``size`` people at random; sizes differ by at most one."""
    if isinstance(size, bool) or not isinstance(size, int) or not 2 <= size <= MAX_GROUP_SIZE:
        raise Rejected(
            _("The group size must be %(low)s–%(high)s.") % {"low": 2, "high": MAX_GROUP_SIZE},
            "invalid",
        )
    if not members:
        raise Rejected(_("Nobody is connected yet."), "invalid")
    count = min(MAX_GROUPS, max(1, math.ceil(len(members) / size)))
    people = sorted(members, key=lambda m: m.key)
    random.Random(seed).shuffle(people)
    groups = [group(gid, name(i + 1)) for i, gid in enumerate(_ids(count))]
    assign = {m.key: groups[i % count]["id"] for i, m in enumerate(people)}
    return Split(groups, assign)


def split_by_choice(names: Sequence[str]) -> Split:
    """Named, empty groups; participants pick theirs (``join`` with their own key)."""
    cleaned = _names(names)
    if len(cleaned) < 2:
        raise Rejected(_("Give at least two groups."), "invalid")
    return Split([group(gid, n) for gid, n in zip(_ids(len(cleaned)), cleaned, strict=True)], {})


def _names(names: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for raw in names:
        text = clean_text(raw, max_length=80, required=False)
        if text and text.casefold() not in {n.casefold() for n in out}:
            out.append(text)
    if len(out) > MAX_GROUPS:
        raise Rejected(_("At most %(n)s groups.") % {"n": MAX_GROUPS}, "limit")
    return out


def fold_name(text: str) -> str:
    """Nicknames compare without case, accents' composition or extra spaces."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def parse_list(text: Any) -> list[tuple[str, str]]:
    """Rows of a prepared list: ``Group: person`` (also ``;``, tab or a comma) per line."""
    if not isinstance(text, str):
        raise Rejected(_("Text expected."), "invalid")
    rows: list[tuple[str, str]] = []
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_LIST_LINES:
        raise Rejected(_("At most %(n)s lines.") % {"n": MAX_LIST_LINES}, "limit")
    for number, line in enumerate(lines, start=1):
        parts = _LINE_SPLIT.split(line.strip(), maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise Rejected(
                _("Line %(n)s: write the group, a colon and the person (Group A: Maija).")
                % {"n": number},
                "invalid",
            )
        rows.append(
            (
                clean_text(parts[0], max_length=80),
                clean_text(parts[1], max_length=254),
            )
        )
    if not rows:
        raise Rejected(_("The list is empty."), "empty")
    return rows


def split_from_list(
    members: Sequence[Member],
    rows: Sequence[tuple[str, str]],
    *,
    identity_keys: dict[str, str] | None = None,
) -> Split:
    """Groups in the order the list names them. A row's person is matched to a member by
    opted-in identity (``identity_keys``: person as written → keyed hash, computed by the
    caller) or else by nickname. Members not on the list stay unassigned (they join the
    smallest group when the phase starts for them)."""
    identity_keys = identity_keys or {}
    names = _names(name for name, _person in rows)
    if not names:
        raise Rejected(_("The list is empty."), "empty")
    groups = [group(gid, n) for gid, n in zip(_ids(len(names)), names, strict=True)]
    gid_of = {n.casefold(): g["id"] for n, g in zip(names, groups, strict=True)}
    by_identity = {m.return_key: m for m in members if m.return_key}
    by_nick: dict[str, list[Member]] = {}
    for m in members:
        if m.name:
            by_nick.setdefault(fold_name(m.name), []).append(m)
    split = Split(groups, {})
    for name, person in rows:
        gid = gid_of[name.casefold()]
        member = by_identity.get(identity_keys.get(person, ""))
        if member is None:
            candidates = by_nick.get(fold_name(person), [])
            if len(candidates) > 1:
                if person not in split.ambiguous:
                    split.ambiguous.append(person)
                continue
            member = candidates[0] if candidates else None
        if member is None:
            split.unmatched.append(person)
            continue
        split.assign[member.key] = gid
    return split


# -- the phase as a fold of its events -------------------------------------------------------
def phase_new(*, slot_id: int, method: str, split: Split) -> dict[str, Any]:
    """The JSON state of a group phase that starts with ``split`` on agenda item ``slot_id``."""
    order = [g["id"] for g in split.groups]
    return {
        "slot": slot_id,
        "method": method,
        "groups": {g["id"]: {**g, "timer_end": None} for g in split.groups},
        "order": order,
        "member_of": dict(split.assign),
        "next": len(order) + 1,
        "notice": None,
        "notices": 0,
    }


def counts(phase: dict[str, Any]) -> dict[str, int]:
    out = dict.fromkeys(phase["order"], 0)
    for gid in phase["member_of"].values():
        out[gid] = out.get(gid, 0) + 1
    return out


def newcomer_group(phase: dict[str, Any], member: Member) -> str | None:
    """Where a participant who is not in a group yet goes: by unit (when the phase was split
    by unit and their unit has a group), else the smallest group; nowhere when people
    choose their own group."""
    if phase["method"] == "choice" or not phase["order"]:
        return None
    if phase["method"] == "unit" and member.unit is not None:
        for gid in phase["order"]:
            if phase["groups"][gid]["unit"] == member.unit:
                return gid
    return _balanced(phase["order"], counts(phase))


def _clean_link(value: Any) -> str:
    if value in (None, ""):
        return ""
    link = clean_text(value, max_length=MAX_LINK)
    if not re.match(r"^https://[^\s/@]+(/\S*)?$", link):
        raise Rejected(_("A video link must start with https://."), "invalid")
    return link


def _clean_table(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 999:
        raise Rejected(_("A table number must be 1–999."), "invalid")
    return value


def _group_id(phase: dict[str, Any], value: Any) -> str:
    if not isinstance(value, str) or value not in phase["groups"]:
        raise Rejected(_("No such group."), "invalid")
    return value


def phase_reduce(phase: dict[str, Any], kind: str, data: dict[str, Any]) -> None:
    """Apply one phase event (not ``split``, which makes the phase: ``phase_new``)."""
    if kind == "join":
        assign = data.get("assign")
        if not isinstance(assign, dict) or not assign:
            raise Rejected(_("Invalid value."), "invalid")
        for key, gid in assign.items():
            if not isinstance(key, str) or not MEMBER_KEY.match(key):
                raise Rejected(_("No such participant."), "invalid")
            _group_id(phase, gid)
        phase["member_of"].update(assign)
    elif kind == "add":
        if len(phase["order"]) >= MAX_GROUPS:
            raise Rejected(_("At most %(n)s groups.") % {"n": MAX_GROUPS}, "limit")
        name = clean_text(data.get("name"), max_length=80)
        unit = data.get("unit")
        unit = unit if isinstance(unit, int) and not isinstance(unit, bool) else None
        gid = f"g{phase['next']}"
        phase["next"] += 1
        phase["groups"][gid] = {**group(gid, name, unit=unit), "timer_end": None}
        phase["order"].append(gid)
    elif kind == "edit":
        gid = _group_id(phase, data.get("group"))
        changes: dict[str, Any] = {}
        if "name" in data:
            changes["name"] = clean_text(data["name"], max_length=80)
        if "link" in data:
            changes["link"] = _clean_link(data["link"])
        if "table" in data:
            changes["table"] = _clean_table(data["table"])
        phase["groups"][gid].update(changes)
    elif kind == "timer":
        end = data.get("end")
        end = float(end) if isinstance(end, int | float) and not isinstance(end, bool) else None
        targets = [_group_id(phase, data["group"])] if data.get("group") else phase["order"]
        for gid in targets:
            phase["groups"][gid]["timer_end"] = end
    elif kind == "notice":
        text = clean_text(data.get("text") or "", max_length=MAX_NOTICE, required=False)
        time_left = data.get("time_left") is True
        if not text and not time_left:
            raise Rejected(_("Write something first."), "empty")
        phase["notices"] += 1
        phase["notice"] = {"id": phase["notices"], "text": text, "time_left": time_left}
    else:
        raise Rejected(_("Unknown action."), "invalid")
