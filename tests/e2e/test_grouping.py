"""Grouping suggestions as a facilitator uses them: 30 phones send Finnish topics, the
facilitator asks for suggestions, accepts two groups (one renamed) and the screen shows them."""

import asyncio

import pytest

from polku.live.simclient import Phone
from tests.e2e.conftest_live import Server, prepare_database, run_async, server_env

TOPICS = [
    # uudet jäsenet
    "Uusille jäsenille oma kummi", "Kummi jokaiselle uudelle jäsenelle", "Perehdytys uusille jäsenille",
    "Uudet jäsenet jää yksin, joku vastaanottaa", "Tervetuloilta uusille jäsenille", "kummitoiminta uusille",
    # some
    "Somevastaava jokaiseen osastoon", "jokaiseen osastoon oma somevastaava", "Instagram-tili aktiiviseksi",
    "TikTok-videoita toiminnasta", "Somekanavat nuorten käsiin", "Kuvia tapahtumista someen",
    # raha
    "Rahaa retkiin myyjäisillä", "Sponsorit paikallisilta yrityksiltä", "Avustushakemukset kunnalle ajoissa",
    "Arpajaiset retkirahaston hyväksi", "Varainhankinta", "Kirpputoripöytä osaston kassaan",
    # tilat
    "Oma kokoontumistila osastolle", "Nuorisotalon tilat iltaisin käyttöön", "Tilavaraukset yhteen kalenteriin",
    "Varasto tarvikkeille", "Kerhohuone ilmaiseksi seurakunnalta", "Tilat liian kaukana bussipysäkiltä",
    # jaksaminen
    "Kiitetään vapaaehtoisia useammin", "Vapaaehtoisten jaksaminen", "Tehtävät pienempiin paloihin",
    "Vetovastuu vuorotellen ettei kukaan väsy", "Kiitosjuhla vapaaehtoisille", "Lupa sanoa ei",
]  # fmt: skip


@pytest.fixture
def grouping_room(tmp_path):
    env = server_env(f"sqlite:///{tmp_path}/db.sqlite3")
    room = prepare_database(env, code="RYHMA2", activities="topics,dot_vote")
    server = Server(env).start()
    yield server, room
    server.stop()


def _login(page, base):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Sähköposti").fill("live-facilitator@polku.example")
    page.get_by_label("Salasana").fill("polku-live")
    page.get_by_role("button", name="Kirjaudu").click()
    page.wait_for_load_state()


async def _phones_send(server: Server, room: dict, texts: list[str]) -> None:
    phones = [Phone(server.ws, room["code"], name=f"p{i}") for i in range(len(texts))]
    await asyncio.gather(*(p.start() for p in phones))
    for phone, text in zip(phones, texts, strict=True):
        await phone.input(room["slots"]["topics"], "card", {"text": text})
    assert all(await asyncio.gather(*(p.wait_acked(30) for p in phones)))
    for p in phones:
        await p.stop()


def test_facilitator_accepts_two_suggested_groups_renames_one_and_the_screen_shows_them(
    grouping_room, page, phone_page, axe_check
):
    server, room = grouping_room
    base = server.url
    console_url = f"{base}/o/{room['org']}/paths/{room['path']}/days/{room['day']}/live/"
    _login(page, base)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(console_url)
    page.locator(".console__slot").nth(0).get_by_role("button", name="Aloita").click()
    screen = page.context.new_page()
    screen.set_viewport_size({"width": 1280, "height": 720})
    screen.goto(console_url + "screen/")
    screen.wait_for_selector(".live-conn--online")

    # one phone in a real browser, 29 more speaking the same protocol
    phone_page.goto(f"{base}/j/RYHMA2/")
    phone_page.get_by_label("Aiheesi tai kysymyksesi").fill(TOPICS[0])
    phone_page.get_by_role("button", name="Lähetä").click()
    phone_page.get_by_text("Lähetetty. Kiitos!").wait_for()
    run_async(_phones_send(server, room, TOPICS[1:]))
    screen.locator("[data-bind='data.count']", has_text="30").wait_for()

    page.locator(".console__slot").nth(0).get_by_role("button", name="Muokkaa").click()
    page.get_by_role("button", name="Ehdota ryhmiä").click()
    page.locator(".suggest-group").first.wait_for(timeout=20_000)
    page.get_by_text("Ehdotukset ovat valmiina.").wait_for()
    axe_check(page, context="console with grouping suggestions")
    assert screen.locator(".wall-theme").count() == 0  # nothing changes before accepting
    groups = page.locator(".suggest-group")
    assert groups.count() >= 3
    first_cards = groups.nth(0).locator(".suggest-card__text").all_inner_texts()
    second_name = groups.nth(1).locator("[data-s-name]").input_value()
    assert second_name  # a name from the cards' own words
    second_cards = groups.nth(1).locator(".suggest-card__text").all_inner_texts()

    groups.nth(0).locator("[data-s-name]").fill("Meidän ryhmä")
    groups.nth(0).get_by_role("button", name="Hyväksy ryhmä").click()
    page.get_by_text("Hyväksytty.").wait_for()
    page.locator(".suggest-group").first.get_by_role("button", name="Hyväksy ryhmä").click()

    screen.locator(".wall-theme__name", has_text="Meidän ryhmä").wait_for()
    screen.locator(".wall-theme__name", has_text=second_name).wait_for()
    names = screen.locator(".wall-theme__name > span:first-child").all_inner_texts()
    assert names == ["Meidän ryhmä", second_name]
    counts = screen.locator(".wall-theme__n").all_inner_texts()
    assert counts == [str(len(first_cards)), str(len(second_cards))]
    page.locator(".mod-col h3", has_text="Meidän ryhmä").wait_for()
    axe_check(screen, context="presenter with accepted groups")
    fits = screen.evaluate(
        "() => document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth"
    )
    assert fits, "the presenter view must fit 1280×720 without scrolling"

    # accepting is undoable: the second group's cards go back to "not grouped"
    theme_col = page.locator(".mod-col").filter(
        has=page.locator("h3 > span:first-child", has_text=second_name)
    )
    theme_col.get_by_role("button", name="Peru hyväksytyt ryhmät").click()
    screen.locator(".wall-theme__name", has_text=second_name).wait_for(state="detached")
    assert screen.locator(".wall-theme__name > span:first-child").all_inner_texts() == [
        "Meidän ryhmä"
    ]
