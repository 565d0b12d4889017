from django.core.management.base import BaseCommand

from polku.core import demo


class Command(BaseCommand):
    help = "Print where Polku is served and the demo log-ins."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        url = f"http://{host}:{port}/"
        lines = [
            "",
            "  Polku is starting on " + url,
            "",
            "  Demo log-ins (password for all: " + demo.DEMO_PASSWORD + "):",
            f"    facilitator   {demo.FACILITATOR_EMAIL}",
            f"    coordinator   {demo.COORDINATOR_EMAIL}",
            f"    unit contact  {demo.UNIT_CONTACT_EMAIL}",
            f"    viewer        {demo.VIEWER_EMAIL}",
            "",
            "  Emails (invitations, check-in links) are printed in this terminal.",
            "  Stop with Ctrl-C.",
            "",
        ]
        self.stdout.write("\n".join(lines))
