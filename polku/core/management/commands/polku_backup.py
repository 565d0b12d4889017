import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from polku.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database and media files into one .tar.gz (consistent while the "
        "app runs). Restore with polku_restore."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="backup file (default: polku-backup-<UTC time>.tar.gz here)",
        )

    def handle(self, *args, output: Path | None, **options):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        output = output or Path(f"polku-backup-{stamp}.tar.gz")
        try:
            manifest = backup_create(output=output)
        except BackupError as error:
            raise CommandError(str(error))
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"Backed up {len(manifest['counts'])} tables ({rows} rows) and "
            f"{manifest['media_files']} media files to {output}"
        )
