"""A hypothesis fuzzer over every activity type's inputs and moderation actions.

Phones connect and drop, send frames built from each kind's declared shape (with ids taken
from the room's own state, so deep reducer paths run), mutated frames (a list where a string
belongs, extra keys, huge numbers, nesting) and junk; the console opens, closes, reveals and
moderates. After every step:

* no exception escapes, and no frame was answered "internal" (every refusal is a ``Rejected``
  with a message, never a crash inside a reducer);
* the connected count is the truth (sockets the test holds open);
* the state stays valid: JSON, every audience's snapshot and everyone's personal state build;
* at the end, replaying the accepted events from scratch gives the same state (a fold).

The room is built in memory (no database, no socket): hundreds of examples run in seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from typing import Any

import msgspec
import msgspec.inspect as mi
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polku.activities.registry import registry
from polku.live import engine, identity
from polku.live.engine.room import CONTROL_ACTIONS
from polku.live.selectors import RoomData, SlotData

CODE = "FUZZ22"
UNITS = [{"id": 1, "name": "Tampereen osasto"}, {"id": 2, "name": "Oulun osasto"}]
CARDS = [{"id": "e1", "title": "Kummitoiminta"}, {"id": "e2", "title": "Somekampanja"}]
CONFIGS: dict[str, dict[str, Any]] = {
    "dot_vote": {"items": ["Perehdytys", "Viestintä", "Kummit"], "dots": 3, "max_per_item": 2},
    "influence": {"items": ["Perehdytys", "Tilat"]},
    "ranking": {"items": ["A", "B", "C", "D"], "top_k": 3},
    "poll": {"options": ["Kyllä", "Ei", "Ehkä"], "multiple": True},
    "report_back": {"cards": CARDS},
    "decide": {"cards": CARDS},
    "experiment_canvas": {"grouping": "unit", "measures": ["Uudet jäsenet"]},
}
KEYS = sorted(registry)


class FakeConn(engine.Conn):
    def __init__(self, audience: str = "phone", ip: str = "10.0.0.1") -> None:
        super().__init__(audience=audience, lang="fi", ip=ip)
        self.sent: list[dict[str, Any]] = []
        self.bucket = engine.TokenBucket(1e9, 1e9)

    async def send_text(self, text: str) -> None:
        self.sent.append(orjson.loads(text))


def room_data(events: list[dict[str, Any]] | None = None) -> RoomData:
    slots = [
        SlotData(100 + i, i, f"Vaihe {key}", key, CONFIGS.get(key, {}))
        for i, key in enumerate(KEYS)
    ]
    return RoomData(
        day_id=1, code=CODE, title="Fuzz", status="live", path_id=1,
        organisation_slug="fuzz", organisation_id=1, slots=slots, units=UNITS,
        events=events or [],
    )  # fmt: skip


# -- values ------------------------------------------------------------------------------------
json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-3, 5)
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_any = st.recursive(
    json_leaf,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=8,
)


def ids_in(room: engine.Room, slot: engine.Slot) -> list[str]:
    """Ids a reducer may know: items, cards, themes, groups, options, words."""
    state, found = slot.state, ["zz", ""]
    for name in ("items",):
        found += [i["id"] for i in state.get(name, []) if isinstance(i, dict)]
    for name in ("cards", "themes", "groups", "counts"):
        value = state.get(name)
        if isinstance(value, dict):
            found += [str(k) for k in list(value)[:20]]
    found += [q["id"] for q in state.get("questions", [])]
    found += [f"o{i}" for i in range(3)] + ["c0", "t1", "u1", "e1", "e2", "decide", "out"]
    found += [f"{g}|0" for g in list(state.get("groups", {}))[:5]]
    return found


def from_type(info: mi.Type, ids: list[str]) -> st.SearchStrategy:
    """Values of one declared type: mostly valid, sometimes the edge of its limits."""
    if isinstance(info, mi.UnionType):
        return st.one_of([from_type(t, ids) for t in info.types])
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.StrType):
        top = info.max_length or 50
        return st.sampled_from(ids) | st.text(max_size=min(top, 60)) | st.just("x" * top)
    if isinstance(info, mi.IntType):
        low = info.ge if info.ge is not None else -5
        high = info.le if info.le is not None else 10**6
        return st.integers(-3, 12) | st.sampled_from([low, high])
    if isinstance(info, mi.ListType):
        return st.lists(from_type(info.item_type, ids), max_size=min(info.max_length or 5, 5))
    if isinstance(info, mi.DictType):
        keys = from_type(info.key_type, ids) if isinstance(info.key_type, mi.StrType) else st.text()
        return st.dictionaries(keys, from_type(info.value_type, ids), max_size=5)
    if isinstance(info, mi.StructType):
        fields = {f.name: from_type(f.type, ids) for f in info.fields}
        return st.fixed_dictionaries({}, optional=fields)
    return json_any


def shaped(shape: Any, ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    valid = from_type(mi.type_info(shape), ids)
    mutated = valid.flatmap(
        lambda d: st.dictionaries(
            st.sampled_from([*d, "extra", "text", "item"]) if isinstance(d, dict) else st.text(),
            json_any,
            max_size=3,
        ).map(lambda extra: {**d, **extra} if isinstance(d, dict) else extra)
    )
    return st.one_of(valid, valid, mutated, st.dictionaries(st.text(max_size=6), json_any))


def junk() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40),
        json_any.map(json.dumps),
        st.just("[" * 3000 + "]" * 3000),
        st.just(
            '{"t":"input","id":"x","slot":100,"kind":"card","data":' + "[" * 2000 + "]" * 2000 + "}"
        ),
        st.just("x" * 9000),
    )


# -- the fuzzer ----------------------------------------------------------------------------------
_cid = itertools.count()


def frame_for(data: st.DataObject, room: engine.Room, audience: str) -> str:
    slot = data.draw(st.sampled_from(list(room.slots.values())), label="slot")
    ids = ids_in(room, slot)
    cid = f"f{next(_cid)}"
    choice = data.draw(st.integers(0, 9), label="what")
    if choice == 0:
        return data.draw(junk(), label="junk")
    if choice == 1:  # profile (also the exact frame from the issue)
        unit = data.draw(st.sampled_from([1, 2, 99, [1], None, "1", True]), label="unit")
        return json.dumps({"t": "profile", "id": cid, "unit": unit})
    if audience == "console" and choice in (2, 3, 4):
        action = data.draw(st.sampled_from(sorted(CONTROL_ACTIONS)), label="control")
        extra = data.draw(st.sampled_from([{}, {"seconds": 60}, {"seconds": -1}]), label="cdata")
        return json.dumps(
            {"t": "control", "id": cid, "slot": slot.id, "action": action, "data": extra}
        )
    if audience == "console" and choice in (5, 6) and slot.activity.moderation:
        action = data.draw(st.sampled_from(sorted(slot.activity.moderation)), label="action")
        payload = data.draw(shaped(slot.activity.moderation[action], ids), label="mdata")
        return json.dumps(
            {"t": "moderate", "id": cid, "slot": slot.id, "action": action, "data": payload}
        )
    if not slot.activity.inputs:
        return json.dumps({"t": "input", "id": cid, "slot": slot.id, "kind": "x", "data": {}})
    kind = data.draw(st.sampled_from(sorted(slot.activity.inputs)), label="kind")
    payload = data.draw(shaped(slot.activity.inputs[kind], ids), label="data")
    return json.dumps({"t": "input", "id": cid, "slot": slot.id, "kind": kind, "data": payload})


def check_valid(room: engine.Room, phones: list[FakeConn], console: FakeConn) -> None:
    assert len(room.conns["phone"]) == len(phones)
    assert room.presence()["total"] == len(phones)
    assert room.screen_snapshot()["connected"] == len(phones)
    for slot in room.slots.values():
        orjson.dumps(slot.state)
        orjson.dumps(slot.activity.public_snapshot(slot.state, slot.config, slot.revealed))
        orjson.dumps(slot.activity.presenter_snapshot(slot.state, slot.config, slot.revealed))
        orjson.dumps(slot.activity.console_snapshot(slot.state, slot.config))
        orjson.dumps(slot.activity.results(slot.state, slot.config), default=vars)
        for phone in phones:
            orjson.dumps(slot.activity.personal(slot.state, room.actor(phone, slot), slot.config))
        console.selected = slot.id
        orjson.dumps(room.console_snapshot(console, room.presence()))
    orjson.dumps(room.phone_snapshot())


def new_phone(room: engine.Room, n: int) -> FakeConn:
    conn = FakeConn(ip=f"10.0.0.{n % 3}")
    conn.participant = room.participant_for(identity.token_new(CODE), f"P{n}", None, ip=conn.ip)
    return conn


class LoopThread:
    """An event loop in its own thread; the test body (and Hypothesis' draws) stay in this one.

    ``asyncio.run`` here would refuse to start whenever another test of the session left an event
    loop running in this thread, and Hypothesis draws only from the test's own thread."""

    def __enter__(self) -> LoopThread:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        return self

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzzed_frames_never_crash_keep_the_count_and_the_state_valid(data):
    with LoopThread() as loop:
        room = engine.Room(CODE)
        room._build(room_data())
        room.loaded = True

        async def no_carry(slot: engine.Slot) -> None:  # saving to the path needs a database
            return None

        room.carry_forward = no_carry  # type: ignore[method-assign]
        console = FakeConn("console")
        console.user_id = 7
        loop.run(room.add(console))
        phones: list[FakeConn] = []
        everyone = [console]
        for slot_id in room.slots:  # open every activity; the console may close some later
            loop.run(room.handle(console, orjson.dumps(
                {"t": "control", "id": f"o{next(_cid)}", "slot": slot_id, "action": "open", "data": {}}
            ).decode()))  # fmt: skip
        for n in range(data.draw(st.integers(1, 30), label="steps")):
            step = data.draw(st.integers(0, 9), label="step")
            if step == 0 or not phones:
                phone = new_phone(room, n)
                loop.run(room.add(phone))
                phones.append(phone)
                everyone.append(phone)
            elif step == 1:
                room.remove(phones.pop(data.draw(st.integers(0, len(phones) - 1), label="drop")))
            elif step in (2, 3):
                loop.run(room.handle(console, frame_for(data, room, "console")))
            else:
                phone = phones[data.draw(st.integers(0, len(phones) - 1), label="who")]
                loop.run(room.handle(phone, frame_for(data, room, "phone")))
            for conn in everyone:
                crashes = [f for f in conn.sent if f["t"] == "error" and f["code"] == "internal"]
                assert crashes == []
            check_valid(room, phones, console)
        for conn in [console, *phones]:
            room.remove(conn)
        assert room.presence()["total"] == 0
        assert not any(room.conns.values())
        # a fold: the accepted events replayed from scratch give the same state
        rows = [{**p.row, "unit_id_tag": p.row.get("unit_id_tag")} for p in room.pending]
        rebuilt = engine.Room(CODE)
        rebuilt._build(room_data(events=orjson.loads(orjson.dumps(rows))))
        for slot_id, slot in room.slots.items():
            assert rebuilt.slots[slot_id].state == orjson.loads(orjson.dumps(slot.state))


@pytest.mark.parametrize("key", KEYS)
def test_every_activity_type_declares_the_shape_of_each_input_and_action(key):
    activity = registry[key]
    for kind, shape in {**activity.inputs, **activity.moderation}.items():
        info = mi.type_info(shape)
        assert isinstance(info, mi.StructType | mi.DictType), (key, kind)
        if isinstance(info, mi.StructType):
            assert info.forbid_unknown_fields, (key, kind)
    assert activity.input_kinds == frozenset(activity.inputs)
    assert activity.moderation_actions == frozenset(activity.moderation)


def test_shapes_refuse_a_list_where_a_string_belongs():
    poll = registry["poll"]
    with pytest.raises(Exception, match=r"Expected `str`, got `object` - at `\$.choice\[0\]`"):
        poll.check_input("answer", {"choice": [{}]})
    poll.check_input("answer", {"choice": ["o0", "o1"]})
    poll.check_input("answer", {"choice": "o0"})
    assert msgspec.json.decode(b'{"choice": "o0"}', type=poll.inputs["answer"]).choice == "o0"
