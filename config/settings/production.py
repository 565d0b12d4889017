"""Production mode: safe by default, configured only by environment variables.

Every variable is explained in ``deploy/polku.env`` (the environment file systemd reads). The
process refuses to start (ImproperlyConfigured) with a missing or weak ``SECRET_KEY``, with
``DEBUG`` on, or without an https ``POLKU_BASE_URL``; host names and CSRF origins are derived
from that one URL. TLS ends at the reverse proxy (deploy/nginx/polku.conf), which sets
``X-Forwarded-Proto``.
"""

import os
from pathlib import Path

from polku import __version__
from polku.core.logs import logging_config, sentry_init

from .base import *  # noqa: F403
from .base import REDIS_URL, env_list, mailer_config
from .safety import (
    base_url_checked,
    debug_refused,
    email_url_checked,
    flag,
    hosts_and_origins,
    secret_key_checked,
)

SECRET_KEY = secret_key_checked(os.environ.get("SECRET_KEY"))
DEBUG = debug_refused(os.environ.get("DEBUG"))

POLKU_BASE_URL, _host = base_url_checked(os.environ.get("POLKU_BASE_URL"))
ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS = hosts_and_origins(
    POLKU_BASE_URL, _host, env_list("ALLOWED_HOSTS")
)

MAILERS = {"default": mailer_config(email_url_checked(os.environ.get("EMAIL_URL")))}

# TLS is terminated by the proxy; it says so in X-Forwarded-Proto (nginx sets it, and clears
# a value sent by the client). Plain http is redirected, except the probes a load balancer or
# Prometheus make to an instance directly.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("POLKU_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = flag(os.environ.get("POLKU_HSTS_SUBDOMAINS"), default=True)
SECURE_HSTS_PRELOAD = flag(os.environ.get("POLKU_HSTS_PRELOAD"), default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_AGE = int(os.environ.get("POLKU_SESSION_AGE", str(14 * 24 * 3600)))

# nginx runs on this host and sets X-Forwarded-For itself: believe it from loopback only.
POLKU_TRUSTED_PROXIES = env_list("POLKU_TRUSTED_PROXIES", "127.0.0.1,::1")
# Several instances share their rate-limit counters through Redis when there is one.
POLKU_RATELIMIT_STORAGE = os.environ.get("POLKU_RATELIMIT_STORAGE") or REDIS_URL or "memory://"

# Files live outside the installed code (a wheel installs into site-packages).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", "/var/lib/polku/static"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", "/var/lib/polku/media"))

# Metrics (/metrics) answer only with this bearer token when it is set; nginx does not pass
# /metrics from outside at all (see deploy/nginx/polku.conf).
POLKU_METRICS_TOKEN = os.environ.get("POLKU_METRICS_TOKEN", "")

LOGGING = logging_config(level=os.environ.get("POLKU_LOG_LEVEL", "INFO").upper())

# Optional error reporting to a Sentry-compatible service: one setting, off when unset.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        release=f"polku@{__version__}",
    )
