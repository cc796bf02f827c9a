"""The client's IP address, believing forwarding headers only from trusted proxies.

``EMDASH_TRUSTED_PROXIES`` lists the networks (CIDRs) of the reverse proxies in
front of EmDash. A request whose ``REMOTE_ADDR`` is outside them came straight from
the client, and any forwarding header on it is the client's own invention. From a
trusted proxy, ``EMDASH_CLIENT_IP_HEADER`` (``X-Forwarded-For`` by default) is read
from the right, where each proxy appends the address it received the request
from: the first address that is not a trusted proxy is the client. Entries further
left were written by the client and may be forged, so they are never read.
"""

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_HEADER = "X-Forwarded-For"


def client_ip(request: HttpRequest) -> str:
    """The address to attribute ``request`` to, for rate limits and the audit log.

    IPv4-mapped IPv6 addresses (``::ffff:192.0.2.1``) come back as IPv4, and IPv6 in
    its compressed form, so one client always gets the same string. A header entry
    that is not an address stops the walk at the last trusted proxy: the proxy
    wrote something we cannot read, and what lies left of it is not to be trusted.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    remote = parse_address(remote_addr)
    if remote is None:
        return remote_addr
    networks = trusted_networks(_setting_list("TRUSTED_PROXIES"))
    if not _is_trusted(remote, networks):
        return str(remote)
    header = getattr(settings, "CLIENT_IP_HEADER", DEFAULT_HEADER)
    meta_name = "HTTP_" + header.upper().replace("-", "_")
    hops = request.META.get(meta_name, "").split(",")
    client = remote
    for entry in reversed(hops):
        address = parse_address(entry)
        if address is None:
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)


def parse_address(value: str) -> IPAddress | None:
    """An address from a header entry or ``REMOTE_ADDR``: ``192.0.2.1``,
    ``192.0.2.1:4711``, ``2001:db8::1``, ``[2001:db8::1]:4711``; None if it is not one.
    """
    text = value.strip()
    if text.startswith("["):
        text, closed, port = text[1:].partition("]")
        if not closed or (port and not (port[0] == ":" and _is_port(port[1:]))):
            return None
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not _is_port(port):
            return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        # A zone (fe80::1%eth0) names the proxy's interface, not the client.
        if address.scope_id:
            return ipaddress.IPv6Address(str(address).partition("%")[0])
    return address


@lru_cache(maxsize=8)
def trusted_networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"EMDASH_TRUSTED_PROXIES: {cidr!r} is not a network: {error}"
            ) from error
    return tuple(networks)


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5


def _is_trusted(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address in network for network in networks)


def _setting_list(name: str) -> tuple[str, ...]:
    value = getattr(settings, name, ())
    if isinstance(value, str):
        value = value.split(",")
    return tuple(item.strip() for item in value if item.strip())
