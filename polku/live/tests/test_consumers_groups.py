"""Groups over the websocket, message by message: split, inputs into a group's own copy,
move, broadcast, "2 minutes left", pick, end (docs/live-protocol.md, version 1.1)."""

import asyncio
import time

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.sessions import CookieMiddleware
from channels.testing.websocket import WebsocketCommunicator

from polku.activities.models import ActivityResult
from polku.live import engine, identity
from polku.live.models import LiveEvent, Participant
from polku.live.routing import websocket_urlpatterns
from polku.live.tests.factories import live_day

pytestmark = pytest.mark.django_db(transaction=True)

APP = CookieMiddleware(URLRouter(websocket_urlpatterns))


def run(coro_fn):
    async_to_sync(coro_fn)()


async def receive_until(comm, t, pred=lambda m: True, timeout=3.0):
    end = time.monotonic() + timeout
    while True:
        msg = await comm.receive_json_from(timeout=max(0.05, end - time.monotonic()))
        if msg["t"] == t and pred(msg):
            return msg


class Phone:
    def __init__(self, comm, token):
        self.comm, self.token = comm, token
        self.key = identity.member_key(identity.token_hash(token))

    async def send(self, frame):
        await self.comm.send_json_to(frame)

    async def snapshot(self, pred=lambda m: True):
        return await receive_until(self.comm, "snapshot", pred)


async def phone(code, *, unit=None, name="", attendance=None, token=None):
    """A phone that opened the participant page (its cookie holds the page's token)."""
    token = token or identity.token_new(code)
    cookie = (b"cookie", f"{identity.cookie_name(code)}={token}".encode())
    comm = WebsocketCommunicator(APP, f"/ws/live/{code}/", headers=[cookie])
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"t": "join", "v": 1, "lang": "fi", "name": name, "unit": unit})
    await receive_until(comm, "snapshot")
    p = Phone(comm, token)
    if attendance:
        await p.send({"t": "profile", "id": "pr", "name": name, "unit": unit,
                      "attendance": attendance})  # fmt: skip
        await receive_until(comm, "ack")
    return p


async def console(day, user_id):
    key = identity.staff_key(day_id=day.pk, role="console", user_id=user_id)
    comm = WebsocketCommunicator(APP, f"/ws/live/{day.join_code}/console/?k={key}")
    connected, _ = await comm.connect()
    assert connected
    await receive_until(comm, "welcome")
    return comm


async def staff_send(comm, frame):
    await comm.send_json_to(frame)
    reply = await receive_until(comm, "ack", lambda m: m["id"] == frame["id"])
    assert reply == {"t": "ack", "id": frame["id"], "seq": reply["seq"]}
    return reply


def group_frame(cid, action, data=None, slot=None):
    frame = {"t": "group", "id": cid, "action": action, "data": data or {}}
    if slot is not None:
        frame["slot"] = slot
    return frame


