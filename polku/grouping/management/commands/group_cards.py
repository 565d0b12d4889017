"""``manage.py group_cards FILE.json``: group card texts exactly as the console does.

Reads a JSON list of card texts (``-`` reads standard input) and prints a JSON list with one
group label per card, in order; every ungrouped card gets a label of its own. ``--names``
prints the groups with their suggested names instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from polku.grouping import engine, services


class Command(BaseCommand):
    help = "Group a JSON list of card texts; print one group label per card."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="JSON file with a list of card texts, or - for stdin")
        parser.add_argument("--level", type=int, default=0, help="fewer (<0) or more (>0) groups")
        parser.add_argument("--names", action="store_true", help="print groups with names")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            raw = (
                sys.stdin.read()
                if options["file"] == "-"
                else Path(options["file"]).read_text("utf-8")
            )
            texts = json.loads(raw)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read a JSON list of card texts: {exc}")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise CommandError("The file must hold a JSON list of strings (card texts).")
        if len(texts) > engine.MAX_CARDS:
            raise CommandError(f"At most {engine.MAX_CARDS} cards at a time.")
        cards = [(str(i), text) for i, text in enumerate(texts)]
        services.embeddings_warm(texts=texts)
        suggestion = services.suggestions_make(cards=cards, level=options["level"])
        if suggestion.message:
            self.stderr.write(str(services.MESSAGES[suggestion.message]))
        if options["names"]:
            body: Any = services.suggestion_json(suggestion, dict(cards))
        else:
            body = engine.labels(suggestion, [c for c, _ in cards])
        self.stdout.write(json.dumps(body, ensure_ascii=False))
