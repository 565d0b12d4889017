"""Every presenter view fits the projector: 1280×720 and 1920×1080, with a day's worth of
content (30 long topics, 40 grouped cards, 8 and 20 topics in the circle of influence, 30 items
to vote on, 6 and 12 canvases, 8 report-back cards, …). The document never scrolls; what does
not fit one screen is paged ("1/3" in the corner) and every item is on some page.

Screenshots for a person to look at: POLKU_E2E_SHOTS=/some/folder.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess

import pytest

from polku.live.simclient import Phone
from tests.e2e.conftest_live import PY, ROOT, Server, prepare_database, server_env

SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}

LONG = [
    "Miten perehdytämme uudet vapaaehtoiset niin, että he jäävät toimintaan mukaan myös ensimmäisen vuoden jälkeen?",
    "Nuorten osallistaminen päätöksentekoon yhdistyksen hallituksessa ja toimikunnissa",
    "Viestintä jäsenille: mikä kanava tavoittaa ne, jotka eivät lue sähköpostia lainkaan?",
    "Kokousten aikataulut sopimaan myös vuorotyötä tekeville ja lapsiperheille",
    "Varainhankinta ilman, että samat kolme ihmistä tekevät kaiken joka vuosi uudestaan",
    "Somen vuorolista ja kuvien käyttöluvat tapahtumissa",
    "Osastojen välinen yhteistyö: yhteiset tapahtumat ja tilojen jakaminen",
    "Jaksaminen: kuinka vältämme aktiivien uupumisen syksyn kiireissä?",
    "Ruotsinkielisten jäsenten palvelu ja kaksikielinen materiaali",
    "Uusien jäsenten kummitoiminta ja tervetulotilaisuudet kerran kuussa",
    "Tapahtumien esteettömyys: tilat, induktiosilmukka ja selkokieli",
    "Hallituksen työnjako ja tehtävien kirjaaminen yhteiseen paikkaan",
]
WORDS = ["yhteisö", "kiire", "innostus", "jaksaminen", "yhdessä", "uudet", "kahvi", "some",
         "luottamus", "vapaaehtoiset", "raha", "aika", "ilo", "nuoret", "kokous", "tilat"]  # fmt: skip


def long_text(n: int) -> str:
    return f"{LONG[n % len(LONG)]} ({n + 1})"


SLOTS = [  # (key, activity type, title, config)
    ("topics", "topics", "Asiat, joihin voimme itse vaikuttaa", {"max_per_person": 50}),
    ("what_works", "what_works", "Mikä jo toimii meillä ja muualla", {"max_per_person": 50}),
    ("open_question", "open_question", "Mitä toivot ensi vuodelta?", {"max_per_person": 50}),
    ("influence8", "influence", "Vaikutusympyrä", {"items": [long_text(i) for i in range(8)]}),
    (
        "influence20",
        "influence",
        "Vaikutusympyrä (20 aihetta)",
        {"items": [long_text(i) for i in range(20)]},
    ),
    (
        "dot_vote",
        "dot_vote",
        "Pisteäänestys: mikä ensin?",
        {"items": [long_text(i) for i in range(30)], "dots": 30, "max_per_item": 30},
    ),
    ("ranking", "ranking", "Järjestä tärkeimmät", {"items": [long_text(i) for i in range(12)]}),
    (
        "poll",
        "poll",
        "Kuinka usein osastosi kokoontuu?",
        {
            "options": [
                "Viikoittain",
                "Kahden viikon välein",
                "Kuukausittain",
                "Muutaman kerran vuodessa",
                "Harvemmin",
                "En tiedä",
            ]
        },
    ),
    ("scale", "scale", "Kuinka hyvin uudet jäsenet löytävät paikkansa?", {"low": 0, "high": 10}),
    ("word_cloud", "word_cloud", "Yksi sana syksystä", {"max_per_person": 50}),
    ("canvas6", "experiment_canvas", "Kokeilut (6 ryhmää)", {"grouping": "none"}),
    ("canvas12", "experiment_canvas", "Kokeilut (12 ryhmää)", {"grouping": "none"}),
    ("report_back", "report_back", "Kuulumiset", {}),
    ("groups", "topics", "Pienryhmät: mitä voisimme kokeilla?", {}),  # the group phase (last)
    ("decide", "decide", "Jatketaanko?", {}),
]

SETUP = """
import json
from polku.experiments.models import CheckIn, Experiment
from polku.organisations.models import Unit
from polku.paths.models import Path
from polku.workshops.models import AgendaSlot, WorkshopDay
slots = json.loads(SLOTS)
day = WorkshopDay.objects.get(join_code=CODE)
day.agenda_slots.all().delete()
out = {}
for i, (key, kind, title, config) in enumerate(slots):
    out[key] = AgendaSlot.objects.create(
        workshop_day=day, position=i, title=title, activity_type=kind, config=config).pk