def test_split_by_unit_move_broadcast_and_end_with_exact_messages():
    day, (topics, _vote), fac = live_day(units=("Oulun osasto", "Turun osasto"))
    oulu, turku = day.units

    async def scenario():
        staff = await console(day, fac.user_id)
        a1 = await phone(day.join_code, unit=oulu.pk, name="Aino")
        a2 = await phone(day.join_code, unit=oulu.pk)
        b1 = await phone(day.join_code, unit=turku.pk)
        none = await phone(day.join_code)

        # split by unit: one group per unit, the phone without a unit fills the smaller one
        await staff_send(staff, group_frame("k1", "split", {"method": "unit"}, slot=topics.pk))
        snap = await a1.snapshot(lambda m: m.get("group"))
        assert snap["group"] == {"id": "g1", "name": "Oulun osasto", "table": 1, "link": "", "n": 2}
        assert (snap["choices"], snap["notice"]) == (None, None)
        snap = await none.snapshot(lambda m: m.get("group"))
        assert snap["group"] == {"id": "g2", "name": "Turun osasto", "table": 2, "link": "", "n": 2}

        # the activity opens in every group; an input goes to its group's own wall only
        await staff_send(staff, {"t": "control", "id": "k2", "slot": topics.pk,
                                 "action": "open", "data": {}})  # fmt: skip
        await a2.send({"t": "input", "id": "t1", "slot": topics.pk, "kind": "card",
                       "data": {"text": "Kummit uusille"}})  # fmt: skip
        assert (await receive_until(a2.comm, "ack"))["id"] == "t1"
        snap = await a1.snapshot(lambda m: m["data"].get("count") == 1)
        assert [c["text"] for c in snap["data"]["cards"]] == ["Kummit uusille"]
        assert snap["activity"]["grouped"] is True
        snap = await b1.snapshot(lambda m: m["activity"] and m["activity"]["status"] == "open")
        assert snap["data"] == {"count": 0, "cards": [], "themes": []}

        # move: the phone without a unit goes to Oulu's group and sees that group's wall
        await staff_send(staff, group_frame("k3", "move", {"member": none.key, "group": "g1"}))
        snap = await none.snapshot(lambda m: m["group"]["id"] == "g1")
        assert snap["group"] == {"id": "g1", "name": "Oulun osasto", "table": 1, "link": "", "n": 3}
        assert snap["data"]["count"] == 1
        me = await receive_until(none.comm, "me")
        assert me == {"t": "me", "slot": topics.pk, "data": {"cards": [], "left": 3}}
        snap = await b1.snapshot(lambda m: m["group"]["n"] == 1)
        assert snap["group"]["id"] == "g2"

        # broadcast, then "2 minutes left" (every group's timer and a notice)
        await staff_send(staff, group_frame("k4", "notice", {"text": "Kirjatkaa kolme tärkeintä"}))
        for p in (a1, b1):
            snap = await p.snapshot(lambda m: m["notice"])
            assert snap["notice"] == {
                "id": 1,
                "text": "Kirjatkaa kolme tärkeintä",
                "time_left": False,
            }
        before = time.time()
        await staff_send(staff, group_frame("k5", "time_left", {"minutes": 2}))
        snap = await b1.snapshot(lambda m: m["notice"] and m["notice"]["id"] == 2)
        assert snap["notice"] == {"id": 2, "text": "", "time_left": True}
        assert before + 119 <= snap["activity"]["timer_end"] <= time.time() + 121

        # end: everyone back in the plenary; the activity shows every group's wall, labelled
        await staff_send(staff, group_frame("k6", "end"))
        snap = await a1.snapshot(lambda m: "group" not in m)  # a plenary snapshot again
        assert snap["activity"]["status"] == "closed"
        assert {"choices", "notice"} & set(snap) == set()
        assert snap["data"] == {"grouped": True, "groups": [
            {"id": "g1", "name": "Oulun osasto", "data": {"count": 1, "cards": [
                {"id": snap["data"]["groups"][0]["data"]["cards"][0]["id"],
                 "text": "Kummit uusille", "name": "", "theme": None, "more": 0}],
                "themes": []}},
            {"id": "g2", "name": "Turun osasto", "data": {"count": 0, "cards": [], "themes": []}},
        ]}  # fmt: skip
        await asyncio.sleep(0.5)  # results are saved in the database thread
        for p in (a1, a2, b1, none):
            await p.comm.disconnect()
        await staff.disconnect()

    run(scenario)
    assert list(ActivityResult.objects.filter(slot=topics).values_list("kind", "text", "data")) == [
        ("topic", "Kummit uusille", {"theme": "", "group": "g1", "group_name": "Oulun osasto"})
    ]
    card = LiveEvent.objects.get(kind="card")
    assert card.group == "g1"
    assert card.participant_id is None
    assert list(LiveEvent.objects.filter(kind__startswith="grp:").values_list("kind", flat=True)) == [
        "grp:split", "grp:join", "grp:notice", "grp:timer", "grp:notice", "grp:end",
    ]  # fmt: skip
    # the log names group members by a keyed hash, not by their stored token hash
    split = LiveEvent.objects.get(kind="grp:split")
    hashes = set(Participant.objects.values_list("token_hash", flat=True))
    assert not hashes & set(split.data["assign"])
    assert len(split.data["assign"]) == 4


def test_group_copies_survive_a_restart():
    day, (topics, _vote), fac = live_day(units=("Oulun osasto", "Turun osasto"))
    oulu, turku = day.units

    async def scenario():
        staff = await console(day, fac.user_id)
        a = await phone(day.join_code, unit=oulu.pk)
        b = await phone(day.join_code, unit=turku.pk)
        await staff_send(staff, group_frame("k1", "split", {"method": "unit"}, slot=topics.pk))
        await staff_send(staff, {"t": "control", "id": "k2", "slot": topics.pk,
                                 "action": "open", "data": {}})  # fmt: skip
        await b.snapshot(lambda m: m.get("group"))
        await b.send({"t": "input", "id": "t1", "slot": topics.pk, "kind": "card",
                      "data": {"text": "Turun idea"}})  # fmt: skip
        await receive_until(b.comm, "ack")
        for c in (a.comm, b.comm, staff):
            await c.disconnect()
        engine.rooms.clear()  # as after a restart: the room folds the log again
        again = (await phone(day.join_code, token=b.token)).comm
        snap = await receive_until(again, "snapshot", lambda m: m.get("group"))
        assert snap["group"]["name"] == "Turun osasto"
        assert [c["text"] for c in snap["data"]["cards"]] == ["Turun idea"]
        await again.disconnect()

    run(scenario)


