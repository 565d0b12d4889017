"""The websocket protocol, message by message (WebsocketCommunicator)."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.sessions import CookieMiddleware
from channels.testing.websocket import WebsocketCommunicator

from polku.live import engine, identity
from polku.live.models import LiveEvent, Participant
from polku.live.routing import websocket_urlpatterns
from polku.live.tests.factories import live_day

pytestmark = pytest.mark.django_db(transaction=True)

APP = CookieMiddleware(URLRouter(websocket_urlpatterns))


def run(coro_fn):
    async_to_sync(coro_fn)()


async def receive_until(comm, t, timeout=3.0):
    """Receive messages until one of type ``t``; return it (earlier ones are dropped)."""
    while True:
        msg = await comm.receive_json_from(timeout=timeout)
        if msg["t"] == t:
            return msg


async def phone(code, *, token=None, headers=None, name="", cookie=True, lang="fi"):
    """A phone that opened the participant page: its cookie holds the page's token (or the
    ``token`` given; ``cookie=False``: a socket without a cookie sends ``token`` in the join)."""
    token = token or identity.token_new(code)
    headers = list(headers or [])
    if cookie:
        headers.append((b"cookie", f"{identity.cookie_name(code)}={token}".encode()))
    comm = WebsocketCommunicator(APP, f"/ws/live/{code}/", headers=headers)
    connected, _ = await comm.connect()
    assert connected
    frame = {"t": "join", "v": 1, "lang": lang, "name": name}
    if not cookie:
        frame["token"] = token
    await comm.send_json_to(frame)
    comm.token = token
    return comm


async def console(day, user_id):
    key = identity.staff_key(day_id=day.pk, role="console", user_id=user_id)
    comm = WebsocketCommunicator(APP, f"/ws/live/{day.join_code}/console/?k={key}")
    connected, _ = await comm.connect()
    assert connected
    welcome = await comm.receive_json_from()
    assert welcome == {"t": "welcome", "v": 1, "role": "console", "code": day.join_code, "me": {}}
    return comm


async def control(comm, slot, action, cid, data=None):
    await comm.send_json_to(
        {"t": "control", "id": cid, "slot": slot.pk, "action": action, "data": data or {}}
    )
    ack = await receive_until(comm, "ack")
    assert ack == {"t": "ack", "id": cid, "seq": ack["seq"]}


def test_phone_join_gets_welcome_view_and_snapshot():
    day, _slots, _ = live_day()

    async def scenario():
        comm = await phone(day.join_code, name="Maija")
        welcome = await comm.receive_json_from()
        assert welcome == {
            "t": "welcome", "v": 1, "role": "phone", "code": day.join_code,
            "me": {"name": "Maija", "unit": None, "attendance": None},
        }  # fmt: skip
        view = await comm.receive_json_from()
        assert view["t"] == "view"
        assert view["slot"] is None
        assert "Tervetuloa!" in view["html"]
        snapshot = await comm.receive_json_from()
        assert snapshot == {
            "t": "snapshot", "v": 1, "rev": 0, "seq": 0,
            "day": {"title": day.title, "code": day.join_code, "units": []},
            "activity": None, "data": {},
        }  # fmt: skip
        await asyncio.sleep(0.3)  # the participant row is written by the next batch
        await comm.disconnect()

    run(scenario)
    assert Participant.objects.get().nickname == "Maija"


def test_topic_is_acked_after_commit_and_reaches_the_snapshot():
    day, (topics, _vote), fac = live_day()

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, topics, "open", "c1")
        comm = await phone(day.join_code)
        me = await receive_until(comm, "me")
        assert me == {"t": "me", "slot": topics.pk, "data": {"cards": [], "left": 3}}
        await comm.send_json_to(
            {"t": "input", "id": "t-1", "slot": topics.pk, "kind": "card",
             "data": {"text": "  Uusien   nuorten <b>perehdytys</b> "}}
        )  # fmt: skip
        ack = await receive_until(comm, "ack")
        assert ack == {"t": "ack", "id": "t-1", "seq": 2}
        me = await comm.receive_json_from()
        card_id = me["data"]["cards"][0]["id"]
        assert me == {
            "t": "me", "slot": topics.pk,
            "data": {"cards": [{"id": card_id, "text": "Uusien nuorten <b>perehdytys</b>"}], "left": 2},
        }  # fmt: skip
        snapshot = await receive_until(comm, "snapshot")
        assert snapshot["activity"] == {
            "slot": topics.pk, "key": "topics", "title": "Slot topics", "prompt": "",
            "status": "open", "revealed": False, "timer_end": None,
        }  # fmt: skip
        assert snapshot["data"] == {
            "count": 1,
            "cards": [{"id": card_id, "text": "Uusien nuorten <b>perehdytys</b>", "name": "",
                       "theme": None, "more": 0}],
            "themes": [],
        }  # fmt: skip
        await comm.disconnect()
        await staff.disconnect()

    run(scenario)
    event = LiveEvent.objects.get(kind="card")
    assert event.data == {"text": "  Uusien   nuorten <b>perehdytys</b> "}
    assert event.participant_id is None  # anonymous activity: not linked to the participant
    assert event.actor.startswith("a")


def test_resend_with_same_client_id_is_acked_once_stored_once():
    day, (topics, _vote), fac = live_day()

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, topics, "open", "c1")
        comm = await phone(day.join_code)
        frame = {"t": "input", "id": "same", "slot": topics.pk, "kind": "card",
                 "data": {"text": "Kerran"}}  # fmt: skip
        await comm.send_json_to(frame)
        assert (await receive_until(comm, "ack"))["id"] == "same"
        await comm.send_json_to(frame)
        assert await receive_until(comm, "ack") == {"t": "ack", "id": "same", "dup": True}
        await comm.disconnect()
        await staff.disconnect()

    run(scenario)
    assert LiveEvent.objects.filter(kind="card").count() == 1


def test_bad_inputs_get_finnish_rejections_and_change_nothing():
    day, (topics, vote), fac = live_day(configs={"dot_vote": {"items": ["A", "B"], "dots": 2}})

    async def scenario():
        staff = await console(day, fac.user_id)
        comm = await phone(day.join_code)

        async def expect(frame, code, message, detail=None):
            await comm.send_json_to(frame)
            error = await receive_until(comm, "error")
            expected = {"t": "error", "id": frame.get("id"), "code": code, "message": message}
            if detail:
                expected["detail"] = detail
            assert error == expected

        base = {"t": "input", "slot": topics.pk, "kind": "card"}
        await expect({**base, "id": "x1", "data": {"text": "Hei"}}, "closed",
                     "Tämä vaihe ei ole nyt auki.")  # fmt: skip
        await control(staff, topics, "open", "c1")
        await expect({**base, "id": "x2", "data": {"text": "a" * 201}}, "too_long",
                     "Teksti on liian pitkä (enintään 200 merkkiä).")  # fmt: skip
        await expect({**base, "id": "x3", "data": {"text": "a\x00b"}}, "invalid",
                     "Tekstissä on merkkejä, joita ei voi käyttää.")  # fmt: skip
        await expect({**base, "id": "x4", "data": {"text": "   "}}, "empty",
                     "Kirjoita ensin jotain.")  # fmt: skip
        await expect({**base, "id": "x5", "kind": "vote", "data": {}}, "invalid",
                     "Tähän vaiheeseen ei voi lähettää tällaista.")  # fmt: skip
        await expect({**base, "data": {"text": "ok"}}, "invalid",
                     "Viestiä ei voitu lukea.", "Object missing required field `id`")  # fmt: skip
        await comm.send_to(text_data="{not json")
        error = await receive_until(comm, "error")
        assert error["message"] == "Viestiä ei voitu lukea."
        await comm.send_to(text_data="x" * 9000)
        error = await receive_until(comm, "error")
        assert error["code"] == "too_large"

        await control(staff, vote, "open", "c2")
        vbase = {"t": "input", "slot": vote.pk, "kind": "vote"}
        for i in range(2):
            await comm.send_json_to({**vbase, "id": f"v{i}", "data": {"item": "c0", "delta": 1}})
            assert (await receive_until(comm, "ack"))["id"] == f"v{i}"
        await expect({**vbase, "id": "v9", "data": {"item": "c1", "delta": 1}}, "budget",
                     "Sinulla ei ole enää pisteitä jäljellä.")  # fmt: skip
        await expect({**vbase, "id": "v8", "data": {"item": "c1", "delta": -1}}, "budget",
                     "Tällä kohdalla ei ole pistettäsi poistettavaksi.")  # fmt: skip
        await expect({**vbase, "id": "v7", "data": {"item": "zz", "delta": 1}}, "invalid",
                     "Tällaista kohtaa ei ole.")  # fmt: skip
        await control(staff, vote, "close", "c3")
        await expect({**vbase, "id": "v6", "data": {"item": "c0", "delta": -1}}, "closed",
                     "Tämä vaihe ei ole nyt auki.")  # fmt: skip
        room = engine.rooms[day.join_code]
        assert room.slots[vote.pk].state["totals"] == {"c0": 2}
        assert room.slots[topics.pk].state["cards"] == {}
        await comm.disconnect()
        await staff.disconnect()

    run(scenario)
    assert LiveEvent.objects.filter(kind__in=["card", "vote"]).count() == 2


def test_forged_token_is_rejected_and_socket_closed():
    """A forged token in the join frame is refused. (A forged cookie is never used: the
    handshake replaces it with a new one, as the participant page used to.)"""
    day, _slots, _ = live_day()

    async def scenario():
        comm = await phone(day.join_code, token="forged:token", cookie=False)
        error = await comm.receive_json_from()
        assert error == {
            "t": "error", "id": None, "code": "token",
            "message": "Osallistujatunnisteesi ei kelpaa. Lataa sivu uudelleen liittyäksesi.",
        }  # fmt: skip
        closed = await comm.receive_output()
        assert closed == {"type": "websocket.close", "code": 4401}

    run(scenario)
    assert Participant.objects.count() == 0


def test_unknown_code_and_not_live_day_are_refused():
    day, _slots, _ = live_day(status="planned")

    async def scenario():
        comm = WebsocketCommunicator(APP, "/ws/live/ZZZZZZ/")
        await comm.connect()
        assert await comm.receive_json_from() == {
            "t": "error", "id": None, "code": "unknown",
            "message": "Tällä koodilla ei löydy työpajaa.",
        }  # fmt: skip
        comm = WebsocketCommunicator(APP, f"/ws/live/{day.join_code}/")
        await comm.connect()
        assert (await comm.receive_json_from())["code"] == "not_live"

    run(scenario)


def test_reconnect_with_same_token_restores_remaining_dots():
    day, (_topics, vote), fac = live_day(configs={"dot_vote": {"items": ["A", "B"]}})

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, vote, "open", "c1")
        comm = await phone(day.join_code)
        token = comm.token
        for i in range(3):
            await comm.send_json_to(
                {"t": "input", "id": f"v{i}", "slot": vote.pk, "kind": "vote",
                 "data": {"item": "c1", "delta": 1}}
            )  # fmt: skip
            await receive_until(comm, "ack")
        await comm.disconnect()
        engine.rooms.clear()  # as after a restart: the room rebuilds from the database
        again = await phone(day.join_code, token=token)
        me = await receive_until(again, "me")
        assert me == {"t": "me", "slot": vote.pk, "data": {"votes": {"c1": 3}, "left": 2}}
        await again.disconnect()
        await staff.disconnect()

    run(scenario)


def test_console_moderation_groups_merges_and_hides_cards():
    day, (topics, _vote), fac = live_day()

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, topics, "open", "c1")
        comm = await phone(day.join_code)
        for i, text in enumerate(["Perehdytys", "perehdytys!", "Some"]):
            await comm.send_json_to(
                {"t": "input", "id": f"t{i}", "slot": topics.pk, "kind": "card",
                 "data": {"text": text}}
            )  # fmt: skip
            await receive_until(comm, "ack")
        room = engine.rooms[day.join_code]
        a, b, c = list(room.slots[topics.pk].state["cards"])

        async def moderate(cid, action, data):
            await staff.send_json_to(
                {"t": "moderate", "id": cid, "slot": topics.pk, "action": action, "data": data}
            )
            return await receive_until(staff, "ack")

        await moderate("m1", "theme_add", {"name": "Uudet jäsenet"})
        await moderate("m2", "merge", {"cards": [a, b]})
        await moderate("m3", "group", {"card": a, "theme": "t1"})
        await moderate("m4", "hide", {"card": c})
        await asyncio.sleep(0.7)
        snap = await receive_until(comm, "snapshot")
        while snap["data"]["count"] != 1:
            snap = await receive_until(comm, "snapshot")
        assert snap["data"] == {
            "count": 1, "cards": [],
            "themes": [{"id": "t1", "name": "Uudet jäsenet", "n": 1, "cards": [
                {"id": a, "text": "Perehdytys", "name": "", "theme": "t1", "more": 1}]}],
        }  # fmt: skip
        await comm.disconnect()
        await staff.disconnect()

    run(scenario)


def test_closing_an_activity_carries_its_results_to_the_path():
    from polku.activities.models import ActivityResult

    day, (topics, _vote), fac = live_day()

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, topics, "open", "c1")
        comm = await phone(day.join_code)
        await comm.send_json_to(
            {
                "t": "input",
                "id": "t1",
                "slot": topics.pk,
                "kind": "card",
                "data": {"text": "Kummit"},
            }
        )
        await receive_until(comm, "ack")
        await control(staff, topics, "close", "c2")
        await asyncio.sleep(0.5)
        await comm.disconnect()
        await staff.disconnect()

    run(scenario)
    assert list(ActivityResult.objects.values_list("path_id", "kind", "text", "score")) == [
        (day.path_id, "topic", "Kummit", 1.0)
    ]


async def _handshake(path, headers=(), query=b""):
    """The websocket.accept message of a connection (with the headers of the 101 response)."""
    from asgiref.testing import ApplicationCommunicator

    scope = {"type": "websocket", "path": path, "headers": list(headers), "subprotocols": [],
             "query_string": query, "scheme": "ws"}  # fmt: skip
    comm = ApplicationCommunicator(APP, scope)
    await comm.send_input({"type": "websocket.connect"})
    accept = await comm.receive_output(3)
    return comm, accept


def test_handshake_sets_the_participant_cookie_and_join_uses_it():
    """The join page is the same for every phone; its participant cookie comes with the 101
    response, and the phone's join then uses that token (the SSE fallback and "what is stored
    about me" read the same cookie)."""
    from http.cookies import SimpleCookie

    day, _slots, _ = live_day()

    async def scenario():
        comm, accept = await _handshake(f"/ws/live/{day.join_code}/")
        assert accept["type"] == "websocket.accept"
        [(name, value)] = accept["headers"]
        assert name == b"set-cookie"
        morsel = SimpleCookie(value.decode())[identity.cookie_name(day.join_code)]
        assert identity.token_valid(morsel.value, day.join_code)
        assert (morsel["httponly"], morsel["samesite"], morsel["path"], morsel["max-age"]) == (
            True, "Lax", "/", "2592000",
        )  # fmt: skip
        assert morsel["secure"] == ""
        await comm.send_input({"type": "websocket.receive", "text": '{"t":"join","v":1}'})
        token = await comm.receive_output(3)
        assert token["text"] == f'{{"t":"token","token":"{morsel.value}"}}'
        await comm.send_input({"type": "websocket.disconnect", "code": 1000})
        await comm.wait(1)
        # a phone that has the cookie gets no new one
        cookie = f"{identity.cookie_name(day.join_code)}={morsel.value}".encode()
        comm, accept = await _handshake(f"/ws/live/{day.join_code}/", [(b"cookie", cookie)])
        assert "headers" not in accept
        await comm.send_input({"type": "websocket.disconnect", "code": 1000})
        await comm.wait(1)
        return morsel.value

    token = async_to_sync(scenario)()
    engine_room = engine.rooms[day.join_code]
    assert list(engine_room.participants) == [identity.token_hash(token)]


