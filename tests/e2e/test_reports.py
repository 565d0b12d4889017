"""A coordinator opens the path dashboard (charts drawn, tables and CSV behind them), makes the
impact report PDF and downloads it; the shared report opens without logging in. Laptop and
390×844 phone, no serious accessibility violations."""

import pytest
from playwright.sync_api import expect

from polku.reports import services
from polku.reports.tests.factories import build_world
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    return build_world()


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_coordinator_opens_dashboard_and_downloads_impact_pdf(
    request, live_server, world, axe_check, viewport
):
    page = request.getfixturevalue(viewport)
    login(page, live_server, world["users"]["coordinator"].email)
    page.goto(f"{live_server.url}/o/nuoret/paths/{world['path'].pk}/")
    page.get_by_role("link", name="Tilannekuva").click()
    expect(page.get_by_role("heading", name="Tilannekuva", level=1)).to_be_visible()

    # Chart.js drew the funnel on its canvas
    canvas = page.locator("#chart-funnel")
    expect(canvas).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('chart-funnel'))"
    )
    assert page.evaluate(
        "Chart.getChart(document.getElementById('chart-funnel')).data.datasets[0].data"
    ) == [
        0,
        0,
        4,
        1,
        2,
        1,
    ]
    # the table alternative holds the same numbers
    funnel = page.locator("figure.chart", has=page.locator("#chart-funnel"))
    funnel.get_by_text("Näytä taulukkona").click()
    expect(funnel.get_by_role("row", name="Saavutti tavoitteen 2")).to_be_visible()
    expect(page.get_by_role("heading", name="Kuulumisten ajantasaisuus")).to_be_visible()
    axe_check(page, context=f"dashboard ({viewport})")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    with page.expect_download() as download_info:
        funnel.get_by_role("link", name="Lataa tiedot (CSV)").click()
    assert download_info.value.suggested_filename == f"polku-{world['path'].pk}-funnel.csv"

    page.get_by_role("link", name="Vaikuttavuusraportti (PDF)").click()
    page.get_by_label("Raportin kieli").select_option("fi")
    axe_check(page, context="impact form")
    page.get_by_role("button", name="Tee PDF").click()
    download_link = page.get_by_role("link", name="Lataa PDF")
    expect(download_link).to_be_visible(timeout=30_000)
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == f"vaikuttavuusraportti-{world['path'].pk}-fi.pdf"
    with open(download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"


def test_shared_report_opens_without_login(page, live_server, world, axe_check):
    _link, token = services.share_link_create(
        path=world["path"], label="Hallitus", sections=["goal", "results", "stories"]
    )
    page.goto(f"{live_server.url}/share/{token}/")
    expect(page.get_by_role("heading", name="Kevään polku", level=1)).to_be_visible()
    expect(page.get_by_text("Kaverit toivat kavereita.")).to_be_visible()
    expect(page.get_by_role("link", name="Kirjaudu ulos")).to_have_count(0)
    axe_check(page, context="shared report")


def test_report_admin_pages_are_accessible(page, live_server, world, axe_check):
    from polku.core.tests.factories import WorkshopDayFactory

    day = WorkshopDayFactory(path=world["path"], title="Aloitus", status="closed")
    login(page, live_server, world["users"]["coordinator"].email)
    base = f"{live_server.url}/o/nuoret"
    for url, heading in [
        (f"{base}/paths/{world['path'].pk}/exports/", "Viennit"),
        (f"{base}/paths/{world['path'].pk}/share/", "Jakolinkit"),
        (f"{base}/paths/{world['path'].pk}/days/{day.pk}/summary/", "Työpajan yhteenveto: Aloitus"),
        (f"{base}/data/", "Organisaation tiedot"),
    ]:
        page.goto(url)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        axe_check(page, context=url)
    # make a share link in the UI and open it
    page.goto(f"{base}/paths/{world['path'].pk}/share/")
    page.get_by_label("Linkin nimi").fill("Hallitus")
    page.get_by_role("button", name="Tee linkki").click()
    url = page.get_by_label("Jakolinkki").input_value()
    page.goto(url)
    expect(page.get_by_role("heading", name="Kevään polku", level=1)).to_be_visible()
