"""Real-server helpers for the live-room tests: uvicorn in a subprocess on a free port
(OS-assigned) with a temporary SQLite file (or PostgreSQL) database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def free_port() -> int:
    """A port the OS just handed out as free. The OS cycles through its ephemeral range, so two
    test runs at once (or a developer's own server) do not get the same port, as they did when
    every run scanned upwards from a fixed number."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        SECRET_KEY="live-e2e-secret",
        DEBUG="1",
        **extra,
    )
    return env


def prepare_database(env: dict[str, str], *, code: str, activities: str) -> dict:
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [PY, "manage.py", "live_room", "--code", code, "--activities", activities],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


class Server:
    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Server:
        self.proc = subprocess.Popen(
            [PY, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--ws", "websockets-sansio", "--lifespan", "off",
             "--no-access-log", "--log-level", "warning"],
            cwd=ROOT, env=self.env, start_new_session=True,
        )  # fmt: skip
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                urllib.request.urlopen(self.url + "/j/", timeout=1).read()
                if self.proc.poll() is not None:  # someone else answered on our port
                    raise RuntimeError(f"uvicorn exited; port {self.port} is taken")
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("uvicorn exited") from None
                time.sleep(0.2)
        raise RuntimeError("uvicorn did not start")

    def kill(self) -> None:
        """Hard kill (SIGKILL): no graceful shutdown, no final flush."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def run_async(coro, timeout: float = 180.0):
    """asyncio.run in a fresh thread: Playwright's sync API may already run a loop here.
    The scenario is cancelled after `timeout` seconds so a lost socket cannot hang the suite."""
    import threading

    result: dict = {}

    def target() -> None:
        import asyncio

        try:
            result["value"] = asyncio.run(asyncio.wait_for(coro, timeout))
        except BaseException as error:  # re-raised in the test thread
            result["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout + 15)
    if thread.is_alive():
        raise TimeoutError(f"scenario still running after {timeout + 15:.0f} s")
    if "error" in result:
        raise result["error"]
    return result.get("value")
