"""Periodic jobs: a tiny in-process scheduler run by `manage.py scheduler` beside the task worker.

Django's tasks API has no periodic scheduling, so this loop calls each registered job every
`interval` seconds. Jobs must be idempotent (they only *enqueue* work for `db_worker`), so running
the scheduler on two machines at once, or restarting it, never sends anything twice. Apps register
jobs in their `AppConfig.ready()` with `register(name, func, every_seconds)`.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("polku.scheduler")


@dataclass
class Job:
    name: str
    func: Callable[[], object]
    every_seconds: int
    next_run: float = 0.0


JOBS: dict[str, Job] = {}


def register(name: str, func: Callable[[], object], every_seconds: int) -> None:
    JOBS[name] = Job(name, func, every_seconds)


def run_due(now: float | None = None) -> list[str]:
    """Run every job whose time has come; return their names. One failing job does not stop
    the others."""
    now = time.monotonic() if now is None else now
    ran = []
    for job in JOBS.values():
        if now < job.next_run:
            continue
        job.next_run = now + job.every_seconds
        try:
            result = job.func()
        except Exception:
            logger.exception("scheduled job %s failed", job.name)
        else:
            logger.info("scheduled job %s: %s", job.name, result)
        ran.append(job.name)
    return ran
