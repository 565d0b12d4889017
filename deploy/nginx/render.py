#!/usr/bin/env python3
"""Write deploy/nginx/polku.conf with other ports and paths, and run nginx with it.

The site file stays the one people deploy; lines marked ``# polku:<what>`` are the ones this
script changes:

* ``polku:instance`` — the upstream servers (one line per ``--instance``);
* ``polku:listen`` — the plain-HTTP listen address (``--listen``);
* ``polku:tls`` — TLS lines: kept with ``--tls-cert``/``--tls-key`` (and ``--tls-listen``),
  dropped without them;
* ``polku:redirect`` — the plain-HTTP server that redirects to https: kept with TLS (on
  ``--listen``; ``polku:https`` gets the TLS port), dropped without;
* ``polku:plain`` — the main server's own plain-HTTP listen line, commented out in the deployed
  file: switched on without TLS (tests and benchmarks over plain HTTP);
* ``polku:log`` — the redacted access log, written into ``--prefix`` there;
* ``polku:static`` — the collected static files (``--static-root``).

``--prefix DIR`` also writes ``DIR/nginx.conf``, a whole nginx configuration (pid file, logs
and temp paths inside DIR, no daemon) that includes the site, so a test or a benchmark runs
its own nginx next to anything else on the machine:

    python deploy/nginx/render.py --listen 127.0.0.1:8140 --instance 127.0.0.1:8141 \\
        --instance 127.0.0.1:8142 --static-root staticfiles --prefix /tmp/polku-nginx
    nginx -p /tmp/polku-nginx -c nginx.conf

Standard library only: the benchmark and the tests import ``render`` and ``Nginx``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SITE = Path(__file__).resolve().parent / "polku.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def render(
    *,
    listen: str,
    instances: list[str],
    static_root: str,
    tls_cert: str = "",
    tls_key: str = "",
    tls_listen: str = "",
    server_name: str = "",
) -> str:
    """The site file with these ports and paths."""
    if not instances:
        raise ValueError("at least one instance")
    out: list[str] = []
    for line in SITE.read_text().splitlines():
        if "polku:instance" in line:
            if instances:
                indent = line[: len(line) - len(line.lstrip())]
                rest = re.sub(r"^\s*server\s+\S+", "", line)
                out += [f"{indent}server {address}{rest}" for address in instances]
                instances = []
            continue
        tls = bool(tls_cert and tls_key)
        if "polku:redirect" in line and not tls:
            continue  # without TLS there is nothing to redirect to
        if "polku:plain" in line:
            if tls:
                continue  # with TLS, plain HTTP only redirects (the server below)
            line = re.sub(r"^(\s*)# (listen )", r"\1\2", line)
        if line.lstrip().startswith("listen [::]") and (tls_listen or listen != "80"):
            continue  # a test's own addresses: IPv4 loopback only
        if "polku:https" in line and tls_listen and not tls_listen.endswith(":443"):
            port = tls_listen.rsplit(":", 1)[-1]
            line = line.replace("https://$host$request_uri", f"https://$host:{port}$request_uri")
        if "polku:tls" in line:
            if not tls:
                continue
            line = line.replace("/etc/ssl/polku/fullchain.pem", tls_cert)
            line = line.replace("/etc/ssl/polku/privkey.pem", tls_key)
            if tls_listen:
                line = re.sub(r"listen \d+", f"listen {tls_listen}", line)
        if "polku:listen" in line:
            line = re.sub(r"listen \S+;", f"listen {listen};", line)
        if "polku:static" in line:
            line = re.sub(r"alias \S+;", f"alias {static_root.rstrip('/')}/;", line)
        if server_name and line.strip().startswith("server_name "):
            line = re.sub(r"server_name [^;]+;", f"server_name {server_name};", line)
        out.append(line)
    return "\n".join(out) + "\n"


MAIN = """# written by deploy/nginx/render.py
{user}worker_processes {workers};
worker_rlimit_nofile 65536;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;

events {{
    worker_connections 16384;
}}

http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/polku.conf;
}}
"""


def write_prefix(prefix: Path, site: str, *, workers: int = 1) -> Path:
    """A self-contained nginx configuration in ``prefix``; returns the main file."""
    prefix.mkdir(parents=True, exist_ok=True)
    site = site.replace("/var/log/nginx/polku.access.log", f"{prefix}/access.log")
    (prefix / "polku.conf").write_text(site)
    # nginx started as root runs its workers as "nobody" unless told otherwise; they must read
    # the static files the calling user owns
    user = f"user {_user()};\n" if os.geteuid() == 0 else ""
    main = prefix / "nginx.conf"
    main.write_text(MAIN.format(prefix=prefix, workers=workers, user=user))
    return main


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


class Nginx:
    """nginx in front of the instances, in its own prefix directory (tests, benchmark)."""

    def __init__(self, prefix: Path, *, listen_port: int, instances: list[str],
                 static_root: str, workers: int = 1, site: str = "") -> None:  # fmt: skip
        """``site``: an already rendered site file (e.g. with TLS); ``listen_port`` is then the
        port start() waits for."""
        self.prefix = Path(prefix)
        self.port = listen_port
        self.conf = write_prefix(
            self.prefix,
            site or render(listen=f"127.0.0.1:{listen_port}", instances=instances,
                           static_root=static_root, server_name="127.0.0.1 localhost"),
            workers=workers,
        )  # fmt: skip
        self.proc: subprocess.Popen | None = None

    def check(self) -> str:
        """``nginx -t`` output (raises if the configuration is refused)."""
        done = subprocess.run(
            [NGINX, "-t", "-p", str(self.prefix), "-c", str(self.conf)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return done.stderr

    def start(self, timeout: float = 10) -> Nginx:
        self.check()
        self.proc = subprocess.Popen(
            [NGINX, "-p", str(self.prefix), "-c", str(self.conf)], start_new_session=True
        )
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError((self.prefix / "error.log").read_text())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGQUIT)  # graceful: finish open requests
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def errors(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="80", help="plain-HTTP listen address")
    parser.add_argument("--instance", action="append", required=True, help="host:port")
    parser.add_argument("--static-root", required=True)
    parser.add_argument("--server-name", default="")
    parser.add_argument("--tls-cert", default="")
    parser.add_argument("--tls-key", default="")
    parser.add_argument("--tls-listen", default="")
    parser.add_argument("--prefix", default="", help="also write a whole nginx.conf here")
    args = parser.parse_args()
    site = render(
        listen=args.listen, instances=args.instance, static_root=args.static_root,
        tls_cert=args.tls_cert, tls_key=args.tls_key, tls_listen=args.tls_listen,
        server_name=args.server_name,
    )  # fmt: skip
    if args.prefix:
        print(write_prefix(Path(args.prefix).resolve(), site))
    else:
        print(site, end="")


if __name__ == "__main__":
    main()
