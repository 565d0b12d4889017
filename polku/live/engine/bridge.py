"""Scale-out: rooms of several instances exchange committed events through Redis pub/sub."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING, Any

import orjson
from django.conf import settings

if TYPE_CHECKING:
    from polku.live.engine.room import Room

log = logging.getLogger("polku.live")

INSTANCE_ID = uuid.uuid4().hex[:12]


class RedisBridge:
    """One pub/sub subscription per room per process; committed events go to other instances."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._loop: asyncio.AbstractEventLoop | None = None
        self.reader: asyncio.Task | None = None
        self.by_channel: dict[str, Room] = {}

    def _ensure(self) -> None:
        """Redis clients belong to one event loop (a server has one; tests make several)."""
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self.redis = aioredis.from_url(self.url)
            self.pubsub = self.redis.pubsub()
            self.reader = None
            self.by_channel = {}

    @staticmethod
    def channel(day_id: int) -> str:
        return f"polku:live:{day_id}"

    async def join(self, room: Room) -> None:
        self._ensure()
        name = self.channel(room.day_id)
        self.by_channel[name] = room
        await self.pubsub.subscribe(name)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.ensure_future(self._read())

    async def leave(self, room: Room) -> None:
        self._ensure()
        name = self.channel(room.day_id)
        self.by_channel.pop(name, None)
        with contextlib.suppress(Exception):
            await self.pubsub.unsubscribe(name)

    async def publish(self, day_id: int, rows: list[dict[str, Any]]) -> None:
        self._ensure()
        payload = orjson.dumps({"o": INSTANCE_ID, "rows": rows})
        try:
            await self.redis.publish(self.channel(day_id), payload)
        except Exception:
            log.exception("publishing to Redis failed")

    def publish_sync(self, day_id: int, rows: list[dict[str, Any]]) -> None:
        """The same, from synchronous code (a service in a request thread)."""
        import redis

        payload = orjson.dumps({"o": "sync-" + INSTANCE_ID, "rows": rows})
        try:
            client = redis.Redis.from_url(self.url)
            try:
                client.publish(self.channel(day_id), payload)
            finally:
                client.close()
        except Exception:
            log.exception("publishing to Redis failed")

    async def publish_reload(self, day_id: int) -> None:
        """Ask the other instances to rebuild this room from the database."""
        self._ensure()
        try:
            await self.redis.publish(
                self.channel(day_id), orjson.dumps({"o": INSTANCE_ID, "reload": True})
            )
        except Exception:
            log.exception("publishing to Redis failed")

    async def _read(self) -> None:
        while True:
            try:
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except Exception:
                log.exception("reading from Redis failed")
                await asyncio.sleep(1)
                continue
            if not message or message.get("type") != "message":
                continue
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            room = self.by_channel.get(channel)
            payload = orjson.loads(message["data"])
            if room is None or payload.get("o") == INSTANCE_ID:
                continue
            if payload.get("reload"):
                await room.settle()
                await room.reload()
            else:
                await room.apply_remote(payload["rows"])


bridge: RedisBridge | None = RedisBridge(settings.REDIS_URL) if settings.REDIS_URL else None
