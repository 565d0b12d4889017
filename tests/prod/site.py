"""A Polku production site on this machine, installed the way docs/deploy.md says.

The wheel from ``make dist`` goes into a fresh virtualenv; the environment comes from
``deploy/polku.env`` with this machine's values filled in; the web instances, the worker and the
scheduler run the ``ExecStart`` lines of ``deploy/systemd/*.service`` (with the venv's path for
``/opt/polku/venv``); nginx runs ``deploy/nginx/polku.conf`` with TLS (a self-signed certificate
made here); PostgreSQL and Redis are the machine's; email goes to a local SMTP server that keeps
every message for the test.

Nothing runs under systemd here (the sandbox has none running): the same command lines run as
child processes, and ``systemd-analyze verify`` checks the unit files themselves.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import re
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PG = os.environ.get("POLKU_TEST_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("POLKU_TEST_REDIS", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[prod {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_env_file(text: str) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile reads them (comments skipped, one level of
    quotes removed)."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"not KEY=value: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def exec_start(unit: str, *, venv: Path, instance: str = "") -> list[str]:
    """The ExecStart command of a unit file in deploy/systemd, for this venv."""
    text = (DEPLOY / "systemd" / unit).read_text()
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    command = line.removeprefix("ExecStart=").replace("%i", instance)
    return [part.replace("/opt/polku/venv", str(venv)) for part in shlex.split(command)]


def database_create(prefix: str = "polku_prod") -> str:
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def database_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Mailbox:
    """A real SMTP server (aiosmtpd) on a free port; keeps every message."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                mailbox.messages.append(message)  # type: ignore[arg-type]
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(
        self, to: str, *, after: int = 0, timeout: float = 30
    ) -> email.message.EmailMessage:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for message in self.messages[after:]:
                if to in message["To"]:
                    return message
            time.sleep(0.2)
        raise AssertionError(f"no email to {to} within {timeout} s ({len(self.messages)} in all)")


@dataclass
class Process:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    log_path: Path | None = None

    def start(self, *, env: dict[str, str], cwd: Path, logs: Path) -> Process:
        self.log_path = logs / f"{self.name}.log"
        handle = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        handle.close()
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


