"""Websocket consumers: thin adapters between a socket and its Room (see engine.py).

Channels handles the socket; fan-out stays in-process, so these consumers use no channel
layer at all (``channel_layer_alias`` names none).
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import parse_qs

import orjson
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext_lazy as _

from polku.activities.registry import Rejected, clean_text
from polku.live import engine, identity


def scope_language(scope: dict[str, Any]) -> str:
    cookies = scope.get("cookies") or {}
    lang = cookies.get("polku_language", "")
    if lang in ("fi", "sv", "en"):
        return lang
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            for part in value.decode("latin-1").split(","):
                code = part.strip()[:2].lower()
                if code in ("fi", "sv", "en"):
                    return code
    return "fi"


def scope_ip(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":  # set by the reverse proxy (docs/deploy.md)
            return value.decode("latin-1").split(",")[0].strip()[:64]
    client = scope.get("client") or ("", 0)
    return str(client[0])


class WsConn(engine.Conn):
    def __init__(self, consumer: AsyncWebsocketConsumer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.consumer = consumer
        self.issued_token = ""

    async def send_text(self, text: str) -> None:
        await self.consumer.base_send({"type": "websocket.send", "text": text})

    async def close(self, code: int = 1000) -> None:
        with contextlib.suppress(Exception):
            await self.consumer.close(code)


class LiveConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = "polku-live-has-no-channel-layer"
    audience = "phone"

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Like Channels' dispatch, minus ``aclose_old_connections()`` on every frame: that is a
        thread hop per message (a quarter of the server's CPU with 1,500 phones). This consumer
        touches the database only through ``database_sync_to_async``, which closes old
        connections itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.room: engine.Room | None = None
        self.joined = False
        code = str(self.scope["url_route"]["kwargs"]["code"]).upper()
        self.conn = WsConn(
            self, audience=self.audience, lang=scope_language(self.scope), ip=scope_ip(self.scope)
        )
        await self.accept()
        room = await engine.room_get(code)
        if room is None:
            await self.conn.error("unknown", _("There is no workshop with this code."))
            await self.close(4404)
            return
        if self.audience == "phone" and room.status != "live":
            await self.conn.error("not_live", _("This workshop is not open right now."))
            await self.close(4403)
            return
        self.room = room
        if self.audience != "phone":
            query = parse_qs(self.scope.get("query_string", b"").decode())
            key = (query.get("k") or [""])[0]
            user_id = identity.staff_key_check(key, day_id=room.day_id, role=self.audience)
            if user_id is None:
                await self.conn.error("forbidden", _("This link is not valid any more."))
                await self.close(4401)
                return
            self.conn.user_id = user_id
            self.joined = True
            await room.add(self.conn)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None:
            return
        if text_data is None:
            await self.conn.error("invalid", _("The message could not be read."))
            return
        if not self.joined:
            await self.join(text_data)
            return
        await self.room.handle(self.conn, text_data)

    async def join(self, text: str) -> None:
        assert self.room is not None
        try:
            msg = orjson.loads(text) if len(text) <= engine.MAX_FRAME else None
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict) or msg.get("t") != "join":
            await self.conn.error("join_first", _("Join the workshop first."))
            return
        if isinstance(msg.get("lang"), str) and msg["lang"] in ("fi", "sv", "en"):
            self.conn.lang = msg["lang"]
        cookies = self.scope.get("cookies") or {}
        token = msg.get("token") or cookies.get(identity.cookie_name(self.room.code))
        if token is not None and not identity.token_valid(token):
            await self.conn.error(
                "token", _("Your participant identifier is not valid. Reload the page to rejoin.")
            )
            await self.close(4401)
            return
        try:
            name = clean_text(msg.get("name", ""), max_length=40, required=False)
        except Rejected as rejected:
            await self.conn.error(rejected.code, rejected.message)
            return
        unit = msg.get("unit")
        if not isinstance(unit, int) or unit not in self.room.unit_names:
            unit = None
        if token is None:
            token = identity.token_new()
            self.conn.issued_token = token
        self.conn.participant = self.room.participant_for(token, name, unit)
        self.joined = True
        if self.conn.issued_token:
            await self.conn.send({"t": "token", "token": token})
        await self.room.add(self.conn)

    async def disconnect(self, code: int) -> None:
        if self.room is not None and self.joined:
            self.room.remove(self.conn)


class ScreenConsumer(LiveConsumer):
    audience = "screen"


class ConsoleConsumer(LiveConsumer):
    audience = "console"
