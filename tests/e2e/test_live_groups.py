"""Remote and hybrid workshops with small groups, in a real browser against a real server:

* a remote participant on a 1366×768 laptop sees the revealed dot vote in the page's screen
  pane, with no projector page open anywhere;
* the facilitator splits 12 phones into 3 groups by unit (3 phones in Chromium, 9 speaking the
  same protocol from this process), each group fills its own canvas, the group phase ends and
  the three canvases come back to the plenary — and to the path as experiments — with their
  group names;
* a report-back spotlight walks three teams in turn on the laptop, a participant says "we want
  to try this" and the copy page offers that participant's unit.
"""

import asyncio
import os
import re
import sqlite3
import subprocess
import threading
import time

import pytest
from playwright.sync_api import expect

from polku.live.simclient import Phone
from tests.e2e.conftest_live import PY, ROOT, Server, prepare_database, server_env

UNITS = ["Oulun osasto", "Tampereen osasto", "Turun osasto"]  # the live_room command's, by name


class Loop:
    """An event loop in its own thread for the simulated phones: they stay connected while the
    browser test goes on (Playwright's sync API owns this thread's loop)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout=60.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def live(tmp_path):
    started = []

    def start(code, activities, setup=""):
        env = server_env(f"sqlite:///{tmp_path}/db.sqlite3")
        room = prepare_database(env, code=code, activities=activities)
        if setup:
            subprocess.run([PY, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env, check=True)
        server = Server(env).start()
        started.append(server)
        room["db"] = f"{tmp_path}/db.sqlite3"
        return server, room

    yield start
    for server in started:
        server.stop()


def _shot(page, name, **kwargs):
    """Screenshots for a person to look at: only when POLKU_E2E_SHOTS names a folder."""
    folder = os.environ.get("POLKU_E2E_SHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), **kwargs)


def _console(page, server, room):
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Sähköposti").fill("live-facilitator@polku.example")
    page.get_by_label("Salasana").fill("polku-live")
    page.get_by_role("button", name="Kirjaudu").click()
    page.wait_for_load_state()
    page.goto(f"{server.url}/o/{room['org']}/paths/{room['path']}/days/{room['day']}/live/")
    page.wait_for_selector(".console__slot")
    return page


def _unit_ids(db):
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT name, id FROM organisations_unit"))


def _join(page, server, code, *, unit=None):
    page.goto(f"{server.url}/j/{code}/")
    page.wait_for_selector(".live-conn--online")
    if unit:
        ask = page.get_by_role("region", name="Mistä yksiköstä olet?")  # asked when joining
        ask.get_by_label("Yksikkösi").select_option(label=unit)
        ask.get_by_role("button", name="Tallenna").click()
        page.get_by_text("Lähetetty. Kiitos!").wait_for()


REMOTE_DAY = """
from polku.workshops.models import WorkshopDay
WorkshopDay.objects.filter(join_code="REMOT2").update(mode="remote")
"""


def test_remote_laptop_sees_the_revealed_dot_vote_without_a_projector(live, page, browser):
    server, room = live("REMOT2", "topics,dot_vote", setup=REMOTE_DAY)
    console = _console(page, server, room)
    laptop_ctx = browser.new_context(locale="fi-FI", viewport={"width": 1366, "height": 768})
    laptop = laptop_ctx.new_page()
    _join(laptop, server, "REMOT2")
    # where they take part, if they say so: counted on the console
    laptop.get_by_text("Nimesi ja yksikkösi (vapaaehtoinen)").click()
    laptop.get_by_label("etänä").check()
    laptop.locator("#live-profile").get_by_role("button", name="Tallenna").click()
    expect(console.locator("p.console__where")).to_have_text(
        "Paikan päällä: 0 · Etänä: 1 · Ei kertonut: 0"
    )
    laptop.reload()
    laptop.wait_for_selector(".live-conn--online")
    expect(laptop.get_by_label("etänä")).to_be_checked()  # the answer comes back with "me"
    mirror = laptop.locator("#live-screen")
    expect(mirror).to_be_visible()  # beside the input on a laptop, no tab needed
    expect(laptop.get_by_role("tab", name="Näytä valkokangas")).to_be_hidden()

    console.locator(".console__slot").nth(0).get_by_role("button", name="Aloita").click()
    for text in ("Uusien jäsenten perehdytys", "Somen vuorolista"):
        laptop.get_by_label("Aiheesi tai kysymyksesi").fill(text)
        laptop.get_by_role("button", name="Lähetä").click()
        laptop.get_by_text("Lähetetty. Kiitos!").wait_for()
    mirror.locator(".wall-card", has_text="Somen vuorolista").wait_for()

    console.locator(".console__slot").nth(1).get_by_role("button", name="Aloita").click()
    laptop.locator(".live-main").get_by_role("button", name="Lisää piste").first.click()
    laptop.locator(".live-main").get_by_role("button", name="Lisää piste").first.click()
    laptop.locator(".live-dots strong", has_text="3").wait_for()
    mirror.get_by_text("Tulokset näytetään, kun fasilitaattori paljastaa ne.").wait_for()
    assert mirror.locator(".bar").count() == 0  # hidden until revealed, on this screen too
    console.locator(".console__slot").nth(1).get_by_role("button", name="Näytä tulokset").click()
    bar = mirror.locator(".bar", has_text="Uusien jäsenten perehdytys")
    bar.wait_for()
    assert bar.locator(".bar__n").inner_text() == "2"
    assert mirror.locator(".bar").count() == 2
    _shot(laptop, "laptop-dot-vote")
    laptop_ctx.close()


def test_twelve_phones_in_three_unit_groups_fill_canvases_that_come_back_as_experiments(
    live, page, browser, axe_check
):
    server, room = live("GROUP3", "experiment_canvas")
    units = _unit_ids(room["db"])
    console = _console(page, server, room)
    phones = []
    for unit in UNITS:  # one Chromium phone per group, 390×844
        ctx = browser.new_context(locale="fi-FI", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)  # fmt: skip
        phone = ctx.new_page()
        _join(phone, server, "GROUP3", unit=unit)
        phones.append(phone)

    async def nine_more():
        sims = [Phone(server.ws, "GROUP3", unit=units[u], name=f"{u[:4]} {i}")
                for u in UNITS for i in range(3)]  # fmt: skip
        for sim in sims:
            await sim.start()
        return sims

    loop = Loop()
    sims = loop.run(nine_more())
    console.locator(".console__slot").nth(0).get_by_role("button", name="Muokkaa").click()
    expect(console.locator("#work-h")).to_contain_text("experiment_canvas")
    console.locator("h3", has_text="Osallistujia yhteydessä: 12").wait_for()
    console.get_by_role("button", name="Jaa ryhmiin").click()
    expect(console.locator(".group-tile")).to_have_count(3)
    assert console.locator(".group-tile__name").all_inner_texts() == [
        f"{u} Pöytä {i}" for i, u in enumerate(UNITS, start=1)
    ]
    assert console.locator(".group-tile__stats").first.inner_text().startswith("Jäsenet: 4")
    console.locator(".console__slot").nth(0).get_by_role("button", name="Aloita").click()

    for phone, unit in zip(phones, UNITS, strict=True):
        phone.get_by_role("heading", name=f"Ryhmäsi: {unit}").wait_for()
        expect(phone.locator("details.canvas")).to_have_attribute("open", "")  # starts open
        phone.get_by_label("Uusi teksti: Otsikko").fill(f"Kaveri-ilta ({unit})")
        phone.locator(".canvas-field__form").first.get_by_role("button", name="Tallenna").click()
        phone.get_by_text("Lähetetty. Kiitos!").wait_for()

    async def members_write():
        # one more member of each group adds what they will try, on the revision they see
        for sim, unit in zip(sims[::3], UNITS, strict=True):
            for _ in range(100):
                snap = sim.last_snapshot or {}
                groups = (snap.get("data") or {}).get("groups") or []
                if groups and groups[0]["f"]["title"]["v"]:
                    break
                await asyncio.sleep(0.05)
            canvas = groups[0]
            await sim.input(room["slots"]["experiment_canvas"], "edit", {
                "item": canvas["id"], "field": "what_we_try", "rev": canvas["f"]["what_we_try"]["r"],
                "value": f"Jokainen tuo kaverin ({unit})",
            })  # fmt: skip
            assert await sim.wait_acked(10)

    loop.run(members_write())
    tile = console.locator(".group-tile", has_text="Turun osasto")
    tile.locator(".canvas-card__title", has_text="Kaveri-ilta (Turun osasto)").wait_for()
    tile.get_by_text("Jokainen tuo kaverin (Turun osasto)").wait_for()
    _shot(console, "console-grid", full_page=True)
    _shot(phones[1], "phone-in-group", full_page=True)
    axe_check(console, context="facilitator's grid of groups")
    axe_check(phones[0], context="phone in a group")

    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name="Päätä ryhmävaihe").click()
    for phone in phones:
        phone.get_by_text("Mitä kukin ryhmä sai aikaan").wait_for()
        for unit in UNITS:
            result = phone.locator(".group-result", has_text=unit)
            expect(result.locator(".canvas-card__title")).to_have_text(f"Kaveri-ilta ({unit})")
    _shot(phones[0], "phone-groups-back", full_page=True)

    deadline = time.monotonic() + 15
    rows = []
    while time.monotonic() < deadline and len(rows) < 3:
        with sqlite3.connect(room["db"]) as conn:
            rows = conn.execute(
                "SELECT e.title, e.who, e.what_we_try, u.name FROM experiments_experiment e "
                "JOIN organisations_unit u ON u.id = e.unit_id ORDER BY u.name"
            ).fetchall()
        time.sleep(0.2)
    assert rows == [(f"Kaveri-ilta ({u})", u, f"Jokainen tuo kaverin ({u})", u) for u in UNITS]

    async def stop_all():
        await asyncio.gather(*(sim.stop() for sim in sims))

    loop.run(stop_all(), timeout=30)
    loop.close()
    for phone in phones:
        phone.context.close()


SETUP_REPORT_BACK = """
import datetime as dt
from polku.experiments.models import CheckIn, Experiment
from polku.organisations.models import Unit
from polku.paths.models import Path
path = Path.objects.get(name="Live-polku")
units = {u.name: u for u in Unit.objects.filter(organisation=path.organisation)}
for n, (title, unit, did) in enumerate([
    ("Kaveri-ilta", "Oulun osasto", "Kolme iltaa, 14 uutta nuorta"),
    ("Somevuorot", "Tampereen osasto", "Vuorolista, 40 julkaisua"),
    ("Mentorit", "Turun osasto", "Viisi mentoriparia"),
]):
    e = Experiment.objects.create(path=path, unit=units[unit], title=title, status="running")
    CheckIn.objects.create(experiment=e, slot=dt.date(2026, 10, 1 + n), what_we_did=did)
