"""The phone's HTTP path (polku.live.phone_http): a hall of phones costs one rendering and no
thread; static files never reach Django; what is not shareable is never shared."""

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync
from django.core.asgi import get_asgi_application

from polku.live.phone_http import PhoneHttp, request_language
from polku.live.tests.factories import live_day

pytestmark = pytest.mark.django_db(transaction=True)


class CountingDjango:
    def __init__(self) -> None:
        self.app = get_asgi_application()
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send):
        self.paths.append(scope["path"])
        await self.app(scope, receive, send)


async def get(app, path, headers=(), query=b""):
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "headers": [(b"host", b"testserver"), *headers],
        "client": ("10.1.2.3", 5555), "server": ("testserver", 80),
    }  # fmt: skip
    sent: list[dict] = []
    received = asyncio.Event()

    async def receive():
        if not received.is_set():
            received.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body


def test_a_hall_of_phones_costs_one_rendering_and_no_thread():
    day, _slots, _ = live_day()
    django = CountingDjango()
    app = PhoneHttp(django)
    path = f"/j/{day.join_code}/"
    fi = [(b"accept-language", b"fi-FI,fi;q=0.9,en;q=0.5")]

    async def scenario():
        first = await asyncio.gather(*(get(app, path, fi) for _ in range(50)))
        started: list[str] = []
        original = threading.Thread.start

        def start(thread):
            started.append(thread.name)
            original(thread)

        threading.Thread.start = start
        try:
            later = await asyncio.gather(*(get(app, path, fi) for _ in range(500)))
        finally:
            threading.Thread.start = original
        return first, later, started

    first, later, started = async_to_sync(scenario)()
    assert django.paths == [path]  # 550 phones, one rendering
    assert started == []  # the 500 answered from the cache started no thread
    bodies = {body for _status, _headers, body in first + later}
    assert len(bodies) == 1
    status, headers, body = later[0]
    assert status == 200
    assert "set-cookie" not in headers
    assert headers["cache-control"] == "public, max-age=5"
    assert headers["content-length"] == str(len(body))
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert headers["x-frame-options"] == "DENY"
    assert f'data-ws="/ws/live/{day.join_code}/"'.encode() in body
    assert b'<html lang="fi">' in body


def test_the_cached_page_follows_the_phones_language_and_revalidates_with_304():
    day, _slots, _ = live_day()
    django = CountingDjango()
    app = PhoneHttp(django)
    path = f"/j/{day.join_code.lower()}/"

    async def scenario():
        sv = await get(app, path, [(b"accept-language", b"sv-FI,sv;q=0.9")])
        en = await get(app, path, [(b"cookie", b"polku_language=en"),
                                   (b"accept-language", b"sv")])  # fmt: skip
        fi = await get(app, path)
        again = await get(app, path, [(b"if-none-match", fi[1]["etag"].encode())])
        return sv, en, fi, again

    sv, en, fi, again = async_to_sync(scenario)()
    assert b'<html lang="sv">' in sv[2] and b"Vad som sparats om mig" in sv[2]
    assert b'<html lang="en">' in en[2]
    assert b'<html lang="fi">' in fi[2]
    assert again[0] == 304 and again[2] == b""
    assert again[1]["etag"] == fi[1]["etag"]
    assert len(django.paths) == 3


def test_unknown_codes_and_language_switches_are_never_cached():
    day, _slots, _ = live_day()
    django = CountingDjango()
    app = PhoneHttp(django)

    async def scenario():
        unknown = [await get(app, "/j/ZZZZ22/") for _ in range(2)]
        switch = [await get(app, f"/j/{day.join_code}/", query=b"lang=sv") for _ in range(2)]
        return unknown, switch

    unknown, switch = async_to_sync(scenario)()
    assert [s for s, _h, _b in unknown] == [404, 404]
    assert [s for s, _h, _b in switch] == [302, 302]
    assert "polku_language=sv" in switch[1][1]["set-cookie"]
    assert django.paths == ["/j/ZZZZ22/"] * 2 + [f"/j/{day.join_code}/"] * 2


def test_request_language_is_the_one_locale_middleware_picks():
    assert request_language({}) == "fi"
    assert request_language({b"accept-language": b"en-GB,en;q=0.8"}) == "en"
    assert request_language({b"accept-language": b"de-DE,sv;q=0.5"}) == "sv"
    assert request_language({b"cookie": b"polku_language=sv", b"accept-language": b"en"}) == "sv"
    assert request_language({b"cookie": b"polku_language=xx", b"accept-language": b"en"}) == "en"


def test_static_files_of_the_phone_page_never_reach_django():
    from pathlib import Path

    django = CountingDjango()
    app = PhoneHttp(django)
    source = Path(__file__).resolve().parents[1] / "static" / "live" / "live.js"

    async def scenario():
        js = await get(app, "/static/live/live.js")
        again = await get(app, "/static/live/live.js", [(b"if-none-match", js[1]["etag"].encode())])
        missing = await get(app, "/static/live/nothing-here.js")
        return js, again, missing

    js, again, missing = async_to_sync(scenario)()
    assert js[0] == 200 and js[2] == source.read_bytes()
    assert js[1]["content-type"].startswith("text/javascript")
    assert js[1]["x-content-type-options"] == "nosniff"
    assert again[0] == 304
    assert missing[0] == 404
    assert django.paths == ["/static/live/nothing-here.js"]


def test_an_expired_page_is_served_while_the_next_one_renders_and_a_closed_day_is_dropped(
    monkeypatch,
):
    day, _slots, _ = live_day()
    django = CountingDjango()
    app = PhoneHttp(django)
    path = f"/j/{day.join_code}/"

    async def scenario():
        first = await get(app, path)
        for entry in app.pages.entries.values():
            entry.expires -= 10  # the copy expired
        day.status = "closed"
        await asyncio.to_thread(day.save)
        stale = await get(app, path)  # the old copy, at once
        while app.pages.filling:
            await asyncio.sleep(0.01)
        after = await get(app, path)  # the day closed: Django answers, nothing is kept
        return first, stale, after

    first, stale, after = async_to_sync(scenario)()
    assert stale == first
    assert "Työpaja on päättynyt".encode() in after[2]
    assert app.pages.entries == {}
    assert django.paths == [path, path, path]
