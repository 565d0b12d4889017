"""Ending a workshop day with activities still open: they are closed (logged), their results
saved to the path, and the summary shows them — without the facilitator closing anything."""

import pytest
from django.urls import reverse

from polku.activities.models import ActivityResult
from polku.live import services
from polku.live.engine.closing import open_activities
from polku.live.models import LiveEvent
from polku.live.tests.factories import live_day
from polku.reports.models import WorkshopSummary
from polku.workshops.services import workshop_day_close

pytestmark = pytest.mark.django_db


def _log(day, rows):
    services.events_store(
        day_id=day.pk,
        rows=[{"day_id": day.pk, "name": "", "unit_id_tag": None, **row} for row in rows],
    )


def _day_left_open():
    """Topics, then a dot vote started on top of them; the vote was never closed."""
    day, (topics, vote, poll), fac = live_day(activities=("topics", "dot_vote", "poll"))
    f = f"f{fac.user_id}"
    _log(day, [
        {"slot_id": topics.pk, "actor": f, "client_id": "c1", "kind": "sys:open", "data": {}},
        {"slot_id": topics.pk, "actor": "a1", "client_id": "t1", "kind": "card",
         "data": {"text": "Perehdytys"}},
        {"slot_id": topics.pk, "actor": "a2", "client_id": "t2", "kind": "card",
         "data": {"text": "Somenäkyvyys"}},
        {"slot_id": vote.pk, "actor": f, "client_id": "c2", "kind": "sys:open",
         "data": {"items": [{"id": "x1", "text": "Perehdytys"}, {"id": "x2", "text": "Somenäkyvyys"}]}},
        {"slot_id": vote.pk, "actor": "a3", "client_id": "v1", "kind": "vote",
         "data": {"item": "x2", "delta": 1}},
        {"slot_id": vote.pk, "actor": "a3", "client_id": "v2", "kind": "vote",
         "data": {"item": "x2", "delta": 1}},
        {"slot_id": vote.pk, "actor": "a4", "client_id": "v3", "kind": "vote",
         "data": {"item": "x1", "delta": 1}},
    ])  # fmt: skip
    return day, (topics, vote, poll), fac


def test_ending_the_day_closes_and_saves_what_is_open_and_the_summary_shows_it(
    django_capture_on_commit_callbacks,
):
    day, (topics, vote, _poll), fac = _day_left_open()
    # opening the vote closed the topics in the room, but nobody pressed "Save results"
    assert [s.title for s in open_activities(day=day)] == ["Slot dot_vote"]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = workshop_day_close(workshop_day=day, user=fac.user)
    assert [(o.ok, o.message) for o in outcomes] == [
        (True, "Suljettiin 1 avoin vaihe ja sen tulokset tallennettiin: Slot dot_vote."),
        (True, "Työpajan yhteenveto tehtiin päivän tuloksista. Tarkista se ennen jakamista."),
    ]
    assert LiveEvent.objects.filter(kind="sys:close").values_list("slot_id", "actor").get() == (
        vote.pk, f"f{fac.user_id}",
    )  # fmt: skip
    assert list(ActivityResult.objects.filter(slot=vote).values_list("text", "score")) == [
        ("Somenäkyvyys", 2.0), ("Perehdytys", 1.0),
    ]  # fmt: skip
    # the topics were closed by "open" on the vote, but their saving never happened
    assert list(ActivityResult.objects.filter(slot=topics).values_list("text", flat=True)) == [
        "Perehdytys", "Somenäkyvyys",
    ]  # fmt: skip
    assert open_activities(day=day) == []
    data = WorkshopSummary.objects.get(workshop_day=day).data
    assert data["topics"] == {
        "groups": [{"title": "", "ungrouped": True, "topics": ["Perehdytys", "Somenäkyvyys"]}]
    }
    votes = data["votes"]
    assert votes == [
        {"title": "Slot dot_vote", "activity": "dot_vote",
         "results": [{"label": "Somenäkyvyys", "count": 2}, {"label": "Perehdytys", "count": 1}]},
    ]  # fmt: skip


def test_ending_the_day_twice_closes_nothing_more():
    day, _slots, fac = _day_left_open()
    workshop_day_close(workshop_day=day, user=fac.user)
    again = workshop_day_close(workshop_day=day, user=fac.user)
    assert again[0].message == "Yksikään vaihe ei ollut jäänyt auki."
    assert LiveEvent.objects.filter(kind="sys:close").count() == 1


def test_a_paused_activity_counts_as_open():
    day, (topics, _vote, poll), fac = live_day(
        activities=("topics", "dot_vote", "poll"), configs={"poll": {"options": ["A"]}}
    )
    f = f"f{fac.user_id}"
    _log(day, [
        {"slot_id": topics.pk, "actor": f, "client_id": "c1", "kind": "sys:open", "data": {}},
        {"slot_id": poll.pk, "actor": f, "client_id": "c2", "kind": "sys:open", "data": {}},
        {"slot_id": poll.pk, "actor": f, "client_id": "c3", "kind": "sys:pause", "data": {}},
    ])  # fmt: skip
    assert [(s.title, s.status) for s in open_activities(day=day)] == [("Slot poll", "paused")]
    workshop_day_close(workshop_day=day, user=fac.user)
    assert list(LiveEvent.objects.filter(kind="sys:close").values_list("slot_id", flat=True)) == [
        poll.pk
    ]


def test_end_page_lists_what_is_open_and_confirming_goes_to_the_summary(client):
    day, _slots, fac = _day_left_open()
    client.force_login(fac.user)
    org, path = day.path.organisation.slug, day.path.pk
    url = reverse("live:day_end", args=[org, path, day.pk])
    page = client.get(url).content.decode()
    assert "Tämä vaihe on vielä auki. Se suljetaan ja sen tulokset tallennetaan polulle:" in page
    assert "<strong>Slot dot_vote</strong> · Priorisointi: pisteäänestys" in page
    assert "Tallenna kaikki ja päätä työpaja" in page
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:summary", args=[org, path, day.pk])
    day.refresh_from_db()
    assert day.status == "closed"
    page = client.get(response["Location"]).content.decode()
    assert "Suljettiin 1 avoin vaihe ja sen tulokset tallennettiin: Slot dot_vote." in page
    assert client.get(url).content.decode().count("Kaikki vaiheet on suljettu") == 1


def test_end_button_in_the_console_asks_first(client):
    day, _slots, fac = _day_left_open()
    client.force_login(fac.user)
    org = day.path.organisation.slug
    response = client.post(
        reverse("live:day_status", args=[org, day.path.pk, day.pk]), {"status": "closed"}
    )
    assert response["Location"] == reverse("live:day_end", args=[org, day.path.pk, day.pk])
    day.refresh_from_db()
    assert day.status == "live"
