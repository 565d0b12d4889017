"""Housekeeping writes of the foundation: what is kept about background work and log-ins."""

from __future__ import annotations

import datetime as dt

from axes.models import AccessAttempt
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

#: finished task rows are kept this long (for "what did the worker do"), then deleted
TASK_RESULTS_KEPT = dt.timedelta(days=7)
#: failed log-in records (account, address) are kept this long, then deleted
LOGIN_ATTEMPTS_KEPT = dt.timedelta(days=1)


def task_results_prune(*, now: dt.datetime | None = None) -> int:
    """Delete finished task rows older than TASK_RESULTS_KEPT; returns how many."""
    cutoff = (now or timezone.now()) - TASK_RESULTS_KEPT
    deleted, _by_model = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def login_attempts_prune(*, now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - LOGIN_ATTEMPTS_KEPT
    deleted, _by_model = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
    return deleted


def housekeeping() -> str:
    """The scheduler's hourly job (``core.housekeeping``)."""
    return f"{task_results_prune()} task rows, {login_attempts_prune()} log-in records deleted"
