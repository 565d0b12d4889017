"""deploy/nginx/polku.conf: what render.py changes, and that nginx accepts the result."""

import os
import shutil
import subprocess

import pytest

from deploy.nginx.render import NGINX, SITE, Nginx, render


def test_render_sets_instances_listen_and_static_and_drops_tls_without_certificates():
    site = render(listen="127.0.0.1:8140", instances=["127.0.0.1:8141", "127.0.0.1:8142"],
                  static_root="/tmp/polku-static")  # fmt: skip
    lines = [line.strip() for line in site.splitlines()]
    assert [line for line in lines if line.startswith("server 127.")] == [
        "server 127.0.0.1:8141 max_fails=3 fail_timeout=5s;  # polku:instance",
        "server 127.0.0.1:8142 max_fails=3 fail_timeout=5s;  # polku:instance",
    ]
    assert [line.split("#")[0].strip() for line in lines if line.startswith("listen")] == [
        "listen 127.0.0.1:8140;"
    ]
    assert "alias /tmp/polku-static/;  # polku:static" in lines
    assert "ssl" not in site.replace("docs/", "")  # no TLS line is left without certificates


def test_every_proxied_location_sets_host_forwarded_for_and_proto():
    """nginx forgets server-level proxy_set_header lines in a location that sets its own, so
    each location repeats them; the client's own X-Forwarded-For is replaced, not appended."""
    text = SITE.read_text()
    import re

    blocks = re.split(r"\n    location ", text)[1:]
    assert len(blocks) == 6
    for block in blocks:
        if "proxy_pass" not in block:
            continue
        assert "proxy_set_header Host $host;" in block
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in block
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in block
    assert "$proxy_add_x_forwarded_for" not in text


def _nginx_or_skip():
    if shutil.which(NGINX) is None:
        if os.environ.get("POLKU_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{NGINX} missing (POLKU_REQUIRE_SERVICES=1): apt-get install nginx-light")
        pytest.skip(f"{NGINX} missing: apt-get install nginx-light")


def test_nginx_accepts_the_site_with_tls(tmp_path):
    _nginx_or_skip()
    if shutil.which("openssl") is None:
        pytest.skip("openssl missing")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    proxy = Nginx(tmp_path / "plain", listen_port=8149, instances=["127.0.0.1:8141"],
                  static_root=str(tmp_path))  # fmt: skip
    assert "test is successful" in proxy.check()
    from deploy.nginx.render import write_prefix

    site = render(listen="127.0.0.1:8149", instances=["127.0.0.1:8141"], static_root="/tmp",
                  tls_cert=str(cert), tls_key=str(key), tls_listen="127.0.0.1:8148")  # fmt: skip
    assert "listen 127.0.0.1:8148 ssl http2;" in site
    main = write_prefix(tmp_path / "tls", site)
    done = subprocess.run([NGINX, "-t", "-p", str(tmp_path / "tls"), "-c", str(main)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_with_tls_plain_http_only_redirects_and_static_files_get_hsts():
    site = render(listen="127.0.0.1:8446", instances=["127.0.0.1:8141"], static_root="/srv/s",
                  tls_cert="/c.pem", tls_key="/k.pem", tls_listen="127.0.0.1:8445")  # fmt: skip
    main, redirect = site.split("\nserver {")[1:]
    listens = [line.split("#")[0].strip() for line in main.splitlines() if "listen " in line]
    assert listens == ["listen 127.0.0.1:8445 ssl http2;"]  # no plain listen in the app server
    assert [line.split("#")[0].strip() for line in redirect.strip().splitlines()] == [
        "",  # the opening brace's own comment
        "listen 127.0.0.1:8446;",
        "server_name polku.example.org;",
        "access_log /var/log/nginx/polku.access.log polku_redacted;",
        "return 301 https://$host:8445$request_uri;",
        "}",
    ]
    static = main.split("location /static/ {")[1].split("}")[0]
    assert (
        'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains; preload" always;'
        in static
    )
    # the deployed file: port 80 redirects to https://$host (443), both address families
    deployed = SITE.read_text().split("\nserver {")[2]
    assert "listen 80;  # polku:redirect polku:listen" in deployed
    assert "listen [::]:80;  # polku:redirect" in deployed
    assert "return 301 https://$host$request_uri;" in deployed


def test_metrics_are_not_served_through_the_proxy_and_the_access_log_is_redacted():
    text = SITE.read_text()
    assert "location = /metrics {\n        return 404;\n    }" in text
    assert "log_format polku_redacted" in text
    assert '"$request_method $polku_log_uri"' in text  # never $request / $request_uri
