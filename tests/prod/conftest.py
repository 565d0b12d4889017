"""Fixtures of the production job (`make test-prod`): one installed site for the session.

These tests run only with POLKU_PROD_TESTS=1 (the root conftest leaves tests/prod out
otherwise): they install the wheel from `make dist` (POLKU_DIST, default dist/) into a fresh
venv and need PostgreSQL, Redis, nginx, openssl and Chromium. Nothing is skipped here: a missing
piece fails the job.
"""

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, browser  # noqa: F401 (fixture)
from tests.prod.site import ROOT, Site


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.services)


def dist_wheel() -> Path:
    dist = Path(os.environ.get("POLKU_DIST", ROOT / "dist"))
    wheels = sorted(dist.glob("polku-*-py3-none-any.whl"))
    if len(wheels) != 1:
        pytest.fail(f"expected one Polku wheel in {dist} (run make dist), found {wheels}")
    return wheels[0]


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    site = Site(work=tmp_path_factory.mktemp("prod"), wheel=dist_wheel())
    try:
        site.start()
    except BaseException:
        print(site.logs_text())
        site.stop()
        raise
    yield site
    site.stop()


@pytest.fixture
def context_factory(browser):  # noqa: F811
    contexts = []

    def make(**kwargs):
        context = browser.new_context(
            locale="fi-FI", timezone_id="Europe/Helsinki", ignore_https_errors=True, **kwargs
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
