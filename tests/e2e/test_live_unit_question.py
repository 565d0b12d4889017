"""The phone asks for the participant's unit openly when the path has units: skippable, and
remembered on the phone for the path's next workshop day only when the participant agrees."""

import sqlite3
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest_live import Server, prepare_database, server_env


@pytest.fixture
def two_days(tmp_path):
    env = server_env(f"sqlite:///{tmp_path}/db.sqlite3")
    first = prepare_database(env, code="YKSI22", activities="topics")
    # the path's second workshop day (live_room keeps the path and adds a day)
    second = prepare_database(env, code="KAKS22", activities="topics")
    server = Server(env).start()
    yield server, first, second, f"{tmp_path}/db.sqlite3"
    server.stop()


def _units_of(db, code):
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT u.name FROM live_participant p JOIN workshops_workshopday d "
                "ON d.id = p.workshop_day_id LEFT JOIN organisations_unit u ON u.id = p.unit_id "
                "WHERE d.join_code = ?", (code,)
            ).fetchall()  # fmt: skip
        if (rows and all(r[0] for r in rows)) or time.monotonic() > deadline:
            return [r[0] for r in rows]
        time.sleep(0.2)


def test_unit_is_asked_openly_and_remembered_for_the_next_day_with_consent(two_days, phone_page):
    server, first, second, db = two_days
    assert first["path"] == second["path"]
    phone_page.goto(f"{server.url}/j/YKSI22/")
    ask = phone_page.get_by_role("region", name="Mistä yksiköstä olet?")
    expect(ask).to_be_visible()  # not tucked into a closed box
    expect(phone_page.locator("details.live-profile-box")).not_to_have_attribute("open", "")
    ask.get_by_label("Yksikkösi").select_option(label="Turun osasto")
    ask.get_by_label("Muista yksikköni tällä puhelimella tämän polun muina työpajapäivinä").check()
    ask.get_by_role("button", name="Tallenna").click()
    expect(ask).to_be_hidden()
    assert _units_of(db, "YKSI22") == ["Turun osasto"]
    expect(phone_page.get_by_label("Yksikkösi", exact=True).last).to_have_value(
        phone_page.locator("#live-unit option", has_text="Turun osasto").get_attribute("value")
    )

    # the next workshop day of the same path: no question, the unit is already given
    phone_page.goto(f"{server.url}/j/KAKS22/")
    phone_page.wait_for_selector(".live-conn--online")
    assert _units_of(db, "KAKS22") == ["Turun osasto"]
    expect(phone_page.get_by_role("region", name="Mistä yksiköstä olet?")).to_be_hidden()


def test_unit_question_can_be_skipped_and_nothing_is_remembered_without_consent(two_days, browser):
    server, _first, _second, db = two_days
    ctx = browser.new_context(locale="fi-FI", viewport={"width": 390, "height": 844})
    phone = ctx.new_page()
    phone.goto(f"{server.url}/j/YKSI22/")
    ask = phone.get_by_role("region", name="Mistä yksiköstä olet?")
    ask.get_by_role("button", name="Ohita").click()
    expect(ask).to_be_hidden()
    phone.reload()
    phone.wait_for_selector(".live-conn--online")
    expect(ask).to_be_hidden()  # skipped for this day
    # on the next day it is asked again; answered without the tick, a third visit asks again
    phone.goto(f"{server.url}/j/KAKS22/")
    ask = phone.get_by_role("region", name="Mistä yksiköstä olet?")
    expect(ask).to_be_visible()
    ask.get_by_label("Yksikkösi").select_option(label="Oulun osasto")
    ask.get_by_role("button", name="Tallenna").click()
    expect(ask).to_be_hidden()
    assert _units_of(db, "KAKS22") == ["Oulun osasto"]
    assert (
        phone.evaluate(
            "() => Object.keys(localStorage).filter(k => k.startsWith('polku-unit-path-'))"
        )
        == []
    )
    ctx.close()
