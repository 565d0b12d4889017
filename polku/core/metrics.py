"""Prometheus metrics of one Polku process (prometheus-client), served at ``/metrics``.

Each uvicorn instance is one process with its own registry; Prometheus scrapes every instance
and adds the ``instance`` label. What the live engine counts (inputs, batch commits) is
incremented by the engine itself (``polku/live/engine/room.py``); what can be read at scrape
time (rooms, connections, the task queue, the worker heartbeat) is read then, so nothing has to
keep a gauge up to date.

Useful queries::

    rate(polku_live_inputs_total[1m])                       inputs per second
    histogram_quantile(0.95, rate(polku_live_batch_commit_seconds_bucket[5m]))
    sum(polku_live_connections{audience="phone"})           phones, all instances
    polku_live_phones_all_instances                         the same, as one instance sees it
    polku_tasks_queued, polku_tasks_oldest_queued_seconds   task queue depth and age
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("polku.metrics")

# -- counted where it happens ---------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "polku_http_requests",
    "HTTP requests answered, by URL name, method and status code.",
    ["view", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "polku_http_request_duration_seconds",
    "Time from the request reaching Django to the response, by method.",
    ["method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LIVE_INPUTS = Counter(
    "polku_live_inputs",
    "Participant inputs stored and acknowledged by the live rooms of this instance.",
)
LIVE_BATCH_COMMIT = Histogram(
    "polku_live_batch_commit_seconds",
    "Duration of one batch write (events, new participants) of a live room.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

INSTANCE = os.environ.get("POLKU_INSTANCE", "")
PHONES_KEY = "polku:metrics:phones"
PHONES_FRESH_SECONDS = 60


def instance_name() -> str:
    """This process in the Redis sum: the unit's POLKU_INSTANCE (host:port) plus the process
    id, since one instance may run WEB_CONCURRENCY worker processes."""
    if INSTANCE:
        return f"{INSTANCE}/{os.getpid()}"
    from polku.live.engine import bridge

    return bridge.INSTANCE_ID


# -- read at scrape time -------------------------------------------------------------------
def live_counts() -> dict[str, int]:
    """Rooms and sockets of this process (read from the engine's registry)."""
    from polku.live.engine import rooms

    for _ in range(3):  # the event loop may add a room while we read; read again then
        try:
            loaded = list(rooms.values())
            counts = {"rooms": len(loaded), "phone": 0, "screen": 0, "console": 0}
            for room in loaded:
                for audience, conns in list(room.conns.items()):
                    counts[audience] = counts.get(audience, 0) + len(conns)
            return counts
        except RuntimeError:
            continue
    return {"rooms": 0, "phone": 0, "screen": 0, "console": 0}


def phones_all_instances(phones_here: int) -> int:
    """Connected phones summed over every instance that reported within a minute (Redis);
    this instance's own count without Redis."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return phones_here
    import redis

    now = time.time()
    client = redis.Redis.from_url(
        url, socket_timeout=1, socket_connect_timeout=1, decode_responses=True
    )
    try:
        client.hset(PHONES_KEY, instance_name(), f"{phones_here}:{now:.0f}")
        client.expire(PHONES_KEY, 24 * 3600)
        total = 0
        for field, value in client.hgetall(PHONES_KEY).items():
            count, _, at = str(value).partition(":")
            if now - float(at or 0) <= PHONES_FRESH_SECONDS:
                total += int(count)
            else:
                client.hdel(PHONES_KEY, field)
        return total
    finally:
        client.close()


def task_queue() -> tuple[int, float]:
    """(tasks waiting to run, age in seconds of the oldest), from django-tasks-db's table."""
    from django.db.models import Min
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready()
    stats = waiting.aggregate(oldest=Min("enqueued_at"))
    count = waiting.count()
    oldest = stats["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return count, max(age, 0.0)


class PolkuCollector(Collector):
    def describe(self) -> list:
        return []  # read at scrape time only (registering must not touch the database)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from polku.core import health

        counts = live_counts()
        rooms = GaugeMetricFamily("polku_live_rooms", "Live rooms loaded in this instance.")
        rooms.add_metric([], counts["rooms"])
        yield rooms
        conns = GaugeMetricFamily(
            "polku_live_connections", "Open live sockets in this instance.", labels=["audience"]
        )
        for audience in ("phone", "screen", "console"):
            conns.add_metric([audience], counts.get(audience, 0))
        yield conns
        try:
            total = phones_all_instances(counts["phone"])
        except Exception as error:
            log.warning("phones of all instances unavailable: %s", error.__class__.__name__)
        else:
            all_phones = GaugeMetricFamily(
                "polku_live_phones_all_instances",
                "Connected phones summed over all instances reporting within a minute.",
            )
            all_phones.add_metric([], total)
            yield all_phones
        try:
            queued, age = task_queue()
            beat = health.worker_heartbeat_age()
        except Exception as error:
            log.warning("task queue metrics unavailable: %s", error.__class__.__name__)
            return
        depth = GaugeMetricFamily("polku_tasks_queued", "Background tasks waiting to run.")
        depth.add_metric([], queued)
        yield depth
        oldest = GaugeMetricFamily(
            "polku_tasks_oldest_queued_seconds", "Age of the oldest task waiting to run."
        )
        oldest.add_metric([], age)
        yield oldest
        if beat is not None:
            heartbeat = GaugeMetricFamily(
                "polku_worker_heartbeat_age_seconds",
                "Seconds since the task worker last ran its heartbeat task.",
            )
            heartbeat.add_metric([], beat)
            yield heartbeat


COLLECTOR = PolkuCollector()


def register(registry: CollectorRegistry = REGISTRY) -> None:
    with contextlib.suppress(ValueError):  # registered already
        registry.register(COLLECTOR)


# -- request middleware ---------------------------------------------------------------------
class MetricsMiddleware:
    """Counts every response by URL name (never by raw path: paths carry tokens)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        start = time.perf_counter()
        response = self.get_response(request)
        self._count(request, response, start)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = await self.get_response(request)
        self._count(request, response, start)
        return response

    @staticmethod
    def _count(request: HttpRequest, response: HttpResponse, start: float) -> None:
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else "unmatched"
        method = request.method if request.method in KNOWN_METHODS else "other"
        HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
        HTTP_LATENCY.labels(method).observe(time.perf_counter() - start)


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