def test_participants_choose_their_group_and_an_input_before_choosing_is_refused():
    day, (topics, _vote), fac = live_day()

    async def scenario():
        staff = await console(day, fac.user_id)
        p = await phone(day.join_code)
        await staff_send(staff, group_frame(
            "k1", "split", {"method": "choice", "names_text": "Pöytä A\nEtäryhmä"}, slot=topics.pk
        ))  # fmt: skip
        await staff_send(staff, {"t": "control", "id": "k2", "slot": topics.pk,
                                 "action": "open", "data": {}})  # fmt: skip
        snap = await p.snapshot(lambda m: m.get("choices"))
        assert snap["group"] is None
        assert snap["choices"] == [{"id": "g1", "name": "Pöytä A", "n": 0},
                                   {"id": "g2", "name": "Etäryhmä", "n": 0}]  # fmt: skip
        await p.send({"t": "input", "id": "t1", "slot": topics.pk, "kind": "card",
                      "data": {"text": "Liian aikaisin"}})  # fmt: skip
        assert await receive_until(p.comm, "error") == {
            "t": "error", "id": "t1", "code": "group", "message": "Valitse ensin ryhmäsi.",
        }  # fmt: skip
        await p.send(group_frame("p1", "pick", {"group": "g2"}))
        # the group's snapshot (next tick) may come before the ack (after the commit)
        seen = []
        while not (
            {"ack", "snapshot"} <= {m["t"] for m in seen if m["t"] != "snapshot" or m["group"]}
        ):
            seen.append(await p.comm.receive_json_from(timeout=3))
        assert [m for m in seen if m["t"] == "ack"] == [{"t": "ack", "id": "p1", "seq": 3}]
        snap = [m for m in seen if m["t"] == "snapshot" and m["group"]][-1]
        assert snap["group"] == {"id": "g2", "name": "Etäryhmä", "table": 2, "link": "", "n": 1}
        assert snap["choices"] == [{"id": "g1", "name": "Pöytä A", "n": 0},
                                   {"id": "g2", "name": "Etäryhmä", "n": 1}]  # fmt: skip
        # phones may not run the phase
        await p.send(group_frame("p2", "end"))
        assert (await receive_until(p.comm, "error"))["message"] == "Tuntematon toiminto."
        await p.comm.disconnect()
        await staff.disconnect()

    run(scenario)
    assert LiveEvent.objects.filter(kind="card").count() == 0


def test_refused_group_frames_get_finnish_messages():
    day, (topics, vote), fac = live_day(units=("Oulun osasto",))

    async def scenario():
        staff = await console(day, fac.user_id)

        async def expect(frame, message):
            await staff.send_json_to(frame)
            error = await receive_until(staff, "error")
            assert error == {"t": "error", "id": frame["id"], "code": error["code"],
                             "message": message}  # fmt: skip

        await expect(group_frame("e1", "notice", {"text": "Hei"}), "Ryhmävaihetta ei ole nyt.")
        await expect(group_frame("e2", "split", {"method": "unit"}, slot=topics.pk),
                     "Kukaan ei ole vielä kertonut yksikköään: valitse toinen tapa jakaa ryhmiin.")  # fmt: skip
        await expect(group_frame("e3", "split", {"method": "random", "size": 1}, slot=topics.pk),
                     "Ryhmän koon pitää olla 2–100.")  # fmt: skip
        await expect(group_frame("e4", "split", {"method": "teleport"}, slot=topics.pk),
                     "Valitse, miten ryhmät muodostetaan.")  # fmt: skip
        await staff_send(staff, {"t": "control", "id": "k1", "slot": vote.pk,
                                 "action": "open", "data": {}})  # fmt: skip
        await expect(group_frame("e5", "split", {"method": "choice", "count": 3}, slot=vote.pk),
                     "Tämä vaihe on jo alkanut yhteisesti.")  # fmt: skip
        await staff_send(staff, group_frame("k2", "split", {"method": "choice", "count": 3},
                                            slot=topics.pk))  # fmt: skip
        await expect(group_frame("e6", "split", {"method": "choice", "count": 2}, slot=topics.pk),
                     "Päätä ensin ryhmävaihe.")  # fmt: skip
        await expect(group_frame("e7", "edit", {"group": "g1", "link": "http://x.example/"}),
                     "Videolinkin pitää alkaa https://.")  # fmt: skip
        await expect(group_frame("e8", "move", {"member": "0" * 16, "group": "g9"}),
                     "Ryhmää ei löydy.")  # fmt: skip
        await staff.disconnect()

    run(scenario)


