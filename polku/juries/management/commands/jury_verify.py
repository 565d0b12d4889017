"""`manage.py jury_verify FILE`: re-check a published jury lottery file (exit code 1 if not).

Every line is in one language: the site's (LANGUAGE_CODE) or the one given with --language."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from polku.juries import lottery_adapter as lottery
from polku.juries.explain import verify_texts


class Command(BaseCommand):
    help = "Verify a published organisation-jury lottery file (commitment, panels, draw)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="lottery file (JSON) downloaded from Polku")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="language of the output (default: the site's language)",
        )

    def handle(self, *args, **options):
        with translation.override(options["language"]):
            self._verify(options["file"])

    def _verify(self, path: str) -> None:
        try:
            with open(path, encoding="utf-8-sig") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            raise CommandError(_("The file %(file)s cannot be read as JSON.") % {"file": path})
        result = lottery.verify_lottery_file(data)
        if not result.ok:
            for text in verify_texts(result):
                self.stderr.write(f"✗ {text}")
            raise CommandError(_("The lottery does not check out."))
        assert result.index is not None
        self.stdout.write(
            "✓ " + _("Commitment %(c)s matches the file.") % {"c": data["commitment"]}
        )
        self.stdout.write(
            "✓ "
            + _("All %(n)s panels of the lottery meet the quotas.")
            % {"n": number_format(len(data["panels"]), force_grouping=True)}
        )
        self.stdout.write(
            "✓ "
            + _("The draw input picks slot %(i)s of %(m)s: %(panel)s")
            % {
                "i": number_format(result.index + 1, force_grouping=True),
                "m": number_format(result.m, force_grouping=True),
                "panel": " ".join(lottery.slot_panel(data, result.index)),
            }
        )
