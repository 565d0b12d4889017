"""The bare baseline of `make bench-live`: the same URLs and frames with no Django behind them.

A plain ASGI app served by the same uvicorn flags: ``GET /j/<code>/`` answers the bytes of the
real join page, ``/static/…`` the project's own files, and the websocket speaks just enough of
the live protocol (docs/live-protocol.md) for the load client: a cookie with the handshake,
``token``/``welcome``/``view``/``snapshot`` on join, an ``ack`` for every input at once and
presenter snapshots (10 Hz) and phone snapshots (1 Hz) carrying ``seq``. What the benchmark
measures against it is the cost of the machine, uvicorn and the client itself; the ratio to it
is what Polku adds.

BENCH_BARE_PAGE (file with the page bytes) and BENCH_BARE_SLOTS (JSON {"topics": id,
"dot_vote": id}) come from scripts/bench_live.py.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
PAGE = Path(os.environ.get("BENCH_BARE_PAGE", "/dev/null")).read_bytes()
SLOTS = orjson.loads(os.environ.get("BENCH_BARE_SLOTS", "{}"))
KEYS = {v: k for k, v in SLOTS.items()}
STATIC = {
    "/static/" + str(path.relative_to(base)): path.read_bytes()
    for base in [ROOT / "polku" / "static", *ROOT.glob("polku/*/static")]
    for path in base.rglob("*")
    if path.is_file() and path.suffix in (".css", ".js", ".svg")
}
TYPES = {".css": b"text/css", ".js": b"text/javascript", ".svg": b"image/svg+xml"}


class State:
    def __init__(self) -> None:
        self.seq = 0
        self.current: str | None = None
        self.items: list[str] = []
        self.dots = 0
        self.screens: set = set()
        self.phones: set = set()
        self.loop: asyncio.Task | None = None


state = State()


async def ticker() -> None:
    sent_screen = sent_phone = -1
    n = 0
    pending: set[asyncio.Future] = set()
    while True:
        await asyncio.sleep(0.1)
        pending = {f for f in pending if not f.done()}
        n += 1
        snap = {"t": "snapshot", "v": 1, "seq": state.seq, "connected": len(state.phones),
                "activity": {"key": state.current, "slot": SLOTS.get(state.current or "")},
                "data": {"all_items": [{"id": i} for i in state.items[:200]],
                         "count": len(state.items), "dots": state.dots}}  # fmt: skip
        if state.seq != sent_screen:
            sent_screen = state.seq
            text = orjson.dumps(snap).decode()
            for send in list(state.screens):
                pending.add(asyncio.ensure_future(send({"type": "websocket.send", "text": text})))
        if n % 10 == 0 and state.seq != sent_phone:
            sent_phone = state.seq
            snap["data"] = {"count": len(state.items), "dots": state.dots}
            text = orjson.dumps(snap).decode()
            for send in list(state.phones):
                pending.add(asyncio.ensure_future(send({"type": "websocket.send", "text": text})))


async def http(scope, receive, send) -> None:
    path = scope["path"]
    if path.startswith("/j/"):
        body, kind = PAGE, b"text/html; charset=utf-8"
    elif path in STATIC:
        body, kind = STATIC[path], TYPES[Path(path).suffix]
    else:
        body, kind = b"not found", b"text/plain"
    status = 200 if body != b"not found" else 404
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


async def websocket(scope, receive, send) -> None:
    if state.loop is None:
        state.loop = asyncio.ensure_future(ticker())
    staff = "/screen/" in scope["path"] or "/console/" in scope["path"]
    group = state.screens if staff else state.phones
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    cookie = f"polku_p_BARE={secrets.token_urlsafe(18)}; Path=/; HttpOnly; SameSite=Lax"
    await send(
        {"type": "websocket.accept", "headers": [] if staff else [(b"set-cookie", cookie.encode())]}
    )

    def out(frame: dict) -> dict:
        return {"type": "websocket.send", "text": orjson.dumps(frame).decode()}

    group.add(send)
    if staff:
        await send(out({"t": "welcome", "v": 1, "role": "screen", "code": "BARE", "me": {}}))
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            frame = orjson.loads(message.get("text") or "{}")
            t = frame.get("t")
            if t == "join":
                await send(out({"t": "token", "token": secrets.token_urlsafe(18)}))
                await send(out({"t": "welcome", "v": 1, "role": "phone", "code": "BARE", "me": {}}))
                await send(out({"t": "view", "slot": None, "key": None, "html": "x" * 900}))
                await send(out({"t": "snapshot", "v": 1, "seq": state.seq, "data": {}}))
            elif t in ("input", "control"):
                state.seq += 1
                if t == "control":
                    state.current = KEYS.get(frame.get("slot"))
                elif frame.get("kind") == "card":
                    state.items.append(frame["id"])
                elif frame.get("kind") == "vote":
                    state.dots += 1
                await send(out({"t": "ack", "id": frame.get("id"), "seq": state.seq}))
    finally:
        group.discard(send)


async def app(scope, receive, send) -> None:
    if scope["type"] == "http":
        await http(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket(scope, receive, send)
