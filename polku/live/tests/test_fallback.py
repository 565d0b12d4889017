"""When websockets are blocked: Server-Sent Events for snapshots, POST for inputs."""

import orjson
import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from polku.live import engine, identity
from polku.live.tests.factories import live_day

pytestmark = pytest.mark.django_db(transaction=True)


def test_post_input_is_acked_and_sse_streams_welcome_view_and_snapshot():
    day, (topics, _vote), _ = live_day()
    token = identity.token_new(day.join_code)

    async def scenario():
        client = AsyncClient()
        client.cookies[identity.cookie_name(day.join_code)] = token
        room = await engine.room_get(day.join_code)
        room._apply(slot_id=topics.pk, kind="sys:open", actor="f1", client_id="o1", data={})
        response = await client.get(f"/j/{day.join_code}/events/")
        assert response["Content-Type"] == "text/event-stream"
        stream = response.streaming_content
        frames = []
        async for chunk in stream:
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            if text.startswith("data: "):
                frames.append(orjson.loads(text[6:]))
            if len(frames) == 4:
                break
        assert [f["t"] for f in frames] == ["welcome", "view", "snapshot", "me"]
        assert frames[2]["activity"]["key"] == "topics"
        await stream.aclose()

        frame = {
            "t": "input",
            "id": "p-1",
            "slot": topics.pk,
            "kind": "card",
            "data": {"text": "SSE:n kautta"},
        }
        reply = await client.post(
            f"/j/{day.join_code}/send/", orjson.dumps(frame), content_type="application/json"
        )
        assert reply.status_code == 200
        messages = orjson.loads(reply.content)
        assert messages[0] == {"t": "ack", "id": "p-1", "seq": 1}
        assert messages[1]["t"] == "me"
        assert messages[1]["data"]["left"] == 2
        bad = await client.post(
            f"/j/{day.join_code}/send/", orjson.dumps({**frame, "id": "p-2", "data": {"text": ""}}),
            content_type="application/json",
        )  # fmt: skip
        assert orjson.loads(bad.content) == [
            {"t": "error", "id": "p-2", "code": "empty", "message": "Kirjoita ensin jotain."}
        ]
        for task in room.tasks:
            task.cancel()

    async_to_sync(scenario)()


def test_sse_without_a_cookie_issues_one_that_the_post_then_uses():
    """A phone whose websocket never opened has no participant cookie yet (it comes with the
    websocket handshake): the event stream sets it, and the POSTed inputs use it."""
    day, (topics, _vote), _ = live_day()

    async def scenario():
        client = AsyncClient()
        room = await engine.room_get(day.join_code)
        room._apply(slot_id=topics.pk, kind="sys:open", actor="f1", client_id="o1", data={})
        response = await client.get(f"/j/{day.join_code}/events/")
        cookie = response.cookies[identity.cookie_name(day.join_code)]
        assert identity.token_valid(cookie.value, day.join_code)
        assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
        stream = response.streaming_content
        first = await anext(stream)
        first = first.decode() if isinstance(first, bytes) else first
        assert first.startswith("retry: ") and first.endswith("\n\n")
        assert 2000 <= int(first[7:-2]) <= 8000  # jittered EventSource reconnect
        await stream.aclose()
        client.cookies[cookie.key] = cookie.value
        frame = {"t": "input", "id": "s-1", "slot": topics.pk, "kind": "card",
                 "data": {"text": "Ilman evästettä"}}  # fmt: skip
        reply = await client.post(
            f"/j/{day.join_code}/send/", orjson.dumps(frame), content_type="application/json"
        )
        assert orjson.loads(reply.content)[0] == {"t": "ack", "id": "s-1", "seq": 1}
        for task in room.tasks:
            task.cancel()
        return cookie.value

    token = async_to_sync(scenario)()
    assert identity.token_hash(token) in engine.rooms[day.join_code].participants
