"""The embedded default on several cores: two server processes on one SQLite file, no Redis
(WEB_CONCURRENCY > 1 selects the database bridge). What a phone sends to one process is on the
projector of the other, and the console's own process sees both."""

import asyncio
import time

from polku.live.simclient import Phone
from tests.e2e.conftest_live import Server, prepare_database, run_async, server_env


async def _until(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return False


def test_two_processes_on_one_sqlite_file_share_the_room(tmp_path):
    env = server_env(f"sqlite:///{tmp_path}/db.sqlite3", WEB_CONCURRENCY="2")
    room = prepare_database(env, code="PROCS2", activities="topics")
    a = Server(env).start()
    b = None
    try:
        b = Server(env).start()

        async def scenario():
            staff = Phone(a.ws, room["code"], path=f"console/?k={room['console_key']}")
            screen_b = Phone(b.ws, room["code"], path=f"screen/?k={room['screen_key']}")
            phone_a, phone_b = Phone(a.ws, room["code"]), Phone(b.ws, room["code"])
            for client in (staff, screen_b, phone_a, phone_b):
                await client.start()
            await staff.control(room["slots"]["topics"], "open")
            assert await staff.wait_acked(10)
            assert await _until(
                lambda: (
                    ((screen_b.last_snapshot or {}).get("activity") or {}).get("key") == "topics"
                )
            )
            await phone_a.input(room["slots"]["topics"], "card", {"text": "Prosessista A"})
            await phone_b.input(room["slots"]["topics"], "card", {"text": "Prosessista B"})
            assert await phone_a.wait_acked(10) and await phone_b.wait_acked(10)
            assert await _until(lambda: screen_b.last_snapshot["data"].get("count") == 2)
            assert sorted(c["text"] for c in screen_b.last_snapshot["data"]["cards"]) == [
                "Prosessista A", "Prosessista B",
            ]  # fmt: skip
            assert await _until(lambda: staff.last_snapshot["data"].get("count") == 2)
            for client in (staff, screen_b, phone_a, phone_b):
                await client.stop()

        run_async(scenario())
    finally:
        a.stop()
        if b is not None:
            b.stop()
