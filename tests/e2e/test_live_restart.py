"""Kill the server mid-activity, start it again: clients reconnect by themselves and no
acknowledged input is missing."""

import asyncio
import sqlite3

import pytest

from polku.live.simclient import Phone
from tests.e2e.conftest_live import Server, prepare_database, run_async, server_env

pytestmark = pytest.mark.slow

PHONES = 20
INPUTS = 40


async def _scenario(server: Server, room: dict) -> tuple[list[Phone], int]:
    staff = Phone(server.ws, room["code"], path=f"console/?k={room['console_key']}")
    await staff.start()
    await staff.control(room["slots"]["scale"], "open")
    assert await staff.wait_acked(10)
    phones = [Phone(server.ws, room["code"], name=f"p{i}") for i in range(PHONES)]
    await asyncio.gather(*(p.start() for p in phones))

    async def talk(phone: Phone) -> None:
        for i in range(INPUTS):
            await phone.input(room["slots"]["scale"], "rate", {"value": 1 + i % 5})
            await asyncio.sleep(0.1)

    talking = asyncio.gather(*(talk(p) for p in phones))
    await asyncio.sleep(1.5)
    server.kill()  # SIGKILL: whatever was not committed is lost from memory
    acked_before_kill = sum(len(p.acked) for p in phones)
    await asyncio.sleep(1.0)
    server.start()
    await talking
    results = await asyncio.gather(*(p.wait_acked(30) for p in phones))
    assert all(results), "some inputs were never acknowledged"
    for p in (*phones, staff):
        await p.stop()
    return phones, acked_before_kill


def test_killed_server_loses_no_acknowledged_input(tmp_path):
    env = server_env(f"sqlite:///{tmp_path}/db.sqlite3")
    room = prepare_database(env, code="RSTRT2", activities="scale")
    server = Server(env).start()
    try:
        phones, acked_before_kill = run_async(_scenario(server, room))
    finally:
        server.stop()
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        stored = {
            row[0] for row in db.execute("SELECT client_id FROM live_liveevent WHERE kind='rate'")
        }
    acked = {cid for p in phones for cid in p.acked}
    assert 0 < acked_before_kill < PHONES * INPUTS  # the kill really happened mid-activity
    assert len(acked) == PHONES * INPUTS
    assert acked - stored == set()
    assert len(stored) == PHONES * INPUTS
    assert all(p.reconnects >= 1 for p in phones)
    assert [e for p in phones for e in p.errors if e["code"] not in ("rate", "retry")] == []
