#!/usr/bin/env python
"""Benchmark of the reports: dashboard render time and query count, impact PDF time.

Builds, in a temporary SQLite database, a path with 12 units, 50 experiments (a third of them
copies of others), 3 measures and 500 check-ins, two held workshop days with 100 phones each
and their topic and vote results; then renders the path dashboard server-side
(Django test client, full middleware stack) at least 20 times and makes the impact report PDF.
Prints the figures; targets: dashboard median <= 150 ms, PDF <= 5 s.

    make bench-reports                 # or: .venv/bin/python scripts/bench_reports.py
    BENCH_ARGS="--renders 40 --pdf-out /tmp/impact.pdf" make bench-reports
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=25)
    parser.add_argument("--experiments", type=int, default=50)
    parser.add_argument("--checkins", type=int, default=500)
    parser.add_argument("--pdf-out", default="")
    parser.add_argument("--language", default="fi", choices=["fi", "sv", "en"])
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="polku-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0, interactive=False)

    demo = demo_youth_path()
    dashboard(demo, renders=args.renders, label="demo youth path")
    world = build(n_experiments=args.experiments, n_checkins=args.checkins)
    dashboard(world, renders=args.renders, label="50 experiments / 500 check-ins")
    impact_pdf(world, language=args.language, out=args.pdf_out)
    tmp.cleanup()


def build(*, n_experiments: int, n_checkins: int) -> dict:
    from django.utils import timezone

    from polku.accounts.models import User
    from polku.experiments.models import CheckIn, CheckInValue, Experiment, Measure, MeasureType
    from polku.organisations.models import Membership, Organisation, Unit
    from polku.paths.models import Path as PolkuPath
    from polku.workshops.models import WorkshopDay

    rng = random.Random(5)
    started = time.perf_counter()
    today = timezone.localdate()
    org = Organisation.objects.create(name="Penkki ry", slug="penkki")
    units = [
        Unit.objects.create(organisation=org, code=f"U{i:02d}", name=f"Osasto {i:02d}")
        for i in range(12)
    ]
    user = User.objects.create_user(email="koordinaattori@penkki.example", password=None)
    Membership.objects.create(user=user, organisation=org, role=Membership.Role.COORDINATOR)
    path = PolkuPath.objects.create(
        organisation=org,
        name="Penkkipolku",
        goal="300 uutta nuorta tutustuu, 40 jää mukaan.",
        starts_on=today - dt.timedelta(days=150),
        ends_on=today + dt.timedelta(days=30),
        checkin_interval_days=14,
    )
    path.units.set(units)
    days = []
    for i, offset in enumerate((-150, -60, 20)):
        start = timezone.now() + dt.timedelta(days=offset)
        days.append(
            WorkshopDay.objects.create(
                path=path,
                title=f"Työpaja {i + 1}",
                starts_at=start,
                ends_at=start + dt.timedelta(hours=5),
                status="closed" if offset < 0 else "planned",
            )
        )
    live_room(days[:2], units, rng)
    types = [
        MeasureType.objects.create(
            path=path, name="Uudet nuoret", kind="count", unit_label="nuorta", position=0
        ),
        MeasureType.objects.create(
            path=path, name="Jäivät mukaan", kind="count", unit_label="nuorta", position=1
        ),
        MeasureType.objects.create(path=path, name="Tyytyväisyys", kind="percent", position=2),
    ]
    experiments: list = []
    statuses = ["running"] * 5 + ["reported", "decided", "planned"]
    for i in range(n_experiments):
        source = (
            experiments[rng.randrange(len(experiments))] if experiments and i % 3 == 2 else None
        )
        e = Experiment.objects.create(
            path=path,
            unit=units[i % len(units)],
            title=source.title if source else f"Kokeilu {i + 1}",
            status=rng.choice(statuses),
            started_on=today - dt.timedelta(days=rng.randrange(20, 140)),
            adopted_from=source,
        )
        experiments.append(e)
    measures = {}
    for e in experiments:
        measures[e.pk] = [
            Measure.objects.create(
                experiment=e, measure_type=types[0], target=rng.randrange(5, 20)
            ),
            Measure.objects.create(experiment=e, measure_type=types[1], target=rng.randrange(1, 5)),
            Measure.objects.create(experiment=e, measure_type=types[2], target=80),
        ]
    per = max(1, n_checkins // len(experiments))
    checkins = values = 0
    for e in experiments:
        for k in range(per):
            if checkins >= n_checkins:
                break
            c = CheckIn.objects.create(
                experiment=e,
                slot=today - dt.timedelta(days=7 * (per - k)),
                what_helped=f"Opimme, että kaveri tuo kaverin ({e.title}, kerta {k + 1}).",
                shareable=k % 2 == 0,
            )
            checkins += 1
            m_new, m_stayed, m_sat = measures[e.pk]
            CheckInValue.objects.bulk_create(
                [
                    CheckInValue(checkin=c, measure=m_new, value=Decimal(rng.randrange(0, 5))),
                    CheckInValue(checkin=c, measure=m_stayed, value=Decimal(rng.randrange(0, 2))),
                    CheckInValue(checkin=c, measure=m_sat, value=Decimal(rng.randrange(50, 100))),
                ]
            )
            values += 3
    print(
        f"built: 12 units, 200 participants, {len(experiments)} experiments, {checkins} check-ins, {values} values "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return {"org": org, "path": path, "user": user}


def live_room(days: list, units: list, rng: random.Random) -> None:
    """100 phones per held workshop day (a third return), their inputs, and topic and vote
    results of the activities: the participation and funnel sections have data too."""
    from polku.activities.models import ActivityResult
    from polku.live.models import LiveEvent, Participant
    from polku.workshops.models import AgendaSlot

    n = 0
    for d, day in enumerate(days):
        topics = AgendaSlot.objects.create(
            workshop_day=day, title="Aiheet", activity_type="topics", position=0
        )
        vote = AgendaSlot.objects.create(
            workshop_day=day, title="Äänestys", activity_type="dot_vote", position=1
        )
        for i in range(100):
            n += 1
            key = f"k{i}" if (d == 0 or i < 33) else f"k{d}-{i}"
            p = Participant.objects.create(
                workshop_day=day, token_hash=f"t{n}", unit=units[i % len(units)], return_key=key
            )
            if i % 4:
                LiveEvent.objects.create(
                    workshop_day=day,
                    slot=topics,
                    participant=p,
                    actor=f"p{p.pk}",
                    client_id="c1",
                    kind="card",
                )
        for i in range(30):
            ActivityResult.objects.create(
                path=day.path,
                slot=topics,
                activity_type="topics",
                kind="topic",
                text=f"Aihe {d}-{i}",
                score=1,
                position=i,
            )
        for i in range(8):
            ActivityResult.objects.create(
                path=day.path,
                slot=vote,
                activity_type="dot_vote",
                kind="priority",
                text=f"Aihe {d}-{i}",
                score=rng.randrange(5, 40),
                position=i,
            )


def demo_youth_path() -> dict:
    """The demo data (make demo): the youth organisation's half-year path, its coordinator."""
    from polku.accounts.models import User
    from polku.core import demo

    demo.load_demo()
    user = User.objects.get(email=demo.COORDINATOR_EMAIL)
    membership = user.memberships.select_related("organisation").get(
        organisation__slug=demo.YOUTH_ORG
    )
    return {
        "org": membership.organisation,
        "path": membership.organisation.paths.get(),
        "user": user,
    }


