"""The client's address, for HTTP requests and websocket (ASGI) scopes alike.

``X-Forwarded-For`` is believed only when the peer that connected to us is one of the reverse
proxies named in ``settings.POLKU_TRUSTED_PROXIES`` (addresses or networks; none by default).
Then the header is read from the right, skipping our own proxies, and the first address that is
not one of them is the client. Without a trusted proxy the header is ignored: a client cannot
pick its own address and so multiply its rate budget.

Every place that reads an address (rate limits, log-in throttling, the live room's per-address
limits) calls :func:`client_ip` or :func:`scope_client_ip`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(settings.POLKU_TRUSTED_PROXIES))


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: Any, networks: Iterable[Network]) -> bool:
    return any(address in net for net in networks if net.version == address.version)


def resolve(peer: str, forwarded: str | None) -> str:
    """The client address given the connecting peer and its ``X-Forwarded-For`` header."""
    networks = trusted_networks()
    peer_address = _parse(peer or "")
    if peer_address is None:
        return (peer or "")[:64]
    if not forwarded or not networks or not _trusted(peer_address, networks):
        return str(peer_address)
    client = peer_address
    for hop in reversed(forwarded.split(",")):
        address = _parse(hop)
        if address is None:
            break  # garbage from a client: trust what we have so far
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


def client_ip(request: HttpRequest) -> str:
    return resolve(request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR"))


def scope_client_ip(scope: Mapping[str, Any]) -> str:
    client = scope.get("client") or ("", 0)
    forwarded = [
        v.decode("latin-1") for n, v in scope.get("headers", []) if n == b"x-forwarded-for"
    ]
    return resolve(str(client[0]), ",".join(forwarded) or None)
