"""Several server processes, one room: how each process's copy of a room learns what the others
committed.

* ``RedisBridge`` (``REDIS_URL``, several instances or machines): one pub/sub subscription per
  room per process; each committed batch is published, the others apply it.
* ``DatabaseBridge`` (the embedded default with ``WEB_CONCURRENCY`` > 1 worker processes on
  one SQLite file, no extra service): each room tails the day's event log every
  ``POLL_SECONDS``. SQLite has one writer at a time, so row ids grow in commit order and
  ``id > last seen`` misses nothing. A change of the day or its agenda (status, settings)
  reloads the room in every process.

Either way a process applies only events it has not seen (``(actor, client id)``), so its own
rows coming back are skipped, and a room keeps working on its own when the bridge is down: the
console says so (``bridge_ok`` in its snapshot) and the room is rebuilt from the database once
the bridge is back, which brings it level with the other instances.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import orjson
from django.conf import settings

if TYPE_CHECKING:
    from polku.live.engine.room import Room

log = logging.getLogger("polku.live")

INSTANCE_ID = uuid.uuid4().hex[:12]
_db = settings.DATABASES["default"]
DATABASE_KEY = hashlib.sha256(
    f"{_db.get('HOST', '')}:{_db.get('PORT', '')}/{_db.get('NAME', '')}".encode()
).hexdigest()[:10]
RETRY_SECONDS = 2.0


class RedisBridge:
    """One pub/sub subscription per room per process; committed events go to other instances."""

    kind = "redis"

    def __init__(self, url: str) -> None:
        self.url = url
        self._loop: asyncio.AbstractEventLoop | None = None
        self.reader: asyncio.Task | None = None
        self.by_channel: dict[str, Room] = {}
        self.ok = True
        self.down_since: float | None = None

    def _ensure(self) -> None:
        """Redis clients belong to one event loop (a server has one; tests make several)."""
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self.redis = aioredis.from_url(
                self.url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=10
            )
            self.pubsub = self.redis.pubsub()
            self.reader = None
            self.by_channel = {}
            self.ok, self.down_since = True, None

    @staticmethod
    def channel(day_id: int) -> str:
        """Per database and day: Redis pub/sub channels are global to the server (not per db
        number), so two deployments, or two test runs, sharing one Redis never cross-talk."""
        return f"polku:live:{DATABASE_KEY}:{day_id}"

    def _down(self, what: str, error: BaseException) -> None:
        if self.ok:
            log.error("Redis unreachable (%s: %s): live rooms go on in this instance only",
                      what, error.__class__.__name__)  # fmt: skip
            self.ok, self.down_since = False, time.monotonic()
            for room in list(self.by_channel.values()):
                room.bridge_changed()

    async def join(self, room: Room) -> None:
        self._ensure()
        name = self.channel(room.day_id)
        self.by_channel[name] = room
        if self.ok:
            try:
                await self.pubsub.subscribe(name)
            except Exception as error:  # Redis down: the room works on this instance alone
                self._down("subscribe", error)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.ensure_future(self._read())
        # what others committed after the room read the database and before the subscription
        # took effect was published to nobody here: read it again (applying twice is a no-op)
        await room.catch_up()

    async def leave(self, room: Room) -> None:
        self._ensure()
        name = self.channel(room.day_id)
        self.by_channel.pop(name, None)
        with contextlib.suppress(Exception):
            await self.pubsub.unsubscribe(name)

    async def publish(self, day_id: int, rows: list[dict[str, Any]]) -> None:
        self._ensure()
        if not self.ok:
            return  # the reader reconnects; the room is rebuilt from the database then
        payload = orjson.dumps({"o": INSTANCE_ID, "rows": rows})
        try:
            await self.redis.publish(self.channel(day_id), payload)
        except Exception as error:
            self._down("publish", error)

    async def _reconnect(self) -> None:
        """Subscribe again to every room's channel, then rebuild the rooms from the database
        (events other instances committed meanwhile were not received)."""
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        self.pubsub = self.redis.pubsub()
        await self.redis.ping()
        if self.by_channel:
            await self.pubsub.subscribe(*self.by_channel)
        log.warning("Redis reachable again: live rooms rebuilt from the database")
        self.ok, self.down_since = True, None
        for room in list(self.by_channel.values()):
            await room.settle()
            await room.reload()
            room.bridge_changed()

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
        if not self.ok:
            return  # they rebuild every room when Redis is back anyway
        try:
            await self.redis.publish(
                self.channel(day_id), orjson.dumps({"o": INSTANCE_ID, "reload": True})
            )
        except Exception:
            log.exception("publishing to Redis failed")

    async def publish_forget(self, day_id: int, token_hash: str, slot_ids: list[int]) -> None:
        """A participant was forgotten: the other instances take them out of their rooms."""
        self._ensure()
        if not self.ok:
            return  # they rebuild every room when Redis is back anyway
        forget = {"token_hash": token_hash, "slot_ids": slot_ids}
        try:
            await self.redis.publish(
                self.channel(day_id), orjson.dumps({"o": INSTANCE_ID, "forget": forget})
            )
        except Exception:
            log.exception("publishing to Redis failed")

    async def _read(self) -> None:
        while True:
            if not self.ok:
                await asyncio.sleep(RETRY_SECONDS)
                try:
                    await self._reconnect()
                except Exception as error:
                    log.debug("Redis still unreachable: %s", error.__class__.__name__)
                    continue
            try:
                if not self.pubsub.subscribed:
                    await asyncio.sleep(0.2)
                    continue
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except Exception as error:
                self._down("read", error)
                continue
            if not message or message.get("type") != "message":
                continue
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            room = self.by_channel.get(channel)
            try:
                payload = orjson.loads(message["data"])
            except orjson.JSONDecodeError:
                continue
            if room is None or not isinstance(payload, dict) or payload.get("o") == INSTANCE_ID:
                continue
            try:
                if payload.get("reload"):
                    await room.settle()
                    await room.reload()
                elif isinstance(payload.get("forget"), dict):
                    forget = payload["forget"]
                    await room.forget(
                        token_hash=str(forget["token_hash"]),
                        slot_ids=[int(pk) for pk in forget["slot_ids"]],
                    )
                else:
                    await room.apply_remote(payload["rows"])
            except Exception:  # one bad message must not stop the reader
                log.exception("applying another instance's live events failed")


class DatabaseBridge:
    """Worker processes sharing one SQLite file: each room tails the day's event log."""

    kind = "database"
    POLL_SECONDS = 0.05
    VERSION_EVERY = 1.0  # how often the day's and agenda's change stamps are compared

    def __init__(self) -> None:
        self.tails: dict[int, asyncio.Task] = {}
        self.ok = True

    async def join(self, room: Room) -> None:
        old = self.tails.pop(room.day_id, None)
        if old is not None:
            old.cancel()
        self.tails[room.day_id] = asyncio.ensure_future(self._tail(room))

    async def leave(self, room: Room) -> None:
        task = self.tails.pop(room.day_id, None)
        if task is not None:
            task.cancel()

    async def publish(self, day_id: int, rows: list[dict[str, Any]]) -> None:
        """Nothing to send: the rows are in the database, where the others read them."""

    def publish_sync(self, day_id: int, rows: list[dict[str, Any]]) -> None:
        """Nothing to send: the rows are in the database, where the others read them."""

    async def publish_reload(self, day_id: int) -> None:
        """Nothing to send: the others see the day's change stamp move."""

    async def publish_forget(self, day_id: int, token_hash: str, slot_ids: list[int]) -> None:
        """Move the day's change stamp: the other processes rebuild their copy of the room."""
        from polku.live.engine.db import run_db

        await run_db(_day_touch, day_id=day_id)

    async def _tail(self, room: Room) -> None:
        from polku.live import selectors
        from polku.live.engine.db import run_db

        checked = time.monotonic()
        while True:
            await asyncio.sleep(self.POLL_SECONDS)
            try:
                rows = await run_db(
                    selectors.events_after, day_id=room.day_id, after=room.last_event_id
                )
                if rows:
                    room.last_event_id = rows[-1]["id"]
                    await room.apply_remote(rows)
                if time.monotonic() - checked >= self.VERSION_EVERY:
                    checked = time.monotonic()
                    stamp = await run_db(selectors.room_stamp, day_id=room.day_id)
                    if stamp != room.stamp:
                        await room.settle()
                        await room.reload()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the other processes' live events failed")
                await asyncio.sleep(1)


def _day_touch(*, day_id: int) -> None:
    from django.utils import timezone

    from polku.workshops.models import WorkshopDay

    WorkshopDay.objects.filter(pk=day_id).update(updated_at=timezone.now())


def bridge_for(kind: str) -> RedisBridge | DatabaseBridge | None:
    if kind == "redis" and settings.REDIS_URL:
        return RedisBridge(settings.REDIS_URL)
    if kind == "database":
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
            log.error("several processes on PostgreSQL need REDIS_URL to share live rooms")
            return None
        return DatabaseBridge()
    return None


bridge: RedisBridge | DatabaseBridge | None = bridge_for(settings.LIVE_BRIDGE)
