"""Backup in the middle of a live workshop, restore into an empty database: every input that
was acknowledged before the backup started is there, and so is every experiment and check-in
of the demo organisations (the installed `polku polku_backup` / `polku polku_restore`)."""

import asyncio
import json
import time

import psycopg

from polku.live.simclient import Phone
from tests.e2e.conftest_live import run_async
from tests.prod.site import PG, database_create, database_drop

PHONES = 20


def _rows(database: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(f"{PG}/{database}") as conn:
        return conn.execute(sql, params).fetchall()


def _demo_counts(database: str) -> dict[str, int]:
    tables = ["organisations_organisation", "experiments_experiment", "experiments_checkin",
              "experiments_checkinvalue", "paths_path", "live_participant"]  # fmt: skip
    return {t: _rows(database, f"SELECT count(*) FROM {t}")[0][0] for t in tables}  # noqa: S608


def test_backup_during_a_live_workshop_restores_every_acked_input(site, tmp_path):
    room = json.loads(site.polku("live_room", "--code", "BACKUP").stdout.strip().splitlines()[-1])
    topics = room["slots"]["topics"]
    origin = site.url  # phones come through the public address; the sockets go to both instances
    backup = tmp_path / "polku-backup.tar.gz"
    result: dict = {}

    async def scenario():
        staff = Phone(site.instance_url(0).replace("http", "ws"), room["code"],
                      path=f"console/?k={room['console_key']}")  # fmt: skip
        phones = [
            Phone(site.instance_url(i % 2).replace("http", "ws"), room["code"])
            for i in range(PHONES)
        ]
        for client in (staff, *phones):
            client.origin = origin
        for client in (staff, *phones):
            await client.start()
        await staff.control(topics, "open")
        assert await staff.wait_acked(10)

        async def wave(n: int) -> None:
            for i, phone in enumerate(phones):
                await phone.input(topics, "card", {"text": f"Aalto {n}, puhelin {i}"})

        await wave(1)
        assert all([await p.wait_acked(20) for p in phones])
        await wave(2)  # in flight while the backup starts
        acked_before = {cid for p in phones for cid in p.acked}
        process = await asyncio.create_subprocess_exec(
            str(site.venv / "bin" / "polku"), "polku_backup", "--output", str(backup),
            env=site.env, cwd=str(site.var),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await wave(3)  # the workshop goes on during the backup
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        assert all([await p.wait_acked(20) for p in phones])
        result["acked_before"] = acked_before
        result["acked_all"] = {cid for p in phones for cid in p.acked}
        result["stdout"] = out.decode()
        for client in (staff, *phones):
            await client.stop()

    started = time.monotonic()
    run_async(scenario(), timeout=120)
    assert result["stdout"].startswith("Backed up ")
    assert len(result["acked_before"]) >= PHONES  # wave 1 at least
    assert len(result["acked_all"]) == 3 * PHONES

    source_counts = _demo_counts(site.database)
    restored = database_create("polku_restored")
    try:
        env = {
            **site.env,
            "DATABASE_URL": f"{PG}/{restored}",
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
        import subprocess

        done = subprocess.run(
            [str(site.venv / "bin" / "polku"), "polku_restore", str(backup)],
            env=env, cwd=site.var, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "every count checked" in done.stdout
        cards = (
            "SELECT client_id FROM live_liveevent WHERE kind = 'card' AND workshop_day_id = "
            "(SELECT id FROM workshops_workshopday WHERE join_code = 'BACKUP')"
        )
        restored_ids = {
            row[0]
            for row in _rows(
                restored,
                cards,
            )
        }
        source_ids = {
            row[0]
            for row in _rows(
                site.database,
                cards,
            )
        }
        assert result["acked_before"] <= restored_ids  # nothing acknowledged is lost
        assert restored_ids <= source_ids  # and nothing appears that was never stored
        assert len(source_ids) == 3 * PHONES
        # every experiment, check-in and its values of the demo organisations came back
        assert _demo_counts(restored) == source_counts
        assert (
            source_counts["experiments_experiment"] > 0 and source_counts["experiments_checkin"] > 0
        )
        # a second restore into the now full database is refused, nothing overwritten
        again = subprocess.run(
            [str(site.venv / "bin" / "polku"), "polku_restore", str(backup)],
            env=env, cwd=site.var, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert again.returncode == 1
        assert "is not empty" in again.stderr
    finally:
        database_drop(restored)
    print(f"backup during the workshop + restore: {time.monotonic() - started:.1f} s")
