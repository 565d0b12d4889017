"""Scale-out: two uvicorn instances on PostgreSQL + Redis serve one room. A vote sent to
instance A appears in the presenter snapshot of a client connected to instance B."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

from polku.live.simclient import Phone
from tests.e2e.conftest_live import Server, prepare_database, run_async, server_env

pytestmark = [pytest.mark.services, pytest.mark.slow]

PG = os.environ.get("POLKU_TEST_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("POLKU_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _services_or_skip() -> None:
    try:
        import psycopg
        import redis

        psycopg.connect(f"{PG}/postgres", connect_timeout=3).close()
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception as error:
        if os.environ.get("POLKU_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL/Redis unreachable (POLKU_REQUIRE_SERVICES=1): {error}")
        pytest.skip(f"PostgreSQL at {PG} or Redis at {REDIS} unreachable: {error}")


@pytest.fixture
def pg_database():
    _services_or_skip()
    import psycopg

    name = f"polku_live_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG}/{name}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _until(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return False


def test_vote_on_instance_a_shows_on_screen_of_instance_b(pg_database):
    env = server_env(pg_database, REDIS_URL=REDIS)
    room = prepare_database(env, code="SCALE2", activities="topics,dot_vote")
    a, b = Server(env).start(), None
    try:
        b = Server(env).start()

        async def scenario():
            staff = Phone(a.ws, room["code"], path=f"console/?k={room['console_key']}")
            screen_b = Phone(b.ws, room["code"], path=f"screen/?k={room['screen_key']}")
            phone_a = Phone(a.ws, room["code"])
            phone_b = Phone(b.ws, room["code"])
            for client in (staff, screen_b, phone_a, phone_b):
                await client.start()
            await staff.control(room["slots"]["topics"], "open")
            assert await staff.wait_acked(10)
            await phone_a.input(room["slots"]["topics"], "card", {"text": "Mentorit uusille"})
            assert await phone_a.wait_acked(10)
            # the card written through A is in B's phone snapshot
            assert await _until(
                lambda: (phone_b.last_snapshot or {}).get("data", {}).get("count") == 1
            )
            await staff.control(room["slots"]["dot_vote"], "open")
            assert await staff.wait_acked(10)
            assert await _until(
                lambda: (screen_b.last_snapshot or {}).get("activity", {}).get("key") == "dot_vote"
            )
            assert await _until(lambda: (phone_a.last_snapshot or {}).get("data", {}).get("items"))
            item = phone_a.last_snapshot["data"]["items"][0]["id"]
            await phone_a.input(room["slots"]["dot_vote"], "vote", {"item": item, "delta": 1})
            assert await phone_a.wait_acked(10)
            assert await _until(lambda: screen_b.last_snapshot["data"].get("dots") == 1)
            assert screen_b.last_snapshot["data"]["voters"] == 1
            await staff.control(room["slots"]["dot_vote"], "reveal")
            assert await _until(lambda: screen_b.last_snapshot["data"].get("shown") is True)
            assert screen_b.last_snapshot["data"]["results"] == [
                {"id": item, "text": "Mentorit uusille", "n": 1, "pct": 100}
            ]
            for client in (staff, screen_b, phone_a, phone_b):
                await client.stop()

        run_async(scenario())
    finally:
        a.stop()
        if b is not None:
            b.stop()


# -- the same two instances behind nginx, configured by deploy/nginx/polku.conf ---------------
def _nginx_or_skip():
    import shutil

    from deploy.nginx.render import NGINX

    if not shutil.which(NGINX):
        if os.environ.get("POLKU_REQUIRE_SERVICES") == "1":
            pytest.fail(
                f"{NGINX} is missing (POLKU_REQUIRE_SERVICES=1): apt-get install nginx-light"
            )
        pytest.skip(f"{NGINX} is missing: apt-get install nginx-light")


def _get(url: str, headers: dict | None = None):
    import urllib.request

    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_two_instances_behind_nginx_serve_one_room(pg_database, tmp_path):
    """Phones come through nginx (least_conn over both instances); a presenter on each
    instance sees every input, whichever instance the phone's websocket landed on."""
    import shutil

    from deploy.nginx.render import Nginx
    from tests.e2e.conftest_live import ROOT, free_port

    _nginx_or_skip()
    static = tmp_path / "static"
    (static / "live").mkdir(parents=True)
    shutil.copy(ROOT / "polku/live/static/live/live.js", static / "live" / "live.js")
    env = server_env(pg_database, REDIS_URL=REDIS)
    room = prepare_database(env, code="PROXY2", activities="topics,dot_vote")
    a = Server(env).start()
    b = proxy = None
    try:
        b = Server(env).start()
        proxy = Nginx(
            tmp_path / "nginx", listen_port=free_port(),
            instances=[f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"], static_root=str(static),
        ).start()  # fmt: skip
        base = f"http://127.0.0.1:{proxy.port}"
        # static files: the collected ones from nginx itself, anything else from the app
        status, headers, body = _get(base + "/static/live/live.js")
        assert (status, headers["Cache-Control"]) == (200, "public, max-age=31536000, immutable")
        assert body == (static / "live" / "live.js").read_bytes()
        status, headers, _body = _get(base + "/static/polku/css/app.css")
        assert status == 200 and "immutable" not in headers.get("Cache-Control", "")
        # the join page through the proxy
        status, _headers, page = _get(base + f"/j/{room['code']}/", {"Accept-Language": "fi"})
        assert status == 200 and f'data-ws="/ws/live/{room["code"]}/"'.encode() in page

        async def scenario():
            ws = f"ws://127.0.0.1:{proxy.port}"
            staff = Phone(ws, room["code"], path=f"console/?k={room['console_key']}")
            screens = [
                Phone(server.ws, room["code"], path=f"screen/?k={room['screen_key']}")
                for server in (a, b)
            ]
            phones = [Phone(ws, room["code"]) for _ in range(4)]
            for client in (staff, *screens, *phones):
                await client.start()
            await staff.control(room["slots"]["topics"], "open")
            assert await staff.wait_acked(10)
            for i, phone in enumerate(phones):
                await phone.input(room["slots"]["topics"], "card", {"text": f"Aihe {i}"})
            for phone in phones:
                assert await phone.wait_acked(10)
            for screen in screens:
                assert await _until(
                    lambda s=screen: (s.last_snapshot or {}).get("data", {}).get("count") == 4
                ), [((s.last_snapshot or {}).get("data") or {}).get("count") for s in screens]
            for client in (staff, *screens, *phones):
                await client.stop()

        run_async(scenario())
        assert "[error]" not in proxy.errors() and "[crit]" not in proxy.errors()
    finally:
        if proxy is not None:
            proxy.stop()
        a.stop()
        if b is not None:
            b.stop()


# -- running out of database connections; Redis going away --------------------------------
def test_a_process_out_of_pooled_connections_answers_try_again_not_500(pg_database):
    """POLKU_DB_POOL_MAX=1: once a live room is loaded its database thread keeps the one
    connection, so a page that needs the database waits POLKU_DB_POOL_WAIT in the queue and
    then gets the Finnish "try again" page (503). With two connections the same page is 200."""
    import urllib.error
    import urllib.request

    env = server_env(pg_database, POLKU_DB_POOL_MIN="1", POLKU_DB_POOL_MAX="1",
                     POLKU_DB_POOL_WAIT="0.5")  # fmt: skip
    room = prepare_database(env, code="POOL22", activities="topics")
    server = Server(env).start()
    try:

        async def load_the_room():
            phone = Phone(server.ws, room["code"])
            await phone.start()
            await phone.stop()

        run_async(load_the_room())
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.url}/j/{room['code']}/me/", timeout=10)
        assert refused.value.code == 503
        assert 5 <= int(refused.value.headers["Retry-After"]) <= 15
        assert "<h1>Nyt on ruuhkaa</h1>" in refused.value.read().decode()
    finally:
        server.stop()
    env["POLKU_DB_POOL_MAX"] = "2"
    server = Server(env).start()
    try:
        run_async(load_the_room())
        with urllib.request.urlopen(f"{server.url}/j/{room['code']}/me/", timeout=10) as ok:
            assert ok.status == 200
    finally:
        server.stop()


