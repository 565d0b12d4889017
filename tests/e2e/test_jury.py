"""A coordinator frames a jury, imports the volunteer pool, sets quotas, previews the fair
lottery, publishes the commitment, enters the dice and sees the panel — in Finnish, with no
serious accessibility violations."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from polku.core.tests.factories import MembershipFactory, UnitFactory
from polku.juries import lottery_adapter as lottery
from polku.juries.models import Draw, Jury
from polku.juries.tests.factories import pool_file, standard_rows
from polku.organisations.models import Membership
from polku.paths.services import path_create
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coordinator():
    membership = MembershipFactory(
        role=Membership.Role.COORDINATOR,
        organisation__name="Kuusiniemen terveysasema",
        organisation__slug="kuusiniemi",
    )
    org = membership.organisation
    UnitFactory(organisation=org, code="A", name="Osasto A")
    UnitFactory(organisation=org, code="B", name="Osasto B")
    path_create(
        organisation=org,
        name="Vastaanoton polku",
        starts_on=dt.date(2027, 2, 1),
        template_key="half_year",
    )
    return membership


def test_import_pool_set_quotas_preview_commit_enter_dice_see_panel(
    page, live_server, coordinator, axe_check
):
    login(page, live_server, coordinator.user.email)
    page.goto(f"{live_server.url}/o/kuusiniemi/juries/")
    expect(page.get_by_role("heading", name="Organisaatioraadit", level=1)).to_be_visible()
    axe_check(page, context="jury list")
    page.get_by_role("button", name="Perusta raati").click()

    page.get_by_label("Kysymys").fill("Miten vastaanottomme pitäisi toimia?")
    page.get_by_role("textbox", name="Toimeksiantaja", exact=True).fill("Johtava lääkäri")
    page.get_by_label("Toimeksiantajan sitoumus").fill(
        "Vastaan jokaiseen suositukseen neljässä viikossa."
    )
    page.get_by_label("Raadin koko").fill("4")
    page.get_by_label("Aloitustyöpaja").check()
    axe_check(page, context="jury form")
    page.get_by_role("button", name="Tallenna").click()

    expect(page.get_by_role("heading", name="Vapaaehtoisten joukko")).to_be_visible()
    axe_check(page, context="pool page")
    page.get_by_label("Joukon tiedosto (CSV tai XLSX)").set_input_files(
        files=[
            {
                "name": "vapaaehtoiset.csv",
                "mimeType": "text/csv",
                "buffer": pool_file(standard_rows()),
            }
        ]
    )
    page.get_by_role("button", name="Tuo", exact=True).click()
    expect(page.get_by_text("Joukkoon tuotiin 12 henkilöä.")).to_be_visible()
    expect(page.get_by_role("heading", name="12 henkilöä joukossa")).to_be_visible()
    axe_check(page, context="pool list")

    page.get_by_role("link", name="Kiintiöt").click()
    page.get_by_label("yksikkö Osasto A: vähintään").fill("2")
    page.get_by_label("yksikkö Osasto A: enintään").fill("2")
    page.get_by_label("yksikkö Osasto B: vähintään").fill("2")
    page.get_by_label("yksikkö Osasto B: enintään").fill("2")
    page.get_by_label("Miksi (tallentuu tapahtumalokiin)").fill("Ohjausryhmä: osastot puoliksi")
    axe_check(page, context="quota form")
    page.get_by_role("button", name="Tallenna kiintiöt").click()
    expect(page.get_by_text("Kiintiöt voivat toteutua")).to_be_visible()

    page.get_by_role("link", name="Arvonta").click()
    page.get_by_role("button", name="Laske esikatselu").click()
    expect(page.get_by_text("MAXIMIN-esikatselu laskettu.")).to_be_visible()
    expect(
        page.get_by_text("Jokaisella vapaaehtoisella on vähintään 33,3 %:n mahdollisuus").first
    ).to_be_visible()
    expect(page.get_by_text("Pienin valintatodennäköisyys").first).to_be_hidden()
    page.get_by_text("Näytä tarkemmin").first.click()
    expect(page.get_by_text("Pienin valintatodennäköisyys").first).to_be_visible()
    axe_check(page, context="lottery preview")
    page.get_by_role("button", name="Laske lopullinen arvonta").click()
    expect(
        page.get_by_text("Jokaisella vapaaehtoisella on vähintään 33,3 %:n mahdollisuus").first
    ).to_be_visible()
    page.get_by_role("button", name="Julkaise arvonnan tiiviste").click()
    expect(page.get_by_text("Arvonnan tiiviste julkaistu. Arvo nyt julkisesti.")).to_be_visible()
    jury = Jury.objects.get()
    draw = Draw.objects.get(jury=jury)
    expect(page.locator("#commitment")).to_have_text(draw.commitment)
    axe_check(page, context="commitment")

    page.get_by_label("nopan silmäluvut (1–6)").check()
    page.get_by_role("textbox", name="Numerot").fill("3 5 1 6 2 4 1 1")
    page.get_by_role("button", name="Arvo raati").click()
    expect(page.get_by_text("Raati on arvottu.")).to_be_visible()
    expect(page.get_by_role("heading", name="Arvottu raati")).to_be_visible()
    draw.refresh_from_db()
    panel = page.locator("#drawn-panel li")
    expect(panel).to_have_count(4)
    shown = sorted(panel.nth(i).locator(".code").inner_text() for i in range(4))
    assert shown == sorted(lottery.slot_panel(draw.lottery, draw.panel_index))
    axe_check(page, context="drawn panel")
    page.screenshot(path="/tmp/polku-jury-panel.png", full_page=True)


def test_drawn_juror_accepts_on_phone_and_votes_on_every_recommendation_without_reloads(
    phone_page, live_server, axe_check
):
    from django.core import mail

    from polku.juries import services
    from polku.juries.tests.factories import drawn_jury

    jury, _draw = drawn_jury()
    services.members_invite(jury=jury, actor=None)
    titles = [
        "Yksi yhteinen numero",
        "Takaisinsoitto samana päivänä",
        "Laboratorioajat puhelimessa",
    ]
    recs = [
        services.recommendation_create(
            jury=jury, title=title, body="Perustelu lyhyesti.", actor_label="raati"
        )
        for title in titles
    ]
    other = services.member_by_token(
        token=next(line for line in mail.outbox[1].body.splitlines() if "/jury/m/" in line)
        .rsplit("/jury/m/", 1)[1]
        .strip("/")
    )
    services.member_respond(member=other, accept=True)
    services.vote_cast(member=other, recommendation=recs[0], level=5)
    link = next(line for line in mail.outbox[0].body.splitlines() if "/jury/m/" in line)
    path = link[link.index("/jury/m/") :]
    page = phone_page
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name="Miten vastaanotto toimii paremmin?")).to_be_visible()
    axe_check(page, context="juror invitation")
    page.get_by_role("button", name="Lähden mukaan").click()
    expect(page.get_by_text("Kiitos! Olet nyt raadin jäsen.")).to_be_visible()
    expect(page.locator("#vote-progress")).to_have_text(
        "Olet antanut näkemyksesi 0/3 suositukseen."
    )
    # the others' tally is hidden until this juror has voted
    expect(page.get_by_text("Kannatus", exact=False)).to_have_count(0)
    page.evaluate("window.notReloaded = true")
    choices = ["Kannatan varauksin", "Kannatan täysin", "Voin hyväksyä"]
    for rec, choice in zip(recs, choices, strict=True):
        card = page.locator(f"#rec-{rec.pk}")
        card.get_by_label(choice).check()
        expect(card.get_by_text("✓ Tallennettu.")).to_be_visible()
    expect(page.locator("#vote-progress")).to_have_text(
        "Olet antanut näkemyksesi 3/3 suositukseen."
    )
    assert page.evaluate("window.notReloaded") is True  # no page load between the votes
    expect(
        page.locator(f"#rec-{recs[0].pk}").get_by_text("Kannatus 100 % (2 ääntä)")
    ).to_be_visible()
    juror = services.member_by_token(token=path.rsplit("/jury/m/", 1)[1].strip("/"))
    assert [r.votes.get(member=juror).level for r in recs] == [4, 5, 3]
    axe_check(page, context="juror votes")
    page.screenshot(path="/tmp/polku-juror-phone-vote.png", full_page=True)


def test_demo_jury_pages_have_no_serious_accessibility_violations(page, live_server, axe_check):
    from polku.core.demo import DEMO_PASSWORD, FACILITATOR_EMAIL, load_demo

    load_demo()
    jury = Jury.objects.get(organisation__slug="kuusiniemen-terveysasema")
    login(page, live_server, FACILITATOR_EMAIL, DEMO_PASSWORD)
    base = f"{live_server.url}/o/kuusiniemen-terveysasema/juries/{jury.pk}/"
    for suffix, heading in [
        ("", "Miten vastaanottomme pitäisi toimia, jotta potilas saa avun yhdellä yhteydenotolla?"),
        ("fairness/", "Reiluusraportti"),
        ("panel/", "Raati ja kutsut"),
        ("recommendations/", "Suositukset"),
        ("statement/", "Kannanotto ja vastaus"),
        ("audit/", "Tapahtumaloki"),
        ("pool/", "Vapaaehtoisten joukko"),
    ]:
        page.goto(base + suffix)
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        axe_check(page, context=suffix or "overview")
    expect(page.get_by_role("heading", name="60 henkilöä joukossa")).to_be_visible()
    page.goto(base + "audit/")
    expect(page.get_by_text("Tiivisteketju on ehjä")).to_be_visible()
    page.goto(f"{live_server.url}/jury/verify/")
    axe_check(page, context="verify page")
