"""Each cause of HTTP 500 found by probing, with the exact payload: now a Finnish answer."""

import pytest
from django.urls import reverse

from polku.core.tests.factories import MembershipFactory
from polku.juries.tests.factories import drawn_jury
from polku.organisations.models import Membership
from polku.paths.models import Path
from polku.paths.path_templates import TEMPLATES
from polku.paths.services import path_create

pytestmark = pytest.mark.django_db
NINES = "9" * 40


@pytest.fixture
def facilitator(client):
    membership = MembershipFactory(role=Membership.Role.FACILITATOR)
    client.force_login(membership.user)
    client.membership = membership
    return client


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_a_new_path_starting_9999_12_31_is_a_finnish_error_from_every_template(
    facilitator, template
):
    org = facilitator.membership.organisation
    response = facilitator.post(
        reverse("paths:create", args=[org.slug]),
        {"template": template, "name": "Polku", "starts_on": "9999-12-31"},
    )
    assert response.status_code == 200
    assert "Tämän arvon on oltava enintään 2100-12-31." in response.content.decode()
    assert Path.objects.count() == 0


@pytest.mark.parametrize("page", ["experiments:board", "experiments:library"])
def test_a_unit_of_40_nines_on_the_board_and_the_library_is_just_no_unit(facilitator, page):
    org = facilitator.membership.organisation
    import datetime as dt

    path = path_create(
        organisation=org, name="Polku", starts_on=dt.date(2027, 1, 1), template_key="half_year"
    )
    response = facilitator.get(reverse(page, args=[org.slug, path.pk]), {"unit": NINES})
    assert response.status_code == 200


def test_a_path_with_units_of_40_nines_is_a_form_error(facilitator):
    org = facilitator.membership.organisation
    response = facilitator.post(
        reverse("paths:create", args=[org.slug]),
        {"template": "half_year", "name": "Polku", "starts_on": "2027-01-01", "units": [NINES]},
    )
    assert response.status_code == 200
    assert Path.objects.count() == 0


def test_deleting_a_path_whose_jury_lottery_is_committed_is_refused_with_a_message(facilitator):
    org = facilitator.membership.organisation
    jury, _draw = drawn_jury(organisation=org)
    response = facilitator.post(
        reverse("paths:edit", args=[org.slug, jury.path_id]), {"action": "delete"}, follow=True
    )
    assert response.status_code == 200
    assert (
        "Polkua ei voi poistaa: sillä on raati, jonka arvonta on säilytettävä."
        in response.content.decode()
    )
    assert Path.objects.filter(pk=jury.path_id).exists()
