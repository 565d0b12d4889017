"""Named rate limits on top of the ``limits`` library (sliding-window counters).

Each limit has a name and a limit string (``DEFAULT_LIMITS`` below; a deployment replaces any
of them in ``settings.POLKU_RATE_LIMITS``), e.g. ``"30/minute;200/hour"``; callers give the
keys (an address, an account, a room):

    if not ratelimit.hit("login.address", client_ip(request)):
        ...  # answer 429

Two storages:

* :func:`hit` / :func:`test` use ``settings.POLKU_RATELIMIT_STORAGE``: ``REDIS_URL`` when it is
  set (the counts are shared by every process of every instance), else ``memory://``. For
  ordinary (sync) views: log-in, password reset, anonymous uploads.
* :func:`local_hit` / :func:`local_test` always count in this process's memory: no I/O, cheap
  enough for the phone's path (async join page, websocket connect) where thousands of phones
  arrive within a minute.

A budget is for the whole site, however many processes serve it. Whatever counts in process
memory (the local limits always; the others without Redis) gets ``1/WEB_CONCURRENCY`` of each
amount, rounded up: the embedded mode's worker processes on one machine then never allow more
together than the budget. The price: one client whose requests all reach one process (a kept-
alive connection) meets half the budget with two processes. docs/security.md ("Rate limits").
"""

from __future__ import annotations

import math
from functools import cache

from django.conf import settings
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

__all__ = ["clear", "hit", "local_hit", "local_test", "reset", "shared", "test"]


DEFAULT_LIMITS: dict[str, str] = {
    # every log-in POST from one address (each costs a password hash)
    "login.address": "30/minute;300/hour",
    # failed log-ins of one account from any address; a password reset clears it
    "login.account": "20/15 minutes",
    "password_reset.address": "10/hour",
    "password_reset.account": "3/hour",
    # wrong join codes from one address (a hall behind one NAT mistypes too)
    "live.lookup_miss": "120/minute;1000/hour",
    # anonymous uploads (the jury lottery-file check) from one address
    "upload.address": "10/minute;60/hour",
}


@cache
def _items(name: str, spec: str, processes: int) -> tuple[RateLimitItem, ...]:
    """The limit's windows; each amount split between ``processes`` counting apart."""
    return tuple(
        type(item)(math.ceil(item.amount / processes), item.multiples, item.namespace)
        for item in parse_many(spec)
    )


def _limits(name: str, *, in_memory: bool) -> tuple[RateLimitItem, ...]:
    spec = settings.POLKU_RATE_LIMITS.get(name) or DEFAULT_LIMITS.get(name)
    if spec is None:
        raise ValueError(f"unknown rate limit {name!r}")
    return _items(name, spec, max(1, settings.WEB_CONCURRENCY) if in_memory else 1)


def shared() -> bool:
    """Do :func:`hit` counts reach every process (a storage outside process memory)?"""
    return not settings.POLKU_RATELIMIT_STORAGE.startswith("memory://")


_shared: SlidingWindowCounterRateLimiter | None = None
_local = SlidingWindowCounterRateLimiter(MemoryStorage())


def _shared_limiter() -> SlidingWindowCounterRateLimiter:
    global _shared
    if _shared is None:
        storage = storage_from_string(settings.POLKU_RATELIMIT_STORAGE)
        assert isinstance(storage, Storage), "POLKU_RATELIMIT_STORAGE must be a sync storage"
        _shared = SlidingWindowCounterRateLimiter(storage)
    return _shared


def _hit(limiter: SlidingWindowCounterRateLimiter, name: str, keys: tuple[str, ...]) -> bool:
    items = _limits(name, in_memory=limiter is _local or not shared())
    # test every window first, so a refused request does not use up the others
    if not all(limiter.test(item, name, *keys) for item in items):
        return False
    return all(limiter.hit(item, name, *keys) for item in items)


def _test(limiter: SlidingWindowCounterRateLimiter, name: str, keys: tuple[str, ...]) -> bool:
    items = _limits(name, in_memory=limiter is _local or not shared())
    return all(limiter.test(item, name, *keys) for item in items)


def hit(name: str, *keys: str) -> bool:
    """Count one request; False when the limit is already used up (nothing is counted then)."""
    return _hit(_shared_limiter(), name, keys)


def test(name: str, *keys: str) -> bool:
    """Would one more request be allowed? Counts nothing."""
    return _test(_shared_limiter(), name, keys)


def local_hit(name: str, *keys: str) -> bool:
    return _hit(_local, name, keys)


def local_test(name: str, *keys: str) -> bool:
    return _test(_local, name, keys)


def clear(name: str, *keys: str) -> None:
    """Forget the counts of one key (e.g. an account after a completed password reset)."""
    limiter = _shared_limiter()
    for item in _limits(name, in_memory=not shared()):
        limiter.clear(item, name, *keys)


def reset() -> None:
    """Forget every count (tests)."""
    global _shared
    _local.storage.reset()
    if _shared is not None:
        _shared.storage.reset()
    _shared = None
