"""Upgrade: the previous release, with its demo data, migrates forward to this wheel and every
row is still there.

The previous release is the tag ``v0.1.0``; a clone without tags falls back to its commit
(d756700). 0.1.0 had no `make dist` yet, so it runs from its source tree (its own
requirements: the installed venv when its pins are the same, else a venv of its own). If
neither the tag nor the commit is in the clone (a shallow clone), the test fails: it never
passes without having upgraded something.
"""

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.prod.site import PG, ROOT, database_create, database_drop, log

PREVIOUS = ("v0.1.0", "d756700")
NEW_MIGRATION = ("organisations", "0002_retention")  # this release adds at least this one


def _previous_commit() -> tuple[str, str]:
    for ref in PREVIOUS:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode == 0:
            return ref, done.stdout.strip()
    pytest.fail(f"the previous release ({' or '.join(PREVIOUS)}) is not in this clone")


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.split("[")[0].strip().lower().replace("_", "-")] = version.strip()
    return pins


def _python_for(old: Path, site, work: Path) -> str:
    """The venv's python when it has exactly the old release's pins, else a venv of its own."""
    wanted = _pins((old / "requirements.txt").read_text())
    freeze = subprocess.run(
        [str(site.venv / "bin" / "pip"), "freeze"], capture_output=True, text=True, check=True
    ).stdout
    have = _pins(freeze)
    if all(have.get(name) == version for name, version in wanted.items()):
        return str(site.venv / "bin" / "python")
    venv = work / "old-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "-r", str(old / "requirements.txt")],
        check=True,
    )  # fmt: skip
    return str(venv / "bin" / "python")


def _state(database: str) -> tuple[set[tuple[str, str]], dict[str, int]]:
    with psycopg.connect(f"{PG}/{database}") as conn:
        applied = set(conn.execute("SELECT app, name FROM django_migrations").fetchall())
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
    return applied, counts


def test_previous_release_with_demo_data_migrates_forward(site, tmp_path):
    ref, commit = _previous_commit()
    old = tmp_path / "previous"
    old.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    assert (old / "manage.py").exists()
    python = _python_for(old, site, tmp_path)
    log(f"previous release {ref} ({commit[:7]}) with {python}")

    database = database_create("polku_upgrade")
    try:
        env = {
            "PATH": site.env["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8",
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": site.env["SECRET_KEY"], "ALLOWED_HOSTS": "localhost",
            "DATABASE_URL": f"{PG}/{database}",
        }  # fmt: skip
        for command in (["migrate", "--noinput", "-v0"], ["demo_data"]):
            done = subprocess.run([python, "manage.py", *command], cwd=old, env=env,
                                  capture_output=True, text=True, check=False)  # fmt: skip
            assert done.returncode == 0, done.stderr[-3000:]
        old_applied, old_counts = _state(database)
        assert len(old_applied) > 20
        assert NEW_MIGRATION not in old_applied
        assert old_counts["organisations_organisation"] == 3
        assert old_counts["experiments_experiment"] > 0 and old_counts["experiments_checkin"] > 0

        # this release: `polku migrate` on the old database, as the upgrade steps say
        upgrade_env = {**site.env, "DATABASE_URL": f"{PG}/{database}"}
        done = subprocess.run(
            [str(site.venv / "bin" / "polku"), "migrate", "--noinput"],
            env=upgrade_env, cwd=site.var, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        new_applied, new_counts = _state(database)
        plan = subprocess.run(
            [str(site.venv / "bin" / "polku"), "showmigrations", "--plan"],
            env=upgrade_env, cwd=site.var, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert "[ ]" not in plan  # nothing left unapplied
        assert old_applied < new_applied
        assert NEW_MIGRATION in new_applied - old_applied
        # every row of the previous release is still there; only the bookkeeping of the new
        # models grew (their content types and permissions, added by migrate)
        grown = {"django_migrations", "django_content_type", "auth_permission"}
        changed = {
            t: (n, new_counts.get(t))
            for t, n in old_counts.items()
            if t not in grown and new_counts.get(t) != n
        }
        assert changed == {}
        assert all(new_counts[t] >= old_counts[t] for t in grown)
        assert new_counts["django_content_type"] > old_counts["django_content_type"]

        # and this release serves it: the facilitator opens the demo path
        check = (
            "from django.test import Client\n"
            "from polku.paths.models import Path\n"
            "c = Client(HTTP_HOST='localhost')\n"
            "c.force_login(__import__('polku.accounts.models', fromlist=['User']).User.objects"
            ".get(email='fasilitaattori@polku.example'))\n"
            "p = Path.objects.get(organisation__slug='nuoret-auttajat')\n"
            "r = c.get(f'/o/nuoret-auttajat/paths/{p.pk}/', secure=True)\n"
            "print(r.status_code, p.name in r.content.decode())\n"
        )
        done = subprocess.run(
            [str(site.venv / "bin" / "polku"), "shell", "-c", check],
            env=upgrade_env, cwd=site.var, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.strip().splitlines()[-1] == "200 True"
    finally:
        database_drop(database)
