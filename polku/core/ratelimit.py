"""Named rate limits on top of the ``limits`` library (sliding-window counters).

Each limit has a name and a limit string in ``settings.POLKU_RATE_LIMITS`` (for example
``"30/minute;200/hour"``); callers give the keys (an address, an account, a room):

    if not ratelimit.hit("login.address", client_ip(request)):
        ...  # answer 429

Two storages:

* :func:`hit` / :func:`test` use ``settings.POLKU_RATELIMIT_STORAGE`` (``memory://`` by default;
  ``redis://…`` shares the counts between processes). For ordinary (sync) views: log-in,
  password reset, anonymous uploads.
* :func:`local_hit` / :func:`local_test` always count in this process's memory: no I/O, cheap
  enough for the phone's path (async join page, websocket connect) where thousands of phones
  arrive within a minute. Several processes each keep their own count.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

__all__ = ["clear", "hit", "local_hit", "local_test", "reset", "test"]


@cache
def _items(name: str, spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec))


def _limits(name: str) -> tuple[RateLimitItem, ...]:
    try:
        spec = settings.POLKU_RATE_LIMITS[name]
    except KeyError:
        raise ValueError(f"unknown rate limit {name!r}") from None
    return _items(name, spec)


_shared: SlidingWindowCounterRateLimiter | None = None
_local = SlidingWindowCounterRateLimiter(MemoryStorage())


def _shared_limiter() -> SlidingWindowCounterRateLimiter:
    global _shared
    if _shared is None:
        storage: Storage = storage_from_string(settings.POLKU_RATELIMIT_STORAGE)
        _shared = SlidingWindowCounterRateLimiter(storage)
    return _shared


def _hit(limiter: SlidingWindowCounterRateLimiter, name: str, keys: tuple[str, ...]) -> bool:
    items = _limits(name)
    # test every window first, so a refused request does not use up the others
    if not all(limiter.test(item, name, *keys) for item in items):
        return False
    return all(limiter.hit(item, name, *keys) for item in items)


def _test(limiter: SlidingWindowCounterRateLimiter, name: str, keys: tuple[str, ...]) -> bool:
    return all(limiter.test(item, name, *keys) for item in _limits(name))


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
    for item in _limits(name):
        limiter.clear(item, name, *keys)


def reset() -> None:
    """Forget every count (tests)."""
    global _shared
    _local.storage.reset()
    if _shared is not None:
        _shared.storage.reset()
    _shared = None
