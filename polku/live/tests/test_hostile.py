"""Hostile clients against the live room (issue: removed staff, malformed frames, guessing).

Websockets through WebsocketCommunicator, the fallback through the async test client.
"""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import AsyncClient, Client, override_settings

from polku.core.tests.factories import MembershipFactory
from polku.live import engine, identity
from polku.live.models import Participant
from polku.live.tests.factories import live_day
from polku.live.tests.test_consumers import APP, console, control, phone, receive_until
from polku.organisations import services as org_services
from polku.organisations.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)

POLL = {"poll": {"options": ["Kyllä", "Ei"]}}
INVALID = "Viestiä ei voitu lukea."


def run(fn):
    async_to_sync(fn)()


def from_address(app, ip):
    """The ASGI app as seen from one client address (the communicator sets none)."""

    async def inner(scope, receive, send):
        return await app({**scope, "client": (ip, 40000)}, receive, send)

    return inner


async def pong(comm):
    await comm.send_json_to({"t": "ping"})
    return await receive_until(comm, "pong")


# -- malformed frames --------------------------------------------------------------------------
def test_the_two_frames_that_killed_sockets_get_an_error_and_leave_no_ghost():
    day, (poll,), fac = live_day(activities=("poll",), configs=POLL)

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, poll, "open", "c1")
        phones = [await phone(day.join_code) for _ in range(10)]
        for comm in phones:
            await receive_until(comm, "snapshot")
        room = engine.rooms[day.join_code]
        assert len(room.conns["phone"]) == 10
        for i, comm in enumerate(phones):
            await comm.send_json_to(
                {"t": "input", "id": f"p{i}", "slot": poll.pk, "kind": "answer",
                 "data": {"choice": [{}]}}
            )  # fmt: skip
            assert await receive_until(comm, "error") == {
                "t": "error", "id": f"p{i}", "code": "invalid", "message": INVALID,
                "detail": "Expected `str`, got `object` - at `$.choice[0]`",
            }  # fmt: skip
            await comm.send_json_to({"t": "profile", "unit": [1]})
            assert await receive_until(comm, "error") == {
                "t": "error", "id": None, "code": "invalid", "message": INVALID,
                "detail": "Expected `int | null`, got `array` - at `$.unit`",
            }  # fmt: skip
            assert await pong(comm) == {"t": "pong"}  # the socket is still open
        assert room.slots[poll.pk].state["by"] == {}
        for comm in phones:
            await comm.disconnect()
        assert len(room.conns["phone"]) == 0
        assert room.screen_snapshot()["connected"] == 0
        await staff.disconnect()

    run(scenario)


def test_the_two_frames_over_the_post_fallback_answer_errors_not_500():
    day, (poll,), _fac = live_day(activities=("poll",), configs=POLL)
    token = identity.token_new(day.join_code)

    async def scenario():
        room = await engine.room_get(day.join_code)
        room._apply(slot_id=poll.pk, kind="sys:open", actor="f1", client_id="o1", data={})
        client = AsyncClient()
        client.cookies[identity.cookie_name(day.join_code)] = token
        url = f"/j/{day.join_code}/send/"
        answer = await client.post(
            url,
            {"t": "input", "id": "p1", "slot": poll.pk, "kind": "answer",
             "data": {"choice": [{}]}},
            content_type="application/json",
        )  # fmt: skip
        assert answer.status_code == 200
        assert answer.json() == [
            {"t": "error", "id": "p1", "code": "invalid", "message": INVALID,
             "detail": "Expected `str`, got `object` - at `$.choice[0]`"}
        ]  # fmt: skip
        profile = await client.post(
            url, {"t": "profile", "unit": [1]}, content_type="application/json"
        )
        assert profile.status_code == 200
        assert profile.json() == [
            {"t": "error", "id": None, "code": "invalid", "message": INVALID,
             "detail": "Expected `int | null`, got `array` - at `$.unit`"}
        ]  # fmt: skip
        for task in room.tasks:
            task.cancel()

    run(scenario)


def test_a_reducer_that_raises_answers_an_error_keeps_the_socket_and_the_state(monkeypatch):
    day, (poll,), fac = live_day(activities=("poll",), configs=POLL)
    from polku.activities.registry import registry

    def broken(state, event, config):
        state["by"]["half"] = ["o0"]  # half-changed, then a bug
        raise TypeError("unhashable type: 'dict'")

    monkeypatch.setattr(registry["poll"], "reduce", broken)

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, poll, "open", "c1")
        comm = await phone(day.join_code)
        await comm.send_json_to(
            {"t": "input", "id": "p1", "slot": poll.pk, "kind": "answer", "data": {"choice": "o0"}}
        )
        assert await receive_until(comm, "error") == {
            "t": "error", "id": "p1", "code": "internal",
            "message": "Jokin meni vikaan meidän päässämme. Tätä ei tallennettu; yritä uudelleen.",
        }  # fmt: skip
        assert await pong(comm) == {"t": "pong"}
        room = engine.rooms[day.join_code]
        await asyncio.sleep(0.3)  # the room rebuilds itself from the stored log
        assert room.slots[poll.pk].state["by"] == {}
        assert len(room.conns["phone"]) == 1
        await comm.disconnect()
        assert len(room.conns["phone"]) == 0
        await staff.disconnect()

    run(scenario)


