"""Production logs: one JSON object per line, with no token, key or password in them."""

import io
import json
import logging

from django.test import RequestFactory

from polku.core.logs import (
    JsonLogFormatter,
    RedactFilter,
    logging_config,
    redact,
    sentry_before_send,
)

TOKEN = "Qm9uZ1Rva2VuLXNlY3JldC0xMjM0NTY3ODkw"


def test_redact_takes_tokens_keys_and_passwords_out_of_text():
    assert redact(f"Not Found: /c/{TOKEN}/") == "Not Found: /c/[redacted]/"
    assert redact(f"/calendar/{TOKEN}.ics") == "/calendar/[redacted]"
    assert redact(f"GET /invitation/{TOKEN}/ and /share/{TOKEN}/") == (
        "GET /invitation/[redacted]/ and /share/[redacted]/"
    )
    assert redact(f"/jury/m/{TOKEN}/new/") == "/jury/m/[redacted]/new/"
    assert redact(f"/ws/live/ABC123/console/?k={TOKEN}&x=1") == (
        "/ws/live/ABC123/console/?k=[redacted]&x=1"
    )
    assert redact(f"/oidc/callback/?code={TOKEN}&state=st4te") == (
        "/oidc/callback/?code=[redacted]&state=[redacted]"
    )
    assert redact("postgres://polku:s3cr3t@db.internal/polku") == (
        "postgres://polku:[redacted]@db.internal/polku"
    )
    assert redact("Authorization: Bearer abc.def") == "Authorization: [redacted]"
    assert redact("/j/ABC123/ joined") == "/j/ABC123/ joined"  # join codes are public


def _emit(logger_name: str, level: int, msg: str, *args, **kwargs) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter())
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.log(level, msg, *args, **kwargs)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_a_request_log_is_one_json_line_without_the_token():
    request = RequestFactory().get(f"/c/{TOKEN}/", {"k": "console-key"})
    record = _emit(
        "polku.test.request", logging.WARNING, "Not Found: %s", request.get_full_path(),
        extra={"status_code": 404, "request": request},
    )  # fmt: skip
    time = record.pop("time")
    assert time.endswith("+00:00") and "T" in time
    assert record == {
        "level": "WARNING",
        "logger": "polku.test.request",
        "message": "Not Found: /c/[redacted]/?k=[redacted]",
        "status_code": 404,
        "request": "GET /c/[redacted]/",
    }


def test_an_exception_log_keeps_the_traceback_but_not_the_secret():
    try:
        raise ValueError(f"link /invitation/{TOKEN}/ expired")
    except ValueError:
        record = _emit("polku.test.error", logging.ERROR, "sending failed", exc_info=True)
    assert record["message"] == "sending failed"
    assert "Traceback (most recent call last)" in record["exc_info"]
    assert "ValueError: link /invitation/[redacted]/ expired" in record["exc_info"]
    assert TOKEN not in json.dumps(record)


def test_production_logging_config_sends_json_to_stdout_and_drops_uvicorn_access_lines():
    config = logging_config(level="INFO")
    assert config["handlers"]["stdout"] == {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
        "formatter": "json",
        "filters": ["redact"],
    }
    assert config["loggers"]["uvicorn.access"] == {
        "handlers": [], "level": "WARNING", "propagate": False,
    }  # fmt: skip
    assert config["loggers"]["polku"]["level"] == "INFO"


def test_error_reports_leave_without_cookies_auth_headers_or_tokens():
    event = {
        "request": {
            "url": f"https://polku.example.org/c/{TOKEN}/",
            "query_string": f"k={TOKEN}",
            "cookies": {"sessionid": "s"},
            "data": {"password": "pw"},
            "headers": {"Cookie": "sessionid=s", "Authorization": "Bearer x", "Accept": "*/*"},
        },
        "exception": {"values": [{"value": f"bad /share/{TOKEN}/"}]},
    }
    assert sentry_before_send(event, {}) == {
        "request": {
            "url": "https://polku.example.org/c/[redacted]/",
            "query_string": "k=[redacted]",
            "headers": {"Cookie": "[redacted]", "Authorization": "[redacted]", "Accept": "*/*"},
        },
        "exception": {"values": [{"value": "bad /share/[redacted]/"}]},
    }
