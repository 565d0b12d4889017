"""A connected client, its rate buckets and the participant behind a phone."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from dataclasses import dataclass
from typing import Any

import orjson
from django.utils import translation

from polku.live import identity
from polku.live.engine.frames import MAX_FRAME

__all__ = ["MAX_FRAME", "Conn", "ParticipantInfo", "TokenBucket", "dumps", "short_id"]


def dumps(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def short_id(actor: str, client_id: str) -> str:
    return hashlib.sha1(f"{actor}:{client_id}".encode(), usedforsecurity=False).hexdigest()[:10]


class TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(eq=False)
class ParticipantInfo:
    """A participant as the room knows it; ``id`` is None until the next flush stores it."""

    id: int | None
    token: str
    name: str = ""
    unit: int | None = None
    token_hash: str = ""
    attendance: str = ""  # "room", "remote" or "" (not said)

    def __post_init__(self) -> None:
        if not self.token_hash and self.token:
            self.token_hash = identity.token_hash(self.token)


class Conn:
    """One connected client (websocket or SSE). Subclasses implement ``send_text``."""

    def __init__(self, *, audience: str, lang: str, ip: str) -> None:
        self.audience = audience  # "phone", "screen" or "console"
        self.lang = lang if lang in ("fi", "sv", "en") else "fi"
        self.ip = ip
        self.participant: ParticipantInfo | None = None
        self.user_id: int | None = None
        self.selected: int | None = None  # console: the slot being moderated
        self.bucket = TokenBucket(8, 20) if audience == "phone" else TokenBucket(50, 100)
        self.view_key: tuple | None = None
        self.group: str | None = None  # phone: its group; console: the group it looks into
        self.watch = False  # phone: also wants the screen pane (what the projector shows)
        self.mirror_key: tuple | None = None
        self._busy = False
        self._next: str | None = None
        self._pump_task: asyncio.Task | None = None

    async def send_text(self, text: str) -> None:
        raise NotImplementedError

    def push(self, text: str) -> None:
        """Fan-out without waiting for this client: the write starts at once (eager task); if
        the client is still busy with the previous one, only the newest snapshot is kept."""
        if self._busy:
            self._next = text
            return
        self._busy = True
        self._pump_task = asyncio.eager_task_factory(asyncio.get_running_loop(), self._pump(text))

    async def _pump(self, text: str | None) -> None:
        try:
            while text is not None:
                try:
                    await self.send_text(text)
                except Exception:
                    return
                text, self._next = self._next, None
        finally:
            self._busy = False

    async def close(self, code: int = 1000) -> None:
        """Close the transport (websocket) or end the stream (SSE)."""

    async def send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await self.send_text(dumps(message))

    async def error(
        self,
        code: str,
        message: Any,
        client_id: Any = None,
        detail: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """An ``error`` frame; ``detail`` (English, for developers) says where a frame broke
        its declared shape; ``data`` is what the activity gave with its refusal
        (:class:`~polku.activities.registry.Rejected`)."""
        with translation.override(self.lang):
            text = str(message)
        frame = {"t": "error", "id": client_id, "code": code, "message": text}
        if detail:
            frame["detail"] = detail[:300]
        if data:
            frame["data"] = data
        await self.send(frame)
