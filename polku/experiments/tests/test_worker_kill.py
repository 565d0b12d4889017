"""A real worker process is killed (SIGKILL) between taking a reminder task and sending the
email; a restarted worker sends the reminder exactly once, and later runs send nothing more.

Processes: `manage.py send_due_reminders` (the cron job) and `manage.py db_worker` against a
temporary SQLite file. The first worker talks to an SMTP server that accepts the connection and
never answers, so it is stuck right before sending when it is killed."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
PY = sys.executable

SETUP = """
import datetime as dt
from django.utils import timezone
from polku.core.tests.factories import PathFactory, UnitFactory
from polku.experiments import services
today = timezone.localdate()
path = PathFactory(starts_on=today - dt.timedelta(days=30), checkin_interval_days=21)
unit = UnitFactory(organisation=path.organisation, name="Oulun osasto")
services.experiment_create(path=path, unit=unit, title="Kaveri-ilta",
    contact_email="oulu@example.org", first_step_on=today - dt.timedelta(days=21))
"""


def manage(env, *args, **kwargs):
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        **kwargs,
    )  # fmt: skip


def reminder_row(db):
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT status, attempts, claimed_at IS NOT NULL FROM experiments_reminder"
        ).fetchall()


def age_reminder(db, *, seconds):
    """The passage of time for the reminder's enqueue and claim, without sleeping (a loaded
    machine takes longer to start a process than any short stale window)."""
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT enqueued_at, claimed_at FROM experiments_reminder").fetchone()
        aged = [
            (datetime.fromisoformat(v) - timedelta(seconds=seconds)).isoformat(" ") for v in row
        ]
        conn.execute("UPDATE experiments_reminder SET enqueued_at = ?, claimed_at = ?", aged)


def test_killed_worker_then_restart_sends_the_reminder_exactly_once(tmp_path):
    db = tmp_path / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE",)}
    env.update(
        DATABASE_URL=f"sqlite:///{db}",
        DJANGO_SETTINGS_MODULE="config.settings.local",
        SECRET_KEY="worker-kill-test",
        POLKU_REMINDER_STALE_SECONDS="600",
        EMAIL_URL="console:",
    )
    manage(env, "migrate", "-v0")
    manage(env, "shell", "-c", SETUP)
    assert manage(env, "send_due_reminders").stdout.strip() == "1 reminder(s) enqueued"

    # An SMTP server that accepts and never greets: the worker hangs just before sending.
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(5)
    stuck_env = {**env, "EMAIL_URL": f"smtp://127.0.0.1:{hang.getsockname()[1]}"}
    worker = subprocess.Popen(
        [PY, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
        cwd=ROOT, env=stuck_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(300):
            if reminder_row(db) == [("queued", 1, 1)]:
                break
            time.sleep(0.1)
        assert reminder_row(db) == [("queued", 1, 1)]  # claimed, not sent
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        hang.close()
    assert b"Subject:" not in worker.stdout.read()

    # Right away (well within the 600 s window): the claim is fresh, nothing is enqueued again.
    assert manage(env, "send_due_reminders").stdout.strip() == "0 reminder(s) enqueued"
    age_reminder(db, seconds=601)
    # The claim went stale: the reminder is enqueued again (twice, as if two cron runs raced).
    assert manage(env, "send_due_reminders").stdout.strip() == "1 reminder(s) enqueued"
    manage(env, "shell", "-c", (
        "from polku.experiments.models import Reminder;"
        "from polku.experiments.tasks import send_checkin_reminder;"
        "send_checkin_reminder.enqueue(reminder_id=Reminder.objects.get().pk)"
    ))  # fmt: skip
    out = manage(env, "db_worker", "--batch", "--no-startup-delay", "--interval", "0").stdout
    assert out.count("Subject: Kuulumiset: miten Kaveri-ilta sujuu?") == 1
    assert "To: oulu@example.org" in out
    assert reminder_row(db) == [("sent", 2, 1)]

    # Later runs of the scheduler and the worker send nothing more for this slot.
    assert manage(env, "send_due_reminders").stdout.strip() == "0 reminder(s) enqueued"
    out = manage(env, "db_worker", "--batch", "--no-startup-delay", "--interval", "0").stdout
    assert "Subject:" not in out
