"""Experiments between workshops, as people do them: the facilitator emails a check-in link,
the branch answers on a phone without an account, another branch copies a successful
experiment, and everybody reads the path's roll-up. Runs on the demo data (350 / 45)."""

import asyncio
import json
import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from playwright.sync_api import expect

from polku.core.demo import (
    COORDINATOR_EMAIL,
    DEMO_PASSWORD,
    FACILITATOR_EMAIL,
    UNIT_CONTACT_EMAIL,
    load_demo,
)
from polku.experiments.models import CheckIn, Experiment
from polku.paths.models import Path
from tests.e2e.conftest import login
from tests.e2e.conftest_live import Server, prepare_database, server_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    load_demo()
    path = Path.objects.get(organisation__slug="nuoret-auttajat")
    return path


def exp_url(live_server, path, experiment=None, tail=""):
    base = f"{live_server.url}/o/nuoret-auttajat/paths/{path.pk}/experiments/"
    return base + (f"{experiment.pk}/" if experiment else "") + tail


def test_checkin_by_emailed_link_on_phone_adopt_and_rollup(
    demo, page, phone_page, live_server, axe_check
):
    path = demo
    kuopio = Experiment.objects.get(path=path, unit__name="Kuopion osasto")
    mail.outbox.clear()

    # The facilitator sends Kuopio's team a check-in link from the experiment page.
    login(page, live_server, FACILITATOR_EMAIL, DEMO_PASSWORD)
    page.goto(exp_url(live_server, path, kuopio))
    page.get_by_role(
        "button", name="Lähetä kuulumislinkki nyt osoitteeseen kuopio@nuoretauttajat.example"
    ).click()
    expect(
        page.get_by_text("Kuulumislinkki lähetettiin osoitteeseen kuopio@nuoretauttajat.example.")
    ).to_be_visible()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Kuulumiset: miten Kaveri mukaan -ilta sujuu?"
    link = re.search(r"(http://\S+/c/\S+/)", mail.outbox[0].body).group(1)
    link = link.replace("http://127.0.0.1:8000", live_server.url)

    # The branch answers on a phone, no account.
    phone_page.goto(link)
    expect(phone_page.get_by_role("heading", name="Miten menee?")).to_be_visible()
    phone_page.get_by_label("uusia nuoria tavoitettu (nuorta)").fill("-4")
    phone_page.get_by_label("Mitä teimme?").fill("Ensimmäinen kaveri-ilta Kuopiossa")
    phone_page.get_by_role("button", name="Lähetä kuulumiset").click()
    expect(phone_page.get_by_text("Luku ei voi olla negatiivinen.")).to_be_visible()
    assert CheckIn.objects.filter(experiment=kuopio).count() == 0
    expect(phone_page.get_by_label("Mitä teimme?")).to_have_value(
        "Ensimmäinen kaveri-ilta Kuopiossa"
    )
    axe_check(phone_page, context="check-in form with an error")
    phone_page.get_by_label("uusia nuoria tavoitettu (nuorta)").fill("12")
    phone_page.get_by_label("jäi mukaan vapaaehtoiseksi (nuorta)").fill("3")
    phone_page.get_by_label("Mikä auttoi?").fill("Tampereen vinkit")
    phone_page.get_by_role("button", name="Lähetä kuulumiset").click()
    expect(phone_page.get_by_role("heading", name="Kiitos!")).to_be_visible()
    # The same link again: a clear page, nothing written.
    phone_page.goto(link)
    expect(
        phone_page.get_by_role("heading", name="Tämä kuulumisviesti on jo vastaanotettu")
    ).to_be_visible()
    assert CheckIn.objects.filter(experiment=kuopio).count() == 1

    # Tampere's unit contact copies Espoo's school tour into Tampere.
    espoo = Experiment.objects.get(path=path, unit__name="Espoon osasto")
    contact = page.context.browser.new_context(
        locale="fi-FI", viewport={"width": 390, "height": 844}
    )
    cpage = contact.new_page()
    login(cpage, live_server, UNIT_CONTACT_EMAIL, DEMO_PASSWORD)
    cpage.goto(exp_url(live_server, path, espoo))
    cpage.get_by_role("link", name="Kopioi omaan yksikköön").click()
    cpage.get_by_label("Mihin yksikköön?").select_option(label="Tampereen osasto")
    cpage.get_by_role("button", name="Kopioi", exact=True).click()
    expect(cpage.get_by_text("Kopioitu yksikköön Tampereen osasto.")).to_be_visible()
    expect(
        cpage.get_by_role("link", name="Koulukiertue yläkouluihin (Espoon osasto)")
    ).to_be_visible()
    contact.close()
    copy = Experiment.objects.get(adopted_from=espoo)
    assert copy.unit.name == "Tampereen osasto"
    assert mail.outbox[-1].to == ["espoo@nuoretauttajat.example"]
    assert mail.outbox[-1].subject == "Tampereen osasto kopioi kokeilunne"

    # The coordinator reads the roll-up: 350 + 12 reached, 45 + 3 stayed, Kuopio in the breakdown.
    board = page.context.browser.new_context(
        locale="fi-FI", viewport={"width": 1280, "height": 900}
    )
    rpage = board.new_page()
    login(rpage, live_server, COORDINATOR_EMAIL, DEMO_PASSWORD)
    rpage.goto(exp_url(live_server, path, tail="results/"))
    expect(rpage.locator('[data-measure="uusia nuoria tavoitettu"]')).to_have_text("362")
    expect(rpage.locator('[data-measure="jäi mukaan vapaaehtoiseksi"]')).to_have_text("48")
    reached_table = rpage.get_by_role("region", name="uusia nuoria tavoitettu")
    expect(reached_table.get_by_role("row", name="Kuopion osasto 12 50")).to_be_visible()
    axe_check(rpage, context="results")
    rpage.goto(f"{live_server.url}/o/nuoret-auttajat/paths/{path.pk}/")
    expect(rpage.locator('[data-measure="uusia nuoria tavoitettu"]')).to_have_text("362")
    board.close()


