"""`scripts/serve.sh` (what `make run` starts) on a port other than 8000: a coordinator invites
someone through the web page and the whole email, with a working link to this port, appears in
the terminal; the calendar feed's join link uses the same port. With POLKU_BASE_URL set, links
use that instead."""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest_live import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]

SETUP = """
from polku.core.tests.factories import MembershipFactory, PathFactory, WorkshopDayFactory
path = PathFactory(name="Puolivuotispolku")
path.organisation.name = "Nuoret Auttajat ry"
path.organisation.save()
MembershipFactory(organisation=path.organisation, user__email="koordinaattori@example.org")
WorkshopDayFactory(path=path, title="Aloitustyöpaja", join_code="PORT9X")
print(path.organisation.slug, path.calendar_token)
"""


def _env(tmp_path, **extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "POLKU_BASE_URL", "EMAIL_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        DJANGO_SETTINGS_MODULE="config.settings.local",
        SECRET_KEY="serve-script-test",
        **extra,
    )
    return env


def _serve(tmp_path, env):
    port = free_port()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    log = open(tmp_path / "terminal.log", "wb")  # noqa: SIM115 - closed by the caller
    proc = subprocess.Popen(
        ["sh", "scripts/serve.sh", "127.0.0.1", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/j/", timeout=1).read()
            break
        except OSError:
            time.sleep(0.2)
    return proc, log, base, out[-2], out[-1]


def _stop(proc, log):
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    log.close()


def _invite(base, org, email):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(url, fields, page):
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        return opener.open(request, timeout=10).read().decode()

    login = base + "/accounts/login/"
    page = opener.open(login, timeout=10).read().decode()
    post(login, {"username": "koordinaattori@example.org", "password": "pw-for-tests"}, page)
    members = f"{base}/o/{org}/members/"
    page = opener.open(members, timeout=10).read().decode()
    answer = post(members, {"email": email, "role": "viewer"}, page)
    assert f"Kutsu lähetetty osoitteeseen {email}." in answer


def _wait_for(path, text, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        content = path.read_text(errors="replace")
        if text in content:
            return content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in the terminal output:\n{path.read_text()}")


def test_make_run_on_another_port_prints_emails_with_links_to_that_port(tmp_path):
    env = _env(tmp_path)
    proc, log, base, org, calendar_token = _serve(tmp_path, env)
    try:
        _invite(base, org, "uusi@example.org")
        terminal = _wait_for(tmp_path / "terminal.log", "To: uusi@example.org")
        terminal = _wait_for(tmp_path / "terminal.log", "/invitation/")
        ics = urllib.request.urlopen(f"{base}/calendar/{calendar_token}.ics", timeout=5).read()
    finally:
        _stop(proc, log)
    email = terminal[terminal.index("From: ") :]
    assert email.splitlines()[:3] == [
        "From: Polku <polku@localhost>",
        "To: uusi@example.org",
        "Subject: Kutsu: Nuoret Auttajat ry Polussa",
    ]
    links = re.findall(r"http://\S+/invitation/\S+/", email)
    assert len(links) == 1
    assert links[0].startswith(base + "/invitation/")
    assert "=\n" not in email and "=C3" not in email  # decoded, not quoted-printable
    assert "state=SUCCESSFUL" not in terminal  # routine worker lines stay out of the way
    assert f"{base}/j/PORT9X".encode() in ics.replace(b"\r\n ", b"")


def test_polku_base_url_wins_over_the_port(tmp_path):
    env = _env(tmp_path, POLKU_BASE_URL="https://polku.example.org")
    proc, log, base, org, calendar_token = _serve(tmp_path, env)
    try:
        _invite(base, org, "toinen@example.org")
        terminal = _wait_for(tmp_path / "terminal.log", "/invitation/")
        ics = urllib.request.urlopen(f"{base}/calendar/{calendar_token}.ics", timeout=5).read()
    finally:
        _stop(proc, log)
    assert re.findall(r"https?://\S+/invitation/", terminal) == [
        "https://polku.example.org/invitation/"
    ]
    assert b"https://polku.example.org/j/PORT9X" in ics.replace(b"\r\n ", b"")
