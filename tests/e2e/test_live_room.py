"""A phone-sized page joins by code, submits a topic and votes while the presenter screen
shows the change; the facilitator runs the agenda from the console."""

import pytest

from tests.e2e.conftest_live import Server, prepare_database, server_env


@pytest.fixture
def live_room(tmp_path):
    env = server_env(f"sqlite:///{tmp_path}/db.sqlite3")
    room = prepare_database(env, code="PHONE2", activities="topics,dot_vote")
    server = Server(env).start()
    yield server, room
    server.stop()


def _login(page, base):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Sähköposti").fill("live-facilitator@polku.example")
    page.get_by_label("Salasana").fill("polku-live")
    page.get_by_role("button", name="Kirjaudu").click()
    page.wait_for_load_state()


def test_phone_joins_by_code_submits_topic_and_votes_while_screen_updates(
    live_room, page, phone_page, axe_check
):
    server, room = live_room
    base = server.url
    console_url = f"{base}/o/{room['org']}/paths/{room['path']}/days/{room['day']}/live/"
    _login(page, base)
    page.goto(console_url)
    page.wait_for_selector(".console__slot")
    screen = page.context.new_page()
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(console_url + "screen/")
    screen.wait_for_selector(".live-conn--online")
    assert screen.locator(".screen__code").inner_text() == "PHONE2"
    assert screen.locator(".screen__qr svg").count() == 1

    # the phone types the code on /j/
    phone_page.goto(f"{base}/j/")
    phone_page.get_by_label("Työpajan koodi").fill("phone2")
    phone_page.get_by_role("button", name="Liity").click()
    phone_page.wait_for_selector(".live-conn--online")
    assert phone_page.get_by_role("heading", name="Tervetuloa!").is_visible()
    axe_check(phone_page, context="participant waiting page")

    page.locator(".console__slot").nth(0).get_by_role("button", name="Aloita").click()
    phone_page.get_by_label("Aiheesi tai kysymyksesi").fill("Miten <b>perehdytämme</b> uudet?")
    phone_page.get_by_role("button", name="Lähetä").click()
    phone_page.get_by_text("Lähetetty. Kiitos!").wait_for()
    screen.locator(".wall-card", has_text="Miten <b>perehdytämme</b> uudet?").wait_for()
    assert screen.locator(".wall-card b").count() == 0  # shown as text, never as HTML
    axe_check(phone_page, context="participant topics")

    # half-typed text survives incoming snapshots and the next activity starting
    phone_page.get_by_label("Aiheesi tai kysymyksesi").fill("Puolikas aja")
    page.locator(".console__slot").nth(1).get_by_role("button", name="Aloita").click()
    phone_page.get_by_role("button", name="Lisää piste").first.wait_for()
    phone_page.get_by_role("button", name="Lisää piste").first.click()
    phone_page.get_by_role("button", name="Lisää piste").first.click()
    phone_page.locator(".live-dots strong", has_text="3").wait_for()
    screen.locator("[data-bind='data.dots']", has_text="2").wait_for()
    assert screen.locator(".bar").count() == 0  # hidden until the facilitator reveals
    page.locator(".console__slot").nth(1).get_by_role("button", name="Näytä tulokset").click()
    screen.locator(".bar", has_text="Miten <b>perehdytämme</b> uudet?").wait_for()
    assert screen.locator(".bar__n").first.inner_text() == "2"

    axe_check(screen, context="presenter screen with results")
    page.locator(".console__slot").nth(0).get_by_role("button", name="Muokkaa").click()
    page.locator(".mod-card").first.wait_for()
    axe_check(page, context="facilitator console moderating topics")
    # the projector goes back to the topics; the phones stay on the vote
    page.locator(".console__slot").nth(0).get_by_role(
        "button", name="Näytä vain valkokankaalla"
    ).click()
    screen.locator(".wall-card", has_text="Miten <b>perehdytämme</b> uudet?").wait_for()
    page.locator(".console__where", has_text="pidetty valkokankaalla").wait_for()
    assert phone_page.get_by_role("button", name="Lisää piste").first.is_visible()
    # the topics are put back on the phones: the half-typed text is still there
    page.locator(".console__slot").nth(0).get_by_role("button", name="Palauta puhelimiin").click()
    phone_page.get_by_label("Aiheesi tai kysymyksesi").wait_for()
    assert phone_page.get_by_label("Aiheesi tai kysymyksesi").input_value() == "Puolikas aja"
    assert page.locator(".console__slot").nth(1).locator(".badge").first.inner_text() == "päättynyt"


