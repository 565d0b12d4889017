"""Readiness of an instance, for the load balancer (``/readyz``) and the metrics.

* database: a ``SELECT 1`` answers;
* redis: with ``REDIS_URL`` set, ``PING`` answers;
* worker: the task worker ran the heartbeat task (enqueued by the scheduler every minute)
  within ``POLKU_WORKER_STALE_SECONDS`` — so a stopped worker *or* a stopped scheduler shows;
* migrations: none is waiting to be applied (an instance of a newer release started before
  ``migrate`` ran is not ready).

The heartbeat is an ordinary task of the queue (django-tasks-db keeps no worker table): the
scheduler enqueues one only when none is waiting, and keeps only the latest finished one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

HEARTBEAT_TASK = "polku.core.tasks.worker_heartbeat"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _stale_after() -> float:
    return float(getattr(settings, "POLKU_WORKER_STALE_SECONDS", 180))


def uses_db_worker() -> bool:
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    return backend == "django_tasks_db.DatabaseBackend"


def worker_heartbeat_age() -> float | None:
    """Seconds since the worker last finished a heartbeat task; None if it never did (or the
    tasks do not run in a worker at all)."""
    if not uses_db_worker():
        return None
    from django_tasks_db.models import DBTaskResult

    last = (
        DBTaskResult.objects.filter(task_path=HEARTBEAT_TASK, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if last is None:
        return None
    return max((timezone.now() - last).total_seconds(), 0.0)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return Check("database", False, error.__class__.__name__)
    return Check("database", True, "ok")


def check_redis() -> Check:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return Check("redis", True, "not configured")
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:
        return Check("redis", False, error.__class__.__name__)
    return Check("redis", True, "ok")


def check_worker() -> Check:
    if not uses_db_worker():
        return Check("worker", True, "tasks run in-process")
    try:
        age = worker_heartbeat_age()
    except Exception as error:
        return Check("worker", False, error.__class__.__name__)
    if age is None:
        return Check("worker", False, "no heartbeat yet")
    if age > _stale_after():
        return Check("worker", False, f"last heartbeat {age:.0f} s ago")
    return Check("worker", True, f"last heartbeat {age:.0f} s ago")


def check_migrations() -> Check:
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        return Check("migrations", False, error.__class__.__name__)
    if plan:
        return Check("migrations", False, f"{len(plan)} not applied")
    return Check("migrations", True, "ok")


_migrations_ok_at = 0.0


def readiness() -> list[Check]:
    """Every check, in order. A clean migration state is remembered for a minute (building the
    migration graph costs ~50 ms; a load balancer asks every few seconds)."""
    global _migrations_ok_at
    checks = [check_database(), check_redis(), check_worker()]
    if time.monotonic() - _migrations_ok_at < 60:
        checks.append(Check("migrations", True, "ok"))
    else:
        migrations = check_migrations()
        if migrations.ok:
            _migrations_ok_at = time.monotonic()
        checks.append(migrations)
    return checks


def heartbeat_enqueue() -> str:
    """Scheduler job: enqueue one heartbeat task unless one is already waiting; keep only the
    latest finished one. Idempotent, like every scheduled job."""
    if not uses_db_worker():
        return "skipped: tasks run in-process"
    from django_tasks_db.models import DBTaskResult

    from polku.core.tasks import worker_heartbeat

    beats = DBTaskResult.objects.filter(task_path=HEARTBEAT_TASK)
    latest = beats.filter(finished_at__isnull=False).order_by("-finished_at").first()
    if latest is not None:
        beats.filter(finished_at__isnull=False).exclude(pk=latest.pk).delete()
    if beats.filter(finished_at__isnull=True).exists():
        return "waiting"
    worker_heartbeat.enqueue()
    return "enqueued"
