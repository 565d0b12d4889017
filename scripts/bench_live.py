#!/usr/bin/env python
"""Live-room benchmark: a hall of phones joins at once, then works, against real servers.

Every run starts its own servers on fresh databases and drives them from a **separate load
process** that behaves like phones: each phone GETs the join page and its style sheets and
script (one keep-alive connection, as a browser), opens the websocket offering
permessage-deflate (as browsers do), keeps the participant cookie of the handshake, joins, and
retries a failed page load or handshake with jittered back-off.

Phases (per run):

1. **join storm** — ``--participants`` phones arrive at ``--join-rate`` per second. Reported:
   join time (arrival → welcome), join-page load, websocket open, failures by cause (HTTP
   5xx, resets, timeouts), retries, and when the last phone was in.
2. **inputs** (``--duration`` s, 0 = none) — the facilitator opens topics, every phone sends 1
   topic, then the dot vote opens and every phone casts 5 dots. Latency is input sent → the
   presenter screen showing it (the k-th acknowledged input counts as shown once the screen's
   card/dot count reaches k: exact for a FIFO room, and the same measure for one process, two
   processes and two instances). lost = acknowledged inputs missing from the database.

3. **groups** (target ``groups``, ``--groups N``) — instead of phase 2: the facilitator
   splits the phones at random into N groups of equal size on a canvas agenda item and opens
   it; every phone edits its own field of its group's canvas ``--group-edits`` times (6, as
   many inputs as phase 2 sends) while the facilitator's grid is connected. Reported:
   input → every other member of the group, input → the grid (p50/p95/p99), lost, the grid
   snapshot's size, and the page of a laptop with the screen pane (gzip: page, style sheets
   and script, and the two views it is sent). The ``polku`` run beside it is the plenary
   baseline: the same phones in one room, with cards → other phones (20 phones keep their
   snapshots) and cards → console.

Targets (``--target``, several allowed, each run ``--runs`` times per participant count):

* ``bare``     — scripts/bench_bare.py: the same URLs and frames without Django (the baseline);
* ``polku``    — the embedded default: SQLite, no Redis, ``--processes`` uvicorn worker
  processes (1 and 2 by default), as scripts/serve.sh runs it;
* ``scaleout`` — two instances on PostgreSQL + Redis behind nginx (deploy/nginx/polku.conf);
  a presenter screen on each instance;
* ``groups``   — the embedded default (1 process) with phase 3 instead of phase 2.

The machine load (``uptime``) is printed before and during every run; a run that started with
the load above the number of cores is marked ``HEAVY-OUTSIDE-LOAD``. Medians over the runs and
ratios to the bare server end the report. Examples:

    make bench-live                                           # 1,000 phones, bare + 1 and 2 processes
    make bench-live BENCH_ARGS="--participants 1000,3000,5000 --runs 3"
    make bench-live BENCH_ARGS="--target scaleout --participants 2000"
    make bench-live BENCH_ARGS="--groups 100 --participants 1000 --runs 3"  # plenary + groups

``add_arguments``/``SERVER_ENV_HOOKS`` let other features add their own switches (the server
environment of a run can be extended without touching the phases).

``--embed-on-arrival both`` measures every polku run twice, with grouping embeddings of arriving
cards off and on (``POLKU_GROUPING_EMBED_ON_ARRIVAL``, docs/grouping.md): the targets are then
labelled ``polku-embed-off``/``polku-embed-on``, side by side in the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
CPUS = os.cpu_count() or 1
TICKS = os.sysconf("SC_CLK_TCK")

# functions (args, env) -> None that may add to a server's environment (other benchmarks'
# switches, e.g. an activity feature under test)
SERVER_ENV_HOOKS: list[Callable[[argparse.Namespace, dict[str, str]], None]] = []


# -- helpers -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_nofile() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def uptime() -> str:
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                children = Path(f"/proc/{p}/task/{task}/children").read_text().split()
                todo += [int(c) for c in children]
    return pids


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for p in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def rss_mb(pids: list[int]) -> float:
    total = 0.0
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server on port {port} exited ({proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def uvicorn_cmd(app: str, port: int, args: argparse.Namespace) -> list[str]:
    cmd = [PY, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
           "--ws", "websockets-sansio", "--lifespan", "off", "--no-access-log",
           "--timeout-graceful-shutdown", "3", "--log-level", "warning",
           "--backlog", str(args.backlog)]  # fmt: skip
    if not args.server_deflate:
        cmd += ["--ws-per-message-deflate", "false"]
    return cmd


# -- one run -------------------------------------------------------------------------------
class Run:
    """Servers (and nginx) for one measured run, on fresh databases; stopped by ``close``."""

    def __init__(self, args: argparse.Namespace, target: str, processes: int) -> None:
        self.args, self.target, self.processes = args, target, processes
        self.tmp = Path(tempfile.mkdtemp(prefix="polku-bench-"))
        self.procs: list[subprocess.Popen] = []
        self.nginx = None
        self.pg_db = ""
        self.room: dict = {}

    def env(self, database_url: str, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "WEB_CONCURRENCY")}
        # Every simulated phone comes from 127.0.0.1; a real hall is many addresses (or one NAT
        # address with the cap raised, deploy/polku.env), so the per-address cap is lifted here.
        env["POLKU_LIVE_PARTICIPANTS_PER_ADDRESS"] = str(2 * max(self.args.participants))
        env.update(
            DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings.local", DEBUG="0",
            SECRET_KEY=os.environ.get("SECRET_KEY", "bench-live-secret-" + "x" * 40),
            STATIC_ROOT=str(self.args.static_root), **extra,
        )  # fmt: skip
        for hook in SERVER_ENV_HOOKS:
            hook(self.args, env)
        return env

    def prepare(self, env: dict[str, str]) -> None:
        subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        agenda = "experiment_canvas" if self.target == "groups" else "topics,dot_vote"
        out = subprocess.run(
            [PY, "manage.py", "live_room", "--code", "BENCH2", "--activities", agenda],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        self.room = json.loads(out.strip().splitlines()[-1])

    def start(self) -> dict:
        """Start the target; returns where the phones and the screens connect."""
        a = self.args
        if self.target == "bare":
            self.database = f"sqlite:///{self.tmp / 'db.sqlite3'}"
            env = self.env(self.database)
            self.prepare(env)  # only for the slot ids; the bare server never reads it
            env.update(BENCH_BARE_PAGE=str(a.page_file), BENCH_BARE_SLOTS=json.dumps(self.room["slots"]),
                       PYTHONPATH=str(ROOT / "scripts"))  # fmt: skip
            port = free_port()
            self._spawn(uvicorn_cmd("bench_bare:app", port, a), env, port)
            return {"port": port, "screens": [port]}
        if self.target in ("polku", "groups"):
            self.database = f"sqlite:///{self.tmp / 'db.sqlite3'}"
            env = self.env(self.database, WEB_CONCURRENCY=str(self.processes))
            self.prepare(env)
            port = free_port()
            self._spawn(uvicorn_cmd("config.asgi:application", port, a), env, port)
            return {"port": port, "screens": [port]}
        # scaleout: two instances on PostgreSQL + Redis behind nginx
        import psycopg

        from deploy.nginx.render import Nginx

        self.pg_db = f"polku_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{a.pg_url}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.pg_db}"')
        self.database = f"{a.pg_url}/{self.pg_db}"
        env = self.env(self.database, REDIS_URL=a.redis_url, WEB_CONCURRENCY=str(self.processes))
        self.prepare(env)
        ports = [free_port(), free_port()]
        for port in ports:
            self._spawn(uvicorn_cmd("config.asgi:application", port, a), env, port)
        self.nginx = Nginx(self.tmp / "nginx", listen_port=free_port(),
                           instances=[f"127.0.0.1:{p}" for p in ports],
                           static_root=str(a.static_root), workers=1).start()  # fmt: skip
        return {"port": self.nginx.port, "screens": ports}

    def _spawn(self, cmd: list[str], env: dict[str, str], port: int) -> None:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
        self.procs.append(proc)
        wait_port(port, proc)

    def pids(self) -> list[int]:
        pids = [p for proc in self.procs for p in tree(proc.pid)]
        if self.nginx is not None and self.nginx.proc is not None:
            pids += tree(self.nginx.proc.pid)
        return pids

    def stored_ids(self) -> set[str]:
        sql = "SELECT client_id FROM live_liveevent WHERE kind IN ('card', 'vote', 'edit')"
        if self.database.startswith("sqlite"):
            with sqlite3.connect(self.database.removeprefix("sqlite:///")) as db:
                return {row[0] for row in db.execute(sql)}
        import psycopg

        with psycopg.connect(self.database) as conn:
            return {row[0] for row in conn.execute(sql)}

    def stop(self) -> None:
        import signal

        if self.nginx is not None:
            self.nginx.stop()
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def close(self) -> None:
        if self.pg_db:
            import psycopg

            with psycopg.connect(f"{self.args.pg_url}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)')
        shutil.rmtree(self.tmp, ignore_errors=True)


def measure(args: argparse.Namespace, target: str, processes: int, participants: int) -> dict:
    run = Run(args, target, processes)
    try:
        where = run.start()
        config = {
            "port": where["port"], "screens": where["screens"], "room": run.room,
            "participants": participants, "join_rate": args.join_rate,
            "duration": args.duration, "deflate": args.client_deflate,
            "static": not args.no_static, "seed": args.seed,
            "groups": args.groups if target == "groups" else 0, "edits": args.group_edits,
        }  # fmt: skip
        time.sleep(1.0)
        load_before, uptime_before = os.getloadavg()[0], uptime()
        samples: list[float] = []
        during: list[str] = []
        stop = threading.Event()
        cpu_before = cpu_seconds(run.pids())

        def sample() -> None:
            n = 0
            while not stop.wait(2.0):
                samples.append(os.getloadavg()[0])
                n += 1
                if n == 5:
                    during.append(uptime())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        peak_rss = [0.0]
        started = time.monotonic()
        client = subprocess.Popen(
            [PY, str(Path(__file__).resolve()), "--client"], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip

        def rss_watch() -> None:
            while client.poll() is None:
                peak_rss[0] = max(
                    peak_rss[0], rss_mb([p for proc in run.procs for p in tree(proc.pid)])
                )
                time.sleep(2)

        threading.Thread(target=rss_watch, daemon=True).start()
        out, _ = client.communicate(json.dumps(config), timeout=args.duration + 900)
        client_cpu = cpu_seconds([client.pid])  # gone by now: from its own report instead
        wall = time.monotonic() - started
        server_cpu = cpu_seconds(run.pids()) - cpu_before
        stop.set()
        result = json.loads(out.strip().splitlines()[-1])
        run.stop()
        stored = run.stored_ids() if args.duration > 0 else set()
        acked = set(result.pop("acked_ids"))
        result.update(
            target=target, processes=processes, participants=participants, wall_s=round(wall, 1),
            stored=len(stored), acked=len(acked),
            lost=len(acked - stored) if target != "bare" else None,
            load_before=round(load_before, 2), load_max=round(max(samples or [load_before]), 2),
            uptime_before=uptime_before, uptime_during=during[0] if during else "",
            heavy=load_before > CPUS, server_cpu_s=round(server_cpu, 1),
            server_rss_mb=round(peak_rss[0]), client_cpu_s=result.get("client_cpu_s", client_cpu),
        )  # fmt: skip
        return result
    finally:
        run.stop()
        run.close()


# -- the load process ---------------------------------------------------------------------
def client_main() -> None:
    config = json.loads(sys.stdin.read())
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    random.seed(config["seed"])
    result = asyncio.run(load(config))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["client_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    print(json.dumps(result))


async def load(config: dict) -> dict:
    from polku.live.simclient import HttpError, Phone, http_get

    host, port, room = "127.0.0.1", config["port"], config["room"]
    code, slots = room["code"], room["slots"]
    base = f"ws://{host}:{port}"
    compression = "deflate" if config["deflate"] else None
    n, rate, duration = config["participants"], config["join_rate"], config["duration"]

    class Screen(Phone):
        """A presenter socket that keeps (time, activity, cards, dots) of every snapshot."""

        def __init__(self, *a, **kw) -> None:
            super().__init__(*a, **kw)
            self.samples: list[tuple[float, str, int, int]] = []

        def _handle(self, msg: dict) -> None:
            if msg.get("t") == "snapshot":
                data = msg.get("data") or {}
                key = (msg.get("activity") or {}).get("key") or ""
                self.samples.append((time.monotonic(), key, int(data.get("count") or 0),
                                     int(data.get("dots") or 0)))  # fmt: skip
            super()._handle(msg)

    grouped = int(config.get("groups") or 0)

    class Sampler(Phone):
        """A phone (or the console) that keeps (time, activity, cards) of every snapshot: the
        plenary baseline of input → other phones (and → console)."""

        def __init__(self, *a, **kw) -> None:
            super().__init__(*a, **kw)
            self.samples: list[tuple[float, str, int]] = []

        def _handle(self, msg: dict) -> None:
            if msg.get("t") == "snapshot":
                data = msg.get("data") or {}
                key = (msg.get("activity") or {}).get("key") or ""
                self.samples.append((time.monotonic(), key, int(data.get("count") or 0)))
            super()._handle(msg)

    class GroupPhone(Phone):
        """A phone in a group: when each canvas field's revision first reached 1, 2, … (the
        k-th edit of a field is on this phone once the field's ``r`` reaches k)."""

        def __init__(self, *a, **kw) -> None:
            super().__init__(*a, **kw)
            self.gid: str | None = None
            self.canvas: str | None = None
            self.first_seen: dict[str, list[float]] = {}
            self.waiters: dict[str, asyncio.Future] = {}

        def _handle(self, msg: dict) -> None:
            t = msg.get("t")
            if t == "snapshot":
                now = time.monotonic()
                group = msg.get("group")
                if group:
                    self.gid = group.get("id")
                activity = msg.get("activity") or {}
                canvases = (msg.get("data") or {}).get("groups") or []
                if group and activity.get("status") == "open" and canvases and "f" in canvases[0]:
                    self.canvas = canvases[0]["id"]
                    for name, field in canvases[0]["f"].items():
                        seen = self.first_seen.setdefault(name, [])
                        while len(seen) < field["r"]:
                            seen.append(now)
            super()._handle(msg)
            if t in ("ack", "error"):
                waiter = self.waiters.pop(msg.get("id"), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(t == "ack")

    class Grid(Phone):
        """The facilitator's console: when each group's input count in the grid first reached
        1, 2, …"""

        def __init__(self, *a, **kw) -> None:
            super().__init__(*a, **kw)
            self.grid_seen: dict[str, list[float]] = {}
            self.grid_bytes: list[int] = []

        def _handle(self, msg: dict) -> None:
            if msg.get("t") == "snapshot" and msg.get("groups"):
                now = time.monotonic()
                for tile in msg["groups"].get("list") or []:
                    seen = self.grid_seen.setdefault(tile["id"], [])
                    while len(seen) < tile["inputs"]:
                        seen.append(now)
            super()._handle(msg)

    class Laptop(Phone):
        """A participant on a wide screen: the page's own view and the screen pane's view."""

        def __init__(self, *a, **kw) -> None:
            super().__init__(*a, **kw)
            self.views: dict[str, str] = {}

        def _handle(self, msg: dict) -> None:
            if msg.get("t") == "view":
                self.views[msg.get("pane") or "main"] = msg.get("html") or ""
            super()._handle(msg)

    staff_cls = Grid if grouped else Sampler
    staff = staff_cls(base, code, path=f"console/?k={room['console_key']}", compression=compression)
    screens = [
        Screen(
            f"ws://{host}:{p}",
            code,
            path=f"screen/?k={room['screen_key']}",
            compression=compression,
        )
        for p in config["screens"]
    ]
    for client in (staff, *screens):
        await client.start()

    # which static files a phone's browser loads after the page
    pages = await http_get(host, port, [f"/j/{code}/"], headers={"Accept-Language": "fi"})
    import re

    assets = (
        re.findall(r'(?:href|src)="(/static/[^"]+)"', pages[0][2].decode())
        if config["static"]
        else []
    )
    page_bytes = len(pages[0][2])

    phones: list[Phone] = []
    joins: list[dict] = []
    t0 = time.monotonic()
    http_fail: dict[str, int] = {}

    async def join(i: int) -> None:
        await asyncio.sleep(max(0.0, i / rate + random.uniform(-0.5, 0.5) / rate))
        arrived = time.monotonic()
        record = {"arrived": arrived - t0, "page_ms": None, "join_ms": None, "open_ms": None}
        joins.append(record)
        for attempt in range(4):  # a phone's user reloads the page a few times
            try:
                await http_get(host, port, [f"/j/{code}/", *assets],
                               headers={"Accept-Language": "fi-FI,fi;q=0.9,en;q=0.5",
                                        "Accept-Encoding": "gzip, deflate, br"}, timeout=20)  # fmt: skip
                record["page_ms"] = (time.monotonic() - arrived) * 1000
                break
            except HttpError as error:
                http_fail[error.cause] = http_fail.get(error.cause, 0) + 1
                await asyncio.sleep(min(8.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.5))
        if record["page_ms"] is None:
            return
        cls = GroupPhone if grouped else (Sampler if i < PHONE_SAMPLERS else Phone)
        phone = cls(base, code, compression=compression, open_timeout=20)
        phone.skip_snapshots = cls is Phone
        opening = time.monotonic()
        phone._task = asyncio.ensure_future(phone._loop())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(phone.welcomed.wait(), 90)
        record["ws_failures"] = phone.failures
        if phone.welcome_at is None:
            await phone.stop()
            return
        record["open_ms"] = ((phone.opened_at or opening) - opening) * 1000
        record["join_ms"] = (phone.welcome_at - arrived) * 1000
        record["in_at"] = phone.welcome_at - t0
        phones.append(phone)

    await asyncio.gather(*(join(i) for i in range(n)))
    storm_s = time.monotonic() - t0

    laptop = Laptop(base, code, compression=compression)
    grouped_result: dict = {}
    if grouped:
        grouped_result = await group_phase(config, staff, phones, laptop)  # type: ignore[arg-type]

    sends: dict[str, list[tuple[float, Phone, str]]] = {"card": [], "vote": []}
    if duration > 0 and not grouped:
        p0 = time.monotonic()
        await staff.control(slots["topics"], "open")
        await staff.wait_acked(20)
        items: list[str] = []

        async def participant(i: int, phone: Phone) -> None:
            await asyncio.sleep(random.uniform(0, 0.45 * duration))
            cid = await phone.input(slots["topics"], "card",
                                    {"text": f"Aihe {i}: miten saamme uusia nuoria mukaan?"})  # fmt: skip
            sends["card"].append((phone.sent_at[cid], phone, cid))
            now = time.monotonic() - p0
            for at in sorted(
                random.uniform(max(now, 0.5 * duration), 0.95 * duration) for _ in range(5)
            ):
                await asyncio.sleep(max(0.0, at - (time.monotonic() - p0)))
                while not items and time.monotonic() - p0 < duration + 30:
                    await asyncio.sleep(0.2)
                if items:
                    cid = await phone.input(slots["dot_vote"], "vote",
                                            {"item": random.choice(items), "delta": 1})  # fmt: skip
                    sends["vote"].append((phone.sent_at[cid], phone, cid))

        async def facilitator() -> None:
            await asyncio.sleep(max(0.0, 0.47 * duration - (time.monotonic() - p0)))
            await staff.control(slots["dot_vote"], "open")
            await staff.wait_acked(30)
            for _ in range(600):
                snap = staff.last_snapshot or {}
                if (snap.get("activity") or {}).get("key") == "dot_vote":
                    found = [item["id"] for item in (snap.get("data") or {}).get("all_items", [])]
                    if found:
                        items.extend(found)
                        return
                await asyncio.sleep(0.05)

        await asyncio.gather(facilitator(), *(participant(i, p) for i, p in enumerate(phones)))
        await asyncio.gather(*(p.wait_acked(60) for p in phones))
        await asyncio.sleep(1.5)

    # the plenary baseline: input → other phones, input → console (cards; the k-th shown
    # once the count reaches k)
    def count_latency(clients: list, kind: str, key: str) -> list[float]:
        sent = sorted(t for t, phone, cid in sends[kind] if cid in phone.acked)
        out: list[float] = []
        for client in clients:
            samples = [(s[0], s[2]) for s in client.samples if s[1] == key]
            j = 0
            for k, at in enumerate(sent, start=1):
                while j < len(samples) and (samples[j][0] < at or samples[j][1] < k):
                    j += 1
                if j == len(samples):
                    break
                out.append((samples[j][0] - at) * 1000)
        return out

    if not grouped:  # after the inputs: 1,001 phones would halve the plenary's phone rate
        await laptop.start()
        await laptop._send({"t": "watch", "screen": True})
    plenary_phones = count_latency([p for p in phones if isinstance(p, Sampler)], "card", "topics")
    plenary_console = count_latency([staff] if isinstance(staff, Sampler) else [], "card", "topics")
    page_gzip = await laptop_page(host, port, code, assets, laptop)

    # latency per screen: the k-th acknowledged input is shown once the count reaches k
    latencies: list[list[float]] = []
    for screen in screens:
        lat: list[float] = []
        for kind, index, key in (("card", 2, "topics"), ("vote", 3, "dot_vote")):
            sent = sorted(t for t, phone, cid in sends[kind] if cid in phone.acked)
            samples = [(t, s[index]) for s in screen.samples for t in (s[0],) if s[1] == key]
            j = 0  # first sample at/after the send whose count includes it; both only grow
            for k, at in enumerate(sent, start=1):
                while j < len(samples) and (samples[j][0] < at or samples[j][1] < k):
                    j += 1
                if j == len(samples):
                    break
                lat.append((samples[j][0] - at) * 1000)
        latencies.append(lat)
    final = [
        {"cards": max((s[2] for s in sc.samples if s[1] == "topics"), default=0),
         "dots": max((s[3] for s in sc.samples if s[1] == "dot_vote"), default=0)}
        for sc in screens
    ]  # fmt: skip
    ws_fail: dict[str, int] = {}
    for record in joins:
        for cause, count in (record.get("ws_failures") or {}).items():
            ws_fail[cause] = ws_fail.get(cause, 0) + count
    errors: dict[str, int] = {}
    for phone in phones:
        for e in phone.errors:
            errors[e.get("code", "?")] = errors.get(e.get("code", "?"), 0) + 1
    acked_ids = [cid for phone in phones for cid in phone.acked]
    inputs = sum(len(p.sent_at) for p in phones)
    ack_ms = [(p.ack_at[c] - p.sent_at[c]) * 1000 for p in phones for c in p.acked if c in p.ack_at]
    in_times = [r["in_at"] for r in joins if r.get("in_at") is not None]
    first = min((r["arrived"] for r in joins), default=0.0)
    for client in (staff, *screens, *phones, laptop):
        await client.stop()
    join_ms = [r["join_ms"] for r in joins if r["join_ms"] is not None]
    page_ms = [r["page_ms"] for r in joins if r["page_ms"] is not None]
    open_ms = [r["open_ms"] for r in joins if r["open_ms"] is not None]
    http_5xx = sum(v for k, v in {**http_fail}.items() if k.startswith("http_5")) + sum(
        v for k, v in ws_fail.items() if k.startswith("http_5")
    )
    return {
        "in": len(phones), "failed": n - len(phones), "storm_s": round(storm_s, 1),
        "last_in_s": round(max(in_times) - first, 1) if in_times else None,
        "join_p50": pct(join_ms, 0.5), "join_p95": pct(join_ms, 0.95), "join_p99": pct(join_ms, 0.99),
        "page_p50": pct(page_ms, 0.5), "page_p95": pct(page_ms, 0.95),
        "open_p50": pct(open_ms, 0.5), "open_p95": pct(open_ms, 0.95),
        "http_fail": http_fail, "ws_fail": ws_fail, "http_5xx": http_5xx,
        "retries": sum(http_fail.values()) + sum(ws_fail.values()),
        "inputs": inputs, "acked_ids": acked_ids, "errors": errors, "final": final,
        "lat_p50": [pct(lat, 0.5) for lat in latencies], "lat_p95": [pct(lat, 0.95) for lat in latencies],
        "lat_p99": [pct(lat, 0.99) for lat in latencies], "lat_n": [len(lat) for lat in latencies],
        "ack_p50": pct(ack_ms, 0.5), "ack_p95": pct(ack_ms, 0.95),
        "page_bytes": page_bytes, "assets": len(assets),
        "reconnects": sum(p.reconnects for p in phones),
        "phones_p50": pct(plenary_phones, 0.5), "phones_p95": pct(plenary_phones, 0.95),
        "phones_p99": pct(plenary_phones, 0.99), "console_p50": pct(plenary_console, 0.5),
        "console_p95": pct(plenary_console, 0.95), "console_p99": pct(plenary_console, 0.99),
        "page_gzip": page_gzip, **grouped_result,
    }  # fmt: skip


PHONE_SAMPLERS = 20  # plenary phones that keep every snapshot (the input → phones baseline)
# one writer per field in a group of 10 (a field's revision then counts that writer's edits)
CANVAS_FIELDS = ("title", "topic", "builds_on", "what_we_try", "who", "first_step",
                 "first_step_on", "duration_weeks", "support_needed", "contact_email")  # fmt: skip


def canvas_value(field: str, i: int, k: int) -> str:
    if field == "first_step_on":
        return f"2027-{1 + k % 12:02d}-{1 + i % 28:02d}"
    if field == "duration_weeks":
        return str(1 + (i + k) % 104)
    if field == "contact_email":
        return f"ryhma{i}.{k}@esimerkki.fi"
    return f"Kokeilu {i}.{k}: kummit uusille jäsenille ja tervetulokahvit"


async def group_phase(config: dict, staff, phones: list, laptop) -> dict:
    """1,000 phones in groups of 10, each group on its own canvas: the facilitator splits at
    random and opens the canvas; every member edits its own field ``edits`` times. Latency
    input → every other member of the group (the k-th edit of a field is shown once the
    field's revision reaches k on that phone) and input → the facilitator's grid (the k-th
    input of a group once the tile's input count reaches k)."""
    slot = config["room"]["slots"]["experiment_canvas"]
    duration, edits = config["duration"], config["edits"]
    size = max(2, math.ceil(len(phones) / config["groups"]))
    await staff.group("split", {"method": "random", "size": size}, slot=slot)
    await staff.wait_acked(60)
    await staff.control(slot, "open")
    await staff.wait_acked(30)
    end = time.monotonic() + 60
    while time.monotonic() < end and any(p.canvas is None for p in phones):
        await asyncio.sleep(0.2)
    await laptop.start()  # a newcomer: goes to the smallest group; sees its group's screen
    await laptop._send({"t": "watch", "screen": True})
    members: dict[str, list] = {}
    for phone in phones:
        if phone.gid is not None and phone.canvas is not None:
            members.setdefault(phone.gid, []).append(phone)
    sends: list[tuple[float, object, str, str, int, str]] = []
    loop = asyncio.get_running_loop()
    p0 = time.monotonic()

    async def editor(i: int, phone, field: str) -> None:
        done = 0  # this phone is the field's only writer: its revision = acknowledged edits
        for k, at in enumerate(sorted(random.uniform(0.05, 0.95) * duration
                                      for _ in range(edits)), start=1):  # fmt: skip
            await asyncio.sleep(max(0.0, at - (time.monotonic() - p0)))
            cid = f"e{i}-{k}"
            frame = {"t": "input", "id": cid, "slot": slot, "kind": "edit",
                     "data": {"item": phone.canvas, "field": field, "rev": done,
                              "value": canvas_value(field, i, k)}}  # fmt: skip
            waiter = phone.waiters[cid] = loop.create_future()
            phone.outbox[cid] = frame
            phone.sent_at[cid] = time.monotonic()
            await phone._send(frame)
            try:
                acked = await asyncio.wait_for(waiter, 60)
            except TimeoutError:
                return
            if acked:
                done += 1
                sends.append((phone.sent_at[cid], phone, phone.gid, field, done, cid))

    tasks = []
    for gid in members:
        group = sorted(members[gid], key=phones.index)
        for j, phone in enumerate(group[: len(CANVAS_FIELDS)]):
            tasks.append(editor(phones.index(phone), phone, CANVAS_FIELDS[j]))
    await asyncio.gather(*tasks)
    await asyncio.gather(*(p.wait_acked(60) for p in phones))
    await asyncio.sleep(1.5)
    member_ms: list[float] = []
    unseen = 0
    for at, phone, gid, field, k, _cid in sends:
        for other in members[gid]:
            if other is phone:
                continue
            seen = other.first_seen.get(field, [])
            if len(seen) >= k:
                member_ms.append((seen[k - 1] - at) * 1000)
            else:
                unseen += 1
    grid_ms: list[float] = []
    for gid in members:
        sent = sorted(at for at, _p, g, *_rest in sends if g == gid)
        seen = staff.grid_seen.get(gid, [])
        grid_ms += [(seen[k] - at) * 1000 for k, at in enumerate(sent) if k < len(seen)]
    last = staff.last_snapshot or {}
    return {
        "groups_n": len(members), "group_size": size, "edits_acked": len(sends),
        "members_p50": pct(member_ms, 0.5), "members_p95": pct(member_ms, 0.95),
        "members_p99": pct(member_ms, 0.99), "members_n": len(member_ms), "unseen": unseen,
        "grid_p50": pct(grid_ms, 0.5), "grid_p95": pct(grid_ms, 0.95),
        "grid_p99": pct(grid_ms, 0.99), "grid_n": len(grid_ms),
        "grid_snapshot_kb": round(len(json.dumps(last).encode()) / 1024, 1),
    }  # fmt: skip


async def laptop_page(host: str, port: int, code: str, assets: list[str], laptop) -> dict:
    """What a laptop with the screen pane loads, gzip-compressed: the page, its style sheets
    and script, and the two views it is sent (its own and the screen pane's)."""
    import gzip

    from polku.live.simclient import http_get

    await asyncio.sleep(1.0)  # the screen pane's view arrives after the watch frame
    got = await http_get(host, port, [f"/j/{code}/", *assets], headers={"Accept-Language": "fi"})

    def gz(body: bytes, headers: dict[str, str] | None = None) -> int:
        if headers and headers.get("content-encoding") in ("gzip", "br"):
            return len(body)
        return len(gzip.compress(body, 6))

    html = gz(got[0][2], got[0][1])
    static = sum(gz(body, headers) for _status, headers, body in got[1:])
    views = sum(gz(v.encode()) for v in laptop.views.values())
    return {"html": html, "static": static, "views": views, "panes": sorted(laptop.views),
            "total": html + static + views}  # fmt: skip


# -- report --------------------------------------------------------------------------------
def fmt(v: float | None, unit: str = "") -> str:
    if v is None or v != v:  # None or NaN
        return "-"
    return f"{v:.0f}{unit}"


def report_run(r: dict) -> None:
    label = f"{r['target']}" + (f"×{r['processes']}" if r["target"] != "bare" else "")
    mark = "  HEAVY-OUTSIDE-LOAD" if r["heavy"] else ""
    print(f"## {label} participants={r['participants']}{mark}")
    print(f"#   before: {r['uptime_before']}")
    if r["uptime_during"]:
        print(f"#   during: {r['uptime_during']}")
    print(
        f"storm: target={label} phones={r['participants']} in={r['in']} failed={r['failed']} "
        f"last_in_s={r['last_in_s']} join_p50_ms={fmt(r['join_p50'])} join_p95_ms={fmt(r['join_p95'])} "
        f"join_p99_ms={fmt(r['join_p99'])} page_p95_ms={fmt(r['page_p95'])} "
        f"ws_open_p50_ms={fmt(r['open_p50'])} ws_open_p95_ms={fmt(r['open_p95'])} "
        f"http_5xx={r['http_5xx']} retries={r['retries']} http_fail={r['http_fail']} ws_fail={r['ws_fail']}"
    )
    if r["inputs"] and r["target"] != "groups":
        lat = " ".join(
            f"screen{i}_p50_ms={fmt(a)} p95_ms={fmt(b)} p99_ms={fmt(c)}"
            for i, (a, b, c) in enumerate(
                zip(r["lat_p50"], r["lat_p95"], r["lat_p99"], strict=True)
            )
        )
        print(
            f"live: target={label} participants={r['participants']} inputs={r['inputs']} "
            f"acked={r['acked']} stored={r['stored']} lost={r['lost']} {lat} "
            f"ack_p95_ms={fmt(r['ack_p95'])} shown={r['final']} errors={r['errors']}"
        )
    page = r.get("page_gzip") or {}
    page_text = (
        f"laptop_page_gzip_bytes={page['total']} (html={page['html']} css_js={page['static']} "
        f"views={page['views']} panes={'+'.join(page['panes'])})"
        if page
        else ""
    )
    if r["target"] == "groups":
        print(
            f"groups: target={label} phones={r['in']} groups={r['groups_n']} size={r['group_size']} "
            f"edits_acked={r['edits_acked']} acked={r['acked']} stored={r['stored']} lost={r['lost']} "
            f"members_p50_ms={fmt(r['members_p50'])} members_p95_ms={fmt(r['members_p95'])} "
            f"members_p99_ms={fmt(r['members_p99'])} (n={r['members_n']} unseen={r['unseen']}) "
            f"grid_p50_ms={fmt(r['grid_p50'])} grid_p95_ms={fmt(r['grid_p95'])} "
            f"grid_p99_ms={fmt(r['grid_p99'])} (n={r['grid_n']}) grid_snapshot_kb={r['grid_snapshot_kb']} "
            f"{page_text} errors={r['errors']}"
        )
    elif r["target"] != "bare" and r["inputs"]:
        print(
            f"plenary: target={label} phones={r['in']} cards→phones_p50_ms={fmt(r['phones_p50'])} "
            f"p95_ms={fmt(r['phones_p95'])} p99_ms={fmt(r['phones_p99'])} "
            f"cards→console_p50_ms={fmt(r['console_p50'])} p95_ms={fmt(r['console_p95'])} "
            f"p99_ms={fmt(r['console_p99'])} {page_text}"
        )
    print(
        f"machine: load_before={r['load_before']} load_max={r['load_max']} cpus={CPUS} "
        f"server_cpu_s={r['server_cpu_s']} server_cpu_ms_per_phone={1000 * r['server_cpu_s'] / r['participants']:.2f} "
        f"client_cpu_s={r['client_cpu_s']} "
        f"server_rss_mb={r['server_rss_mb']} wall_s={r['wall_s']}",
        flush=True,
    )


def median(values: list) -> float | None:
    values = [v for v in values if v is not None and v == v]
    return statistics.median(values) if values else None


def report_medians(results: list[dict]) -> None:
    print("\n# medians over runs (ratio = this target / bare, same participants)")
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((r["participants"], r["target"], r["processes"]), []).append(r)
    bare = {k[0]: v for k, v in groups.items() if k[1] == "bare"}
    for (n, target, processes), runs in sorted(groups.items()):
        label = target + (f"×{processes}" if target != "bare" else "")
        m = {key: median([r[key] for r in runs]) for key in
             ("join_p50", "join_p95", "last_in_s", "failed", "http_5xx", "lost", "load_before",
              "load_max", "server_cpu_s")}  # fmt: skip
        cpu_ms = 1000 * m["server_cpu_s"] / n if m["server_cpu_s"] is not None else None
        lat95 = median([max(r["lat_p95"]) if r["lat_p95"] else None for r in runs])
        lat99 = median([max(r["lat_p99"]) if r["lat_p99"] else None for r in runs])
        ratio = ""
        if target != "bare" and n in bare:
            b95 = median([r["join_p95"] for r in bare[n]])
            blast = median([r["last_in_s"] for r in bare[n]])
            b_lat = median([max(r["lat_p95"]) if r["lat_p95"] else None for r in bare[n]])
            parts = []
            if b95 and m["join_p95"]:
                parts.append(f"join_p95×{m['join_p95'] / b95:.1f}")
            if blast and m["last_in_s"]:
                parts.append(f"last_in×{m['last_in_s'] / blast:.2f}")
            if b_lat and lat95:
                parts.append(f"presenter_p95×{lat95 / b_lat:.1f}")
            b_cpu = median([r["server_cpu_s"] for r in bare[n]])
            if b_cpu and m["server_cpu_s"]:
                parts.append(f"server_cpu×{m['server_cpu_s'] / b_cpu:.1f}")
            ratio = " ratio: " + " ".join(parts)
        extra = ""
        if target == "groups":
            g = {key: median([r.get(key) for r in runs]) for key in
                 ("members_p50", "members_p95", "members_p99", "grid_p50", "grid_p95", "grid_p99")}  # fmt: skip
            page = median([(r.get("page_gzip") or {}).get("total") for r in runs])
            extra = (
                f" members_p50/95/99_ms={fmt(g['members_p50'])}/{fmt(g['members_p95'])}/"
                f"{fmt(g['members_p99'])} grid_p50/95/99_ms={fmt(g['grid_p50'])}/"
                f"{fmt(g['grid_p95'])}/{fmt(g['grid_p99'])} laptop_page_gzip_kb="
                f"{page / 1024:.1f}"
                if page
                else ""
            )
        elif target != "bare":
            g = {key: median([r.get(key) for r in runs]) for key in
                 ("phones_p50", "phones_p95", "phones_p99", "console_p50", "console_p95",
                  "console_p99")}  # fmt: skip
            page = median([(r.get("page_gzip") or {}).get("total") for r in runs])
            extra = (
                f" cards→phones_p50/95/99_ms={fmt(g['phones_p50'])}/{fmt(g['phones_p95'])}/"
                f"{fmt(g['phones_p99'])} cards→console_p50/95/99_ms={fmt(g['console_p50'])}/"
                f"{fmt(g['console_p95'])}/{fmt(g['console_p99'])}"
                + (f" laptop_page_gzip_kb={page / 1024:.1f}" if page else "")
            )
        heavy = sum(1 for r in runs if r["heavy"])
        print(
            f"median: {label:10} participants={n} runs={len(runs)} failed={fmt(m['failed'])} "
            f"http_5xx={fmt(m['http_5xx'])} last_in_s={m['last_in_s']} join_p50_ms={fmt(m['join_p50'])} "
            f"join_p95_ms={fmt(m['join_p95'])} presenter_p95_ms={fmt(lat95)} presenter_p99_ms={fmt(lat99)} "
            f"lost={fmt(m['lost'])} server_cpu_ms_per_phone={cpu_ms:.2f} "
            f"load_before={m['load_before']} load_max={m['load_max']}"
            f"{' heavy_runs=' + str(heavy) if heavy else ''}{ratio}{extra}"
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    def ints(text: str) -> list[int]:
        return [int(x) for x in text.split(",") if x]

    parser.add_argument("--participants", type=ints, default=[1000], help="e.g. 1000,3000,5000")
    parser.add_argument("--runs", type=int, default=1, help="runs per target and participant count")
    parser.add_argument("--join-rate", type=float, default=250.0, help="phones arriving per second")
    parser.add_argument("--duration", type=float, default=60.0,
                        help="seconds of the input phase (1 topic + 5 dots each); 0 = join storm only")  # fmt: skip
    parser.add_argument("--target", action="append",
                        choices=["bare", "polku", "scaleout", "groups"],
                        help="default: bare and polku; with --groups: polku and groups")  # fmt: skip
    parser.add_argument("--processes", type=ints, default=None,
                        help="uvicorn worker processes per instance (polku target); "
                             "default 1,2 (1 with --groups)")  # fmt: skip
    parser.add_argument("--groups", type=int, default=0,
                        help="the groups target: the phones in this many groups of equal size, "
                             "each group on its own canvas, the facilitator's grid connected")  # fmt: skip
    parser.add_argument("--group-edits", type=int, default=6,
                        help="canvas edits per phone in the groups target (the plenary run "
                             "sends 6 inputs per phone too: 1 topic + 5 dots)")  # fmt: skip
    parser.add_argument("--server-deflate", action="store_true",
                        help="the server accepts permessage-deflate (serve.sh declines it)")  # fmt: skip
    parser.add_argument("--no-client-deflate", dest="client_deflate", action="store_false",
                        help="phones do not offer permessage-deflate (browsers do)")  # fmt: skip
    parser.add_argument("--no-static", action="store_true", help="phones load only the page")
    parser.add_argument("--backlog", type=int, default=4096)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--embed-on-arrival", choices=["on", "off", "both"], default="on",
                        help="grouping embeddings of arriving cards (docs/grouping.md)")  # fmt: skip


def _embed_env(args: argparse.Namespace, env: dict[str, str]) -> None:
    env["POLKU_GROUPING_EMBED_ON_ARRIVAL"] = getattr(args, "embed_mode", args.embed_on_arrival)


SERVER_ENV_HOOKS.append(_embed_env)


def main() -> None:
    if "--client" in sys.argv:
        client_main()
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    args = parser.parse_args()
    if args.groups and not args.target:
        args.target = ["polku", "groups"]
    if "groups" in (args.target or []) and not args.groups:
        args.groups = 100
    if args.processes is None:
        args.processes = [1] if args.groups else [1, 2]
    targets = args.target or ["bare", "polku"]
    nofile = raise_nofile()
    # DEBUG=0 as deployed: hashed static names from the manifest (the real file sizes, and what
    # nginx serves in the scale-out runs)
    args.static_root = Path(tempfile.mkdtemp(prefix="polku-bench-static-"))
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local",
                        "STATIC_ROOT": str(args.static_root)})  # fmt: skip
    if "bare" in targets:  # the real page's bytes, for the bare server to answer
        run = Run(args, "polku", 1)
        try:
            where = run.start()
            import urllib.request

            page = urllib.request.urlopen(
                f"http://127.0.0.1:{where['port']}/j/BENCH2/", timeout=10
            ).read()
        finally:
            run.stop()
            run.close()
        args.page_file = Path(tempfile.mkstemp(prefix="polku-bench-page-")[1])
        args.page_file.write_bytes(page)
    print(f"# bench-live: targets={targets} processes={args.processes} participants={args.participants} "
          f"runs={args.runs} join_rate={args.join_rate}/s duration={args.duration}s "
          f"server_deflate={args.server_deflate} client_deflate={args.client_deflate} "
          f"cpus={CPUS} nofile={nofile}")  # fmt: skip
    print(f"# {uptime()}", flush=True)
    results = []
    try:
        for _ in range(args.runs):
            for n in args.participants:
                for target in targets:
                    for processes in args.processes if target != "bare" else [1]:
                        if target in ("scaleout", "groups") and processes != args.processes[0]:
                            continue
                        modes = ["off", "on"] if args.embed_on_arrival == "both" else [""]
                        for mode in modes if target != "bare" else [""]:
                            args.embed_mode = mode or args.embed_on_arrival
                            result = measure(args, target, processes, n)
                            if mode:
                                result["target"] += f"-embed-{mode}"
                            report_run(result)
                            results.append(result)
    finally:
        if getattr(args, "page_file", None):
            args.page_file.unlink(missing_ok=True)
        shutil.rmtree(args.static_root, ignore_errors=True)
    report_medians(results)


if __name__ == "__main__":
    main()
