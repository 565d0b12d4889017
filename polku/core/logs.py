"""Structured logs for production: one JSON object per line on stdout (journald keeps them),
with credentials taken out before anything is written.

Secrets travel in URLs here: check-in and invitation links, calendar feeds, share and summary
links, jury links carry a token in the path; the projector and console carry a key in ``?k=``;
the OpenID Connect callback carries ``code`` and ``state``. ``redact`` replaces each of them
with ``[redacted]`` wherever it appears in a log message, an argument or an exception text, and
the ``request`` object Django attaches to request logs is replaced by its method and redacted
path, so no formatter ever prints a raw URL.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter

REDACTED = "[redacted]"

# /<prefix>/<token>… for every URL whose path segment is a credential
_PATH_TOKEN = re.compile(
    r"(?P<prefix>/(?:c|invitation|share|summary|calendar|jury/s|jury/join|jury/m|"
    r"accounts/reset|reset))/(?P<token>[^/\s?#'\"]+)"
)
# ?k=…, &token=…, code/state of the OIDC callback, passwords in form dumps or URLs
_QUERY_TOKEN = re.compile(
    r"(?P<key>(?:^|[?&;\s])(?:k|key|token|code|state|session_state|password|secret)=)"
    r"(?P<value>[^&\s'\"#]+)",
    re.IGNORECASE,
)
# user:password@ in service URLs (DATABASE_URL, REDIS_URL, EMAIL_URL)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]*):(?P<pw>[^@\s/]+)@")
# Authorization / Cookie header values
_HEADER = re.compile(r"(?P<name>(?:authorization|cookie|x-polku-metrics-token)['\"]?\s*[:=]\s*['\"]?)"
                     r"(?P<value>[^'\"\n,}]+)", re.IGNORECASE)  # fmt: skip


def redact(text: str) -> str:
    """The text with every credential-looking part replaced by ``[redacted]``."""
    if not text:
        return text
    text = _PATH_TOKEN.sub(lambda m: f"{m['prefix']}/{REDACTED}", text)
    text = _QUERY_TOKEN.sub(lambda m: f"{m['key']}{REDACTED}", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}:{REDACTED}@", text)
    return _HEADER.sub(lambda m: f"{m['name']}{REDACTED}", text)


class RedactFilter(logging.Filter):
    """Renders the message once, redacted, and drops what could carry a raw URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = ()
        record.__dict__.pop("color_message", None)  # uvicorn's copy with terminal colours
        request = getattr(record, "request", None)
        if request is not None and not isinstance(request, str):
            method = getattr(request, "method", "")
            path = getattr(request, "path", "")
            record.request = f"{method} {redact(path)}".strip()
        if record.exc_text:  # a traceback another handler rendered already
            record.exc_text = redact(record.exc_text)
        # exc_info stays for other handlers (Sentry's); JsonLogFormatter redacts its rendering
        return True


class JsonLogFormatter(JsonFormatter):
    """``{"level", "logger", "message", …extra, "time"}``; exception text in ``exc_info``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")  # ISO 8601, UTC
        super().__init__(*args, **kwargs)

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))

    def process_log_record(self, log_record: dict[str, Any]) -> dict[str, Any]:
        for key, value in list(log_record.items()):
            if isinstance(value, str) and key not in ("time", "level", "logger"):
                log_record[key] = redact(value)
        return log_record


def logging_config(*, level: str = "INFO") -> dict[str, Any]:
    """Django LOGGING for production: JSON lines on stdout, redacted, polku.* at ``level``."""
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
        "formatter": "json",
        "filters": ["redact"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "polku.core.logs.RedactFilter"}},
        "formatters": {"json": {"()": "polku.core.logs.JsonLogFormatter"}},
        "handlers": {"stdout": handler},
        "root": {"handlers": ["stdout"], "level": "WARNING"},
        "loggers": {
            "polku": {"handlers": ["stdout"], "level": level, "propagate": False},
            "django": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
            "django.request": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
            "django.security": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
            "uvicorn": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            # nginx keeps the access log; uvicorn's would repeat every request
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "django_tasks": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            "django_tasks_db": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        },
    }


def _redact_tree(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_tree(v) for v in value]
    return value


def sentry_before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Error reports leave without cookies, headers that authenticate, or tokens in URLs."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in list(headers):
                if name.lower() in (
                    "cookie",
                    "authorization",
                    "x-csrftoken",
                    "x-polku-metrics-token",
                ):
                    headers[name] = REDACTED
    return _redact_tree(event)


def sentry_init(*, dsn: str, environment: str, release: str) -> None:
    """Error reporting to any Sentry-compatible service (Sentry, GlitchTip, Bugsink…)."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        before_send=sentry_before_send,
        integrations=[DjangoIntegration(), LoggingIntegration(event_level=logging.ERROR)],
        default_integrations=True,
    )
