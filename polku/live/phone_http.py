"""The phone's HTTP path without a thread: the join page from a shared cache, static files.

Django's ASGI handler costs every request at least one OS thread (``request_started`` and
``request_finished`` run their sync receivers through ``sync_to_async`` in a fresh
per-request thread context, and every ``MiddlewareMixin`` hop is another one). A whole hall
asks for the same join page and the same four static files within a minute, so this ASGI layer
in front of Django answers those on the event loop:

* ``GET /j/<CODE>/`` (no query string): a **shared cache** of what Django answered. The view
  marks a response that is the same for everyone ``Cache-Control: public, max-age=N`` and sets
  no cookie; this layer then keeps it N seconds per join code and language (the language
  ``LocaleMiddleware`` would pick: the ``polku_language`` cookie, else ``Accept-Language``) and
  answers ``If-None-Match`` with 304. When the copy expires, the next phone still gets it while
  one rendering of the next copy runs in the background (stale-while-revalidate, at most
  ``STALE_SECONDS``); with no copy at all, one request goes to Django and the phones arriving
  meanwhile wait for it instead of all rendering.
* ``GET /static/…``: the files whitenoise would serve (the same index, headers, compressed
  variants and 304s), read and sent from the event loop (they are small and in the page cache).
  Behind nginx these never arrive here.

Everything else goes to Django unchanged. What must be per phone (its participant cookie and
token) comes over the websocket (``polku.live.consumers``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from dataclasses import dataclass
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.http import parse_cookie
from django.utils.translation import get_language_from_request

log = logging.getLogger("polku.live")

JOIN_PAGE = re.compile(r"^/j/([A-Za-z0-9]{1,12})/$")
MAX_AGE = re.compile(r"max-age=(\d+)")
MAX_ENTRIES = 2000
STALE_SECONDS = 60  # an expired copy is still served this long while a new one is rendered
STATIC_MAX_BYTES = 1 << 20  # larger files go through Django (none of the phone's are)


@dataclass
class Cached:
    expires: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes


def _headers(scope: dict[str, Any]) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", [])}


def request_language(headers: dict[bytes, bytes]) -> str:
    """The language LocaleMiddleware would choose for these request headers."""
    cookies = parse_cookie(headers.get(b"cookie", b"").decode("latin-1"))
    meta = {"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")}
    request = SimpleNamespace(COOKIES=cookies, META=meta, path_info="/")
    return get_language_from_request(request) or settings.LANGUAGE_CODE


class PageCache:
    """The shared cache of the join pages (one per process)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], Cached] = {}
        self.filling: dict[tuple[str, str], asyncio.Future[None]] = {}
        self.hits = 0
        self.misses = 0
        self._refreshing: set[asyncio.Task] = set()

    def clear(self) -> None:
        self.entries.clear()

    def fresh(self, key: tuple[str, str]) -> Cached | None:
        entry = self.entries.get(key)
        if entry is not None and entry.expires > time.monotonic():
            return entry
        return None

    async def serve(self, app: Any, key: tuple[str, str], scope: dict, receive: Any, send: Any):
        stale = self.entries.get(key)
        if (
            stale is not None
            and stale.expires <= time.monotonic() < stale.expires + STALE_SECONDS
            and key not in self.filling
        ):
            # serve the copy we have; one request renders the next in the background, so no
            # phone waits for Django when a copy expires in the middle of the storm
            self.hits += 1
            self.filling[key] = done = asyncio.get_running_loop().create_future()
            task = asyncio.ensure_future(self._refresh(app, key, dict(scope), done))
            self._refreshing.add(task)
            task.add_done_callback(self._refreshing.discard)
            await self._send(stale, scope, send)
            return
        entry = self.fresh(key)
        while entry is None and key in self.filling:
            await asyncio.shield(self.filling[key])
            entry = self.fresh(key)
            if entry is None:  # the response was not cacheable: ask Django ourselves
                break
        if entry is not None:
            self.hits += 1
            await self._send(entry, scope, send)
            return
        self.misses += 1
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.filling[key] = done
        try:
            await self._fill(app, key, scope, receive, send)
        finally:
            self.filling.pop(key, None)
            done.set_result(None)

    async def _refresh(self, app: Any, key: tuple[str, str], scope: dict, done: asyncio.Future):
        sent_body = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if sent_body.is_set():  # Django then listens for a disconnect that never comes
                await asyncio.Event().wait()
            sent_body.set()
            return {"type": "http.request", "body": b"", "more_body": False}

        async def discard(message: dict[str, Any]) -> None:
            pass

        try:
            scope["headers"] = [(n, v) for n, v in scope.get("headers", [])
                                if n.lower() != b"if-none-match"]  # fmt: skip
            self.entries.pop(key, None)  # kept only if the new answer is shareable
            await self._fill(app, key, scope, receive, discard)
        except Exception:
            log.exception("refreshing the join page %s failed", key[0])
        finally:
            self.filling.pop(key, None)
            done.set_result(None)

    async def _fill(self, app: Any, key: tuple[str, str], scope, receive, send) -> None:
        """Django answers; a shareable answer is kept and sent like a cached one (with its
        ETag), anything else is passed on as it came. Join pages are small: buffered."""
        messages: list[dict[str, Any]] = []

        async def capture(message: dict[str, Any]) -> None:
            messages.append(message)

        await app(scope, receive, capture)
        start = messages[0] if messages else {}
        headers = list(start.get("headers", []))
        names = {name.lower() for name, _value in headers}
        control = next((v for n, v in headers if n.lower() == b"cache-control"), b"")
        max_age = MAX_AGE.search(control.decode("latin-1"))
        if (
            start.get("status") != HTTPStatus.OK
            or b"set-cookie" in names
            or b"public" not in control
            or max_age is None
            or scope["method"] != "GET"
        ):
            for message in messages:
                await send(message)
            return
        content = b"".join(m.get("body", b"") for m in messages[1:])
        etag = b'"' + hashlib.blake2b(content, digest_size=12).hexdigest().encode() + b'"'
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
        entry = self.entries[key] = Cached(
            expires=time.monotonic() + int(max_age.group(1)),
            status=HTTPStatus.OK,
            headers=[(n, v) for n, v in headers if n.lower() not in (b"content-length", b"etag")],
            body=content,
            etag=etag,
        )
        await self._send(entry, scope, send)

    @staticmethod
    async def _send(entry: Cached, scope: dict, send: Any) -> None:
        if _headers(scope).get(b"if-none-match") == entry.etag:
            keep = (b"cache-control", b"vary", b"content-language")
            headers = [(n, v) for n, v in entry.headers if n.lower() in keep]
            await send({"type": "http.response.start", "status": 304,
                        "headers": [*headers, (b"etag", entry.etag)]})  # fmt: skip
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [
            *entry.headers,
            (b"etag", entry.etag),
            (b"content-length", str(len(entry.body)).encode()),
        ]
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        body = b"" if scope["method"] == "HEAD" else entry.body
        await send({"type": "http.response.body", "body": body})


