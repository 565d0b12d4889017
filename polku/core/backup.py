"""Backup and restore of a whole Polku installation: the database and the media files.

A backup is one ``.tar.gz``:

* ``manifest.json`` — format, Polku version, database engine, applied migrations and the row
  count of every table, all taken from the same snapshot as the dump;
* ``database.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite's
  online backup);
* ``media/…`` — uploads and generated reports.

PostgreSQL: one ``REPEATABLE READ`` transaction exports its snapshot; the row counts are read
in it and ``pg_dump --snapshot`` dumps exactly that state, so a backup taken in the middle of a
live workshop is consistent (every input acknowledged before the snapshot is in it). Restore
goes into an *empty* database and checks every table's row count against the manifest.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from polku import __version__

FORMAT = "polku-backup/1"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the admin."""


@dataclass(frozen=True)
class RestoreReport:
    tables: int
    rows: int
    media_files: int
    version: str


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _pg_env() -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore: the password never appears in argv."""
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        PGHOST=str(db.get("HOST") or "localhost"),
        PGPORT=str(db.get("PORT") or 5432),
        PGUSER=str(db.get("USER") or ""),
        PGDATABASE=str(db["NAME"]),
    )
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt install postgresql-client).")
    return path


def _tables() -> list[str]:
    return sorted(connection.introspection.table_names(include_views=False))


def _counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    quote = connection.ops.quote_name
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (introspected names)
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _migrations(cursor: Any) -> dict[str, list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def _dump_postgresql(work: Path) -> tuple[Path, dict[str, int], dict[str, list[str]]]:
    """Counts and dump from one snapshot (pg_export_snapshot + pg_dump --snapshot)."""
    import psycopg

    env = _pg_env()
    tables = _tables()
    dump = work / "database.dump"
    params = {
        "host": env["PGHOST"], "port": env["PGPORT"], "user": env["PGUSER"] or None,
        "dbname": env["PGDATABASE"], "password": env.get("PGPASSWORD"),
    }  # fmt: skip
    with psycopg.connect(**{k: v for k, v in params.items() if v}) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        with conn.cursor() as cursor:
            counts = _counts(cursor, tables)
            applied = _migrations(cursor)
        done = subprocess.run(  # noqa: S603 (our own argv, no shell)
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
             f"--snapshot={snapshot}", f"--file={dump}"],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        conn.execute("COMMIT")
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return dump, counts, applied


def _dump_sqlite(work: Path) -> tuple[Path, dict[str, int], dict[str, list[str]]]:
    source = Path(settings.DATABASES["default"]["NAME"])
    copy = work / "database.sqlite3"
    with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)  # SQLite's online backup: a consistent copy while the app writes
    with sqlite3.connect(copy) as db:
        cursor = db.cursor()
        tables = [
            row[0]
            for row in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts = _counts(cursor, sorted(tables))
        applied = _migrations(cursor)
    return copy, counts, applied


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def backup_create(*, output: Path) -> dict[str, Any]:
    """Write a backup to ``output`` (.tar.gz); return its manifest."""
    engine = _engine()
    with tempfile.TemporaryDirectory(prefix="polku-backup-") as tmp:
        work = Path(tmp)
        if engine == "postgresql":
            dump, counts, applied = _dump_postgresql(work)
        else:
            dump, counts, applied = _dump_sqlite(work)
        media = _media_files()
        manifest = {
            "format": FORMAT,
            "version": __version__,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": engine,
            "migrations": applied,
            "counts": counts,
            "media_files": len(media),
        }
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
            archive.add(dump, arcname=dump.name)
            root = Path(settings.MEDIA_ROOT)
            for path in media:
                archive.add(path, arcname=f"media/{path.relative_to(root)}")
        partial.chmod(0o600)
        partial.replace(output)  # a backup file that exists is a complete one
    return manifest


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.extractfile("manifest.json")
    except KeyError:
        raise BackupError("Not a Polku backup: manifest.json is missing.")
    if member is None:
        raise BackupError("Not a Polku backup: manifest.json is missing.")
    manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r} (expected {FORMAT}).")
    return manifest


def _require_empty_database() -> None:
    tables = _tables()
    if tables:
        raise BackupError(
            f"The database {settings.DATABASES['default']['NAME']} is not empty "
            f"({len(tables)} tables). Restore into a new, empty database."
        )


def _restore_postgresql(dump: Path) -> None:
    done = subprocess.run(  # noqa: S603 (our own argv, no shell)
        [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
         "--single-transaction", f"--dbname={_pg_env()['PGDATABASE']}", str(dump)],
        env=_pg_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def _restore_sqlite(copy: Path) -> None:
    target = Path(settings.DATABASES["default"]["NAME"])
    connection.close()
    with sqlite3.connect(copy) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def backup_restore(*, source: Path) -> RestoreReport:
    """Restore ``source`` into the (empty) configured database and MEDIA_ROOT, then check
    every table's row count against the manifest."""
    engine = _engine()
    with tarfile.open(source, "r:gz") as archive:
        manifest = _read_manifest(archive)
        if manifest["database"] != engine:
            raise BackupError(
                f"This backup is of a {manifest['database']} database; the configured one is "
                f"{engine}. Use the same kind of database (or export and import the data)."
            )
        _require_empty_database()
        with tempfile.TemporaryDirectory(prefix="polku-restore-") as tmp:
            name = "database.dump" if engine == "postgresql" else "database.sqlite3"
            archive.extract(name, tmp, filter="data")
            if engine == "postgresql":
                _restore_postgresql(Path(tmp) / name)
            else:
                _restore_sqlite(Path(tmp) / name)
        media_root = Path(settings.MEDIA_ROOT)
        media = [m for m in archive.getmembers() if m.name.startswith("media/") and m.isfile()]
        for member in media:
            member.name = member.name.removeprefix("media/")
            archive.extract(member, media_root, filter="data")
    connection.close()
    with connection.cursor() as cursor:
        counts = _counts(cursor, sorted(manifest["counts"]))
    wrong = {t: (n, counts[t]) for t, n in manifest["counts"].items() if counts[t] != n}
    if wrong:
        details = ", ".join(f"{t}: {a} in the backup, {b} restored" for t, (a, b) in wrong.items())
        raise BackupError(f"Restored row counts differ from the backup: {details}")
    return RestoreReport(
        tables=len(counts),
        rows=sum(counts.values()),
        media_files=len(media),
        version=manifest["version"],
    )


def applied_migrations() -> set[tuple[str, str]]:
    return set(MigrationRecorder(connection).applied_migrations())
