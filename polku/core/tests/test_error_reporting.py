"""Errors go to a Sentry-compatible service when SENTRY_DSN is set: a real sentry-sdk in a
production-settings process sends its envelope to a small HTTP server standing in for the
service, and what arrives has no token in it."""

import gzip
import json
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "Zm9yZ2V0LW1lLXRva2VuLTEyMzQ1Njc4OTA"


class Collector(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        encoding = self.headers.get("content-encoding", "")
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        elif encoding == "br":
            import brotli  # sentry-sdk prefers brotli when it is installed (fonttools brings it)

            raw = brotli.decompress(raw)
        Collector.bodies.append(raw)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_an_error_log_reaches_the_sentry_dsn_without_the_token(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Collector.bodies = []
    code = (
        "import logging, sentry_sdk\n"
        "try:\n"
        f"    raise ValueError('check-in link /c/{TOKEN}/ failed')\n"
        "except ValueError:\n"
        "    logging.getLogger('polku.experiments').exception('sending a reminder failed')\n"
        "sentry_sdk.flush(5)\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "error-reporting-test-" + "abcdefghij" * 4,
        "POLKU_BASE_URL": "https://polku.example.org",
        "EMAIL_URL": "smtp://127.0.0.1:2525",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{server.server_port}/42",
    }
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    # the log line itself went to stdout as JSON, redacted
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["message"] == "sending a reminder failed"
    assert "ValueError: check-in link /c/[redacted]/ failed" in line["exc_info"]
    assert len(Collector.bodies) == 1
    envelope = Collector.bodies[0].decode()
    assert TOKEN not in envelope
    items = [json.loads(part) for part in envelope.splitlines() if part.startswith("{")]
    event = next(item for item in items if item.get("level") == "error")
    assert event["logentry"]["message"] == "sending a reminder failed"
    assert event["exception"]["values"][0]["value"] == "check-in link /c/[redacted]/ failed"
    assert event["release"].startswith("polku@")
    assert event["environment"] == "production"