def test_projector_and_console_handshakes_set_no_cookie():
    day, _slots, facilitator = live_day()
    key = identity.staff_key(day_id=day.pk, role="screen", user_id=facilitator.user_id)

    async def scenario():
        comm, accept = await _handshake(
            f"/ws/live/{day.join_code}/screen/", query=f"k={key}".encode()
        )
        await comm.send_input({"type": "websocket.disconnect", "code": 1000})
        await comm.wait(1)
        return accept

    assert "headers" not in async_to_sync(scenario)()


def test_forget_me_takes_one_phone_out_of_the_room_without_rebuilding_it():
    """Issue 10, item 7: "forget me" on one phone reloaded the whole room for everyone. Now
    only the agenda item with their inputs is rebuilt; the others get one new snapshot (no
    new view), the forgotten phone is told and closed."""
    from channels.db import database_sync_to_async

    day, (topics, _vote), fac = live_day()

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, topics, "open", "c1")
        leaving, staying = await phone(day.join_code), await phone(day.join_code)
        for comm, text in ((leaving, "Minun korttini"), (staying, "Toisen kortti")):
            await receive_until(comm, "me")
            await comm.send_json_to(
                {"t": "input", "id": "t-1", "slot": topics.pk, "kind": "card",
                 "data": {"text": text}}
            )  # fmt: skip
            await receive_until(comm, "ack")
        room = engine.rooms[day.join_code]
        while (await receive_until(staying, "snapshot"))["data"]["count"] != 2:
            pass
        person = await database_sync_to_async(Participant.objects.get)(
            token_hash=identity.token_hash(leaving.token)
        )
        actors = [
            identity.actor_for(slot_id=pk, anonymous=True, participant_key="", token=leaving.token)
            for pk in (topics.pk, _vote.pk)
        ]
        done = await engine.room_forget(day.join_code, participant=person, anon_actors=actors)
        assert done == "targeted"
        error = await receive_until(leaving, "error")
        assert error == {
            "t": "error", "code": "forgotten", "id": None,
            "message": "Tietosi tästä työpajasta on poistettu. Liity uudelleen osallistuaksesi.",
        }  # fmt: skip
        assert (await leaving.receive_output(timeout=3)) == {
            "type": "websocket.close",
            "code": 4410,
        }
        after = await staying.receive_json_from(timeout=3)
        assert after["t"] == "snapshot"  # no "view": the room was not rebuilt
        assert [c["text"] for c in after["data"]["cards"]] == ["Toisen kortti"]
        assert after["data"]["count"] == 1
        assert engine.rooms[day.join_code] is room
        assert identity.token_hash(leaving.token) not in room.participants
        assert identity.token_hash(staying.token) in room.participants
        await staying.disconnect()
        await staff.disconnect()

    run(scenario)
    assert list(LiveEvent.objects.filter(kind="card").values_list("data", flat=True)) == [
        {"text": "Toisen kortti"}
    ]
    assert Participant.objects.count() == 1


