"""Background tasks shared by all apps (run by `manage.py db_worker`).

``send_email`` lives beside its registry in ``polku.core.email``.
"""

from django.tasks import task

from polku.core.email import send_email

__all__ = ["send_email", "worker_heartbeat"]


@task()
def worker_heartbeat() -> str:
    """Proves the worker runs: its finished_at is what /readyz and the metrics read."""
    return "ok"