class StaticFiles:
    """whitenoise's files, answered on the event loop."""

    def __init__(self) -> None:
        from whitenoise.middleware import WhiteNoiseMiddleware

        self.whitenoise = WhiteNoiseMiddleware(get_response=None)
        self.prefix = "/" + settings.STATIC_URL.strip("/") + "/"

    def find(self, path: str) -> Any:
        if not path.startswith(self.prefix):
            return None
        if self.whitenoise.autorefresh:
            return self.whitenoise.find_file(path)
        return self.whitenoise.files.get(path)

    @staticmethod
    async def serve(static_file: Any, scope: dict, send: Any) -> None:
        environ = {
            "HTTP_" + name.decode("latin-1").upper().replace("-", "_"): value.decode("latin-1")
            for name, value in scope.get("headers", [])
        }
        response = static_file.get_response(scope["method"], environ)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        headers.append((b"x-content-type-options", b"nosniff"))
        await send({"type": "http.response.start", "status": int(response.status),
                    "headers": headers})  # fmt: skip
        if response.file is None:
            await send({"type": "http.response.body", "body": b""})
            return
        with response.file as handle:
            data = handle.read(STATIC_MAX_BYTES + 1)
        await send({"type": "http.response.body", "body": data})


class PhoneHttp:
    """ASGI: the join page and static files without a thread, everything else to Django."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.pages = PageCache()
        self.static = StaticFiles()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"]
            static_file = self.static.find(path)
            if static_file is not None and self._small(static_file):
                await self.static.serve(static_file, scope, send)
                return
            match = JOIN_PAGE.match(path)
            if match and not scope.get("query_string"):
                key = (match.group(1).upper(), request_language(_headers(scope)))
                await self.pages.serve(self.app, key, scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _small(static_file: Any) -> bool:
        alternatives = getattr(static_file, "alternatives", None)  # a Redirect has none
        if not alternatives:
            return False
        size = max(int(dict(headers)["Content-Length"]) for _re, _path, headers in alternatives)
        return size <= STATIC_MAX_BYTES


_instance: PhoneHttp | None = None


def phone_http(app: Any) -> PhoneHttp:
    global _instance
    _instance = PhoneHttp(app)
    return _instance


def page_cache_clear() -> None:
    """Forget the cached join pages of this process (a day's status or title changed)."""
    if _instance is not None:
        _instance.pages.clear()