def test_forget_me_keeps_the_inputs_of_others_still_waiting_to_be_stored():
    """The rebuilt agenda item is what is stored plus what the room acknowledged meanwhile
    and has not stored yet: nobody else's card is lost."""
    from channels.db import database_sync_to_async

    day, (topics, _vote), fac = live_day()

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, topics, "open", "c1")
        leaving, staying = await phone(day.join_code), await phone(day.join_code)
        await receive_until(leaving, "me")
        await receive_until(staying, "me")
        await leaving.send_json_to(
            {"t": "input", "id": "t-1", "slot": topics.pk, "kind": "card", "data": {"text": "Pois"}}
        )
        await receive_until(leaving, "ack")
        room = engine.rooms[day.join_code]

        async def hold() -> None:  # the batch writer has not run yet
            return None

        room.flush = hold
        room.settle = hold
        await staying.send_json_to(
            {"t": "input", "id": "t-1", "slot": topics.pk, "kind": "card", "data": {"text": "Jää"}}
        )
        while not room.pending:
            await asyncio.sleep(0.01)
        person = await database_sync_to_async(Participant.objects.get)(
            token_hash=identity.token_hash(leaving.token)
        )
        actor = identity.actor_for(
            slot_id=topics.pk, anonymous=True, participant_key="", token=leaving.token
        )
        assert (
            await engine.room_forget(day.join_code, participant=person, anon_actors=[actor])
            == "targeted"
        )
        cards = room.slots[topics.pk].activity.public_snapshot(
            room.slots[topics.pk].state, room.slots[topics.pk].config, True
        )["cards"]
        assert [c["text"] for c in cards] == ["Jää"]
        await staying.disconnect()
        await staff.disconnect()

    run(scenario)
