"""A fuzz test of every form a facilitator can reach: no value a browser or a script can send
gives HTTP 500.

It crawls the demo data as a facilitator (links and forms of every page, starting from the
organisations), then posts generated values to every form it found — out-of-range numbers and
dates, huge and deeply nested text, control characters, lists where one value belongs — and
opens every page with hostile query parameters. Destructive actions (delete, log out) are not
posted, so the crawl keeps its world. Django's test client re-raises any exception of a view,
so a crash fails the test with its traceback.
"""

from __future__ import annotations

import random
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlparse

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polku.accounts.models import User
from polku.core.demo import load_demo

pytestmark = pytest.mark.django_db

HOSTILE = [
    "9999-12-31",
    "0001-01-01",
    "9" * 40,
    "-" + "9" * 40,
    "1e309",
    "NaN",
    "-1",
    "0",
    "",
    "[" * 5000 + "]" * 5000,
    "x" * 20_000,
    "\x00\x1f",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "31.12.9999 25:61",
    "‮ü‍",
]
SKIP = ("delete", "logout", "/admin/", "i18n/setlang", "/static/", "/media/", ".pdf", "remove")
QUERY = ["unit", "page", "q", "status", "kind", "path", "measure", "format", "lang", "day"]
MAX_PAGES = 70


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append({"method": (a.get("method") or "get").lower(),
                               "action": a.get("action") or "", "fields": {}})  # fmt: skip
        elif tag in ("input", "select", "textarea", "button") and self.forms and a.get("name"):
            fields = self.forms[-1]["fields"]
            if a.get("type") in ("file",):
                return
            fields.setdefault(a["name"], []).append(a.get("value") or "")


def _local(base: str, href: str) -> str | None:
    url = urljoin(base, href)
    parsed = urlparse(url)
    if parsed.netloc not in ("", "testserver") or parsed.scheme not in ("", "http"):
        return None
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    if any(s in path for s in SKIP):
        return None
    return path


def crawl(client: Client) -> tuple[list[str], list[tuple[str, dict]]]:
    queue, seen, forms = ["/"], set(), []
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code != 500, url
        if "text/html" not in response.get("Content-Type", ""):
            continue
        page = Page()
        page.feed(response.content.decode())
        for href in page.links:
            local = _local(url, href)
            if local and local not in seen:
                queue.append(local)
        for form in page.forms:
            action = _local(url, form["action"] or url)
            if action and form["method"] == "post":
                forms.append((action, form["fields"]))
    return sorted(seen), forms


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_demo()
        client = Client(raise_request_exception=True)
        client.force_login(User.objects.filter(is_facilitator=True).order_by("pk").first())
        pages, forms = crawl(client)
    yield {"pages": pages, "forms": forms}
    with django_db_blocker.unblock():  # the demo world was made outside a test transaction
        call_command("flush", interactive=False, verbosity=0)


def test_the_crawl_reaches_the_forms_of_every_area(world):
    areas = {
        p.split("/")[3] if p.startswith("/o/") and len(p.split("/")) > 3 else p
        for p in world["pages"]
    }
    assert len(world["forms"]) >= 20
    assert {"units", "members", "paths"} <= areas
    assert any("/experiments/" in p for p in world["pages"])


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_generated_values_posted_to_every_form_never_give_500(world, seed, data):
    rng = random.Random(seed)
    client = Client(raise_request_exception=True)
    client.force_login(User.objects.filter(is_facilitator=True).order_by("pk").first())
    for action, fields in world["forms"]:
        values = {}
        for name, defaults in fields.items():
            if name == "csrfmiddlewaretoken":
                continue
            if name == "action":  # keep the form's own buttons (not the destructive ones)
                kept = [d for d in defaults if d and not any(x in d for x in SKIP)]
                values[name] = rng.choice(kept or [""])
                continue
            choice = rng.random()
            if choice < 0.6:
                values[name] = rng.choice(HOSTILE)
            elif choice < 0.8:
                values[name] = [rng.choice(HOSTILE), rng.choice(HOSTILE)]  # a list for one value
            else:
                values[name] = data.draw(st.text(max_size=40), label=name)
        response = client.post(action, values)
        assert response.status_code != 500, (action, values)


def test_hostile_query_parameters_on_every_page_never_give_500(world):
    client = Client(raise_request_exception=True)
    client.force_login(User.objects.filter(is_facilitator=True).order_by("pk").first())
    for n, page in enumerate(world["pages"]):
        for query in (
            dict.fromkeys(QUERY, "9" * 40),
            {name: HOSTILE[(n + i) % len(HOSTILE)] for i, name in enumerate(QUERY)},
        ):
            url = page + ("&" if "?" in page else "?") + urlencode(query)
            response = client.get(url)
            assert response.status_code != 500, url