"""


def test_report_back_spotlight_walks_three_teams_and_feeds_the_copy_flow(live, page, browser):
    server, room = live("KUULU3", "report_back", setup=SETUP_REPORT_BACK)
    console = _console(page, server, room)
    ctx = browser.new_context(locale="fi-FI", viewport={"width": 1366, "height": 768})
    laptop = ctx.new_page()
    _join(laptop, server, "KUULU3", unit="Turun osasto")
    console.locator(".console__slot").nth(0).get_by_role("button", name="Aloita").click()
    console.locator(".console__slot").nth(0).get_by_role("button", name="Muokkaa").click()
    mirror = laptop.locator("#live-screen")
    main = laptop.locator(".live-main")
    # the gallery's order: by unit
    for n, (title, did) in enumerate([("Kaveri-ilta", "Kolme iltaa, 14 uutta nuorta"),
                                      ("Somevuorot", "Vuorolista, 40 julkaisua"),
                                      ("Mentorit", "Viisi mentoriparia")], start=1):  # fmt: skip
        console.get_by_role("button", name="Seuraava tiimi").click()
        stage = mirror.locator(".rb-stage")
        expect(stage.locator(".rb-stage__title")).to_have_text(title)
        expect(stage.locator(".rb-stage__turn")).to_contain_text(f"Tiimi {n} / 3")
        expect(stage).to_contain_text(did)
        expect(stage.locator(".rb-stage__timer")).to_have_text(re.compile(r"^[23]:[0-5][0-9]$"))
        expect(main.locator(".rb-card--spot")).to_contain_text(did)
        expect(main.locator(".rb-gallery")).to_be_hidden()  # one card at a time
        if title == "Kaveri-ilta":
            want = main.locator(".rb-card--spot").get_by_role(
                "button", name="Haluamme kokeilla tätä"
            )
            want.click()
            expect(want).to_have_attribute("aria-pressed", "true")
            expect(want).to_contain_text("1")
            expect(stage).to_contain_text("Haluamme kokeilla tätä: 1")
    _shot(laptop, "laptop-spotlight")
    console.get_by_role("button", name="Seuraava tiimi").click()
    console.get_by_text("Kaikki tiimit ovat jo esitelleet.").wait_for()
    console.locator(".console__slot").nth(0).get_by_role("button", name="Sulje").click()

    with sqlite3.connect(room["db"]) as conn:
        kaveri = conn.execute(
            "SELECT id FROM experiments_experiment WHERE title='Kaveri-ilta'"
        ).fetchone()[0]
    url = f"{server.url}/o/{room['org']}/paths/{room['path']}/experiments/{kaveri}/"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        console.goto(url)
        if console.get_by_text("Halukkaita kokeilemaan").count():
            break
        time.sleep(0.3)
    expect(console.locator(".exp-interest")).to_contain_text("Turun osasto: 1 henkilö")
    console.get_by_role("link", name="Kopioi yksikköön Turun osasto").click()
    expect(console.get_by_label("Mihin yksikköön?")).to_have_value(
        str(_unit_ids(room["db"])["Turun osasto"])
    )
    ctx.close()
