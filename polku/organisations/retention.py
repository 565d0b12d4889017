"""Data retention: a path's participant data is deleted ``Organisation.retention_days`` after
the path ends (its ``ends_on`` or its follow-up's end, whichever is later).

The apps that hold participant data register one purge step each with the ``path_retention``
hook (``polku.core.hooks``): the live rooms delete participant tokens and opted-in return codes,
experiments delete check-in links.
The scheduler enqueues ``retention_run`` every few hours; each path is purged once, and what
was deleted is written to the organisation's log (``LogEntry`` of kind ``retention``). Results
stay: inputs of anonymous activities were never linked to a participant, named ones lose the
link (the nickname written with them stays, as in the exports).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone

from polku.core import hooks
from polku.organisations.models import LogEntry
from polku.paths.models import Path

log = logging.getLogger("polku.retention")


def path_end(path: Path) -> dt.date:
    return max(path.ends_on, path.followup_until or path.ends_on)


def paths_due(*, today: dt.date) -> list[Path]:
    """Paths whose retention time has passed and that were not purged yet."""
    purged = LogEntry.objects.filter(kind=LogEntry.Kind.RETENTION, path__isnull=False).values(
        "path_id"
    )
    candidates = (
        Path.objects.select_related("organisation")
        .exclude(pk__in=purged)
        .filter(
            Q(ends_on__lt=today) & (Q(followup_until__isnull=True) | Q(followup_until__lt=today))
        )
        .annotate(days=F("organisation__retention_days"))
        .order_by("pk")
    )
    return [
        p
        for p in candidates
        if path_end(p) + dt.timedelta(days=p.organisation.retention_days) <= today
    ]


def retention_apply(*, today: dt.date | None = None) -> list[LogEntry]:
    """Purge every due path, one transaction each; return the log entries written."""
    today = today or timezone.localdate()
    entries = []
    for path in paths_due(today=today):
        with transaction.atomic():
            counts = hooks.path_retention.collect(path=path)
            entry = LogEntry.objects.create(
                organisation=path.organisation,
                kind=LogEntry.Kind.RETENTION,
                path=path,
                data={
                    "path": path.name,
                    "ended_on": path_end(path).isoformat(),
                    "retention_days": path.organisation.retention_days,
                    "deleted": counts,
                },
            )
        log.info(
            "retention: path %s of organisation %s purged: %s",
            path.pk, path.organisation.slug, counts,
        )  # fmt: skip
        entries.append(entry)
    return entries


@task()
def retention_run() -> int:
    return len(retention_apply())


def retention_enqueue() -> str:
    """Scheduler job: hand the purge to the worker (idempotent: purged paths are skipped)."""
    retention_run.enqueue()
    return "enqueued"