def dashboard(world: dict, *, renders: int, label: str) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    client.force_login(world["user"])
    url = reverse("reports:dashboard", args=[world["org"].slug, world["path"].pk])
    response = client.get(url)  # warm-up: templates, translations, imports
    assert response.status_code == 200, response.status_code
    timings = []
    for _ in range(max(20, renders)):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    median = statistics.median(timings)
    print(
        f"dashboard ({label}): median {median:.1f} ms, min {min(timings):.1f} ms, max {max(timings):.1f} ms "
        f"over {len(timings)} renders; {len(queries)} queries; {len(response.content) // 1024} KiB HTML "
        f"(target <= 150 ms: {'OK' if median <= 150 else 'MISSED'})"
    )


def impact_pdf(world: dict, *, language: str, out: str) -> None:
    from polku.reports.pdf import render_impact_pdf

    render_impact_pdf(path=world["path"], language=language)  # warm-up: fonts, matplotlib
    started = time.perf_counter()
    pdf, pages = render_impact_pdf(path=world["path"], language=language)
    elapsed = time.perf_counter() - started
    print(
        f"impact PDF: {elapsed:.2f} s, {pages} pages, {len(pdf) // 1024} KiB "
        f"(target <= 5 s: {'OK' if elapsed <= 5 else 'MISSED'})"
    )
    if out:
        Path(out).write_bytes(pdf)
        print(f"written to {out}")


if __name__ == "__main__":
    main()