path = day.path
units = list(Unit.objects.filter(organisation=path.organisation).order_by("name"))
import datetime as dt
for n in range(8):
    e = Experiment.objects.create(
        path=path, unit=units[n % len(units)], status="running",
        title=LONG[n][:60], what_we_try=LONG[(n + 3) % len(LONG)])
    CheckIn.objects.create(experiment=e, slot=dt.date(2026, 10, 1 + n),
                           what_we_did=LONG[(n + 5) % len(LONG)])
print(json.dumps(out))
"""

CANVAS_FIELDS = {
    "title": "Kaveri-ilta uusille jäsenille",
    "what_we_try": "Jokainen aktiivi tuo yhden uuden ihmisen kuukauden kaveri-iltaan, ja ilta "
    "päättyy yhteiseen suunnitteluun seuraavasta tapahtumasta.",
    "who": "Nuorisotoimikunta ja kaksi hallituksen jäsentä",
    "first_step_on": "2027-01-15",
    "duration_weeks": "12",
}


@pytest.fixture(scope="module")
def projector(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fit")
    env = server_env(f"sqlite:///{tmp}/db.sqlite3")
    room = prepare_database(env, code="SCREEN", activities="topics")
    script = f"CODE={room['code']!r}\nSLOTS={json.dumps(SLOTS)!r}\nLONG={LONG!r}\n" + SETUP
    out = subprocess.run([PY, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    room["slots"] = json.loads(out.strip().splitlines()[-1])
    server = Server(env).start()
    loop = asyncio.new_event_loop()
    import threading

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coro, timeout=120):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    staff = Phone(server.ws, room["code"], path=f"console/?k={room['console_key']}")
    run(staff.start())
    run(_fill(staff, room["slots"], server))
    yield server, room, staff, run
    run(staff.stop())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    server.stop()


_ids = itertools.count(1)


async def _mod(staff, slot, action, data):
    cid = f"m{next(_ids)}"
    frame = {"t": "moderate", "id": cid, "slot": slot, "action": action, "data": data}
    staff.outbox[cid] = frame
    await staff._send(frame)
    assert await staff.wait_acked(20), staff.errors


async def _console_data(staff, slot, check):
    await staff._send({"t": "select", "slot": slot})
    for _ in range(200):
        snap = staff.last_snapshot or {}
        if (snap.get("activity") or {}).get("slot") == slot and check(snap.get("data") or {}):
            return snap["data"]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no console snapshot of slot {slot}: {staff.last_snapshot}")


async def _fill(staff, slots, server):
    async def ok():
        assert await staff.wait_acked(30), staff.errors

    async def open_(key):
        await staff.control(slots[key], "open")
        await ok()

    await open_("topics")
    for n in range(30):
        await staff.input(slots["topics"], "card", {"text": long_text(n)})
    await ok()
    await open_("what_works")
    for n in range(40):
        await staff.input(slots["what_works"], "card", {"text": long_text(n)[:90]})
    await ok()
    themes = ["Perehdytys", "Viestintä", "Jaksaminen", "Talous", "Yhteistyö", "Nuoret"]
    for name in themes:
        await _mod(staff, slots["what_works"], "theme_add", {"name": name})
    data = await _console_data(
        staff, slots["what_works"], lambda d: len(d.get("cards") or []) >= 40
    )
    ids = [c["id"] for c in data["cards"]]
    for n, card in enumerate(ids[:34]):
        await _mod(staff, slots["what_works"], "group", {"card": card, "theme": f"t{1 + n % 6}"})
    await open_("open_question")
    for n in range(40):
        await staff.input(slots["open_question"], "card", {"text": long_text(n)})
    await ok()
    voters = [Phone(server.ws, "SCREEN", name=f"Osallistuja {i}") for i in range(6)]
    for v in voters:
        await v.start()

    async def each(frames):  # every phone at once, each within its rate limit (8 a second)
        async def one(i, v):
            for slot, kind, data in frames(i):
                await v.input(slot, kind, data)
                await asyncio.sleep(0.13)
            assert await v.wait_acked(30), v.errors
            assert v.errors == [], v.errors

        await asyncio.gather(*(one(i, v) for i, v in enumerate(voters)))

    zones = ("decide", "influence", "out")
    for key, count in (("influence8", 8), ("influence20", 20)):
        await open_(key)
        await each(lambda i, key=key, count=count: [
            (slots[key], "place", {"item": f"c{n}", "zone": zones[(n * n + i) % 3 if i < 4 else 0]})
            for n in range(count)])  # fmt: skip
        await staff.control(slots[key], "reveal")
    await open_("dot_vote")
    await each(lambda i: [(slots["dot_vote"], "vote", {"item": f"c{n}", "delta": 1})
                          for n in range(30) if (n * 7 + i) % 5 < 2 + i % 3])  # fmt: skip
    await staff.control(slots["dot_vote"], "reveal")
    await open_("ranking")
    await each(lambda i: [(slots["ranking"], "rank",
                           {f"c{(i * 2 + r) % 12}": r + 1 for r in range(3)})])  # fmt: skip
    await staff.control(slots["ranking"], "reveal")
    await open_("poll")
    await each(lambda i: [(slots["poll"], "answer", {"choice": f"o{(i * i) % 6}"})])
    await staff.control(slots["poll"], "reveal")
    await open_("scale")
    await each(lambda i: [(slots["scale"], "rate", {"value": 3 + i})])
    await staff.control(slots["scale"], "reveal")
    await open_("word_cloud")
    await each(lambda i: [(slots["word_cloud"], "word", {"text": WORDS[(n * 3 + i) % len(WORDS)]})
                          for n in range(10)])  # fmt: skip
    await staff.control(slots["word_cloud"], "reveal")
    for v in voters:
        assert await v.wait_acked(30), v.errors
        await v.stop()
    # the report-back's cards are made when it opens: before the canvases become experiments
    await open_("report_back")
    await open_("decide")
    for key, count in (("canvas6", 6), ("canvas12", 12)):
        await open_(key)
        for g in range(count):
            await _mod(staff, slots[key], "add_group", {"text": f"Ryhmä {g + 1}: {LONG[g][:40]}"})
        for g in range(count):
            for field, value in CANVAS_FIELDS.items():
                await staff.input(slots[key], "edit",
                                  {"item": f"g{g + 1}", "field": field, "rev": 0, "value": value})  # fmt: skip
        await ok()


VIEWS = [key for key, *_ in SLOTS if key != "groups"] + ["report_back_focus"]


def _show(staff, run, room, key):
    slots = room["slots"]

    async def go():
        if key == "report_back_focus":
            await staff.control(slots["report_back"], "show")
            await _mod(staff, slots["report_back"], "spotlight", {"minutes": 3})
        else:
            await staff.control(slots[key], "show")
        assert await staff.wait_acked(20), staff.errors

    run(go())


FIT = """() => {
  const doc = document.scrollingElement;
  const stage = document.querySelector('[data-fit-stage]');
  const out = [];
  for (const el of document.querySelectorAll('#live-view *, .screen__join *')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;  // not shown (hidden, another page)
    if (r.bottom > innerHeight + 1 || r.right > innerWidth + 1 || r.left < -1 || r.top < -1)
      out.push(el.className + ' ' + (el.textContent || '').slice(0, 40) + ' ' + JSON.stringify(r));
  }
  return {sh: doc.scrollHeight, sw: doc.scrollWidth, h: innerHeight, w: innerWidth,
          pages: +stage.dataset.pages, page: +stage.dataset.page, outside: out.slice(0, 5)};
}"""

ITEMS = """() => Array.from(document.querySelectorAll('#live-view [data-list]'))
  .filter(l => !l.closest('[data-item-id]') && !l.closest('[hidden]'))
  .flatMap(l => Array.from(l.children).filter(c => c.dataset.itemId !== undefined))
  .map(c => ({id: c.dataset.itemId, shown: c.getBoundingClientRect().height > 0}))"""


def _check_fits(browser, server, room, *, title: str, size: str, shot: str) -> dict:
    """Open the projector page at `size`, wait for `title`, assert nothing scrolls and every
    list item is on exactly one page; returns the first page's measurements."""
    width, height = SIZES[size]
    context = browser.new_context(locale="fi-FI", viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{server.url}/accounts/login/")
        page.get_by_label("Sähköposti").fill("live-facilitator@polku.example")
        page.get_by_label("Salasana").fill("polku-live")
        page.get_by_role("button", name="Kirjaudu").click()
        page.wait_for_load_state()
        page.goto(
            f"{server.url}/o/{room['org']}/paths/{room['path']}/days/{room['day']}/live/screen/"
        )
        page.wait_for_selector(".live-conn--online")
        page.locator(".screen__title, .groups-gallery__title", has_text=title).first.wait_for()
        page.locator("[data-fit-stage][data-fit='done']").wait_for()  # no fit still to come
        state = page.evaluate(FIT)
        shots = os.environ.get("POLKU_E2E_SHOTS")
        if shots:
            page.screenshot(path=os.path.join(shots, f"w9b-{shot}-{size}.png"))
        assert (state["sh"], state["sw"]) == (state["h"], state["w"]), state
        assert state["outside"] == [], state
        # every item is on exactly one page: turning the pages by hand shows each of them
        seen: dict[str, int] = {}
        for k in range(state["pages"]):
            if k:
                page.keyboard.press("ArrowRight")
                page.locator(f"[data-fit-stage][data-page='{k + 1}']").wait_for()
                again = page.evaluate(FIT)
                assert again["outside"] == [], again
                assert (again["sh"], again["sw"]) == (height, width), again
                if shots:
                    page.screenshot(path=os.path.join(shots, f"w9b-{shot}-{size}-p{k + 1}.png"))
            for item in page.evaluate(ITEMS):
                if item["shown"]:
                    seen[item["id"]] = seen.get(item["id"], 0) + 1
        every = {item["id"] for item in page.evaluate(ITEMS)}
        assert set(seen) == every, (seen, every)
        assert set(seen.values()) <= {1}, seen
        if state["pages"] > 1:
            pager = " ".join(page.locator("[data-pager]").inner_text().split())
            assert pager == f"Sivu {state['pages']}/{state['pages']}"
        return state
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("view", VIEWS)
def test_presenter_view_fits_the_projector_without_scrolling(projector, browser, view, size):
    server, room, staff, run = projector
    _show(staff, run, room, view)
    title = {k: t for k, _kind, t, _c in SLOTS}.get(view, "Kuulumiset")
    _check_fits(browser, server, room, title=title, size=size, shot=view)


GROUPS_TITLE = "Pienryhmät: mitä voisimme kokeilla?"
GROUP_NAMES = [f"Pöytä {n + 1}: {LONG[n][:50]}" for n in range(12)]


def test_group_phase_views_fit_the_projector(projector, browser):
    """The projector's overview of 12 groups during a phase (with its timer), then the
    side-by-side gallery of what each group made, at both sizes."""
    server, room, staff, run = projector
    slot = room["slots"]["groups"]

    async def start():
        await staff.group("split", {"method": "choice", "names": GROUP_NAMES}, slot=slot)
        assert await staff.wait_acked(20), staff.errors
        await staff.control(slot, "open")
        await staff.control(slot, "follow")  # the projector was held on earlier views
        await staff.group("timer", {"seconds": 600})
        assert await staff.wait_acked(20), staff.errors

    run(start())
    for size in SIZES:
        _check_fits(browser, server, room, title=GROUPS_TITLE, size=size, shot="groups")

    async def end():
        await staff.group("end", {})
        assert await staff.wait_acked(20), staff.errors

    run(end())
    for size in SIZES:
        _check_fits(browser, server, room, title=GROUPS_TITLE, size=size, shot="gallery")
