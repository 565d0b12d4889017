#!/usr/bin/env python
""" "Forget me" in a big live room: the old way (rebuild the whole room) beside the new one
(``engine.room_forget``: only the agenda item with that participant's inputs).

One process, a fresh SQLite database: a live day whose topics activity holds
``--participants`` × ``--cards`` cards (one event each) from as many participants, all
connected as phones (in-process sockets that only count what they are sent). Each way forgets
``--forget`` participants one after another and reports, per forget:

* ``took``   — from the call to the room holding the new state (the participant's request);
* ``stall``  — the longest the room's event loop was blocked meanwhile (every other phone's
  frames wait that long);
* ``fanout`` — bytes the next fan-out tick sent to the other phones, and how many got a new
  ``view`` (a full page change) rather than a snapshot.

The machine load (``uptime``) is printed first. Example:

    .venv/bin/python scripts/bench_forget.py --participants 1000 --cards 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--cards", type=int, default=4, help="cards per participant")
    parser.add_argument("--forget", type=int, default=5, help="forgets per way")
    args = parser.parse_args()
    print("load:", os.getloadavg(), f"({os.cpu_count()} cores)")
    tmp = tempfile.mkdtemp(prefix="polku-bench-forget-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.pop("REDIS_URL", None)
    os.environ["WEB_CONCURRENCY"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    for way in ("reload", "targeted"):
        results = asyncio.run(_run(way, args))
        took = [r["took"] for r in results]
        stall = [r["stall"] for r in results]
        print(
            f"{way:>9}: took median {statistics.median(took) * 1000:7.1f} ms "
            f"(max {max(took) * 1000:.1f}), loop stall median "
            f"{statistics.median(stall) * 1000:7.1f} ms (max {max(stall) * 1000:.1f}), "
            f"next tick {statistics.median(r['bytes'] for r in results) / 1024:.0f} KiB to "
            f"{args.participants - 1} phones, views resent {results[0]['views']}"
        )
    print("load:", os.getloadavg())


def _world(args):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from polku.live import identity
    from polku.live.models import LiveEvent, Participant
    from polku.live.services import events_store
    from polku.organisations.models import Organisation
    from polku.paths.models import Path as PathModel
    from polku.workshops.models import AgendaSlot, WorkshopDay

    org = Organisation.objects.create(name="Bench", slug=f"bench-{time.time_ns()}")
    path = PathModel.objects.create(
        organisation=org, name="Bench", starts_on="2027-01-01", ends_on="2027-06-30"
    )
    day = WorkshopDay.objects.create(
        path=path, title="Bench", starts_at=timezone.now(), ends_at=timezone.now(),
        status=WorkshopDay.Status.LIVE,
    )  # fmt: skip
    slot = AgendaSlot.objects.create(
        workshop_day=day, position=0, title="Aiheet", activity_type="topics",
        config={"max_per_person": args.cards},
    )  # fmt: skip
    LiveEvent.objects.create(
        workshop_day=day, slot=slot, actor="f1", client_id="open", kind="sys:open", data={}
    )
    tokens = [identity.token_new(day.join_code) for _ in range(args.participants)]
    rows, people = [], []
    for n, token in enumerate(tokens):
        people.append({"token_hash": identity.token_hash(token), "name": "", "unit": None})
        actor = identity.actor_for(slot_id=slot.pk, anonymous=True, participant_key="", token=token)
        for c in range(args.cards):
            rows.append({
                "day_id": day.pk, "slot_id": slot.pk, "actor": actor, "client_id": f"c{c}",
                "kind": "card", "data": {"text": f"Aihe {n}.{c} perehdytyksestä ja vuoroista"},
            })  # fmt: skip
    events_store(day_id=day.pk, rows=rows, new_participants=people)
    assert Participant.objects.filter(workshop_day=day).count() == args.participants
    return day, slot.pk, tokens


async def _run(way: str, args) -> list[dict]:  # type: ignore[no-untyped-def]
    from asgiref.sync import sync_to_async

    from polku.live import engine, identity, services
    from polku.live.engine.db import run_db
    from polku.live.models import Participant

    day, slot_id, tokens = await sync_to_async(_world)(args)

    class Phone(engine.Conn):
        def __init__(self) -> None:
            super().__init__(audience="phone", lang="fi", ip="10.0.0.1")
            self.bytes = 0
            self.views = 0

        async def send_text(self, text: str) -> None:
            self.bytes += len(text)
            if text.startswith('{"t":"view"'):
                self.views += 1

    room = await engine.room_get(day.join_code)
    assert room is not None
    phones = []
    for token in tokens:
        conn = Phone()
        conn.participant = room.participant_for(token, "", None, ip=conn.ip)
        await room.add(conn)
        phones.append(conn)
    await room.tick()
    await asyncio.sleep(0.3)
    results = []
    for token in tokens[: args.forget]:
        person = await run_db(
            Participant.objects.get, workshop_day_id=day.pk, token_hash=identity.token_hash(token)
        )
        actors = [identity.actor_for(slot_id=slot_id, anonymous=True, participant_key="",
                                     token=token)]  # fmt: skip
        for conn in phones:
            conn.bytes = conn.views = 0
        stall = 0.0
        probing = asyncio.Event()

        async def probe(done: asyncio.Event) -> None:
            nonlocal stall
            while not done.is_set():
                before = time.perf_counter()
                await asyncio.sleep(0)
                stall = max(stall, time.perf_counter() - before)

        prober = asyncio.ensure_future(probe(probing))
        await asyncio.sleep(0)
        started = time.perf_counter()
        if way == "reload":  # what the "forget me" view did before
            await run_db(services.participant_forget, participant=person, anon_actors=actors)
            await engine.room_reload(day.join_code)
        else:
            await engine.room_forget(day.join_code, participant=person, anon_actors=actors)
        took = time.perf_counter() - started
        await room.tick()
        await asyncio.sleep(0.2)
        probing.set()
        await prober
        others = [
            c for c in phones if c.participant and c.participant.token_hash != person.token_hash
        ]
        results.append({
            "took": took, "stall": stall, "bytes": sum(c.bytes for c in others),
            "views": sum(c.views for c in others),
        })  # fmt: skip
    await room.stop()
    engine.rooms_reset()
    return results


if __name__ == "__main__":
    main()
