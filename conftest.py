"""Project-wide pytest fixtures.

Tests that need PostgreSQL or Redis use the `postgres_url` / `redis_url` fixtures: they skip with
a clear reason when the service is unreachable, unless POLKU_REQUIRE_SERVICES=1 (set in .ci/run),
in which case they fail.
"""

import os

import pytest

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"

# The production job's tests install the built wheel and start a whole site; they run only in
# `make test-prod` (POLKU_PROD_TESTS=1), not in `make test`.
collect_ignore = [] if os.environ.get("POLKU_PROD_TESTS") == "1" else ["tests/prod"]
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def services_required() -> bool:
    return os.environ.get("POLKU_REQUIRE_SERVICES") == "1"


def _unavailable(what: str, url: str, exc: Exception):
    message = f"{what} at {url} is unreachable ({exc.__class__.__name__}: {exc})"
    if services_required():
        pytest.fail(message + " and POLKU_REQUIRE_SERVICES=1")
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        _unavailable("Redis", url, exc)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    import psycopg

    url = (
        os.environ.get("POLKU_TEST_POSTGRES_URL")
        or (
            os.environ.get("DATABASE_URL", "")
            if os.environ.get("DATABASE_URL", "").startswith("postgres")
            else ""
        )
        or DEFAULT_POSTGRES_URL
    )
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except Exception as exc:
        _unavailable("PostgreSQL", url, exc)
    return url


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (Finnish): a test that activates Swedish or
    English must not leak it into the next one."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counts live in process memory: every test starts with none."""
    from polku.core import ratelimit

    ratelimit.reset()
    yield
    ratelimit.reset()
