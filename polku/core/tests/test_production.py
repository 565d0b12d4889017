"""Production settings: refusals, values derived from POLKU_BASE_URL, and what a browser behind
the proxy gets (HSTS, the https redirect, secure cookies)."""

import importlib
import re
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from config.settings import safety

GOOD_KEY = "k3y-" + "abcdefghij" * 5
PROD_ENV = {
    "SECRET_KEY": GOOD_KEY,
    "POLKU_BASE_URL": "https://polku.example.org",
    "EMAIL_URL": "smtp://mailer:p4ss@smtp.example.org:587",
}
ENV_NAMES = [
    "SECRET_KEY", "DEBUG", "POLKU_BASE_URL", "ALLOWED_HOSTS", "EMAIL_URL", "SENTRY_DSN",
    "POLKU_HSTS_SECONDS", "POLKU_HSTS_SUBDOMAINS", "POLKU_HSTS_PRELOAD", "STATIC_ROOT",
    "MEDIA_ROOT", "CSRF_TRUSTED_ORIGINS", "REDIS_URL", "POLKU_TRUSTED_PROXIES",
    "POLKU_RATELIMIT_STORAGE",
]  # fmt: skip


def load_production(monkeypatch, **env: str):
    """A fresh import of config.settings.production under `env` (the running test settings
    are untouched)."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    names = ("config.settings.production", "config.settings.base")
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    try:
        return importlib.import_module("config.settings.production")
    finally:
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "SECRET_KEY is not set."),
        ("   ", "SECRET_KEY is not set."),
        ("django-insecure-" + "x1y2z3" * 10, "SECRET_KEY is Django's insecure development key."),
        ("short-but-varied-0123456789", "SECRET_KEY is too weak"),
        ("a" * 30 + "b" * 30, "SECRET_KEY is too weak"),
    ],
)
def test_weak_or_missing_secret_key_is_refused(key, message):
    with pytest.raises(ImproperlyConfigured) as error:
        safety.secret_key_checked(key)
    assert str(error.value).startswith(message)
    if key and key.strip():
        assert key not in str(error.value)  # the key itself never reaches a log


def test_strong_secret_key_is_accepted():
    assert safety.secret_key_checked(f"  {GOOD_KEY}\n") == GOOD_KEY


@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "on"])
def test_debug_on_is_refused(value):
    with pytest.raises(ImproperlyConfigured, match=r"^DEBUG is on. Production settings never run"):
        safety.debug_refused(value)


def test_debug_unset_or_off_is_false_and_an_unclear_value_is_refused():
    assert [safety.debug_refused(v) for v in (None, "", "0", "false", "off")] == [False] * 5
    with pytest.raises(ImproperlyConfigured, match=r"^DEBUG='maybe' is not understood"):
        safety.debug_refused("maybe")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (None, "POLKU_BASE_URL is not set"),
        ("http://polku.example.org", "POLKU_BASE_URL must be an https:// address"),
        ("https://", "POLKU_BASE_URL must be an https:// address"),
        ("https://polku.example.org/app", "POLKU_BASE_URL is the site's origin only"),
    ],
)
def test_base_url_must_be_an_https_origin(url, message):
    with pytest.raises(ImproperlyConfigured, match=f"^{re.escape(message)}"):
        safety.base_url_checked(url)


def test_hosts_and_csrf_origins_come_from_the_base_url_plus_extra_names():
    url, host = safety.base_url_checked("https://Polku.Example.org/")
    assert (url, host) == ("https://Polku.Example.org", "polku.example.org")
    assert safety.hosts_and_origins(url, host, ["192.168.1.20", "polku.example.org"]) == (
        ["polku.example.org", "192.168.1.20"],
        ["https://Polku.Example.org", "https://192.168.1.20"],
    )
    with pytest.raises(ImproperlyConfigured, match=r"^ALLOWED_HOSTS=\* is refused"):
        safety.hosts_and_origins(url, host, ["*"])


def test_email_must_be_smtp_in_production():
    for value in (None, "console:", "locmem:"):
        with pytest.raises(ImproperlyConfigured, match=r"^EMAIL_URL must name an SMTP server"):
            safety.email_url_checked(value)
    assert safety.email_url_checked("smtps://u:p@smtp.org.fi:465") == "smtps://u:p@smtp.org.fi:465"


def test_production_settings_module(monkeypatch):
    prod = load_production(monkeypatch, **PROD_ENV, ALLOWED_HOSTS="10.0.0.5")
    assert prod.DEBUG is False
    assert prod.SECRET_KEY == GOOD_KEY
    assert prod.POLKU_BASE_URL == "https://polku.example.org"
    assert prod.ALLOWED_HOSTS == ["polku.example.org", "10.0.0.5"]
    assert prod.CSRF_TRUSTED_ORIGINS == ["https://polku.example.org", "https://10.0.0.5"]
    assert prod.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert prod.SECURE_SSL_REDIRECT is True
    assert prod.SECURE_REDIRECT_EXEMPT == [r"^healthz$", r"^readyz$", r"^metrics$"]
    assert (prod.SECURE_HSTS_SECONDS, prod.SECURE_HSTS_INCLUDE_SUBDOMAINS) == (31536000, True)
    assert prod.SECURE_HSTS_PRELOAD is True
    assert prod.SESSION_COOKIE_SECURE is prod.CSRF_COOKIE_SECURE is True
    assert prod.LANGUAGE_COOKIE_SECURE is True
    assert str(prod.STATIC_ROOT) == "/var/lib/polku/static"
    assert str(prod.MEDIA_ROOT) == "/var/lib/polku/media"
    assert prod.MAILERS["default"]["OPTIONS"]["host"] == "smtp.example.org"
    assert prod.LOGGING["handlers"]["stdout"]["formatter"] == "json"
    assert prod.LOGGING["handlers"]["stdout"]["filters"] == ["redact"]
    assert prod.SENTRY_DSN == ""  # error reporting is off unless configured
    assert prod.POLKU_TRUSTED_PROXIES == ["127.0.0.1", "::1"]  # nginx on this host
    assert prod.POLKU_RATELIMIT_STORAGE == "memory://"  # no REDIS_URL in this environment


def test_production_refuses_to_start_with_debug_or_without_a_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match=r"^DEBUG is on"):
        load_production(monkeypatch, **PROD_ENV, DEBUG="1")
    env = {**PROD_ENV, "SECRET_KEY": ""}
    with pytest.raises(ImproperlyConfigured, match=r"^SECRET_KEY is not set"):
        load_production(monkeypatch, **env)


def _production_http(monkeypatch):
    prod = load_production(monkeypatch, **PROD_ENV)
    names = [
        "ALLOWED_HOSTS", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT",
        "SECURE_REDIRECT_EXEMPT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
        "SECURE_REFERRER_POLICY", "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    ]  # fmt: skip
    return override_settings(**{name: getattr(prod, name) for name in names})


@pytest.mark.django_db
def test_behind_the_proxy_https_gets_hsts_and_plain_http_is_redirected(client, monkeypatch):
    with _production_http(monkeypatch):
        secure = client.get(
            "/accounts/login/",
            headers={"host": "polku.example.org", "x-forwarded-proto": "https"},
        )
        assert secure.status_code == 200
        assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert secure.cookies["csrftoken"]["secure"] is True
        assert secure["Referrer-Policy"] == "same-origin"
        assert secure["X-Content-Type-Options"] == "nosniff"
        plain = client.get("/j/?code=ABC", headers={"host": "polku.example.org"})
        assert plain.status_code == 301
        assert plain["Location"] == "https://polku.example.org/j/?code=ABC"
        # a load balancer probing an instance directly over http is not redirected
        probe = client.get("/healthz", headers={"host": "polku.example.org"})
        assert (probe.status_code, probe.json()) == (200, {"status": "ok"})
        other = client.get("/accounts/login/", headers={"host": "evil.example.com"})
        assert other.status_code == 400
