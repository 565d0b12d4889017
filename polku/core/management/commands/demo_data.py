from django.core.management.base import BaseCommand

from polku.core import demo


class Command(BaseCommand):
    help = "Load the demo organisations, paths and log-ins (idempotent)."

    def handle(self, *args, **options):
        created = demo.load_demo()
        self.stdout.write(
            "Demo data loaded." if created else "Demo data already present; nothing added."
        )
