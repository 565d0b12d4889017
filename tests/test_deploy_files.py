"""deploy/: the environment file explains every setting; the units run what the docs say."""

import re
from pathlib import Path

from tests.prod.site import DEPLOY, exec_start, parse_env_file

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = [ROOT / "config" / "settings" / name for name in ("base.py", "production.py")]


def _documented() -> set[str]:
    text = (DEPLOY / "polku.env").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.M))


def test_every_setting_read_from_the_environment_is_explained_in_the_env_file():
    read = set()
    for path in SETTINGS:
        read |= set(
            re.findall(r'(?:os\.environ\.get|env_list)\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text())
        )
    assert len(read) >= 15
    assert read - _documented() == set()


def test_env_file_parses_as_systemd_and_sh_read_it():
    values = parse_env_file((DEPLOY / "polku.env").read_text())
    assert values["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert values["POLKU_BASE_URL"].startswith("https://")
    assert values["DEFAULT_FROM_EMAIL"] == "Polku <polku@example.org>"
    assert "DEBUG" not in values  # only mentioned, never set


def test_units_run_as_polku_with_the_env_file_and_the_installed_venv():
    for unit in ("polku-web@.service", "polku-worker.service", "polku-scheduler.service"):
        text = (DEPLOY / "systemd" / unit).read_text()
        assert "\nUser=polku\n" in text and "\nGroup=polku\n" in text
        assert "\nEnvironmentFile=/etc/polku/polku.env\n" in text
        assert "\nProtectSystem=strict\n" in text and "\nReadWritePaths=/var/lib/polku\n" in text
        assert "\nRestart=always\n" in text
        assert "\nPartOf=polku.target\n" in text
    venv = Path("/opt/polku/venv")
    assert exec_start("polku-worker.service", venv=venv) == [
        "/opt/polku/venv/bin/polku", "db_worker", "--interval", "1", "--no-reload",
    ]  # fmt: skip
    assert exec_start("polku-scheduler.service", venv=venv) == [
        "/opt/polku/venv/bin/polku",
        "scheduler",
    ]
    assert "LimitNOFILE=65536" in (DEPLOY / "systemd" / "polku-web@.service").read_text()
