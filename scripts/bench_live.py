#!/usr/bin/env python
"""Live-room benchmark: N simulated phones against a real server, as `make run` serves it.

Starts uvicorn (as scripts/serve.sh does) on a free port with a fresh SQLite file in a temp
dir, creates a live workshop day (topics → dot_vote), then from THIS process drives N phones
through the real join flow (GET /j/<code>/ for the cookie, websocket, join) and protocol:
each phone submits 1 topic, then casts 5 dots, spread over ~--duration seconds. One presenter
socket records snapshots; latency = input sent → first presenter snapshot whose ``seq``
includes it. Last line:

live: participants=N inputs=I acked=A stored=S lost=L p50_ms=… p95_ms=… p99_ms=… server_rss_mb=…

lost = acknowledged inputs missing from the database (must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import random
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from polku.live import identity  # noqa: E402
from polku.live.simclient import Phone, page_cookie  # noqa: E402


def free_port() -> int:
    for port in range(8100, 8200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 8100-8199")


def raise_nofile() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set size of the server process in MB."""
    cur = peak = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        pass
    return cur, peak


def page_weight(port: int, code: str) -> tuple[int, int]:
    """(raw, gzip) bytes of the participant page with its CSS and JS, as a phone loads it."""
    import gzip
    import re
    import urllib.request

    base = f"http://127.0.0.1:{port}"
    html = urllib.request.urlopen(f"{base}/j/{code}/", timeout=10).read()
    parts = [html]
    for url in re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html):
        parts.append(urllib.request.urlopen(base + url.decode(), timeout=10).read())
    return sum(len(p) for p in parts), sum(len(gzip.compress(p, 9)) for p in parts)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


