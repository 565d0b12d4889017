"""`manage.py jury_verify FILE`: re-check a published jury lottery file (exit code 1 if not)."""

import json

from django.core.management.base import BaseCommand, CommandError

from polku.juries import lottery_adapter as lottery
from polku.juries.explain import verify_texts


class Command(BaseCommand):
    help = "Verify a published organisation-jury lottery file (commitment, panels, draw)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="lottery file (JSON) downloaded from Polku")

    def handle(self, *args, **options):
        try:
            with open(options["file"], encoding="utf-8-sig") as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}")
        result = lottery.verify_lottery_file(data)
        if not result.ok:
            for text in verify_texts(result):
                self.stderr.write(f"✗ {text}")
            raise CommandError("the lottery does not check out")
        panels = data["panels"]
        self.stdout.write(f"✓ commitment {data['commitment']}")
        self.stdout.write(f"✓ all {len(panels)} panels meet the quotas")
        self.stdout.write(
            f"✓ draw input → panel {result.index + 1}/{len(panels)}: {' '.join(panels[result.index])}"
        )
