"""A whole kick-off in Finnish, in Chromium against a real server, as issue 9's "Done means"
asks: 8 phones (2 Chromium phones at 390×844, 6 speaking the same protocol from this process),
the projector at 1920×1080 and then 1280×720, topics → circle of influence → what works → dot
vote → experiment canvases, and the day ended from the console's "Päätä työpaja" without
closing any activity by hand (starting the next activity closes the one before; the end-day
page lists the canvas still open and saves it). The workshop summary lists the topics, the
vote result and the experiments, word for word. The console's "connected per unit" list has
exactly one row per unit after all those updates (issue 9, item 6).
"""

import asyncio

from playwright.sync_api import expect

from polku.live.simclient import Phone
from tests.e2e import test_live_groups
from tests.e2e.test_live_groups import Loop, _console, _shot, _unit_ids

live = test_live_groups.live  # the fixture: a server on a temporary SQLite file

CODE = "ALKU08"
ACTIVITIES = "topics,influence,what_works,dot_vote,experiment_canvas"
TITLES = {
    "topics": "Kysymykset, joihin voimme vaikuttaa",
    "influence": "Vaikutusympyrä",
    "what_works": "Mikä jo toimii",
    "dot_vote": "Priorisointi",
    "experiment_canvas": "Kokeilujen suunnittelu",
}
SETUP = "from polku.workshops.models import AgendaSlot\n" + "".join(
    f"AgendaSlot.objects.filter(activity_type={key!r}).update(title={title!r})\n"
    for key, title in TITLES.items()
)
BROWSER_TOPICS = ["Uusien jäsenten perehdytys", "Somen vuorolista"]
SIM_TOPICS = ["Kokousten pituus", "Nuorten illat"]


def _phone(browser, server):
    ctx = browser.new_context(locale="fi-FI", viewport={"width": 390, "height": 844},
                              is_mobile=True, has_touch=True)  # fmt: skip
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    page.goto(f"{server.url}/j/{CODE}/")
    page.wait_for_selector(".live-conn--online")
    return page


async def _items(sim, slot, key="items", timeout=20.0):
    """The items of activity `slot` in the simulated phone's newest snapshot."""
    for _ in range(int(timeout / 0.05)):
        snap = sim.last_snapshot or {}
        items = (snap.get("data") or {}).get(key) or []
        if (snap.get("activity") or {}).get("slot") == slot and items:
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {key} of slot {slot} on the phone")


def _start(console, key):
    row = console.locator(".console__slot", has_text=TITLES[key])
    row.get_by_role("button", name="Aloita").click()
    expect(console.locator("#work-h")).to_contain_text(TITLES[key])


