"""Random frames thrown at the room: no crash, every reply is well-formed, state stays
consistent (dot totals = sum of everyone's dots, nobody over budget)."""

import orjson
import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polku.live import engine
from polku.live.tests.factories import live_day

pytestmark = pytest.mark.django_db(transaction=True)


class FakeConn(engine.Conn):
    def __init__(self, audience="phone"):
        super().__init__(audience=audience, lang="fi", ip="10.0.0.1")
        self.sent = []
        self.bucket = engine.TokenBucket(1e9, 1e9)

    async def send_text(self, text):
        self.sent.append(orjson.loads(text))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


def frames(slot_ids):
    item = st.sampled_from(["c0", "c1", "c2", "zz", "", None, 0])
    vote = st.fixed_dictionaries(
        {"t": st.just("input"), "id": st.text(min_size=0, max_size=45),
         "slot": st.sampled_from([*slot_ids, 0, -1, "x", None]),
         "kind": st.sampled_from(["vote", "card", "x", 3]),
         "data": st.one_of(st.fixed_dictionaries({"item": item, "delta": st.integers(-2, 2)}),
                           st.fixed_dictionaries({"text": st.text(max_size=250)}), json_values)},
    )  # fmt: skip
    junk = st.one_of(
        st.text(max_size=60),
        json_values.map(lambda v: orjson.dumps(v).decode()),
        st.dictionaries(
            st.sampled_from(["t", "id", "slot", "kind", "data", "action"]), json_values
        ).map(lambda v: orjson.dumps(v).decode()),
    )
    return st.lists(st.one_of(vote.map(lambda v: orjson.dumps(v).decode()), junk), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_frames_never_crash_and_keep_state_consistent(data):
    day, (topics, vote), _ = live_day(
        configs={"dot_vote": {"items": ["A", "B", "C"], "dots": 3, "max_per_item": 2}}
    )
    script = data.draw(frames([topics.pk, vote.pk]))

    async def scenario():
        engine.rooms.clear()
        room = await engine.room_get(day.join_code)
        for slot in (topics, vote):
            room._apply(
                slot_id=slot.pk, kind="sys:open", actor="f1", client_id=f"o{slot.pk}", data={}
            )
        conns = [FakeConn() for _ in range(3)]
        for i, conn in enumerate(conns):
            conn.participant = engine.ParticipantInfo(id=1000 + i, token=f"tok{i}")
        for n, raw in enumerate(script):
            await room.handle(conns[n % 3], raw)
        await room.flush()
        for task in room.tasks:
            task.cancel()
        rebuilt = engine.Room(day.join_code)  # as after a restart: replay the stored log
        await rebuilt.load()
        for slot in (topics, vote):
            assert rebuilt.slots[slot.pk].state == room.slots[slot.pk].state
        return room, conns

    room, conns = async_to_sync(scenario)()
    state = room.slots[vote.pk].state
    per_item: dict[str, int] = {}
    for mine in state["votes"].values():
        assert sum(mine.values()) <= 3
        for item, n in mine.items():
            assert 0 <= n <= 2
            per_item[item] = per_item.get(item, 0) + n
    assert {k: v for k, v in state["totals"].items() if v} == {
        k: v for k, v in per_item.items() if v
    }
    cards = room.slots[topics.pk].state["cards"]
    assert all(0 < len(c["text"]) <= 200 for c in cards.values())
    for conn in conns:
        for msg in conn.sent:
            assert msg["t"] in ("ack", "error", "pong", "me")
            if msg["t"] == "error":
                assert isinstance(msg["message"], str) and msg["message"]
    engine.rooms.clear()
