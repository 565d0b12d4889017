"""Workshop summary: content from the activities' results, counts only, editing and sending."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from polku.activities.models import ActivityResult
from polku.core.tests.factories import AgendaSlotFactory, MembershipFactory, WorkshopDayFactory
from polku.experiments.models import Experiment, ExperimentMember
from polku.live.models import Participant
from polku.organisations.models import Membership
from polku.reports import services
from polku.reports.models import WorkshopSummary
from polku.reports.tests.factories import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = build_world()
    path, (a, b, _c) = w["path"], w["units"]
    day = WorkshopDayFactory(path=path, title="Vuosikokouksen työpaja", status="closed")
    slots = {
        key: AgendaSlotFactory(workshop_day=day, title=title, activity_type=key, position=i)
        for i, (key, title) in enumerate(
            [
                ("topics", "Mihin voimme vaikuttaa?"),
                ("influence", "Vaikutuspiiri"),
                ("what_works", "Mikä jo toimii"),
                ("dot_vote", "Äänestys"),
                ("experiment_canvas", "Kokeilut"),
            ]
        )
    }

    def result(slot, kind, text, *, score=None, data=None, position=0):
        return ActivityResult.objects.create(
            path=path,
            slot=slots[slot],
            activity_type=slot,
            kind=kind,
            text=text,
            score=score,
            data=data or {},
            position=position,
        )

    result("topics", "theme", "Rekrytointi", data={"cards": ["Kaveri mukaan"]})
    result("topics", "topic", "Kaveri mukaan", score=2, data={"theme": "Rekrytointi"}, position=1)
    result("topics", "topic", "Somenäkyvyys", score=1, data={"theme": ""}, position=2)
    result("influence", "influence", "Kaveri mukaan", data={"decide": 12, "influence": 3, "out": 1})
    result(
        "influence",
        "parked",
        "Valtionavustukset",
        data={"decide": 0, "influence": 2, "out": 14},
        position=1,
    )
    result("what_works", "what_works", "Kesäleirit", data={"theme": "Rekrytointi"})
    result("dot_vote", "priority", "Kaveri mukaan", score=31)
    result("dot_vote", "priority", "Somenäkyvyys", score=12, position=1)
    e = Experiment.objects.create(
        path=path,
        unit=a,
        title="Tuo kaveri -ilta",
        source_slot=slots["experiment_canvas"],
        what_we_try="Jokainen tuo kaverin",
        first_step="Kutsut someen",
    )
    ExperimentMember.objects.create(experiment=e, nickname="Salainen Sanna")
    ExperimentMember.objects.create(experiment=e, nickname="Pekka")
    Experiment.objects.create(
        path=path, unit=b, title="Somehaaste", source_slot=slots["experiment_canvas"]
    )
    for i in range(7):
        Participant.objects.create(workshop_day=day, token_hash=f"h{i}", nickname=f"Nimimerkki{i}")
    w["day"] = day
    return w


def test_summary_content_exact(world):
    summary = services.workshop_summary_generate(workshop_day=world["day"])
    data = summary.data
    assert data["topics"] == {
        "groups": [
            {"title": "Rekrytointi", "topics": ["Kaveri mukaan"]},
            {"title": "", "ungrouped": True, "topics": ["Somenäkyvyys"]},
        ]
    }
    assert data["influence"] == [
        {"text": "Kaveri mukaan", "decide": 12, "influence": 3, "out": 1, "parked": False},
        {"text": "Valtionavustukset", "decide": 0, "influence": 2, "out": 14, "parked": True},
    ]
    assert data["what_works"] == [{"text": "Kesäleirit", "topic": "Rekrytointi"}]
    assert data["votes"] == [
        {
            "title": "Äänestys",
            "activity": "dot_vote",
            "results": [
                {"label": "Kaveri mukaan", "count": 31},
                {"label": "Somenäkyvyys", "count": 12},
            ],
        }
    ]
    assert [(x["title"], x["unit"], x["team_size"]) for x in data["experiments"]] == [
        ("Tuo kaveri -ilta", "Alfa", 2),
        ("Somehaaste", "Beta", 0),
    ]
    assert data["commitments"] == {
        "experiments": 2,
        "team_members": 2,
        "units": 2,
        "participants": 7,
    }
    # counts only: no nickname of a participant or a team member anywhere in the snapshot
    text = str(data)
    assert "Salainen Sanna" not in text
    assert "Nimimerkki" not in text


def test_regenerate_keeps_the_facilitators_edits(world):
    summary = services.workshop_summary_generate(workshop_day=world["day"])
    services.workshop_summary_update(
        summary=summary,
        intro="Kiitos kaikille!",
        next_steps="Seuraava työpaja 3.5.",
        hidden_sections=["what_works", "nonsense"],
    )
    summary = services.workshop_summary_generate(workshop_day=world["day"])
    assert (summary.intro, summary.next_steps, summary.hidden_sections) == (
        "Kiitos kaikille!",
        "Seuraava työpaja 3.5.",
        ["what_works"],
    )


def test_summary_page_edit_and_send_to_unit_contacts(
    client, world, django_capture_on_commit_callbacks
):
    contact = MembershipFactory(
        organisation=world["org"], role=Membership.Role.UNIT_CONTACT, unit=world["units"][1]
    ).user
    client.force_login(world["users"]["facilitator"])
    url = reverse("reports:summary", args=["nuoret", world["path"].pk, world["day"].pk])
    page = client.get(url).content.decode()
    assert "Rekrytointi" in page and "Kesäleirit" in page and "Tuo kaveri -ilta" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "intro": "Kiitos!",
                "next_steps": "",
                "hidden_sections": ["what_works"],
                "action": "send",
            },
        )
    assert response.status_code == 302
    summary = WorkshopSummary.objects.get()
    assert (summary.status, summary.sent_to_count) == ("sent", 2)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([contact.email, world["users"]["unit_contact"].email])
    assert all(len(m.to) == 1 for m in mail.outbox)
    token = re.search(r"/summary/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert all(f"/summary/{token}/" in m.body for m in mail.outbox)  # one link for everyone
    assert summary.public_token_hash == WorkshopSummary.hash_token(token)
    public = reverse("reports:summary_public", args=[token])
    assert mail.outbox[0].subject == "Työpajapäivän yhteenveto: Vuosikokouksen työpaja"
    html = client.get(public).content.decode()
    assert "Kiitos!" in html and "Rekrytointi" in html
    assert "Kesäleirit" not in html  # hidden by the facilitator


def test_public_summary_needs_a_sent_summary(client, world):
    summary = services.workshop_summary_generate(workshop_day=world["day"])
    token = services.workshop_summary_link_mint(summary=summary)
    assert client.get(reverse("reports:summary_public", args=[token])).status_code == 404
    assert client.get(reverse("reports:summary_public", args=["nope"])).status_code == 404


def test_the_public_summary_link_is_hashed_revocable_and_may_expire(client, world):
    summary = services.workshop_summary_generate(workshop_day=world["day"])
    summary.status = WorkshopSummary.Status.SENT
    summary.save()
    token = services.workshop_summary_link_mint(summary=summary)
    url = reverse("reports:summary_public", args=[token])
    assert token not in str(WorkshopSummary.objects.filter(pk=summary.pk).values().get())
    assert client.get(url).status_code == 200
    services.workshop_summary_link_revoke(summary=summary)
    assert client.get(url).status_code == 404
    week = services.workshop_summary_link_mint(
        summary=summary, expires_at=timezone.now() + dt.timedelta(days=7)
    )
    later = reverse("reports:summary_public", args=[week])
    assert client.get(url).status_code == 404  # the new link replaced the old one
    assert client.get(later).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        assert client.get(later).status_code == 404


def test_the_facilitator_makes_a_new_link_shown_once(client, world):
    summary = services.workshop_summary_generate(workshop_day=world["day"])
    summary.status = WorkshopSummary.Status.SENT
    summary.save()
    client.force_login(world["users"]["facilitator"])
    url = reverse("reports:summary", args=["nuoret", world["path"].pk, world["day"].pk])
    page = client.post(url, {"action": "link", "valid_days": "30"}).content.decode()
    token = re.search(r'value="[^"]*/summary/([^/"]+)/"', page).group(1)
    summary.refresh_from_db()
    assert summary.public_token_hash == WorkshopSummary.hash_token(token)
    assert summary.public_expires_at.date() == (timezone.now() + dt.timedelta(days=30)).date()
    assert token not in client.get(url).content.decode()  # shown only once
    client.post(url, {"action": "revoke_link"})
    summary.refresh_from_db()
    assert summary.public_link_open is False


def test_summary_of_an_open_day_is_not_made(client, world):
    day = WorkshopDayFactory(path=world["path"], status="planned")
    client.force_login(world["users"]["facilitator"])
    response = client.get(reverse("reports:summary", args=["nuoret", world["path"].pk, day.pk]))
    assert response.status_code == 200
    assert WorkshopSummary.objects.filter(workshop_day=day).count() == 0


def test_summary_pdf(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["users"]["facilitator"])
    url = reverse("reports:summary", args=["nuoret", world["path"].pk, world["day"].pk])
    client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "pdf", "language": "fi"})
    assert response.status_code == 302
    from polku.reports.models import ReportJob

    job = ReportJob.objects.get(kind="summary")
    assert job.status == "done"
    assert bytes(job.pdf).startswith(b"%PDF-")