def _staff(server, room, action):
    from polku.live.simclient import Phone

    async def go():
        staff = Phone(server.ws, room["code"], path=f"console/?k={room['console_key']}")
        await staff.start()
        await staff.control(room["slots"]["experiment_canvas"], action)
        assert await staff.wait_acked(10)
        await staff.stop()

    # Playwright's sync API owns this thread's event loop: run the console client in another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, go()).result(timeout=30)


def test_two_phones_design_experiments_in_the_live_room(tmp_path, browser):
    """The room splits by unit; two phones each fill their unit's canvas; the facilitator
    closes the activity and the canvases are experiments of the path."""
    env = server_env(f"sqlite:///{tmp_path}/db.sqlite3")
    room = prepare_database(env, code="KOKEI2", activities="experiment_canvas")
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        db.execute(
            "UPDATE workshops_agendaslot SET config = ? WHERE id = ?",
            (json.dumps({"grouping": "unit", "measures": ["uusia nuoria tavoitettu"]}),
             room["slots"]["experiment_canvas"]),
        )  # fmt: skip
    server = Server(env).start()
    contexts = []
    try:
        _staff(server, room, "open")
        plans = [
            ("Tampereen osasto", "Kaveri mukaan -ilta", "50"),
            ("Oulun osasto", "Somehaaste", "30"),
        ]
        for unit, title, target in plans:
            ctx = browser.new_context(
                locale="fi-FI",
                viewport={"width": 390, "height": 844},
                is_mobile=True,
                has_touch=True,
            )
            contexts.append(ctx)
            phone = ctx.new_page()
            phone.goto(f"{server.url}/j/{room['code']}/")
            phone.get_by_role("button", name=unit).click()
            expect(phone.locator(".canvas-mine")).to_contain_text(unit)
            canvas = phone.locator("details.canvas", has=phone.locator("summary", has_text=unit))
            canvas.locator("summary").click()
            title_box = canvas.get_by_label("Uusi teksti: Otsikko")
            title_box.fill(title)
            canvas.locator(
                ".canvas-field", has=phone.get_by_label("Uusi teksti: Otsikko")
            ).get_by_role("button", name="Tallenna").click()
            expect(canvas.locator(".canvas-field__value").first).to_have_text(title)
            measure = canvas.locator(".canvas-measures li").first
            measure.get_by_label("Tavoite").fill(target)
            measure.get_by_role("button", name="Tallenna").click()
            expect(measure.locator("strong")).to_have_text(target)
        _staff(server, room, "close")
        rows: list = []
        for _ in range(50):
            with sqlite3.connect(tmp_path / "db.sqlite3") as db:
                rows = db.execute(
                    "SELECT e.title, u.name, m.target FROM experiments_experiment e "
                    "JOIN organisations_unit u ON u.id = e.unit_id "
                    "JOIN experiments_measure m ON m.experiment_id = e.id ORDER BY u.name"
                ).fetchall()
            if len(rows) == 2:
                break
            time.sleep(0.2)
        assert [(t, u, int(float(x))) for t, u, x in rows] == [
            ("Somehaaste", "Oulun osasto", 30),
            ("Kaveri mukaan -ilta", "Tampereen osasto", 50),
        ]
    finally:
        for ctx in contexts:
            ctx.close()
        server.stop()