def test_ending_the_day_during_a_group_phase_saves_every_groups_results():
    from polku.accounts.models import User
    from polku.live.engine.closing import day_close_activities

    day, (topics, _vote), fac = live_day(units=("Oulun osasto", "Turun osasto"))
    oulu, turku = day.units

    async def scenario():
        staff = await console(day, fac.user_id)
        a = await phone(day.join_code, unit=oulu.pk)
        b = await phone(day.join_code, unit=turku.pk)
        await staff_send(staff, group_frame("k1", "split", {"method": "unit"}, slot=topics.pk))
        await staff_send(staff, {"t": "control", "id": "k2", "slot": topics.pk,
                                 "action": "open", "data": {}})  # fmt: skip
        for p, text in ((a, "Oulun aihe"), (b, "Turun aihe")):
            await p.snapshot(lambda m: m.get("group"))
            await p.send({"t": "input", "id": "t1", "slot": topics.pk, "kind": "card",
                          "data": {"text": text}})  # fmt: skip
            await receive_until(p.comm, "ack")
        for c in (a.comm, b.comm, staff):
            await c.disconnect()

    run(scenario)
    engine.rooms.clear()
    day_close_activities(day=day, user=User.objects.get(pk=fac.user_id))
    assert sorted(
        ActivityResult.objects.filter(slot=topics).values_list("text", "data__group_name")
    ) == [("Oulun aihe", "Oulun osasto"), ("Turun aihe", "Turun osasto")]