def test_a_whole_kickoff_with_eight_phones_ends_in_a_summary_that_kept_everything(
    live, page, browser
):
    server, room = live(CODE, ACTIVITIES, setup=SETUP)
    slots, units = room["slots"], _unit_ids(room["db"])
    console = _console(page, server, room)
    projector = console.context.new_page()
    projector.set_viewport_size({"width": 1920, "height": 1080})
    projector.goto(
        f"{server.url}/o/{room['org']}/paths/{room['path']}/days/{room['day']}/live/screen/"
    )
    aino, eetu = _phone(browser, server), _phone(browser, server)
    sim_units = ["Oulun osasto"] * 3 + ["Turun osasto"] * 3

    async def six_more():
        sims = [Phone(server.ws, CODE, unit=units[u], name=f"Sim {i}")
                for i, u in enumerate(sim_units)]  # fmt: skip
        for sim in sims:
            await sim.start()
        return sims

    loop = Loop()
    sims = loop.run(six_more())
    console.locator("h3", has_text="Osallistujia yhteydessä: 8").wait_for()

    # 1. Topics: every phone may send; the projector shows the wall.
    _start(console, "topics")
    for phone, text in zip((aino, eetu), BROWSER_TOPICS, strict=True):
        phone.get_by_label("Aiheesi tai kysymyksesi").fill(text)
        phone.get_by_role("button", name="Lähetä").click()
        phone.get_by_text("Lähetetty. Kiitos!").wait_for()

    async def sim_topics():
        for sim, text in zip(sims, SIM_TOPICS, strict=False):
            await sim.input(slots["topics"], "card", {"text": text})
        assert all([await sim.wait_acked(20) for sim in sims])

    loop.run(sim_topics())
    for text in BROWSER_TOPICS + SIM_TOPICS:
        projector.locator(".wall-card", has_text=text).wait_for()
    _shot(projector, "kickoff-topics-1920")

    # 2. Circle of influence (starting it closes and saves the topics).
    _start(console, "influence")
    for phone in (aino, eetu):
        for text in BROWSER_TOPICS + SIM_TOPICS:
            row = phone.locator(".vote-list li", has_text=text)
            row.get_by_role("button", name="Päätämme itse").click()
            expect(row.get_by_role("button", name="Päätämme itse")).to_have_attribute(
                "aria-pressed", "true"
            )

    async def sim_influence():
        for sim in sims:
            for item in await _items(sim, slots["influence"]):
                await sim.input(
                    slots["influence"], "place", {"item": item["id"], "zone": "influence"}
                )
        assert all([await sim.wait_acked(20) for sim in sims])

    loop.run(sim_influence())

    # 3. What works.
    _start(console, "what_works")
    aino.get_by_label("Mikä jo toimii?").fill("Kahvitarjoilu kokouksissa")
    aino.get_by_role("button", name="Lähetä").click()
    aino.get_by_text("Lähetetty. Kiitos!").wait_for()

    async def sim_what_works():
        await sims[0].input(
            slots["what_works"], "card", {"text": "Mentorit", "unit": units["Oulun osasto"]}
        )
        assert await sims[0].wait_acked(20)

    loop.run(sim_what_works())
    projector.locator(".wall-card", has_text="Mentorit").wait_for()

    # 4. Dot vote on the topics, revealed on the projector at 1280×720.
    _start(console, "dot_vote")
    perehdytys = aino.locator(".vote-item", has_text="Uusien jäsenten perehdytys")
    for _ in range(3):
        perehdytys.get_by_role("button", name="Lisää piste").click()
    expect(perehdytys.locator(".vote-item__mine")).to_have_text("3")
    eetu_row = eetu.locator(".vote-item", has_text="Uusien jäsenten perehdytys")
    for _ in range(2):
        eetu_row.get_by_role("button", name="Lisää piste").click()
    expect(eetu_row.locator(".vote-item__mine")).to_have_text("2")

    async def sim_votes():
        for sim in sims:
            items = {i["text"]: i["id"] for i in await _items(sim, slots["dot_vote"])}
            await sim.input(
                slots["dot_vote"], "vote", {"item": items["Somen vuorolista"], "delta": 1}
            )
        await sims[0].input(slots["dot_vote"], "vote", {"item": items["Nuorten illat"], "delta": 1})
        assert all([await sim.wait_acked(20) for sim in sims])

    loop.run(sim_votes())
    projector.set_viewport_size({"width": 1280, "height": 720})
    console.locator(".console__slot", has_text=TITLES["dot_vote"]).get_by_role(
        "button", name="Näytä tulokset"
    ).click()
    bar = projector.locator(".bar", has_text="Somen vuorolista")
    expect(bar.locator(".bar__n")).to_have_text("6")
    expect(
        projector.locator(".bar", has_text="Uusien jäsenten perehdytys").locator(".bar__n")
    ).to_have_text("5")
    _shot(projector, "kickoff-vote-1280")

    # 5. Canvases: the two Chromium phones are Oulu's group, three simulated phones Turku's.
    _start(console, "experiment_canvas")
    for phone in (aino, eetu):
        phone.get_by_role("button", name="Oulun osasto").click()
        phone.get_by_text("Ryhmäsi: Oulun osasto").wait_for()
        phone.locator("details.canvas", has_text="Oulun osasto").locator("summary").click()
    aino.get_by_label("Uusi teksti: Otsikko").fill("Kaveri-ilta")
    aino.locator(".canvas-field__form").first.get_by_role("button", name="Tallenna").click()
    aino.get_by_text("Lähetetty. Kiitos!").wait_for()
    eetu.get_by_label("Uusi teksti: Mitä kokeilemme").fill("Jokainen tuo kaverin")
    eetu.get_by_label("Uusi teksti: Mitä kokeilemme").locator("xpath=..").get_by_role(
        "button", name="Tallenna"
    ).click()
    eetu.get_by_text("Lähetetty. Kiitos!").wait_for()

    async def turku_canvas():
        turku = sims[3:]
        for sim in turku:
            await sim.input(slots["experiment_canvas"], "join",
                            {"unit": units["Turun osasto"], "name": "Turun osasto"})  # fmt: skip
        assert all([await sim.wait_acked(20) for sim in turku])
        gid = f"u{units['Turun osasto']}"
        await turku[0].input(slots["experiment_canvas"], "edit", {
            "item": gid, "field": "title", "rev": 0, "base": "", "value": "Somevuorot",
        })  # fmt: skip
        await turku[1].input(slots["experiment_canvas"], "edit", {
            "item": gid, "field": "what_we_try", "rev": 0, "base": "",
            "value": "Vuorolista kaikille",
        })  # fmt: skip
        assert all([await sim.wait_acked(20) for sim in turku])

    loop.run(turku_canvas())
    projector.locator(".canvas-card__title", has_text="Somevuorot").wait_for()
    projector.set_viewport_size({"width": 1920, "height": 1080})
    projector.locator(".canvas-card__title", has_text="Kaveri-ilta").wait_for()
    _shot(projector, "kickoff-canvases-1920")

    # Many updates later, one row per unit (issue 9, item 6), the most first, then by unit id.
    units_list = console.locator(".console__units > li")
    expect(units_list).to_have_count(3)
    assert units_list.all_inner_texts() == [
        "Turun osasto: 3", "Oulun osasto: 3", "yksikkö ei tiedossa: 2",
    ]  # fmt: skip

    # 6. End the day: the page lists the canvas still open; confirming saves it.
    console.get_by_role("link", name="Päätä työpaja").click()
    expect(console.locator(".day-end__open li")).to_have_text(
        [f"{TITLES['experiment_canvas']} · Suunnitellaan kokeilut"]
    )
    console.get_by_role("button", name="Tallenna kaikki ja päätä työpaja").click()
    console.wait_for_url("**/summary/")
    _shot(console, "kickoff-summary", full_page=True)

    topics = console.locator("section[aria-labelledby='sum-topics'] li")
    expect(topics).to_have_text(BROWSER_TOPICS + SIM_TOPICS)
    influence = console.locator("section[aria-labelledby='sum-influence'] tbody tr")
    assert [r.locator("td").all_inner_texts() for r in influence.all()] == [
        [text, "2", "6", "0"] for text in BROWSER_TOPICS + SIM_TOPICS
    ]
    expect(console.locator("section[aria-labelledby='sum-what_works'] li")).to_have_text(
        ["Kahvitarjoilu kokouksissa", "Mentorit"]
    )
    votes = console.locator("section[aria-labelledby='sum-votes']")
    expect(votes.locator("h3")).to_have_text([TITLES["dot_vote"]])
    assert [r.locator("td").all_inner_texts() for r in votes.locator("tbody tr").all()] == [
        ["Somen vuorolista", "6"],
        ["Uusien jäsenten perehdytys", "5"],
        ["Nuorten illat", "1"],
        ["Kokousten pituus", "0"],
    ]
    experiments = console.locator("section[aria-labelledby='sum-experiments']")
    expect(experiments.locator("h3")).to_have_text(
        ["Kaveri-ilta · Oulun osasto", "Somevuorot · Turun osasto"]
    )
    expect(experiments.locator("p")).to_have_text(["Jokainen tuo kaverin", "Vuorolista kaikille"])

    async def stop_all():
        await asyncio.gather(*(sim.stop() for sim in sims))

    loop.run(stop_all(), timeout=30)
    loop.close()
    for phone in (aino, eetu):
        phone.context.close()