def test_an_error_anywhere_in_the_socket_never_leaves_a_ghost(monkeypatch):
    day, _slots, _fac = live_day()

    async def explode(self, conn, raw):
        raise RuntimeError("a bug outside the room's own handling")

    async def scenario():
        comm = await phone(day.join_code)
        await receive_until(comm, "snapshot")
        room = engine.rooms[day.join_code]
        monkeypatch.setattr(engine.Room, "handle", explode)
        await comm.send_json_to({"t": "ping"})
        error = await receive_until(comm, "error")
        assert error["code"] == "internal"
        assert len(room.conns["phone"]) == 1
        await comm.disconnect()
        assert len(room.conns["phone"]) == 0

    run(scenario)


# -- identity: one token per browser, bounded per address ------------------------------------
def test_a_join_with_a_wrong_token_is_refused_and_adds_nobody():
    """A token of another workshop or a forged one is refused. (A socket with no token at all
    gets one new identity with its handshake cookie, bounded per address — as the page gave
    one per load before; test_consumers.test_handshake_sets_the_participant_cookie…)"""
    day, _slots, _fac = live_day()

    async def scenario():
        from channels.testing import WebsocketCommunicator

        for token in (identity.token_new("OTHER2"), "forged:token"):
            comm = WebsocketCommunicator(APP, f"/ws/live/{day.join_code}/")
            await comm.connect()
            await comm.send_json_to({"t": "join", "v": 1, "token": token})
            assert await comm.receive_json_from() == {
                "t": "error", "id": None, "code": "token",
                "message": "Osallistujatunnisteesi ei kelpaa. Lataa sivu uudelleen liittyäksesi.",
            }  # fmt: skip
            assert await comm.receive_output() == {"type": "websocket.close", "code": 4401}
        assert engine.rooms[day.join_code].participants == {}

    run(scenario)


def test_rejoining_with_the_same_token_gives_no_extra_dots():
    day, (_topics, vote), fac = live_day(
        configs={"dot_vote": {"items": ["A"], "dots": 5, "max_per_item": 5}}
    )
    token = identity.token_new(day.join_code)

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, vote, "open", "c1")
        accepted = 0
        for round_ in range(5):
            comm = await phone(day.join_code, token=token)
            for i in range(5):
                await comm.send_json_to(
                    {"t": "input", "id": f"v{round_}-{i}", "slot": vote.pk, "kind": "vote",
                     "data": {"item": "c0", "delta": 1}}
                )  # fmt: skip
                reply = await receive_until(comm, "ack" if accepted < 5 else "error")
                accepted += reply["t"] == "ack"
            await comm.disconnect()
        assert engine.rooms[day.join_code].slots[vote.pk].state["totals"] == {"c0": 5}
        await staff.disconnect()

    run(scenario)


@override_settings(POLKU_LIVE_PARTICIPANTS_PER_ADDRESS=3)
def test_participants_per_address_are_bounded():
    day, _slots, _fac = live_day()
    hall = [(b"x-forwarded-for", b"203.0.113.9")]  # not believed: no trusted proxy

    async def scenario():
        joined = [await phone(day.join_code, headers=hall) for _ in range(3)]
        for comm in joined:
            await receive_until(comm, "snapshot")
        fourth = await phone(day.join_code)
        assert await receive_until(fourth, "error") == {
            "t": "error", "id": None, "code": "limit",
            "message": "Verkostasi on liittynyt liian monta osallistujaa. Pyydä apua fasilitaattorilta.",
        }  # fmt: skip
        assert await fourth.receive_output() == {"type": "websocket.close", "code": 4429}
        again = await phone(day.join_code, token=joined[0].token)  # a known phone rejoins
        await receive_until(again, "snapshot")
        room = engine.rooms[day.join_code]
        assert len(room.participants) == 3
        for comm in [*joined, again]:
            await comm.disconnect()

    run(scenario)


