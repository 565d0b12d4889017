"""polku_backup / polku_restore: SQLite round trip (the default mode) and the refusals. The
PostgreSQL backup in the middle of a live workshop is tests/prod/test_backup_restore.py."""

import io
import json
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.db import connection

from polku.core.backup import BackupError, backup_restore

ROOT = Path(__file__).resolve().parents[3]


def _archive(path: Path, manifest: dict | None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        if manifest is not None:
            data = json.dumps(manifest).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _other_vendor() -> str:
    return "sqlite" if connection.vendor == "postgresql" else "postgresql"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (None, "Not a Polku backup: manifest.json is missing."),
        ({"format": "other/9"}, "Unknown backup format 'other/9' (expected polku-backup/1)."),
        (
            {"format": "polku-backup/1", "database": "OTHER"},
            "This backup is of a OTHER database; the configured one is CONFIGURED.",
        ),
    ],
)
def test_restore_refuses_what_is_not_a_backup_of_this_kind(tmp_path, manifest, message):
    """Runs on both suites: the mismatching kind is whichever the configured database is not."""
    if manifest and manifest.get("database") == "OTHER":
        manifest = {**manifest, "database": _other_vendor()}
        message = message.replace("OTHER", _other_vendor()).replace("CONFIGURED", connection.vendor)
    with pytest.raises(BackupError) as error:
        backup_restore(source=_archive(tmp_path / "b.tar.gz", manifest))
    assert str(error.value).startswith(message)


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    manifest = {"format": "polku-backup/1", "database": connection.vendor}
    source = _archive(tmp_path / "b.tar.gz", manifest)
    with pytest.raises(BackupError, match=r"is not empty \(\d+ tables\)\. Restore into a new"):
        backup_restore(source=source)


def _manage(*args: str, db: Path, media: Path) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{db}",
        "MEDIA_ROOT": str(media),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False, timeout=120,
    )  # fmt: skip


def test_sqlite_backup_and_restore_round_trip(tmp_path):
    """A file database with a live room; media files too. (Test settings keep media in
    memory, so this runs the commands in processes with a file database.)"""
    db, restored = tmp_path / "polku.sqlite3", tmp_path / "restored.sqlite3"
    media = tmp_path / "media"
    (media / "reports").mkdir(parents=True)
    (media / "reports" / "impact.pdf").write_bytes(b"%PDF-1.7 test")
    script = (
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "call_command('live_room', '--code', 'SQLITE')\n"
    )
    done = _manage("shell", "-c", script, db=db, media=media)
    assert done.returncode == 0, done.stderr
    done = _manage("polku_backup", "--output", str(tmp_path / "b.tar.gz"), db=db, media=media)
    assert done.returncode == 0, done.stderr
    assert "and 1 media files to" in done.stdout
    restored_media = tmp_path / "restored-media"
    done = _manage("polku_restore", str(tmp_path / "b.tar.gz"), db=restored, media=restored_media)
    assert done.returncode == 0, done.stderr
    assert "every count checked) and 1 media files from Polku" in done.stdout
    assert (restored_media / "reports" / "impact.pdf").read_bytes() == b"%PDF-1.7 test"
    query = "SELECT join_code, status FROM workshops_workshopday"
    with sqlite3.connect(db) as a, sqlite3.connect(restored) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall() == [("SQLITE", "live")]
