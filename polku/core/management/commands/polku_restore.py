from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from polku import __version__
from polku.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a polku_backup file into an empty database (DATABASE_URL) and MEDIA_ROOT, "
        "checking every table's row count."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="the .tar.gz made by polku_backup")

    def handle(self, *args, backup: Path, **options):
        if not backup.is_file():
            raise CommandError(f"{backup} does not exist.")
        try:
            report = backup_restore(source=backup)
        except BackupError as error:
            raise CommandError(str(error))
        self.stdout.write(
            f"Restored {report.tables} tables ({report.rows} rows, every count checked) and "
            f"{report.media_files} media files from Polku {report.version}."
        )
        if report.version != __version__:
            self.stdout.write(f"This is Polku {__version__}: now run `polku migrate`.")
