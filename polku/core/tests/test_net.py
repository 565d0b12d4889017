"""The client address: X-Forwarded-For only from configured proxies (polku.core.net)."""

import pytest
from django.test import RequestFactory, override_settings

from polku.core.net import client_ip, resolve, scope_client_ip


def test_without_trusted_proxies_the_header_is_ignored():
    assert resolve("192.0.2.10", "198.51.100.1, 203.0.113.5") == "192.0.2.10"
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="198.51.100.1", REMOTE_ADDR="192.0.2.10"
    )
    assert client_ip(request) == "192.0.2.10"


@override_settings(POLKU_TRUSTED_PROXIES=["10.0.0.0/8", "192.0.2.10"])
@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("192.0.2.10", "198.51.100.1", "198.51.100.1"),
        # a client's own forged entries stand left of the one our proxy appended
        ("192.0.2.10", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        # two proxies of ours: skip both
        ("192.0.2.10", "198.51.100.1, 10.1.2.3", "198.51.100.1"),
        # only our proxies: the leftmost of them
        ("192.0.2.10", "10.0.0.5", "10.0.0.5"),
        # not from our proxy: the header is ignored
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # garbage in the header: the last address we could trust
        ("192.0.2.10", "<script>, 198.51.100.1", "198.51.100.1"),
        ("192.0.2.10", "198.51.100.1:4711", "198.51.100.1"),
        ("192.0.2.10", "[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:192.0.2.10", "198.51.100.1", "198.51.100.1"),
    ],
)
def test_behind_trusted_proxies_the_first_untrusted_hop_is_the_client(peer, forwarded, client):
    assert resolve(peer, forwarded) == client


@override_settings(POLKU_TRUSTED_PROXIES=["127.0.0.1"])
def test_scopes_read_every_forwarded_header():
    scope = {
        "client": ("127.0.0.1", 5000),
        "headers": [(b"x-forwarded-for", b"6.6.6.6"), (b"x-forwarded-for", b"198.51.100.1")],
    }
    assert scope_client_ip(scope) == "198.51.100.1"
    assert scope_client_ip({"client": ("127.0.0.1", 1), "headers": []}) == "127.0.0.1"
    assert scope_client_ip({}) == ""
