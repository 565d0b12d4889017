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


def failure_cause(error: BaseException) -> str:
    """A short name for why a connection attempt failed (benchmark reports count them)."""
    if isinstance(error, websockets.exceptions.InvalidStatus):
        return f"http_{error.response.status_code}"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, ConnectionResetError):
        return "reset"
    if isinstance(error, ConnectionRefusedError):
        return "refused"
    return type(error).__name__


class Phone:
    def __init__(
        self, base: str, code: str, *, name: str = "", path: str = "",
        compression: str | None = "deflate", open_timeout: float = 20, unit: int | None = None,
    ) -> None:  # fmt: skip
        self.unit = unit
        self.url = f"{base}/ws/live/{code}/{path}"
        self.code = code
        self.staff = bool(path)
        self.compression = compression  # browsers offer permessage-deflate
        self.open_timeout = open_timeout
        self.failures: dict[str, int] = {}  # failed websocket attempts by cause
        self.opened_at: float | None = None  # first successful handshake (monotonic)
        self.welcome_at: float | None = None  # first welcome (monotonic)
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
                headers = {"Cookie": self.cookie} if self.cookie else None
                async with websockets.connect(
                    self.url, additional_headers=headers, origin=self.origin,
                    open_timeout=self.open_timeout, ping_interval=None, max_size=2**22,
                    compression=self.compression,
                ) as ws:  # fmt: skip
                    self.ws = ws
                    attempt = 0
                    if self.opened_at is None:
                        self.opened_at = time.monotonic()
                    for header in ws.response.headers.get_all("Set-Cookie"):
                        if header.startswith("polku_p_"):  # like a browser: kept for reconnects
                            self.cookie = header.split(";", 1)[0]
                    if "/screen/" not in self.url and "/console/" not in self.url:
                        join = {"t": "join", "v": 1, "name": self.name, "unit": self.unit}
                        if self.token:
                            join["token"] = self.token
                        await ws.send(orjson.dumps(join).decode())
                    async for raw in ws:
                        if self.skip_snapshots and raw.startswith('{"t":"snapshot"'):
                            self.snapshot_count += 1
                            continue
                        self._handle(orjson.loads(raw))
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException) as error:
                if self.ws is None:  # the handshake failed (else: a dropped socket)
                    cause = failure_cause(error)
                    self.failures[cause] = self.failures.get(cause, 0) + 1
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
            if self.welcome_at is None:
                self.welcome_at = now
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

    async def group(
        self, action: str, data: dict[str, Any] | None = None, slot: int | None = None
    ) -> str:
        """A ``group`` frame (protocol 1.1): the console splits, moves, ends; a phone picks."""
        cid = f"g{next(_ids)}"
        frame = {"t": "group", "id": cid, "action": action, "data": data or {}}
        if slot is not None:
            frame["slot"] = slot
        self.outbox[cid] = frame
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


class HttpError(Exception):
    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


async def http_get(
    host: str, port: int, paths: list[str], *, headers: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> list[tuple[int, dict[str, str], bytes]]:  # fmt: skip
    """GET each path in turn over one keep-alive HTTP/1.1 connection, as a phone's browser
    loads a page and then its style sheets and script. Raises ``HttpError`` with a cause
    (``timeout``, ``reset``, ``refused``, ``http_503`` …) for the first one that fails."""
    try:
        return await asyncio.wait_for(_http_get(host, port, paths, headers or {}), timeout)
    except HttpError:
        raise
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
        cause = "closed" if isinstance(error, asyncio.IncompleteReadError) else None
        raise HttpError(cause or failure_cause(error)) from error


async def _http_get(host, port, paths, headers):
    reader, writer = await asyncio.open_connection(host, port)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    results = []
    try:
        for path in paths:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode("latin-1")
            )
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split(" ", 2)[1])
            response_headers: dict[str, str] = {}
            for line in head[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    name = name.strip().lower()
                    value = value.strip()
                    if name in response_headers:
                        value = response_headers[name] + ", " + value
                    response_headers[name] = value
            length = int(response_headers.get("content-length", "0") or 0)
            body = await reader.readexactly(length) if length and status != 304 else b""
            if status >= 500:
                raise HttpError(f"http_{status}")
            results.append((status, response_headers, body))
    finally:
        writer.close()
    return results
