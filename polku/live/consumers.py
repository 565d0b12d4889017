"""Websocket consumers: thin adapters between a socket and its Room (see engine.py).

Channels handles the socket; fan-out stays in-process, so these consumers use no channel
layer at all (``channel_layer_alias`` names none).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext_lazy as _

from polku.activities.registry import Rejected, clean_text
from polku.core import net, ratelimit
from polku.live import engine, identity
from polku.live.engine import frames

COOKIE_AGE = 60 * 60 * 24 * 30  # as the participant cookie of polku.live.views
log = logging.getLogger("polku.live")


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

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """However the socket ends (a clean close, a dropped network, an error anywhere), the
        room forgets it: the "connected" count never keeps a ghost."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._leave()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Like Channels' dispatch, minus ``aclose_old_connections()`` on every frame: that is a
        thread hop per message (a quarter of the server's CPU with 1,500 phones). This consumer
        touches the database only through the rooms' database thread, which closes old
        connections itself. An error while handling one frame is answered with an ``error``
        frame and the socket stays open."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        if message["type"] != "websocket.receive":
            await handler(message)
            return
        try:
            await handler(message)
        except Exception:
            log.exception("live socket: a frame failed")
            await self.conn.error(
                "internal", _("Something went wrong on our side. This was not saved; try again.")
            )

    async def connect(self) -> None:
        self.room: engine.Room | None = None
        self.joined = False
        code = str(self.scope["url_route"]["kwargs"]["code"]).upper()
        self.conn = WsConn(
            self,
            audience=self.audience,
            lang=scope_language(self.scope),
            ip=net.scope_client_ip(self.scope),
        )
        cookies = self.scope.get("cookies") or {}
        self.cookie_token = cookies.get(identity.cookie_name(code))
        if not self._may_look_up(code):
            await self.accept()
            await self.conn.error("rate", _("Too many wrong workshop codes. Wait a moment."))
            await self.close(4429)
            return
        room = await engine.room_get(code)
        live = room is not None and room.status == "live"
        await self.accept(headers=self._cookie_headers(code) if live else [])
        if room is None:
            ratelimit.local_hit("live.lookup_miss", self.conn.ip)
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
            if user_id is None or not await room.staff_may_connect(user_id):
                await self.conn.error("forbidden", _("This link is not valid any more."))
                await self.close(4401)
                return
            self.conn.user_id = user_id
            self.joined = True
            await room.add(self.conn)

    def _cookie_headers(self, code: str) -> list[tuple[bytes, bytes]]:
        """A phone without this workshop's participant cookie gets one with the handshake: the
        join page is the same for every phone and sets none. One token per connection that
        has none, as the page issued one per page load before; its ``join`` then uses it."""
        if self.audience != "phone" or identity.token_valid(self.cookie_token, code):
            return []
        self.cookie_token = self.conn.issued_token = token = identity.token_new(code)
        secure = "; Secure" if self.scope.get("scheme") == "wss" else ""
        cookie = (f"{identity.cookie_name(code)}={token}; Max-Age={COOKIE_AGE}; Path=/; "
                  f"HttpOnly; SameSite=Lax{secure}")  # fmt: skip
        return [(b"set-cookie", cookie.encode("latin-1"))]

    def _may_look_up(self, code: str) -> bool:
        """Guessing codes: an address that gave too many wrong ones waits; a browser holding this
        workshop's own token (it opened the page before) is never kept out."""
        if self.audience != "phone" or identity.token_valid(self.cookie_token, code):
            return True
        return ratelimit.local_test("live.lookup_miss", self.conn.ip)

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
            frame = frames.parse(text)
        except frames.FrameError as exc:
            await self.conn.error("join_first", _("Join the workshop first."), None, exc.detail)
            return
        if not isinstance(frame, frames.Join):
            await self.conn.error("join_first", _("Join the workshop first."))
            return
        if frame.lang in ("fi", "sv", "en"):
            self.conn.lang = frame.lang
        token = frame.token or self.cookie_token
        if not identity.token_valid(token, self.room.code):
            # tokens come only from the participant page (one per browser): reload it
            await self.conn.error(
                "token", _("Your participant identifier is not valid. Reload the page to rejoin.")
            )
            await self.close(4401)
            return
        assert token is not None
        try:
            name = clean_text(frame.name, max_length=40, required=False)
        except Rejected as rejected:
            await self.conn.error(rejected.code, rejected.message)
            return
        unit = frame.unit if frame.unit in self.room.unit_names else None
        try:
            self.conn.participant = self.room.participant_for(
                token, name, unit, ip=self.conn.ip, attendance=frame.attendance or ""
            )
        except Rejected as rejected:
            await self.conn.error(rejected.code, rejected.message)
            await self.close(4429)
            return
        self.joined = True
        if self.conn.issued_token and token == self.conn.issued_token:
            # also for a browser that keeps no cookies: live.js stores it and sends it in join
            await self.conn.send({"t": "token", "token": token})
        await self.room.add(self.conn)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        """Like Channels' handler, minus ``aclose_old_connections()``: a thread hop for every
        phone that leaves (this consumer has no groups and no database connection)."""
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    def _leave(self) -> None:
        room, self.room = getattr(self, "room", None), None
        if room is not None and getattr(self, "joined", False):
            room.remove(self.conn)

    async def disconnect(self, code: int) -> None:
        self._leave()


class ScreenConsumer(LiveConsumer):
    audience = "screen"


class ConsoleConsumer(LiveConsumer):
    audience = "console"
