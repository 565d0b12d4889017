"""Participation over workshop days: joined, active, returning, per unit (exact numbers)."""

import datetime as dt

import pytest
from django.utils import timezone

from polku.core.tests.factories import WorkshopDayFactory
from polku.live.models import LiveEvent, Participant
from polku.reports.participation import participation
from polku.reports.report import path_report
from polku.reports.tests.factories import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = build_world()
    a, b, _c = w["units"]
    start = timezone.make_aware(dt.datetime(2026, 1, 10, 9))
    d1 = WorkshopDayFactory(path=w["path"], title="Aloitus", starts_at=start, status="closed")
    d2 = WorkshopDayFactory(
        path=w["path"], title="Seuranta", starts_at=start + dt.timedelta(days=60), status="closed"
    )
    n = iter(range(100))

    def phone(day, unit=None, key=""):
        i = next(n)
        return Participant.objects.create(
            workshop_day=day,
            token_hash=f"tokenhash{i}",
            nickname=f"Nimimerkki{i}",
            unit=unit,
            return_key=key,
        )

    def event(day, participant, actor):
        LiveEvent.objects.create(
            workshop_day=day,
            participant=participant,
            actor=actor,
            client_id=f"c{next(n)}",
            kind="card",
        )

    p1, p2, _p3 = phone(d1, a, "k1"), phone(d1, b, "k2"), phone(d1)
    p4, _p5, _p6 = phone(d2, a, "k1"), phone(d2, a, "k3"), phone(d2, b)
    event(d1, p1, f"p{p1.pk}")
    event(d1, None, "a-anonymous")  # an anonymous input: nobody becomes "active" by it
    event(d2, p4, f"p{p4.pk}")
    event(d2, p4, f"p{p4.pk}")
    del p2
    w["days"] = [d1, d2]
    return w


def test_joined_active_returning_per_day(world):
    result = participation(path=world["path"], days=world["days"])
    assert [(d.day.title, d.joined, d.active, d.returning) for d in result.days] == [
        ("Aloitus", 3, 1, 0),
        ("Seuranta", 3, 1, 1),
    ]
    assert result.per_unit == [("Alfa", 3), ("Beta", 2), ("", 1)]
    assert (result.total_joined, result.total_returning) == (6, 1)


def test_participation_chart_on_the_dashboard(client, world):
    report = path_report(path=world["path"])
    assert report.participation.total_joined == 6
    client.force_login(world["users"]["coordinator"])
    html = client.get(f"/o/nuoret/paths/{world['path'].pk}/dashboard/").content.decode()
    assert 'id="chart-data-participation"' in html
    assert 'id="chart-data-participation-units"' in html
    csv = client.get(
        f"/o/nuoret/paths/{world['path'].pk}/dashboard/data/participation.csv"
    ).content.decode()
    assert (
        csv
        == "\ufeffTyöpajapäivä,Liittyi,Aktiivisia,Palaavia\r\nAloitus,3,1,0\r\nSeuranta,3,1,1\r\n"
    )


def test_organisation_export_has_participants_as_counts_only(world):
    import json

    from polku.reports import services

    text = services.organisation_export_json(organisation=world["org"]).decode()
    data = json.loads(text)
    assert [(r["joined"], r["consented"]) for r in data["participation"]] == [(3, 0), (3, 0)]
    for secret in ("Nimimerkki", "tokenhash", "a-anonymous", "k1"):
        assert secret not in text
