import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from polku.core import scheduler

logger = logging.getLogger("polku.scheduler")


class Command(BaseCommand):
    help = "Run periodic jobs (e.g. enqueue due check-in reminders) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--tick", type=float, default=30.0, help="seconds between checks")

    def handle(self, *args, once: bool, tick: float, **options):
        if once:
            for job in scheduler.JOBS.values():
                job.next_run = 0.0
            names = scheduler.run_due()
            self.stdout.write("ran: " + ", ".join(names))
            return
        logger.info("scheduler started: %s", ", ".join(sorted(scheduler.JOBS)))
        while True:
            close_old_connections()
            scheduler.run_due()
            time.sleep(tick)
