"""Staff sign in through their organisation's identity provider: a real OpenID Connect
provider (django-oidc-provider, tests/oidc_idp) runs in a second process; Polku runs with the
OIDC_* settings an admin would set. An account the provider vouches for but Polku does not
know gets no access; password log-in stays."""

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest_live import ROOT, Server, free_port, prepare_database, server_env

CLIENT_ID, CLIENT_SECRET = "polku-test-client", "polku-test-secret-0123456789"


@pytest.fixture
def identity_provider(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "tests.oidc_idp.settings",
        "IDP_DATABASE": str(tmp_path / "idp.sqlite3"),
        "PYTHONPATH": str(ROOT),
    }
    polku_port = free_port()
    redirect = f"http://127.0.0.1:{polku_port}/oidc/callback/"
    done = subprocess.run(
        [sys.executable, "tests/oidc_idp/setup.py", redirect, CLIENT_ID, CLIENT_SECRET],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/.well-known/openid-configuration", timeout=1).read()
            break
        except OSError:
            if time.monotonic() > end or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the identity provider did not start") from None
            time.sleep(0.2)
    yield base, polku_port
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def polku_with_oidc(tmp_path, identity_provider):
    idp, port = identity_provider
    env = server_env(
        f"sqlite:///{tmp_path}/polku.sqlite3",
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_AUTHORIZATION_ENDPOINT=f"{idp}/authorize/",
        OIDC_TOKEN_ENDPOINT=f"{idp}/token/",
        OIDC_USERINFO_ENDPOINT=f"{idp}/userinfo/",
        OIDC_JWKS_ENDPOINT=f"{idp}/jwks/",
        OIDC_LABEL="Kuntatunnus",
    )
    prepare_database(env, code="OIDC22", activities="topics")  # live-facilitator@polku.example
    server = Server(env, port=port).start()
    yield server
    server.stop()


def _provider_sign_in(page, username: str, password: str) -> None:
    expect(page.get_by_role("heading", name="Organisation sign-in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_staff_sign_in_through_the_identity_provider(polku_with_oidc, page):
    base = polku_with_oidc.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Kirjaudu: Kuntatunnus").click()
    _provider_sign_in(page, "facilitator", "idp-pass-1")
    # back in Polku, signed in as the matching account (emails match case-insensitively),
    # on the home page of its one organisation
    expect(page).to_have_url(f"{base}/o/live-room/")
    expect(page.get_by_role("heading", name="Live Room ry")).to_be_visible()


def test_unknown_account_gets_no_access_and_password_log_in_stays(polku_with_oidc, page):
    base = polku_with_oidc.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Kirjaudu: Kuntatunnus").click()
    _provider_sign_in(page, "outsider", "idp-pass-2")
    expect(page).to_have_url(f"{base}/accounts/login/?sso=failed")
    expect(page.get_by_role("alert")).to_have_text(
        "Organisaatiotunnustasi ei ole liitetty Polku-tunnukseen. Pyydä fasilitaattorilta tai "
        "koordinaattorilta kutsu kyseisen tunnuksen sähköpostiosoitteeseen."
    )
    page.goto(f"{base}/o/live-room/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=/o/live-room/")
    # small organisations without a provider: the password still works
    page.get_by_label("Sähköposti").fill("live-facilitator@polku.example")
    page.get_by_label("Salasana").fill("polku-live")
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page.get_by_role("heading", name="Live Room ry")).to_be_visible()
