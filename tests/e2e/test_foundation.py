"""A facilitator logs in, creates a path from the half-year template and sees the timeline —
in Finnish, on a laptop and on a 390×844 phone, with no serious accessibility violations."""

import pytest
from playwright.sync_api import expect

from polku.core.tests.factories import MembershipFactory, UnitFactory
from polku.organisations.models import Membership
from polku.paths.models import Path
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def facilitator():
    membership = MembershipFactory(
        role=Membership.Role.FACILITATOR,
        organisation__name="Nuoret Auttajat ry",
        organisation__slug="nuoret",
    )
    membership.user.is_facilitator = True
    membership.user.save()
    for name in ("Oulun osasto", "Turun osasto"):
        UnitFactory(organisation=membership.organisation, name=name)
    return membership


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_facilitator_creates_half_year_path_and_sees_timeline(
    request, live_server, facilitator, axe_check, viewport
):
    page = request.getfixturevalue(viewport)
    login(page, live_server, facilitator.user.email)
    axe_check(page, context="home page")
    page.get_by_role("link", name="Nuoret Auttajat ry").click()
    expect(page.get_by_role("heading", name="Nuoret Auttajat ry", level=1)).to_be_visible()
    axe_check(page, context="organisation page")

    page.get_by_role("link", name="Uusi polku").click()
    expect(page.get_by_role("heading", name="Uusi polku")).to_be_visible()
    page.get_by_label("Puolen vuoden polku").check()
    page.get_by_label("Nimi").fill("Kevään kokeilupolku")
    page.get_by_label("Tavoite").fill("Uusia nuoria mukaan osastoihin")
    page.get_by_label("Ensimmäinen työpajapäivä").fill("2027-02-06")
    page.get_by_label("Oulun osasto").check()
    axe_check(page, context="path form")
    page.get_by_role("button", name="Luo polku").click()

    expect(page.get_by_role("heading", name="Kevään kokeilupolku", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Aikajana")).to_be_visible()
    days = page.locator("ol.days > li")
    assert days.count() == 3
    assert days.nth(0).get_by_role("heading", level=3).inner_text().startswith("Aloitustyöpaja")
    assert days.nth(1).get_by_role("heading", level=3).inner_text().startswith("Seurantatyöpaja")
    assert days.nth(2).get_by_role("heading", level=3).inner_text().startswith("Päätöstyöpaja")
    assert "la 6.2.2027 09:00" in days.nth(0).inner_text()
    axe_check(page, context="path page")
    path = Path.objects.get(name="Kevään kokeilupolku")
    assert [u.name for u in path.units.all()] == ["Oulun osasto"]
    page.screenshot(path=f"/tmp/polku-path-{viewport}.png", full_page=True)


def test_language_switch_to_swedish_and_english(page, live_server, facilitator):
    login(page, live_server, facilitator.user.email)
    page.goto(f"{live_server.url}/o/nuoret/")
    expect(page.get_by_role("link", name="Uusi polku")).to_be_visible()
    page.get_by_role("button", name="svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("link", name="Ny stig")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="New path")).to_be_visible()
