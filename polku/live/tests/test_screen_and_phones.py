"""What the projector shows and what the phones work on are separate: `open` moves the phones
(and the screen, unless it is held elsewhere), `show` moves only the screen, `follow` lets it
follow the phones again. Starting an activity closes the one before it and saves its results;
a closed activity can be put back on the phones."""

import asyncio

import pytest

from polku.activities.models import ActivityResult
from polku.live import engine, identity
from polku.live.models import LiveEvent
from polku.live.tests.factories import live_day
from polku.live.tests.test_consumers import (
    APP,
    WebsocketCommunicator,
    console,
    phone,
    receive_until,
    run,
)

LAST: dict = {}  # the newest console snapshot seen while waiting for an ack


async def control(comm, slot, action, cid, data=None):
    await comm.send_json_to(
        {"t": "control", "id": cid, "slot": slot.pk, "action": action, "data": data or {}}
    )
    while True:
        msg = await comm.receive_json_from(timeout=3)
        if msg["t"] == "snapshot":
            LAST[comm] = msg
        if msg["t"] == "ack":
            assert msg == {"t": "ack", "id": cid, "seq": msg["seq"]}
            return


pytestmark = pytest.mark.django_db(transaction=True)


async def screen(day, user_id):
    key = identity.staff_key(day_id=day.pk, role="screen", user_id=user_id)
    comm = WebsocketCommunicator(APP, f"/ws/live/{day.join_code}/screen/?k={key}")
    connected, _ = await comm.connect()
    assert connected
    return comm


async def view_of(comm, slot):
    """The next `view` frame for this slot (earlier frames are dropped)."""
    while True:
        msg = await receive_until(comm, "view")
        if msg["slot"] == (slot.pk if slot else None):
            return msg


async def console_state(comm, **expected):
    """Console snapshots until one matches the expected top-level values."""
    snap = LAST.pop(comm, None)
    while True:
        if snap is None:
            snap = await receive_until(comm, "snapshot")
        if all(snap.get(k) == v for k, v in expected.items()):
            return snap
        snap = None


async def no_view(comm, wait=0.4):
    """No `view` frame arrives within about `wait` seconds (snapshots may). A receive with a
    timeout would cancel the consumer, so this polls with receive_nothing."""
    for _ in range(int(wait / 0.1)):
        while not await comm.receive_nothing(timeout=0.1):
            msg = await comm.receive_json_from()
            assert msg["t"] != "view", msg


def test_show_moves_only_the_screen_and_open_moves_phones_unless_the_screen_is_held():
    day, (topics, vote, poll), fac = live_day(
        activities=("topics", "dot_vote", "poll"),
        configs={"dot_vote": {"items": ["A", "B"]}, "poll": {"options": ["Kyllä", "Ei"]}},
    )

    async def scenario():
        staff = await console(day, fac.user_id)
        projector = await screen(day, fac.user_id)
        comm = await phone(day.join_code)
        await control(staff, topics, "open", "c1")
        await view_of(comm, topics)
        await view_of(projector, topics)
        await control(staff, vote, "open", "c2")
        await view_of(comm, vote)
        await view_of(projector, vote)

        # an earlier result on the projector; the phones keep voting
        await control(staff, topics, "show", "c3")
        await view_of(projector, topics)
        snap = await console_state(staff, screen=topics.pk)
        assert (snap["current"], snap["screen"], snap["screen_pinned"]) == (
            vote.pk,
            topics.pk,
            True,
        )
        assert (snap["phones_title"], snap["screen_title"]) == ("Slot dot_vote", "Slot topics")
        assert [(a["id"], a["on_phones"], a["on_screen"], a["status"]) for a in snap["agenda"]] == [
            (topics.pk, False, True, "closed"),
            (vote.pk, True, False, "open"),
            (poll.pk, False, False, "pending"),
        ]
        await no_view(comm)
        await comm.send_json_to(
            {"t": "input", "id": "v1", "slot": vote.pk, "kind": "vote",
             "data": {"item": "c0", "delta": 1}}
        )  # fmt: skip
        assert (await receive_until(comm, "ack"))["id"] == "v1"

        # the next activity goes to the phones; the held screen stays where it is
        await control(staff, poll, "open", "c4")
        await view_of(comm, poll)
        await no_view(projector)
        room = engine.rooms[day.join_code]
        assert room.screen_snapshot()["activity"]["slot"] == topics.pk
        assert room.phone_snapshot()["activity"]["slot"] == poll.pk

        await control(staff, poll, "follow", "c5")
        await view_of(projector, poll)
        snap = await console_state(staff, screen=poll.pk)
        assert (snap["current"], snap["screen_pinned"]) == (poll.pk, False)

        # showing what the phones have is the same as following them
        await control(staff, vote, "show", "c6")
        await view_of(projector, vote)
        await control(staff, poll, "show", "c7")
        snap = await console_state(staff, screen=poll.pk)
        assert snap["screen_pinned"] is False

        for c in (comm, projector, staff):
            await c.disconnect()

    run(scenario)