class RedisServer:
    """A Redis of the test's own (the shared one must not be stopped)."""

    def __init__(self) -> None:
        from tests.e2e.conftest_live import free_port

        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import shutil
        import subprocess

        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is missing")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_redis_down_the_room_goes_on_per_instance_and_the_console_says_so(pg_database):
    _services_or_skip()
    own_redis = RedisServer().start()
    env = server_env(pg_database, REDIS_URL=own_redis.url)
    room = prepare_database(env, code="REDIS2", activities="topics")
    a = Server(env).start()
    b = None
    try:
        b = Server(env).start()

        async def scenario():
            staff = Phone(a.ws, room["code"], path=f"console/?k={room['console_key']}")
            screen_b = Phone(b.ws, room["code"], path=f"screen/?k={room['screen_key']}")
            phone_a = Phone(a.ws, room["code"])
            for client in (staff, screen_b, phone_a):
                await client.start()
            await staff.control(room["slots"]["topics"], "open")
            assert await staff.wait_acked(10)
            assert await _until(lambda: (screen_b.last_snapshot or {}).get("activity"))
            assert staff.last_snapshot["bridge_down"] is False
            own_redis.stop()
            # instance A goes on alone: the input is stored and acknowledged, A's console
            # says the instances are cut off from each other
            await phone_a.input(room["slots"]["topics"], "card", {"text": "Katkon aikana"})
            assert await phone_a.wait_acked(10)
            assert await _until(lambda: staff.last_snapshot.get("bridge_down") is True, 15)
            assert staff.last_snapshot["data"]["count"] == 1
            assert screen_b.last_snapshot["data"]["count"] == 0
            # Redis back on the same port: both rebuild from the database and agree again
            own_redis.start()
            assert await _until(lambda: screen_b.last_snapshot["data"].get("count") == 1, 20)
            assert await _until(lambda: staff.last_snapshot.get("bridge_down") is False, 10)
            for client in (staff, screen_b, phone_a):
                await client.stop()

        run_async(scenario())
    finally:
        a.stop()
        if b is not None:
            b.stop()
        own_redis.stop()
