"""Create and enqueue the check-in reminders that are due now. Safe to run as often as you like
(e.g. every 15 minutes from cron or a systemd timer); the task worker (`manage.py db_worker`)
sends them. A slot is never reminded twice."""

from django.core.management.base import BaseCommand

from polku.experiments.services import reminders_schedule_due


class Command(BaseCommand):
    help = "Enqueue due experiment check-in reminders (idempotent)."

    def handle(self, *args, **options):
        count = reminders_schedule_due()
        self.stdout.write(f"{count} reminder(s) enqueued")