def test_hybrid_parity_paper_notes_in_a_group_where_people_are_and_counts_per_group():
    """A hybrid day: the console counts who said they are in the room or remote, types a paper
    note into one group's wall (counted as that group's input), and the grid shows per group
    how many are members, in the room, remote, online and how many inputs it has."""
    from polku.workshops.models import WorkshopDay

    day, (topics, _vote), fac = live_day(
        units=("Oulun osasto", "Turun osasto"), mode=WorkshopDay.Mode.HYBRID
    )
    oulu, turku = day.units

    async def scenario():
        staff = await console(day, fac.user_id)
        a1 = await phone(day.join_code, unit=oulu.pk, name="Aino", attendance="room")
        a2 = await phone(day.join_code, unit=oulu.pk, name="Eero", attendance="remote")
        b1 = await phone(day.join_code, unit=turku.pk, name="Ilona")
        snap = await receive_until(staff, "snapshot", lambda m: m["connected"]["total"] == 3)
        assert snap["connected"]["where"] == {"room": 1, "remote": 1, "unknown": 1}

        await staff_send(staff, group_frame("k1", "split", {"method": "unit"}, slot=topics.pk))
        await staff_send(staff, {"t": "control", "id": "k2", "slot": topics.pk,
                                 "action": "open", "data": {}})  # fmt: skip
        # a paper note needs a group to land in
        paper = {"t": "input", "id": "f1", "slot": topics.pk, "kind": "card",
                 "data": {"text": "Paperilta: kahvit uusille"}}  # fmt: skip
        await staff.send_json_to(paper)
        assert await receive_until(staff, "error") == {
            "t": "error", "id": "f1", "code": "group",
            "message": "Avaa ensin yksi ryhmä kirjoittaaksesi sen työhön.",
        }  # fmt: skip
        await staff.send_json_to(group_frame("v1", "view", {"group": "g2"}))
        assert await receive_until(staff, "ack") == {"t": "ack", "id": "v1"}
        # the console's snapshot (next tick) may come before the ack (after the commit)
        await staff.send_json_to({**paper, "id": "f2"})
        seen = []
        while not (
            any(m["t"] == "ack" for m in seen)
            and any(m["t"] == "snapshot" and m["data"].get("count") == 1 for m in seen)
        ):
            seen.append(await staff.receive_json_from(timeout=3))
        assert [m for m in seen if m["t"] == "ack"] == [{"t": "ack", "id": "f2", "seq": 3}]
        snap = next(m for m in seen if m["t"] == "snapshot" and m["data"].get("count") == 1)
        assert [(c["text"], c["paper"]) for c in snap["data"]["cards"]] == [
            ("Paperilta: kahvit uusille", True)
        ]
        # the same pool: Turku's phone sees the note on its group's wall, Oulu's does not
        snap = await b1.snapshot(lambda m: m["data"].get("count") == 1)
        assert [c["text"] for c in snap["data"]["cards"]] == ["Paperilta: kahvit uusille"]
        await a2.send({"t": "input", "id": "t1", "slot": topics.pk, "kind": "card",
                       "data": {"text": "Etänä mukana"}})  # fmt: skip
        assert (await receive_until(a2.comm, "ack"))["id"] == "t1"
        snap = await a1.snapshot(lambda m: m["data"].get("count") == 1)
        assert [c["text"] for c in snap["data"]["cards"]] == ["Etänä mukana"]

        # back to all groups: the grid counts per group
        await staff.send_json_to(group_frame("v2", "view", {"group": None}))
        assert await receive_until(staff, "ack") == {"t": "ack", "id": "v2"}
        snap = await receive_until(
            staff, "snapshot",
            lambda m: m["groups"]["viewing"] is None
            and [t["inputs"] for t in m["groups"]["list"]] == [1, 1],
        )  # fmt: skip
        assert snap["data"] == {"grid": True}
        keys = ("id", "name", "n", "online", "room", "remote", "inputs", "viewing")
        assert [{k: t[k] for k in keys} for t in snap["groups"]["list"]] == [
            {"id": "g1", "name": "Oulun osasto", "n": 2, "online": 2, "room": 1, "remote": 1,
             "inputs": 1, "viewing": False},
            {"id": "g2", "name": "Turun osasto", "n": 1, "online": 1, "room": 0, "remote": 0,
             "inputs": 1, "viewing": False},
        ]  # fmt: skip
        assert [
            [(m["id"], m["name"], m["room"], m["remote"], m["online"]) for m in t["members"]]
            for t in snap["groups"]["list"]
        ] == [
            [(a1.key, "Aino", True, False, True), (a2.key, "Eero", False, True, True)],
            [(b1.key, "Ilona", False, False, True)],
        ]
        assert [t["data"]["count"] for t in snap["groups"]["list"]] == [1, 1]  # mini-views
        for p in (a1, a2, b1):
            await p.comm.disconnect()
        await staff.disconnect()

    run(scenario)
    paper_note = LiveEvent.objects.get(client_id="f2")
    assert (paper_note.kind, paper_note.group, paper_note.actor) == (
        "card",
        "g2",
        f"f{fac.user_id}",
    )


def test_facilitator_types_a_groups_paper_canvas_into_its_copy_counted_as_its_input():
    day, (canvas,), fac = live_day(activities=("experiment_canvas",), units=("Oulun osasto",))
    (oulu,) = day.units

    async def scenario():
        staff = await console(day, fac.user_id)
        p = await phone(day.join_code, unit=oulu.pk)
        await staff_send(staff, group_frame("k1", "split", {"method": "unit"}, slot=canvas.pk))
        await staff_send(staff, {"t": "control", "id": "k2", "slot": canvas.pk,
                                 "action": "open", "data": {}})  # fmt: skip
        await staff.send_json_to(group_frame("v1", "view", {"group": "g1"}))
        assert await receive_until(staff, "ack") == {"t": "ack", "id": "v1"}
        await staff_send(staff, {"t": "input", "id": "f1", "slot": canvas.pk, "kind": "edit",
                                 "data": {"item": "g1", "field": "title", "rev": 0,
                                          "value": "Kaveri-ilta paperilta"}})  # fmt: skip
        snap = await p.snapshot(
            lambda m: [g["f"]["title"]["r"] for g in m["data"].get("groups", [])] == [1]
        )
        assert snap["data"]["groups"][0]["f"]["title"] == {"v": "Kaveri-ilta paperilta", "r": 1}
        await staff.send_json_to(group_frame("v2", "view", {"group": None}))
        snap = await receive_until(
            staff, "snapshot", lambda m: m["groups"]["viewing"] is None and m["data"] == {"grid": True}
        )  # fmt: skip
        assert [(t["id"], t["inputs"]) for t in snap["groups"]["list"]] == [("g1", 1)]
        await p.comm.disconnect()
        await staff.disconnect()

    run(scenario)
    edit = LiveEvent.objects.get(client_id="f1")
    assert (edit.kind, edit.group, edit.actor) == ("edit", "g1", f"f{fac.user_id}")
