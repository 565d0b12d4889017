import datetime as dt

import pytest
from django.urls import reverse

from polku.core.tests.factories import MembershipFactory, UnitFactory
from polku.organisations.models import Membership
from polku.paths.models import Path

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator_client(client):
    membership = MembershipFactory(role=Membership.Role.FACILITATOR)
    client.force_login(membership.user)
    client.membership = membership
    return client


def test_create_path_from_template_and_see_timeline(facilitator_client):
    org = facilitator_client.membership.organisation
    unit = UnitFactory(organisation=org, name="Oulun osasto")
    response = facilitator_client.post(
        reverse("paths:create", args=[org.slug]),
        {
            "template": "half_year",
            "name": "Kevään polku",
            "goal": "Uusia nuoria",
            "starts_on": "2027-02-01",
            "units": [unit.pk],
        },
    )
    path = Path.objects.get(organisation=org)
    assert response.status_code == 302
    assert response["Location"] == reverse("paths:detail", args=[org.slug, path.pk])
    page = facilitator_client.get(response["Location"]).content.decode()
    assert "Kevään polku" in page
    assert "Aikajana" in page
    assert page.count('<li class="day') == 3
    assert "Oulun osasto" in page


def test_create_path_with_bad_date_shows_finnish_error_and_keeps_input(facilitator_client):
    org = facilitator_client.membership.organisation
    response = facilitator_client.post(
        reverse("paths:create", args=[org.slug]),
        {"template": "half_year", "name": "Säilyvä nimi", "starts_on": "31.13.2027"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Syötä oikea päivämäärä." in page
    assert 'value="Säilyvä nimi"' in page
    assert not Path.objects.exists()


def test_workshop_day_remote_needs_video_link(facilitator_client):
    org = facilitator_client.membership.organisation
    from polku.paths.services import path_create

    path = path_create(organisation=org, name="P", starts_on=dt.date(2027, 1, 1))
    response = facilitator_client.post(
        reverse("paths:day_create", args=[org.slug, path.pk]),
        {
            "title": "Etäpaja",
            "starts_at": "2027-01-10T09:00",
            "ends_at": "2027-01-10T12:00",
            "mode": "remote",
        },
    )
    assert response.status_code == 200
    assert "Etätyöpaja tai hybridityöpaja tarvitsee videolinkin." in response.content.decode()
    assert path.workshop_days.count() == 0


def test_agenda_move_down_reorders(facilitator_client):
    org = facilitator_client.membership.organisation
    from polku.paths.services import path_create

    path = path_create(
        organisation=org, name="P", starts_on=dt.date(2027, 1, 1), template_key="one_day"
    )
    day = path.workshop_days.get()
    first, second = list(day.agenda_slots.all())[:2]
    facilitator_client.post(
        reverse("paths:slot_action", args=[org.slug, path.pk, day.pk, first.pk]), {"action": "down"}
    )
    assert [s.pk for s in day.agenda_slots.all()][:2] == [second.pk, first.pk]


def test_calendar_feed_by_token_and_reset_revokes(facilitator_client):
    from django.test import Client

    client = Client()
    org = facilitator_client.membership.organisation
    from polku.paths.services import path_create

    path = path_create(
        organisation=org, name="P", starts_on=dt.date(2027, 1, 1), template_key="year"
    )
    old = path.calendar_token
    response = client.get(reverse("paths:calendar_feed", args=[old]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.content.decode().count("BEGIN:VEVENT") == 4
    facilitator_client.post(
        reverse("paths:edit", args=[org.slug, path.pk]), {"action": "reset_calendar"}
    )
    assert client.get(reverse("paths:calendar_feed", args=[old])).status_code == 404


def test_invitation_accept_flow_creates_account_and_membership(facilitator_client):
    from django.test import Client

    client = Client()
    from polku.organisations.tests.helpers import invite

    org = facilitator_client.membership.organisation
    _, token = invite(
        organisation=org,
        email="uusi@example.org",
        role="viewer",
        invited_by=facilitator_client.membership.user,
    )
    url = reverse("organisations:invitation_accept", args=[token])
    response = client.post(
        url,
        {
            "name": "Uusi",
            "password1": "hyvin-pitka-salasana-42",
            "password2": "hyvin-pitka-salasana-42",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.get(organisation=org, user__email="uusi@example.org").role == "viewer"
    again = client.get(url)
    assert again.status_code == 410


def test_unknown_invitation_token_gives_friendly_404(client):
    response = client.get(reverse("organisations:invitation_accept", args=["nope"]))
    assert response.status_code == 404
    assert "Kutsu ei ole voimassa" in response.content.decode()


def test_path_page_of_the_demo_youth_path_takes_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    """Three workshop days with agendas, the experiments roll-up and the carried results:
    12 queries (session, user, membership, path, days, slots, units, and the includes)."""
    from polku.accounts.models import User
    from polku.core.demo import load_demo

    load_demo()
    client.force_login(User.objects.get(email="fasilitaattori@polku.example"))
    path = Path.objects.get(organisation__slug="nuoret-auttajat")
    with django_assert_num_queries(12):
        response = client.get(reverse("paths:detail", args=["nuoret-auttajat", path.pk]))
    assert response.status_code == 200


def test_agenda_remove_asks_first_and_keep_changes_nothing(facilitator_client):
    org = facilitator_client.membership.organisation
    from polku.paths.services import path_create

    path = path_create(
        organisation=org, name="P", starts_on=dt.date(2027, 1, 1), template_key="one_day"
    )
    day = path.workshop_days.get()
    slots = list(day.agenda_slots.all())
    first = slots[0]
    remove = reverse("paths:slot_remove", args=[org.slug, path.pk, day.pk, first.pk])
    detail = facilitator_client.get(reverse("paths:detail", args=[org.slug, path.pk]))
    html = detail.content.decode()
    # ✕ is a link to the question, not a form that deletes at once
    assert f'href="{remove}" aria-label="Poista: {first.title}">✕</a>' in html
    assert 'value="delete"' not in html
    page = facilitator_client.get(remove).content.decode()
    assert "<h1>Poistetaanko ohjelmakohta?</h1>" in page
    assert f"”{first.title}” poistetaan päivän {day.title} ohjelmasta" in page
    keep = reverse("paths:detail", args=[org.slug, path.pk]) + f"#day-{day.pk}"
    assert f'href="{keep}">Säilytä</a>' in page
    assert [s.pk for s in day.agenda_slots.all()] == [s.pk for s in slots]  # asking removed nothing
    response = facilitator_client.post(
        reverse("paths:slot_action", args=[org.slug, path.pk, day.pk, first.pk]),
        {"action": "delete"},
    )
    assert response.status_code == 302
    assert [s.pk for s in day.agenda_slots.all()] == [s.pk for s in slots[1:]]
