"""The smoke walk through nginx over https, on the installed site (two instances, PostgreSQL,
Redis, worker, scheduler): the facilitator logs in and opens the follow-up workshop of the demo
path, 20 phones join and answer the poll, the projector shows the result, a unit answers its
check-in by the emailed magic link, and the impact PDF downloads."""

import re

import psycopg
from playwright.sync_api import expect

from tests.prod.site import PG, link_in

FACILITATOR = "fasilitaattori@polku.example"
PASSWORD = "polku-demo"
PHONES = 20
CHOICES = ["Kyllä"] * 12 + ["Ei"] * 8


def _demo_ids(site) -> dict:
    with psycopg.connect(f"{PG}/{site.database}") as conn:
        path, day, code = conn.execute(
            "SELECT p.id, d.id, d.join_code FROM workshops_workshopday d"
            " JOIN paths_path p ON p.id = d.path_id"
            " JOIN organisations_organisation o ON o.id = p.organisation_id"
            " WHERE o.slug = 'nuoret-auttajat' AND d.title = 'Seurantatyöpaja'"
        ).fetchone()
        experiment = conn.execute(
            "SELECT e.id FROM experiments_experiment e JOIN organisations_unit u"
            " ON u.id = e.unit_id WHERE e.path_id = %s AND u.name = 'Kuopion osasto'",
            [path],
        ).fetchone()[0]
        checkins = conn.execute(
            "SELECT count(*) FROM experiments_checkin WHERE experiment_id = %s", [experiment]
        ).fetchone()[0]
    return {"path": path, "day": day, "code": code, "experiment": experiment, "checkins": checkins}


def _metric_sum(site, name: str) -> float:
    total = 0.0
    for index in range(len(site.web_ports)):
        _, _, body = site.request(
            site.instance_url(index) + "/metrics", headers={"Host": "localhost"}
        )
        for line in body.decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
    return total


def _metric(site, index: int, name: str) -> float:
    _, _, body = site.request(site.instance_url(index) + "/metrics", headers={"Host": "localhost"})
    match = re.search(rf"^{re.escape(name)} (\S+)$", body.decode(), re.M)
    assert match, name
    return float(match.group(1))


