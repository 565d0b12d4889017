"""Browser-test fixtures: Playwright (sync API) driving Debian's /usr/bin/chromium.

Never `playwright install`: the pinned playwright version (see requirements-dev.txt) expects the
Chromium major version Debian ships. Without /usr/bin/chromium the tests skip with a reason,
unless POLKU_REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe-4.10.3.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("POLKU_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing (POLKU_REQUIRE_BROWSER=1)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(browser, **kwargs):
    context = browser.new_context(locale="fi-FI", timezone_id="Europe/Helsinki", **kwargs)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def page(browser):
    context = _context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = _context(
        browser,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def projector_page(browser):
    context = _context(browser, viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def axe_check():
    """Run axe-core on the page; fail on serious/critical WCAG 2.1 A/AA violations."""
    source = AXE.read_text()

    def check(page, *, context: str = "") -> list:
        # evaluate() is not subject to the page's CSP (an injected <script> would be blocked)
        page.evaluate(f"() => {{ {source}\n }}")
        page.evaluate("() => { if (!window.axe && typeof axe !== 'undefined') window.axe = axe; }")
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
                return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
            }"""
        )
        assert result == [], f"accessibility violations {context}: {result}"
        return result

    return check


def login(page, live_server, email: str, password: str = "pw-for-tests") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Sähköposti").fill(email)
    page.get_by_label("Salasana").fill(password)
    page.get_by_role("button", name="Kirjaudu").click()
    page.wait_for_load_state()
