"""A simulated phone (and presenter) speaking the live protocol — for the benchmark and tests.

Uses the ``websockets`` asyncio client. It behaves like ``live.js``: it joins, keeps unacked
inputs in an outbox, reconnects with backoff and resends the outbox with the same client ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from typing import Any

import orjson
import websockets

_ids = itertools.count(1)


async def page_cookie(host: str, port: int, code: str) -> str:
    """GET /j/<code>/ like a phone does; return the participant cookie it sets (the page is
    the only place that issues participant tokens)."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /j/{code}/ HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Language: fi\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    await writer.drain()
    data = await reader.read()
    writer.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    if " 200 " not in head.splitlines()[0]:
        raise RuntimeError(head.splitlines()[0])
    for line in head.split("\r\n"):
        if line.lower().startswith("set-cookie:") and "polku_p_" in line:
            return line.split(":", 1)[1].strip().split(";", 1)[0]
    raise RuntimeError("no participant cookie")


class Phone:
    def __init__(self, base: str, code: str, *, name: str = "", path: str = "") -> None:
        self.url = f"{base}/ws/live/{code}/{path}"
        self.code = code
        self.staff = bool(path)
        self.origin = base.replace("ws://", "http://").replace("wss://", "https://")
        self.name = name
        self.token: str | None = None
        self.outbox: dict[str, dict[str, Any]] = {}
        self.sent_at: dict[str, float] = {}
        self.acked: dict[str, int] = {}  # client id -> room seq
        self.ack_at: dict[str, float] = {}
        self.errors: list[dict[str, Any]] = []
        self.snapshots: list[tuple[float, dict[str, Any]]] = []
        self.keep_snapshots = False
        self.last_snapshot: dict[str, Any] | None = None
        self.me: dict[str, Any] = {}
        self.ws: Any = None
        self.welcomed = asyncio.Event()
        self.closed = False
        self.reconnects = 0
        self._task: asyncio.Task | None = None
        self._resend: asyncio.Future | None = None
        self.cookie: str | None = None
        self.skip_snapshots = False  # a load test does not parse every phone snapshot
        self.snapshot_count = 0

    async def start(self) -> None:
        self._task = asyncio.ensure_future(self._loop())
        await self.welcomed.wait()

    async def _loop(self) -> None:
        attempt = 0
        while not self.closed:
            try:
                if not self.staff and not self.cookie and not self.token:
                    host, _sep, port = self.origin.split("://", 1)[1].partition(":")
                    self.cookie = await page_cookie(host, int(port or 80), self.code)
                headers = {"Cookie": self.cookie} if self.cookie else None
                async with websockets.connect(
                    self.url, additional_headers=headers, origin=self.origin, open_timeout=20, ping_interval=None,
                    max_size=2**22, compression=None,
                ) as ws:  # fmt: skip
                    self.ws = ws
                    attempt = 0
                    if "/screen/" not in self.url and "/console/" not in self.url:
                        join = {"t": "join", "v": 1, "name": self.name}
                        if self.token:
                            join["token"] = self.token
                        await ws.send(orjson.dumps(join).decode())
                    async for raw in ws:
                        if self.skip_snapshots and raw.startswith('{"t":"snapshot"'):
                            self.snapshot_count += 1
                            continue
                        self._handle(orjson.loads(raw))
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
                pass
            self.ws = None
            self.welcomed.clear()
            if self.closed:
                return
            attempt += 1
            self.reconnects += 1
            await asyncio.sleep(min(8.0, 0.25 * 2 ** min(attempt, 5)) * random.uniform(0.5, 1.5))

    def _handle(self, msg: dict[str, Any]) -> None:
        t = msg.get("t")
        now = time.monotonic()
        if t == "token":
            self.token = msg["token"]
        elif t == "welcome":
            self.welcomed.set()
            self._resend = asyncio.ensure_future(self._send_all(list(self.outbox.values())))
        elif t == "ack":
            cid = msg["id"]
            if cid in self.outbox:
                del self.outbox[cid]
                self.acked[cid] = msg.get("seq", -1)
                self.ack_at[cid] = now
        elif t == "error":
            self.errors.append(msg)
            frame = self.outbox.get(msg.get("id"))
            if frame is not None and msg.get("code") in ("retry", "rate"):
                asyncio.get_running_loop().call_later(
                    1.0, lambda: asyncio.ensure_future(self._send(frame))
                )
            elif frame is not None:
                del self.outbox[msg["id"]]
        elif t == "snapshot":
            self.last_snapshot = msg
            if self.keep_snapshots:
                self.snapshots.append((now, msg))
        elif t == "me":
            self.me = msg.get("data", {})

    async def _send_all(self, frames: list[dict[str, Any]]) -> None:
        for frame in frames:
            await self._send(frame)

    async def _send(self, frame: dict[str, Any]) -> None:
        ws = self.ws
        if ws is None:
            return
        with contextlib.suppress(websockets.exceptions.WebSocketException):
            await ws.send(orjson.dumps(frame).decode())

    async def input(self, slot: int, kind: str, data: dict[str, Any]) -> str:
        cid = f"c{next(_ids)}-{random.randrange(1 << 30):x}"
        frame = {"t": "input", "id": cid, "slot": slot, "kind": kind, "data": data}
        self.outbox[cid] = frame
        self.sent_at[cid] = time.monotonic()
        await self._send(frame)
        return cid

    async def control(self, slot: int, action: str, data: dict[str, Any] | None = None) -> str:
        cid = f"k{next(_ids)}"
        frame = {"t": "control", "id": cid, "slot": slot, "action": action, "data": data or {}}
        self.outbox[cid] = frame
        await self._send(frame)
        return cid

    async def wait_acked(self, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        while self.outbox and time.monotonic() < end:
            await asyncio.sleep(0.05)
        return not self.outbox

    async def stop(self) -> None:
        self.closed = True
        if self.ws is not None:
            await self.ws.close()
        if self._task is not None:
            self._task.cancel()
