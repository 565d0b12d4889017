"""A database that cannot take a request now (out of pooled connections, PostgreSQL's
max_connections reached, restarting) answers the Finnish-first "try again" page — 503 with
Retry-After — never a 500: ``BusyMiddleware`` for errors in views (also with DEBUG),
``server_error`` (handler500) for the rest."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

BUSY_MARKERS = (
    "couldn't get a connection",  # psycopg_pool.PoolTimeout: every pooled connection in use
    "too many clients",  # PostgreSQL's max_connections reached
    "remaining connection slots are reserved",
    "connection refused",
    "could not connect",
    "server closed the connection",
    "database is locked",  # SQLite: a writer held the lock past the busy timeout
)


def database_busy(error: BaseException | None) -> bool:
    """A database that cannot take this request now (not a bug): out of connections, down."""
    from django.db import InterfaceError, OperationalError

    while error is not None:
        if isinstance(error, OperationalError | InterfaceError):
            text = str(error).lower()
            if any(marker in text for marker in BUSY_MARKERS):
                return True
        if error.__class__.__name__ == "PoolTimeout":
            return True
        error = error.__cause__ or error.__context__
    return False


def busy_response(request: HttpRequest) -> HttpResponse:
    """The Finnish-first "try again" page (503). The page reloads itself after a random 5–15 s
    so a hall of phones does not come back all in the same second."""
    import secrets

    from django.template.loader import render_to_string

    retry = 5 + secrets.randbelow(11)
    response = HttpResponse(
        render_to_string("503.html", {"retry": retry}), status=503, content_type="text/html"
    )
    response["Retry-After"] = str(retry)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that is out of connections gets the 503 "try again" page, any
    other failure Django's 500 page."""
    import sys

    from django.views import defaults

    if database_busy(sys.exc_info()[1]):
        return busy_response(request)
    return defaults.server_error(request)


class BusyMiddleware:
    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if database_busy(exception):
            return busy_response(request)
        return None
