"""The installed site as an admin checks it: `check --deploy`, the unit files, the headers a
browser gets through nginx, the probes and the metrics."""

import json
import re
import shutil
import subprocess

from tests.prod.site import DEPLOY, exec_start

UNITS = ["polku-web@.service", "polku-worker.service", "polku-scheduler.service", "polku.target"]


def test_check_deploy_has_no_warnings(site):
    result = site.polku("check", "--deploy", "--fail-level", "WARNING", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        result.stdout.strip().splitlines()[-1] == "System check identified no issues (0 silenced)."
    )


def test_systemd_units_verify_and_run_the_installed_commands(site, tmp_path):
    """systemd-analyze verify on the unit files as shipped, with /opt/polku/venv pointing at
    this venv (verify checks that every ExecStart binary exists)."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (Debian: apt install systemd)"
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text().replace("/opt/polku/venv", str(site.venv))
        (tmp_path / unit).write_text(text)
    (tmp_path / "polku-web@8001.service").write_text((tmp_path / "polku-web@.service").read_text())
    names = ["polku-web@8001.service", *UNITS[1:]]
    done = subprocess.run(
        [analyze, "verify", "--man=no", *[str(tmp_path / n) for n in names]],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    # Only complaints about the host itself may remain (no polku user, no unit dependencies
    # such as postgresql.service installed in this sandbox).
    problems = [
        line for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and not re.search(r"(postgresql|redis-server)\.service|network-online", line)
    ]  # fmt: skip
    assert problems == []
    assert done.returncode == 0
    assert exec_start("polku-web@.service", venv=site.venv, instance="8001") == [
        f"{site.venv}/bin/uvicorn", "config.asgi:application", "--host", "127.0.0.1",
        "--port", "8001", "--ws", "websockets-sansio", "--ws-per-message-deflate", "false",
        "--lifespan", "off", "--no-access-log",
        "--timeout-graceful-shutdown", "3",
    ]  # fmt: skip


def test_https_responses_carry_the_security_headers(site):
    status, headers, body = site.request(site.url + "/accounts/login/")
    assert status == 200
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert re.search(r"script-src 'self'( 'nonce-[^']+')?;", csp)
    cookie = headers["set-cookie"]
    assert "csrftoken=" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    css = re.search(rb'href="(/static/polku/css/app\.[0-9a-f]{12}\.css)"', body)
    assert css, "the page links the hashed stylesheet collectstatic made"
    status, headers, _ = site.request(site.url + css.group(1).decode())
    assert status == 200  # served by nginx from STATIC_ROOT
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"


def test_plain_http_is_redirected_to_https(site):
    status, headers, _ = site.request(f"http://localhost:{site.http_port}/j/?code=ABC")
    assert status == 301
    assert headers["location"] == f"https://localhost:{site.https_port}/j/?code=ABC"


def test_probes_and_metrics(site):
    status, _, body = site.request(site.url + "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, _, body = site.request(site.url + "/readyz")
    ready = json.loads(body)
    assert status == 200
    assert {name: check["ok"] for name, check in ready["checks"].items()} == {
        "database": True, "redis": True, "worker": True, "migrations": True,
    }  # fmt: skip
    assert ready["checks"]["redis"]["detail"] == "ok"
    # /metrics is not served through the proxy; each instance answers on its own port
    status, _, _ = site.request(site.url + "/metrics")
    assert status == 404
    status, _, body = site.request(site.instance_url(0) + "/metrics", headers={"Host": "localhost"})
    assert status == 200
    text = body.decode()
    for name in (
        "polku_http_requests_total", "polku_live_rooms", "polku_live_connections",
        "polku_live_phones_all_instances", "polku_live_inputs_total",
        "polku_live_batch_commit_seconds_bucket", "polku_tasks_queued",
        "polku_tasks_oldest_queued_seconds", "polku_worker_heartbeat_age_seconds",
    ):  # fmt: skip
        assert re.search(rf"^{name}[{{ ]", text, re.M), name


def test_logs_are_json_lines(site):
    for process in site.processes:
        lines = [line for line in process.output().splitlines() if line.strip()]
        assert lines, process.name
        for line in lines:
            record = json.loads(line)  # every line of every process is one JSON object
            assert {"level", "logger", "message", "time"} <= set(record), line
