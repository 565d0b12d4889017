"""Checks the production settings make before the process starts (pure functions, tested).

Production refuses to start rather than run unsafely: a missing or weak ``SECRET_KEY``, ``DEBUG``
switched on, or a public address that is not https.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
MIN_SECRET_LENGTH = 50
MIN_SECRET_UNIQUE = 5


def secret_key_checked(value: str | None) -> str:
    """The key, or ImproperlyConfigured saying exactly what is wrong with it (the key itself is
    never part of the message). Same bar as Django's security.W009, made fatal."""
    key = (value or "").strip()
    if not key:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    if key.startswith("django-insecure-"):
        raise ImproperlyConfigured("SECRET_KEY is Django's insecure development key.")
    if len(key) < MIN_SECRET_LENGTH or len(set(key)) < MIN_SECRET_UNIQUE:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak: it needs at least {MIN_SECRET_LENGTH} characters "
            f"and {MIN_SECRET_UNIQUE} different ones."
        )
    return key


def debug_refused(value: str | None) -> bool:
    """False for an unset/false DEBUG; ImproperlyConfigured for DEBUG on or an unclear value."""
    word = (value or "").strip().lower()
    if word in FALSE_WORDS:
        return False
    if word in TRUE_WORDS:
        raise ImproperlyConfigured(
            "DEBUG is on. Production settings never run with DEBUG: unset DEBUG in the "
            "environment file (it would show tracebacks and settings to anyone)."
        )
    raise ImproperlyConfigured(f"DEBUG={value!r} is not understood; leave it unset.")


def flag(value: str | None, *, default: bool) -> bool:
    word = (value or "").strip().lower()
    if not word:
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{value!r} is not a yes/no value (use 1 or 0).")


def base_url_checked(value: str | None) -> tuple[str, str]:
    """(base URL without trailing slash, host name) of POLKU_BASE_URL, which must be https."""
    url = (value or "").strip().rstrip("/")
    if not url:
        raise ImproperlyConfigured(
            "POLKU_BASE_URL is not set: the public https address people open, "
            "e.g. https://polku.example.org"
        )
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ImproperlyConfigured(
            f"POLKU_BASE_URL must be an https:// address with a host name, not {url!r}."
        )
    if parts.path or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"POLKU_BASE_URL is the site's origin only (no path), not {url!r}."
        )
    return url, parts.hostname


def hosts_and_origins(
    base_url: str, host: str, extra_hosts: list[str]
) -> tuple[list[str], list[str]]:
    """ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS: the public host first, then the extra names
    (e.g. a LAN address in a closed venue network), each trusted over https only."""
    if "*" in extra_hosts:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS=* is refused in production: list the extra host names."
        )
    hosts = [host, *[h for h in extra_hosts if h != host]]
    origins = [base_url, *[f"https://{h}" for h in extra_hosts if h != host]]
    return hosts, origins


def email_url_checked(value: str | None) -> str:
    """Production sends invitations and check-in links: an SMTP server is required."""
    url = (value or "").strip()
    if not url.startswith(("smtp://", "smtps://", "smtp+tls://", "submission://")):
        raise ImproperlyConfigured(
            "EMAIL_URL must name an SMTP server in production, e.g. "
            "smtp://user:password@smtp.example.org:587 (invitations and check-in links are "
            "sent by email)."
        )
    return url