@dataclass
class Site:
    """Everything of one installed site; ``start()`` brings it up, ``stop()`` takes it down."""

    work: Path
    wheel: Path
    instances: int = 2
    venv: Path = field(init=False)
    env: dict[str, str] = field(init=False, default_factory=dict)
    database: str = ""
    https_port: int = 0
    http_port: int = 0
    web_ports: list[int] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    mailbox: Mailbox | None = None
    nginx: object | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.venv = self.work / "venv"
        self.var = self.work / "var"  # /var/lib/polku
        self.logs = self.work / "logs"

    # -- installing (docs/deploy.md, "Install") ---------------------------------------------
    def _timed(self, name: str, start: float) -> None:
        self.timings[name] = round(time.monotonic() - start, 1)
        log(f"{name}: {self.timings[name]} s")

    def install(self) -> None:
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        subprocess.run(
            [str(self.venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
             str(self.wheel)],
            check=True,
        )  # fmt: skip
        self._timed("install wheel into a fresh venv", start)

    def configure(self) -> None:
        """deploy/polku.env with this machine's values, as the docs tell the admin to edit it."""
        self.database = database_create()
        self.https_port, self.http_port = free_port(), free_port()
        self.web_ports = [free_port() for _ in range(self.instances)]
        self.mailbox = Mailbox().start()
        for path in (self.var / "static", self.var / "media", self.logs):
            path.mkdir(parents=True, exist_ok=True)
        values = parse_env_file((DEPLOY / "polku.env").read_text())
        values.update(
            SECRET_KEY="prod-test-" + uuid.uuid4().hex + uuid.uuid4().hex,
            POLKU_BASE_URL=f"https://localhost:{self.https_port}",
            DATABASE_URL=f"{PG}/{self.database}",
            REDIS_URL=REDIS,
            EMAIL_URL=f"smtp://127.0.0.1:{self.mailbox.port}",
            STATIC_ROOT=str(self.var / "static"),
            MEDIA_ROOT=str(self.var / "media"),
            DEFAULT_FROM_EMAIL="Polku <polku@localhost>",
        )
        assert values["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        self.env_file = self.work / "polku.env"
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        self.env = {
            "PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.var),
            "LANG": "C.UTF-8",
            **parse_env_file(self.env_file.read_text()),
        }

    def polku(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess:
        """`polku <command>` as the admin runs it (the venv's console script)."""
        return subprocess.run(
            [str(self.venv / "bin" / "polku"), *args], env=self.env, cwd=self.var,
            capture_output=True, text=True, check=check, timeout=timeout,
        )  # fmt: skip

    def prepare(self) -> None:
        start = time.monotonic()
        self.polku("collectstatic", "--noinput", "-v0")
        self.polku("migrate", "--noinput", "-v0")
        self.polku("demo_data")
        self._timed("collectstatic + migrate + demo data", start)

    # -- running ----------------------------------------------------------------------------
    def start_processes(self) -> None:
        from deploy.nginx.render import Nginx, render

        start = time.monotonic()
        for port in self.web_ports:
            argv = exec_start("polku-web@.service", venv=self.venv, instance=str(port))
            env = {**self.env, "POLKU_INSTANCE": f"localhost:{port}"}
            self.processes.append(
                Process(f"web-{port}", argv).start(env=env, cwd=self.var, logs=self.logs)
            )
        for unit in ("polku-worker.service", "polku-scheduler.service"):
            argv = exec_start(unit, venv=self.venv)
            self.processes.append(
                Process(unit.split(".")[0], argv).start(env=self.env, cwd=self.var, logs=self.logs)
            )
        cert, key = self._certificate()
        site = render(
            listen=f"127.0.0.1:{self.http_port}",
            instances=[f"127.0.0.1:{port}" for port in self.web_ports],
            static_root=str(self.var / "static"),
            tls_cert=str(cert), tls_key=str(key), tls_listen=f"127.0.0.1:{self.https_port}",
            server_name="localhost",
        )  # fmt: skip
        self.nginx = Nginx(
            self.work / "nginx", listen_port=self.https_port, instances=[], static_root="",
            site=site,
        ).start()  # fmt: skip
        self.wait_ready()
        self._timed("2 instances + worker + scheduler + nginx ready", start)

    def _certificate(self) -> tuple[Path, Path]:
        cert, key = self.work / "tls" / "cert.pem", self.work / "tls" / "key.pem"
        cert.parent.mkdir(exist_ok=True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        return cert, key

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def instance_url(self, index: int = 0) -> str:
        return f"http://127.0.0.1:{self.web_ports[index]}"

    def request(self, url: str, *, headers: dict[str, str] | None = None,
                method: str = "GET") -> tuple[int, dict[str, str], bytes]:  # fmt: skip
        """One request without following redirects; TLS not verified (self-signed)."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(
            NoRedirect(), urllib.request.HTTPSHandler(context=context)
        )
        request = urllib.request.Request(url, headers=headers or {}, method=method)
        try:
            with opener.open(request, timeout=15) as response:
                return (
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                    response.read(),
                )
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()

    def wait_ready(self, timeout: float = 90) -> dict:
        end = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < end:
            for process in self.processes:
                if not process.alive():
                    raise RuntimeError(f"{process.name} exited:\n{process.output()[-3000:]}")
            try:
                statuses = []
                for index in range(len(self.web_ports)):
                    status, _, body = self.request(
                        self.instance_url(index) + "/readyz", headers={"Host": "localhost"}
                    )
                    statuses.append(status)
                    last = json.loads(body)
                if statuses == [200] * len(self.web_ports):
                    status, _, body = self.request(self.url + "/readyz")
                    if status == 200:
                        return json.loads(body)
            except (OSError, ValueError) as error:
                last = error
            time.sleep(0.5)
        raise RuntimeError(f"site not ready in {timeout} s: {last}")

    def start(self) -> Site:
        self.install()
        self.configure()
        self.prepare()
        self.start_processes()
        return self

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()  # type: ignore[attr-defined]
        for process in reversed(self.processes):
            process.stop()
        if self.mailbox is not None:
            self.mailbox.stop()
        if self.database:
            with contextlib.suppress(Exception):
                database_drop(self.database)

    def logs_text(self) -> str:
        return "\n".join(f"== {p.name}\n{p.output()[-4000:]}" for p in self.processes)


def link_in(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"(https://\S+/c/\S+/)", body.get_content())
    assert match, body.get_content()
    return match.group(1)
