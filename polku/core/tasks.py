"""Background tasks shared by all apps (run by `manage.py db_worker`)."""

from django.core.mail import EmailMessage
from django.tasks import task


@task()
def send_email(*, subject: str, body: str, to: list[str]) -> int:
    return EmailMessage(subject=subject, body=body, to=to).send()


@task()
def worker_heartbeat() -> str:
    """Proves the worker runs: its finished_at is what /readyz and the metrics read."""
    return "ok"
