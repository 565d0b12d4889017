"""Log-in throttling (address, account, django-axes per account+address) and the password
reset by email."""

import re

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from polku.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "Sähköpostiosoite tai salasana on väärin."


def _user(email="maija@example.org", password="oikea-salasana-42"):
    user = UserFactory(email=email)
    user.set_password(password)
    user.save()
    return user


def _login(client, password, email="maija@example.org"):
    return client.post(LOGIN, {"username": email, "password": password})


def test_five_wrong_passwords_lock_the_account_from_that_address_only():
    _user()
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    statuses = [_login(attacker, f"arvaus-{n}").status_code for n in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    locked = _login(attacker, "oikea-salasana-42")  # even the right password: locked here
    assert locked.status_code == 429
    assert "Liian monta yritystä" in locked.content.decode()
    owner = Client(REMOTE_ADDR="198.51.100.10")  # the real user, elsewhere, gets in
    assert _login(owner, "oikea-salasana-42").status_code == 302


def test_the_admin_log_in_is_locked_the_same_way():
    _user()
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    statuses = [
        attacker.post(
            "/admin/login/", {"username": "maija@example.org", "password": f"x{n}"}
        ).status_code
        for n in range(6)
    ]
    assert statuses[-1] == 429


@override_settings(POLKU_RATE_LIMITS={"login.address": "3/minute", "login.account": "50/hour"})
def test_a_flood_from_one_address_is_refused_before_any_password_is_hashed(monkeypatch):
    from django.contrib.auth.hashers import MD5PasswordHasher

    _user()
    hashed = []
    monkeypatch.setattr(MD5PasswordHasher, "verify", lambda *a: hashed.append(1) or False)
    client = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [_login(client, "x", email=f"u{n}@example.org").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    forged = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert _login(forged, "x").status_code == 429  # no trusted proxy: the header is ignored


@override_settings(POLKU_RATE_LIMITS={"login.address": "100/minute", "login.account": "3/hour"})
def test_guessing_one_account_from_many_addresses_is_throttled_and_a_reset_lifts_it(
    django_capture_on_commit_callbacks,
):
    user = _user()
    for n in range(3):
        assert _login(Client(REMOTE_ADDR=f"203.0.113.{n}"), "x").status_code == 200
    assert _login(Client(REMOTE_ADDR="203.0.113.99"), "x").status_code == 429
    owner = Client(REMOTE_ADDR="198.51.100.10")
    assert _login(owner, "oikea-salasana-42").status_code == 429  # for at most the window …
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(reverse("accounts:password_reset"), {"email": user.email})
    link = re.search(r"http://\S+/password/reset/\S+/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = owner.get("/" + path, follow=True)
    assert form.status_code == 200
    done = owner.post(
        form.redirect_chain[-1][0],
        {"new_password1": "uusi-hyva-salasana-77", "new_password2": "uusi-hyva-salasana-77"},
    )
    assert done.status_code == 302
    assert _login(owner, "uusi-hyva-salasana-77").status_code == 302  # … a reset lifts it


def test_password_reset_sends_a_finnish_link_that_works_once(django_capture_on_commit_callbacks):
    user = _user()
    client = Client()
    page = client.get(reverse("accounts:password_reset")).content.decode()
    assert "Salasanan vaihto" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Polun salasanan vaihto"
    link = re.search(r"http://\S+/password/reset/\S+/\S+/", message.body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    form = client.get(path, follow=True)
    target = form.redirect_chain[-1][0]
    client.post(
        target, {"new_password1": "uusi-hyva-salasana-77", "new_password2": "uusi-hyva-salasana-77"}
    )
    user.refresh_from_db()
    assert user.check_password("uusi-hyva-salasana-77")
    again = Client().get(path, follow=True).content.decode()
    assert "Tämä linkki ei toimi enää" in again


def test_password_reset_tells_nobody_whether_an_address_has_an_account():
    known, unknown = _user(), "ei-ole@example.org"
    first = Client().post(reverse("accounts:password_reset"), {"email": known.email})
    second = Client().post(reverse("accounts:password_reset"), {"email": unknown})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("accounts:password_reset_done")


@override_settings(
    POLKU_RATE_LIMITS={"password_reset.address": "2/hour", "password_reset.account": "1/hour"}
)
def test_password_reset_emails_are_limited_per_account_and_per_address(
    django_capture_on_commit_callbacks,
):
    user = _user()
    client = Client(REMOTE_ADDR="203.0.113.7")
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [
            client.post(reverse("accounts:password_reset"), {"email": user.email}).status_code
            for _ in range(3)
        ]
    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 1  # the second one was quietly not sent