def test_starting_the_next_activity_closes_and_saves_the_previous_one_and_it_can_come_back():
    day, (topics, vote), fac = live_day(configs={"dot_vote": {"items": ["A", "B"]}})

    async def scenario():
        staff = await console(day, fac.user_id)
        comm = await phone(day.join_code)
        await control(staff, topics, "open", "c1")
        await comm.send_json_to(
            {"t": "input", "id": "t1", "slot": topics.pk, "kind": "card",
             "data": {"text": "Kummit uusille"}}
        )  # fmt: skip
        await receive_until(comm, "ack")
        await control(staff, topics, "pause", "c2")
        await control(staff, vote, "open", "c3")  # the facilitator forgot to close topics
        room = engine.rooms[day.join_code]
        assert [s.status for s in room.slots.values()] == ["closed", "open"]
        await asyncio.sleep(0.4)  # the results are saved in the database thread

        # back to the topics: put back on the phones; the vote is closed and saved in turn
        await control(staff, topics, "open", "c4")
        await view_of(comm, topics)
        assert [s.status for s in room.slots.values()] == ["open", "closed"]
        await comm.send_json_to(
            {"t": "input", "id": "t2", "slot": topics.pk, "kind": "card",
             "data": {"text": "Mentorit"}}
        )  # fmt: skip
        assert (await receive_until(comm, "ack"))["id"] == "t2"
        await comm.disconnect()
        await staff.disconnect()
        await asyncio.sleep(0.3)

    run(scenario)
    assert list(ActivityResult.objects.values_list("slot_id", "kind", "text")) == [
        (topics.pk, "topic", "Kummit uusille"),
        (vote.pk, "priority", "A"),
        (vote.pk, "priority", "B"),
    ]
    # one control event per click: the closing is part of "open", so a replay gives the same
    kinds = list(LiveEvent.objects.filter(kind__startswith="sys:").values_list("kind", "slot_id"))
    assert kinds == [
        ("sys:open", topics.pk), ("sys:pause", topics.pk), ("sys:open", vote.pk),
        ("sys:open", topics.pk),
    ]  # fmt: skip
    rebuilt = engine.Room(day.join_code)
    from polku.live import selectors

    rebuilt._build(selectors.room_data(code=day.join_code))
    assert [(s.id, s.status) for s in rebuilt.slots.values()] == [
        (topics.pk, "open"), (vote.pk, "closed"),
    ]  # fmt: skip
    assert (rebuilt.current, rebuilt.screen_slot) == (topics.pk, topics.pk)


def test_phones_cannot_send_after_the_day_is_closed():
    day, (topics, _vote), fac = live_day()

    async def scenario():
        staff = await console(day, fac.user_id)
        comm = await phone(day.join_code)
        await control(staff, topics, "open", "c1")
        engine.rooms[day.join_code].status = "closed"
        await comm.send_json_to(
            {
                "t": "input",
                "id": "t1",
                "slot": topics.pk,
                "kind": "card",
                "data": {"text": "Myöhässä"},
            }
        )
        error = await receive_until(comm, "error")
        assert error == {
            "t": "error",
            "id": "t1",
            "code": "closed",
            "message": "Työpaja on päättynyt.",
        }
        await comm.disconnect()
        await staff.disconnect()

    run(scenario)
    assert LiveEvent.objects.filter(kind="card").count() == 0


def test_console_presence_lists_each_unit_once_with_an_id():
    room = engine.Room("PRES99")
    room.unit_names = {7: "Oulun osasto", 9: "Turun osasto"}
    for i, unit in enumerate([7, 9, 7, None, 7, 9]):
        conn = engine.Conn(audience="phone", lang="fi", ip="10.0.0.1")
        conn.participant = engine.ParticipantInfo(id=i, token="", unit=unit, token_hash=f"h{i}")
        room.conns["phone"].add(conn)
    assert room.presence() == {
        "total": 6,
        "units": [
            {"id": "7", "name": "Oulun osasto", "n": 3},
            {"id": "9", "name": "Turun osasto", "n": 2},
            {"id": "none", "name": "", "n": 1},
        ],
        "where": {"room": 0, "remote": 0, "unknown": 6},
    }
