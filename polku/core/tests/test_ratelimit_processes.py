"""A rate budget is for the whole site, however many processes serve it: shared through Redis
when there is one, split between the embedded mode's worker processes when there is none."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from polku.core import ratelimit

ROOT = Path(__file__).resolve().parents[3]

WORKER = """
import django
django.setup()
from django.conf import settings
from polku.core import ratelimit
allowed = sum(ratelimit.hit("login.address", "198.51.100.7") for _ in range(40))
local = sum(ratelimit.local_hit("live.lookup_miss", "198.51.100.7") for _ in range(200))
print(settings.POLKU_RATELIMIT_STORAGE, allowed, local)
"""


def _worker(env: dict[str, str]) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "POLKU_", "WEB_"))}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        stdout=subprocess.PIPE,
        text=True,
    )


def test_two_worker_processes_without_redis_allow_one_budget_together():
    """login.address is 30/minute: each of two processes counting in memory allows 15;
    live.lookup_miss (120/minute) 60 each. Together exactly the budget, never twice it."""
    workers = [_worker({"WEB_CONCURRENCY": "2"}) for _ in range(2)]
    outputs = [w.communicate(timeout=120)[0].split() for w in workers]
    assert outputs == [["memory://", "15", "60"], ["memory://", "15", "60"]]


def test_one_process_alone_has_the_whole_budget():
    worker = _worker({"WEB_CONCURRENCY": "1"})
    assert worker.communicate(timeout=120)[0].split() == ["memory://", "30", "120"]


def test_redis_is_the_storage_whenever_redis_url_is_set():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "POLKU_"))}
    check = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         "print(settings.POLKU_RATELIMIT_STORAGE)"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.test",
             "REDIS_URL": "redis://cache:6379/2"},
    )  # fmt: skip
    assert check.stdout.split() == ["redis://cache:6379/2"]


def test_two_redis_storages_count_one_budget(redis_url, settings):
    """Two processes are two storage clients of one Redis: what one counts, the other sees."""
    settings.POLKU_RATE_LIMITS = {"login.address": "3/minute"}
    settings.POLKU_RATELIMIT_STORAGE = redis_url
    settings.WEB_CONCURRENCY = 2  # shared counts are not split
    first = SlidingWindowCounterRateLimiter(storage_from_string(redis_url))
    second = SlidingWindowCounterRateLimiter(storage_from_string(redis_url))
    address = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex}"
    results = [
        ratelimit._hit(limiter, "login.address", (address,))
        for limiter in (first, second, first, second, first)
    ]
    assert results == [True, True, True, False, False]
    assert ratelimit._test(second, "login.address", (address,)) is False
    for item in ratelimit._limits("login.address", in_memory=False):
        first.clear(item, "login.address", address)
