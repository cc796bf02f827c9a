import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from emdash.core.client_ip import client_ip, parse_address

PROXIES = ["10.0.0.0/8", "2001:db8:ffff::/48"]


def _request(
    remote_addr: str, forwarded: str | None = None, **meta: str
) -> HttpRequest:
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **meta)


@pytest.mark.parametrize(
    ("trusted", "remote_addr", "forwarded", "expected"),
    [
        # No proxies trusted: the header is the client's own and is ignored.
        ([], "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        ([], "10.0.0.2", "198.51.100.1", "10.0.0.2"),
        # A request from outside the proxies: its header is ignored too.
        (PROXIES, "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # From a trusted proxy: the right-most untrusted entry.
        (PROXIES, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (PROXIES, "10.0.0.2", "198.51.100.1, 10.0.0.7", "198.51.100.1"),
        # Entries left of the client's were written by the client: forged, skipped.
        (PROXIES, "10.0.0.2", "1.1.1.1, 8.8.8.8, 198.51.100.1", "198.51.100.1"),
        (PROXIES, "10.0.0.2", "10.0.0.9, 198.51.100.1, 10.0.0.7", "198.51.100.1"),
        # A trusted proxy without the header: the proxy itself.
        (PROXIES, "10.0.0.2", None, "10.0.0.2"),
        (PROXIES, "10.0.0.2", "", "10.0.0.2"),
        # Only proxies in the chain: the one furthest from us.
        (PROXIES, "10.0.0.2", "10.0.0.5, 10.0.0.7", "10.0.0.5"),
        # Garbage stops the walk at the last trusted hop; nothing left of it is read.
        (PROXIES, "10.0.0.2", "198.51.100.1, not-an-ip", "10.0.0.2"),
        (PROXIES, "10.0.0.2", "198.51.100.1, unknown, 10.0.0.7", "10.0.0.7"),
        (PROXIES, "10.0.0.2", "198.51.100.1,,", "10.0.0.2"),
        (PROXIES, "10.0.0.2", "198.51.100.1, 300.1.1.1", "10.0.0.2"),
        (PROXIES, "10.0.0.2", "  198.51.100.1  ", "198.51.100.1"),
        # Ports some proxies append.
        (PROXIES, "10.0.0.2", "198.51.100.1:4711", "198.51.100.1"),
        (PROXIES, "10.0.0.2", "[2001:db8::5]:4711", "2001:db8::5"),
        # IPv6 clients and proxies, in compressed form.
        (PROXIES, "10.0.0.2", "2001:0db8:0000::0005", "2001:db8::5"),
        (PROXIES, "2001:db8:ffff::1", "2001:db8::5", "2001:db8::5"),
        (PROXIES, "2001:db8:ffff::1", "2001:db8::5, 2001:db8:ffff::2", "2001:db8::5"),
        ([], "2001:DB8::5", "198.51.100.1", "2001:db8::5"),
        # IPv4-mapped IPv6 is the IPv4 address, for the client and for the proxies.
        (PROXIES, "::ffff:10.0.0.2", "::ffff:198.51.100.1", "198.51.100.1"),
        (PROXIES, "::ffff:203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # A REMOTE_ADDR that is not an address (a unix socket) is passed through.
        (PROXIES, "", "198.51.100.1", ""),
    ],
)
def test_client_ip(
    settings: Settings,
    trusted: list[str],
    remote_addr: str,
    forwarded: str | None,
    expected: str,
) -> None:
    settings.TRUSTED_PROXIES = trusted

    assert client_ip(_request(remote_addr, forwarded)) == expected


def test_trusted_proxies_may_be_a_comma_separated_string(settings: Settings) -> None:
    settings.TRUSTED_PROXIES = " 10.0.0.0/8, 192.168.1.1 "

    request = _request("192.168.1.1", "198.51.100.1, 10.0.0.7")

    assert client_ip(request) == "198.51.100.1"


def test_the_header_is_configurable(settings: Settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    request = _request("10.0.0.2", "1.1.1.1", HTTP_X_REAL_IP="198.51.100.1")

    assert client_ip(request) == "198.51.100.1"


def test_without_settings_no_proxy_is_trusted(settings: Settings) -> None:
    del settings.TRUSTED_PROXIES

    assert client_ip(_request("10.0.0.2", "198.51.100.1")) == "10.0.0.2"


def test_a_bad_trusted_network_is_a_configuration_error(settings: Settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.internal"]

    with pytest.raises(ImproperlyConfigured, match="'proxy.internal' is not a network"):
        client_ip(_request("10.0.0.2", "198.51.100.1"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("192.0.2.1:80", "192.0.2.1"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("fe80::1%eth0", "fe80::1"),
        ("", None),
        ("unknown", None),
        ("192.0.2", None),
        ("192.0.2.1:80:90", None),
        ("[2001:db8::1", None),
        ("[2001:db8::1]443", None),
        ("[2001:db8::1]:", None),
        ("192.0.2.1:http", None),
    ],
)
def test_parse_address(value: str, expected: str | None) -> None:
    address = parse_address(value)

    assert (None if address is None else str(address)) == expected