def test_unknown_code_shows_friendly_finnish_page(live_room, phone_page):
    server, _room = live_room
    response = phone_page.goto(f"{server.url}/j/ZZZZ99/")
    assert response.status == 404
    assert phone_page.get_by_text("Koodilla ZZZZ99 ei löytynyt työpajaa.").is_visible()


def test_phone_without_websockets_falls_back_to_sse_and_post(live_room, page, phone_page):
    server, room = live_room
    base = server.url
    _login(page, base)
    page.goto(f"{base}/o/{room['org']}/paths/{room['path']}/days/{room['day']}/live/")
    page.locator(".console__slot").nth(0).get_by_role("button", name="Aloita").click()
    # ?transport=sse is what live.js switches to after three websocket attempts that never open
    phone_page.goto(f"{base}/j/PHONE2/?transport=sse")
    phone_page.get_by_label("Aiheesi tai kysymyksesi").wait_for(timeout=30_000)
    phone_page.get_by_label("Aiheesi tai kysymyksesi").fill("Ilman websocketia")
    phone_page.get_by_role("button", name="Lähetä").click()
    phone_page.get_by_text("Lähetetty. Kiitos!").wait_for()
    page.locator(".mod-card", has_text="Ilman websocketia").wait_for()


def test_phone_gets_its_cookie_with_the_handshake_and_reconnects_with_jittered_backoff(
    tmp_path, phone_page
):
    """The join page sets no cookie; the websocket handshake does. When the server goes away
    the phone's retries wait a random 0.25 s … min(30 s, 2.5 s × 2^n) (Math.random pinned
    here to its top), and it is back by itself when the server returns."""
    env = server_env(f"sqlite:///{tmp_path}/db.sqlite3")
    room = prepare_database(env, code="JITTR2", activities="topics")
    server = Server(env).start()
    try:
        phone_page.add_init_script(
            """Math.random = () => 0.999; window.__retries = [];
            const setTimeout0 = window.setTimeout;
            window.setTimeout = function (fn, ms, ...rest) {
              if (fn && fn.name === "connect") window.__retries.push(ms);
              return setTimeout0.call(this, fn, ms, ...rest);
            };"""
        )
        response = phone_page.goto(f"{server.url}/j/{room['code']}/")
        assert "set-cookie" not in response.headers
        phone_page.wait_for_selector(".live-conn--online")
        cookies = {c["name"]: c for c in phone_page.context.cookies()}
        cookie = cookies["polku_p_JITTR2"]
        assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Lax")
        server.kill()
        phone_page.wait_for_selector(".live-conn--offline")
        for _ in range(200):  # (wait_for_function would need 'unsafe-eval' under our CSP)
            if phone_page.evaluate("() => window.__retries.length") >= 2:
                break
            phone_page.wait_for_timeout(100)
        first, second = phone_page.evaluate("window.__retries.slice(0, 2)")
        assert round(first) == round(250 + 0.999 * (2500 - 250))
        assert round(second) == round(250 + 0.999 * (5000 - 250))
        server.start()
        phone_page.wait_for_selector(".live-conn--online", timeout=30_000)
        assert {c["name"]: c["value"] for c in phone_page.context.cookies()}[
            "polku_p_JITTR2"
        ] == cookie["value"]  # the same participant after the reconnect
    finally:
        server.stop()