# -- guessing codes --------------------------------------------------------------------------
@override_settings(POLKU_RATE_LIMITS={"live.lookup_miss": "3/minute"})
def test_guessing_codes_is_stopped_but_a_phone_of_the_room_gets_in():
    day, _slots, _fac = live_day()
    client = Client()
    for code in ("AAAA22", "BBBB22", "CCCC22"):
        assert client.get(f"/j/{code}/").status_code == 404
    refused = client.get(f"/j/{day.join_code}/")
    assert refused.status_code == 429
    assert "Työpajakoodeja on kokeiltu verkostasi liian monta" in refused.content.decode()
    assert day.title not in refused.content.decode()
    forged = Client(HTTP_X_FORWARDED_FOR="198.51.100.7")  # a forged address changes nothing
    assert forged.get(f"/j/{day.join_code}/").status_code == 429
    phone_client = Client()
    phone_client.cookies[identity.cookie_name(day.join_code)] = identity.token_new(day.join_code)
    assert phone_client.get(f"/j/{day.join_code}/").status_code == 200

    async def scenario():
        from channels.testing import WebsocketCommunicator

        comm = WebsocketCommunicator(from_address(APP, "127.0.0.1"), f"/ws/live/{day.join_code}/")
        await comm.connect()
        assert (await comm.receive_json_from())["code"] == "rate"
        assert await comm.receive_output() == {"type": "websocket.close", "code": 4429}

    run(scenario)


@override_settings(
    POLKU_TRUSTED_PROXIES=["127.0.0.1"], POLKU_RATE_LIMITS={"live.lookup_miss": "2/minute"}
)
def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget():
    day, _slots, _fac = live_day()
    first, second = (Client(HTTP_X_FORWARDED_FOR=ip) for ip in ("198.51.100.1", "198.51.100.2"))
    for code in ("AAAA22", "BBBB22"):
        assert first.get(f"/j/{code}/").status_code == 404
    assert first.get(f"/j/{day.join_code}/").status_code == 429
    assert second.get(f"/j/{day.join_code}/").status_code == 200


# -- removed staff ---------------------------------------------------------------------------
def test_a_removed_coordinator_cannot_open_the_console_with_the_old_key():
    day, _slots, fac = live_day()
    coordinator = MembershipFactory(
        organisation=day.path.organisation, role=Membership.Role.COORDINATOR
    )
    org_services.membership_remove(membership=coordinator, by=fac)

    async def scenario():
        from channels.testing import WebsocketCommunicator

        for role in ("console", "screen"):
            key = identity.staff_key(day_id=day.pk, role=role, user_id=coordinator.user_id)
            comm = WebsocketCommunicator(APP, f"/ws/live/{day.join_code}/{role}/?k={key}")
            await comm.connect()
            assert await comm.receive_json_from() == {
                "t": "error", "id": None, "code": "forbidden",
                "message": "Tämä linkki ei ole enää voimassa.",
            }  # fmt: skip
            assert await comm.receive_output() == {"type": "websocket.close", "code": 4401}

    run(scenario)


def test_removing_a_member_closes_their_console_and_screen_at_once():
    day, (topics, _vote), fac = live_day()
    coordinator = MembershipFactory(
        organisation=day.path.organisation, role=Membership.Role.COORDINATOR
    )

    async def scenario():
        from channels.testing import WebsocketCommunicator

        staff = await console(day, coordinator.user_id)
        key = identity.staff_key(day_id=day.pk, role="screen", user_id=coordinator.user_id)
        screen = WebsocketCommunicator(APP, f"/ws/live/{day.join_code}/screen/?k={key}")
        await screen.connect()
        await receive_until(screen, "snapshot")
        other = await console(day, fac.user_id)  # the facilitator stays
        await database_sync_to_async(org_services.membership_remove)(membership=coordinator, by=fac)
        for comm in (staff, screen):
            error = await receive_until(comm, "error", timeout=2)
            assert error == {
                "t": "error", "id": None, "code": "forbidden",
                "message": "Sinulla ei ole enää pääsyä tähän työpajaan.",
            }  # fmt: skip
            assert await comm.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}
        room = engine.rooms[day.join_code]
        assert {c.user_id for c in room.conns["console"]} == {fac.user_id}
        assert room.conns["screen"] == set()
        await control(other, topics, "open", "c1")  # the facilitator's console still works
        await other.disconnect()

    run(scenario)


def test_a_role_changed_elsewhere_is_caught_by_the_periodic_check():
    day, _slots, _fac = live_day()
    coordinator = MembershipFactory(
        organisation=day.path.organisation, role=Membership.Role.COORDINATOR
    )

    async def scenario():
        staff = await console(day, coordinator.user_id)
        room = engine.rooms[day.join_code]
        # e.g. the admin site or another instance: no hook call in this process
        await database_sync_to_async(Membership.objects.filter(pk=coordinator.pk).update)(
            role=Membership.Role.VIEWER
        )
        assert await room.staff_check() == 1
        assert (await receive_until(staff, "error"))["code"] == "forbidden"
        assert room.conns["console"] == set()

    run(scenario)
    assert Participant.objects.count() == 0