async def drive(args, port: int, room: dict, server_pid: int) -> dict:
    host, code = "127.0.0.1", room["code"]
    secret = os.environ.get("SECRET_KEY", "bench-live-secret")  # the server's (main() below)
    base = f"ws://{host}:{port}"
    duration = args.duration
    t0 = time.monotonic()
    staff = Phone(base, code, path=f"console/?k={room['console_key']}")
    screen = Phone(base, code, path=f"screen/?k={room['screen_key']}")
    screen.keep_snapshots = True
    await staff.start()
    await screen.start()
    await staff.control(room["slots"]["topics"], "open")
    await staff.wait_acked(10)

    phones: list[Phone] = []
    join_window = min(0.5 * duration, max(2.0, args.participants / args.join_rate))
    topic_end = 0.45 * duration
    vote_start, vote_end = 0.5 * duration, 0.95 * duration
    failures = {"join": 0}
    peak = [0.0]

    async def participant(i: int) -> None:
        await asyncio.sleep(random.uniform(0, join_window))
        phone = Phone(base, code)
        phone.skip_snapshots = True
        try:
            if args.no_page:
                phone.token = identity.token_new(code, key=secret)  # as if it opened the page
            else:
                phone.cookie = await page_cookie(host, port, code)
            await asyncio.wait_for(phone.start(), 60)
        except Exception:
            failures["join"] += 1
            await phone.stop()
            return
        phones.append(phone)
        now = time.monotonic() - t0
        await asyncio.sleep(max(0.0, random.uniform(now, topic_end) - now))
        await phone.input(
            room["slots"]["topics"],
            "card",
            {"text": f"Aihe {i}: miten saamme uusia nuoria mukaan?"},
        )
        now = time.monotonic() - t0
        times = sorted(random.uniform(max(now, vote_start), vote_end) for _ in range(5))
        for at in times:
            await asyncio.sleep(max(0.0, at - (time.monotonic() - t0)))
            while not staff_items[0] and time.monotonic() - t0 < duration + 30:
                await asyncio.sleep(0.2)
            items = staff_items[0]
            if items:
                await phone.input(
                    room["slots"]["dot_vote"], "vote", {"item": random.choice(items), "delta": 1}
                )

    staff_items: list[list[str]] = [[]]

    async def facilitator() -> None:
        await asyncio.sleep(max(0.0, 0.47 * duration - (time.monotonic() - t0)))
        await staff.control(room["slots"]["dot_vote"], "open")
        await staff.wait_acked(20)
        # the items the phones see (their snapshot is skipped for speed: read the presenter's)
        for _ in range(200):
            snap = screen.last_snapshot or {}
            if (snap.get("activity") or {}).get("key") == "dot_vote":
                break
            await asyncio.sleep(0.05)
        # the items (topic cards seeded into the vote): from the console's snapshot
        for _ in range(400):
            snap = staff.last_snapshot or {}
            if (snap.get("activity") or {}).get("key") == "dot_vote":
                staff_items[0] = [i["id"] for i in snap["data"].get("all_items", [])]
                break
            await asyncio.sleep(0.05)

    async def monitor() -> None:
        while True:
            await asyncio.sleep(1)
            cur, hwm = rss_mb(server_pid)
            peak[0] = max(peak[0], hwm, cur)
            if args.verbose:
                print(
                    f"t={time.monotonic() - t0:5.1f}s phones={len(phones)} rss={cur:.0f}MB",
                    file=sys.stderr,
                )

    mon = asyncio.ensure_future(monitor())
    await asyncio.gather(facilitator(), *(participant(i) for i in range(args.participants)))
    await asyncio.gather(*(p.wait_acked(30) for p in phones))
    await asyncio.sleep(0.5)
    mon.cancel()
    cur, hwm = rss_mb(server_pid)
    peak[0] = max(peak[0], hwm, cur)

    snaps = [(t, s.get("seq", 0)) for t, s in screen.snapshots]
    snap_times = [t for t, _ in snaps]
    snap_seqs = [q for _, q in snaps]
    # first snapshot time with seq >= s: seqs are monotonic per room
    latencies = []
    acked_ids: set[str] = set()
    inputs = 0
    for phone in phones:
        inputs += len(phone.sent_at)
        for cid, seq in phone.acked.items():
            acked_ids.add(cid)
            sent = phone.sent_at[cid]
            k = bisect.bisect_left(snap_seqs, seq)
            while k < len(snaps) and snap_times[k] < sent:
                k += 1
            if k < len(snaps):
                latencies.append((snap_times[k] - sent) * 1000)
    ack_ms = [(p.ack_at[c] - p.sent_at[c]) * 1000 for p in phones for c in p.acked if c in p.ack_at]
    errors: dict[str, int] = {}
    for phone in phones:
        for e in phone.errors:
            errors[e.get("code", "?")] = errors.get(e.get("code", "?"), 0) + 1
    for client in (staff, screen, *phones):
        await client.stop()
    return {
        "phones": len(phones),
        "join_failures": failures["join"],
        "inputs": inputs,
        "acked_ids": acked_ids,
        "latencies": latencies,
        "ack_ms": ack_ms,
        "errors": errors,
        "rss_peak": peak[0],
        "reconnects": sum(p.reconnects for p in phones),
        "phone_snapshots": sum(p.snapshot_count for p in phones),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument(
        "--join-rate",
        type=float,
        default=250.0,
        help="phones joining per second (joins are spread over at most half the duration)",
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--ws",
        default="websockets-sansio",
        help="uvicorn websocket implementation (as scripts/serve.sh: websockets-sansio)",
    )
    parser.add_argument(
        "--no-page",
        action="store_true",
        help="skip GET /j/<code>/ (tokens made here with the same SECRET_KEY): isolates websocket cost",
    )
    parser.add_argument("--profile", default="", help="write a cProfile of the server here")
    args = parser.parse_args()
    nofile = raise_nofile()
    tmp = Path(tempfile.mkdtemp(prefix="polku-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings.local",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-live-secret"),
    )
    py = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [py, "manage.py", "live_room", "--code", "BENCH2", "--activities", "topics,dot_vote"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    room = json.loads(out.strip().splitlines()[-1])
    port = args.port or free_port()
    server = subprocess.Popen(
        [py, "-c", "import resource as r; s,h=r.getrlimit(r.RLIMIT_NOFILE); r.setrlimit(r.RLIMIT_NOFILE,(h,h)); "
         "import sys, uvicorn; sys.argv=['uvicorn']+sys.argv[1:]; "
         + (f"import cProfile; cProfile.run('uvicorn.main()', {args.profile!r})" if args.profile else "uvicorn.main()"),
         "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--ws", args.ws, "--lifespan", "off", "--no-access-log",
         "--timeout-graceful-shutdown", "3", "--log-level", "warning", "--backlog", "4096"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        weight = page_weight(port, room["code"])
        load_before = os.getloadavg()
        started = time.monotonic()
        result = asyncio.run(drive(args, port, room, server.pid))
        wall = time.monotonic() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    with sqlite3.connect(tmp / "db.sqlite3") as db:
        stored_ids = {
            row[0]
            for row in db.execute(
                "SELECT client_id FROM live_liveevent WHERE kind IN ('card', 'vote')"
            )
        }
    shutil.rmtree(tmp, ignore_errors=True)
    acked = result["acked_ids"]
    lost = len(acked - stored_ids)
    lat = result["latencies"]
    print(
        f"# phones joined={result['phones']} join_failures={result['join_failures']} "
        f"reconnects={result['reconnects']} errors={result['errors']} wall_s={wall:.1f} "
        f"nofile={nofile} load_before={load_before[0]:.2f} load_after={os.getloadavg()[0]:.2f} "
        f"cpus={os.cpu_count()} page_bytes={weight[0]} page_gzip_bytes={weight[1]}"
    )
    print(
        f"# ack_ms p50={pct(result['ack_ms'], 0.5):.0f} p95={pct(result['ack_ms'], 0.95):.0f} "
        f"p99={pct(result['ack_ms'], 0.99):.0f}; phone snapshots received={result['phone_snapshots']}; "
        f"latency samples={len(lat)}"
    )
    print(
        f"live: participants={args.participants} inputs={result['inputs']} acked={len(acked)} "
        f"stored={len(stored_ids)} lost={lost} p50_ms={pct(lat, 0.5):.0f} p95_ms={pct(lat, 0.95):.0f} "
        f"p99_ms={pct(lat, 0.99):.0f} server_rss_mb={result['rss_peak']:.0f}"
    )


if __name__ == "__main__":
    main()
