"""The canvas's measures are chosen from the path's own measures, never typed: a typo would
make a new measure and break the path's roll-up."""

import datetime as dt

import pytest
from django.urls import reverse

from polku.core.tests.factories import MembershipFactory
from polku.experiments.services import measure_type_create
from polku.organisations.models import Membership
from polku.paths.services import path_create
from polku.workshops.models import AgendaSlot

pytestmark = pytest.mark.django_db


@pytest.fixture
def canvas(client):
    membership = MembershipFactory(role=Membership.Role.FACILITATOR)
    client.force_login(membership.user)
    org = membership.organisation
    path = path_create(
        organisation=org, name="P", starts_on=dt.date(2027, 1, 1), template_key="one_day"
    )
    for name in ("Uusia nuoria tavoitettu", "Jäi mukaan"):
        measure_type_create(path=path, name=name)
    day = path.workshop_days.get()
    slot = AgendaSlot.objects.create(
        workshop_day=day, position=9, title="Kokeilut", activity_type="experiment_canvas",
        config={"measures": ["uusia nuoria tavoitettu", "Kävijät"]},
    )  # fmt: skip
    url = reverse("live:slot_config", args=[org.slug, path.pk, day.pk, slot.pk])
    return client, path, slot, url


def test_the_settings_offer_the_paths_measures_and_mark_an_older_name(canvas):
    client, path, _slot, url = canvas
    html = client.get(url).content.decode()
    assert 'type="checkbox" name="measures" value="Uusia nuoria tavoitettu"' in html
    assert 'type="checkbox" name="measures" value="Jäi mukaan"' in html
    # the configured name in another case is the path's measure, ticked
    assert html.count("checked") == 2
    assert "Kävijät (ei tämän polun mittari)" in html
    assert "Enintään 4. Uusi mittari lisätään ensin polun mittarisivulla." in html
    measures = reverse("experiments:measure_types", args=[path.organisation.slug, path.pk])
    assert f'<a href="{measures}">Polun mittarit</a>' in html
    assert "<textarea" not in html


def test_saving_keeps_exactly_the_chosen_names_and_refuses_a_typed_one(canvas):
    client, _path, slot, url = canvas
    response = client.post(url, {"grouping": "unit", "measures": ["Jäi mukaan"]})
    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.config["measures"] == ["Jäi mukaan"]
    response = client.post(url, {"grouping": "unit", "measures": ["Jäi mukana"]})  # a typo
    assert response.status_code == 200
    assert (
        "Valitse oikea vaihtoehto. Jäi mukana ei ole vaihtoehtojen joukossa."
        in response.content.decode()
    )
    slot.refresh_from_db()
    assert slot.config["measures"] == ["Jäi mukaan"]


def test_a_path_without_measures_says_where_to_add_them(client):
    membership = MembershipFactory(role=Membership.Role.FACILITATOR)
    client.force_login(membership.user)
    path = path_create(
        organisation=membership.organisation, name="P", starts_on=dt.date(2027, 1, 1),
        template_key="one_day",
    )  # fmt: skip
    day = path.workshop_days.get()
    slot = AgendaSlot.objects.create(
        workshop_day=day, position=9, title="Kokeilut", activity_type="experiment_canvas"
    )
    html = client.get(
        reverse("live:slot_config", args=[path.organisation.slug, path.pk, day.pk, slot.pk])
    ).content.decode()
    assert "Polulla ei ole vielä mittareita: lisää ne ensin polun mittarisivulla." in html