def test_smoke_walk_through_nginx_over_https(site, context_factory):
    ids = _demo_ids(site)
    base = site.url
    inputs_before = _metric_sum(site, "polku_live_inputs_total")

    # the facilitator logs in (password log-in) and opens the workshop for participants
    staff = context_factory(viewport={"width": 1280, "height": 900}).new_page()
    staff.goto(f"{base}/accounts/login/")
    staff.get_by_label("Sähköposti").fill(FACILITATOR)
    staff.get_by_label("Salasana").fill(PASSWORD)
    staff.get_by_role("button", name="Kirjaudu").click()
    expect(staff).not_to_have_url(re.compile(r"/accounts/login/"))
    console_url = f"{base}/o/nuoret-auttajat/paths/{ids['path']}/days/{ids['day']}/live/"
    staff.goto(console_url)
    staff.get_by_role("button", name="Avaa työpaja osallistujille").click()
    staff.wait_for_selector(".console__slot")
    expect(staff.locator("#live-conn.live-conn--online")).to_be_attached()

    screen = staff.context.new_page()  # the projector, a second window of the facilitator
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(console_url + "screen/")
    screen.wait_for_selector(".live-conn--online")
    assert screen.locator(".screen__code").inner_text() == ids["code"]

    staff.locator(".console__slot").nth(0).get_by_role("button", name="Aloita").click()

    # 20 phones join through the proxy (websockets over TLS) and answer the poll
    phones = []
    for _ in range(PHONES):
        phone = context_factory(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        ).new_page()
        phone.goto(f"{base}/j/{ids['code']}/")
        phones.append(phone)
    for phone, choice in zip(phones, CHOICES, strict=True):
        phone.wait_for_selector(".live-conn--online")
        phone.get_by_label(choice, exact=True).check()
        phone.get_by_role("button", name="Vastaa").click()
    for phone, choice in zip(phones, CHOICES, strict=True):
        expect(phone.get_by_text("Vastauksesi:")).to_be_visible()
        expect(phone.locator("[data-bind='me.answer']")).to_have_text(choice)

    # the projector counts 20 answers, then shows the result when revealed
    expect(screen.locator("[data-bind='data.n']")).to_have_text(str(PHONES))
    staff.locator(".console__slot").nth(0).get_by_role("button", name="Näytä tulokset").click()
    expect(screen.locator(".bar", has_text="Kyllä").locator(".bar__n")).to_have_text("12")
    expect(screen.locator(".bar", has_text="Ei").first.locator(".bar__n")).to_have_text("8")

    # both instances carried phones; the metrics count all 20 and their 20 answers
    per_instance = [_metric(site, i, 'polku_live_connections{audience="phone"}') for i in (0, 1)]
    assert sum(per_instance) == PHONES
    assert all(count > 0 for count in per_instance), per_instance  # least_conn spread them
    assert [_metric(site, i, "polku_live_phones_all_instances") for i in (0, 1)] == [PHONES] * 2
    assert _metric_sum(site, "polku_live_inputs_total") - inputs_before == PHONES
    for phone in phones:
        phone.context.close()

    # a check-in by the emailed magic link, on a phone, no account
    sent_before = len(site.mailbox.messages)
    staff.goto(f"{base}/o/nuoret-auttajat/paths/{ids['path']}/experiments/{ids['experiment']}/")
    staff.get_by_role(
        "button", name="Lähetä kuulumislinkki nyt osoitteeseen kuopio@nuoretauttajat.example"
    ).click()
    message = site.mailbox.wait_for("kuopio@nuoretauttajat.example", after=sent_before)
    assert message["Subject"] == "Kuulumiset: miten Kaveri mukaan -ilta sujuu?"
    link = link_in(message)
    assert link.startswith(f"{base}/c/")  # links use POLKU_BASE_URL
    checkin = context_factory(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    checkin.goto(link)
    expect(checkin.get_by_role("heading", name="Miten menee?")).to_be_visible()
    checkin.get_by_label("uusia nuoria tavoitettu (nuorta)").fill("12")
    checkin.get_by_label("jäi mukaan vapaaehtoiseksi (nuorta)").fill("3")
    checkin.get_by_label("Mitä teimme?").fill("Kaveri-ilta tuotantopalvelimella")
    checkin.get_by_role("button", name="Lähetä kuulumiset").click()
    expect(checkin.get_by_role("heading", name="Kiitos!")).to_be_visible()
    assert _demo_ids(site)["checkins"] == ids["checkins"] + 1

    # the impact PDF, made by the worker, downloads through the proxy
    staff.goto(f"{base}/o/nuoret-auttajat/paths/{ids['path']}/")
    staff.get_by_role("link", name="Tilannekuva").click()
    staff.get_by_role("link", name="Vaikuttavuusraportti (PDF)").click()
    staff.get_by_label("Raportin kieli").select_option("fi")
    staff.get_by_role("button", name="Tee PDF").click()
    download_link = staff.get_by_role("link", name="Lataa PDF")
    expect(download_link).to_be_visible(timeout=60_000)
    with staff.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == f"vaikuttavuusraportti-{ids['path']}-fi.pdf"
    with open(download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"

    # nothing answered 500, and the access log never wrote the magic link's token
    token = link.rstrip("/").rsplit("/", 1)[1]
    access = (site.work / "nginx" / "access.log").read_text()
    assert "/c/[redacted]/" in access
    assert token not in access
    assert not re.search(r'" 5\d\d ', access), [x for x in access.splitlines() if '" 5' in x]
    for process in site.processes:
        assert token not in process.output(), process.name
