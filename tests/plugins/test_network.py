"""http_fetch: what a plugin may reach, and what it gets back.

Every refusal is checked to happen before any connection: the ``connections`` fixture
fails a test that connects anywhere but a local test server it started, and the
refusal tests assert that nothing was connected at all. The tests that succeed run
against real HTTP(S) servers on 127.0.0.1, reached the way an operator would allow
it, through the host map.
"""

import datetime
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.exceptions import ImproperlyConfigured

from emdash.plugins.network import (
    MAX_REDIRECTS,
    MAX_REQUEST_BODY_BYTES,
    MAX_RESPONSE_BYTES,
    FetchRefused,
    address_problem,
    fetch,
)
from tests.plugins.local_server import LocalServer, Route, reply

ALLOWED = ("hooks.example.com", "other.example.com")
HOST_MAP = {"hooks.example.com": "127.0.0.1", "other.example.com": "127.0.0.1"}
SLACK_SECONDS = 0.5

# -- doubles and servers ----------------------------------------------------------


@dataclass
class ConnectionLog:
    """Every socket connect a test made; only to ``open_ports`` on 127.0.0.1 does
    one go through."""

    attempts: list[tuple[str, int]] = field(default_factory=list)
    open_ports: set[int] = field(default_factory=set)


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> ConnectionLog:
    log = ConnectionLog()
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        host, port = address[0], address[1]
        log.attempts.append((host, port))
        if host != "127.0.0.1" or port not in log.open_ports:
            pytest.fail(f"http_fetch connected to {host}:{port}")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return log


class Resolver:
    """A DNS stand-in: answers from a table, remembers what it was asked."""

    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.answers = answers or {}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


def redirect(status: int, location: str) -> Route:
    return lambda handler: reply(handler, status, headers=[("Location", location)])


@pytest.fixture
def server(connections: ConnectionLog) -> Iterator[LocalServer]:
    local = LocalServer()
    connections.open_ports.add(local.port)
    yield local
    local.stop()


@pytest.fixture
def second_server(connections: ConnectionLog) -> Iterator[LocalServer]:
    local = LocalServer()
    connections.open_ports.add(local.port)
    yield local
    local.stop()


def fetch_as_webhook(request: object, **options: Any) -> dict[str, Any]:
    """fetch as a plugin granted network:request for ALLOWED, both mapped to
    127.0.0.1 by the operator, with a resolver that knows no names."""
    arguments: dict[str, Any] = {
        "plugin_id": "webhook",
        "allowed_hosts": ALLOWED,
        "unrestricted": False,
        "deadline_seconds": 5.0,
        "resolver": Resolver(),
        "host_map": HOST_MAP,
    }
    return fetch(request, **(arguments | options))


def refusal(request: object, **options: Any) -> FetchRefused:
    with pytest.raises(FetchRefused) as caught:
        fetch_as_webhook(request, **options)
    return caught.value


# -- refused before anything is resolved or connected ------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example.net/",
        "http://example.com/",
        "http://hooks.example.com.evil.net/",
        "http://evilhooks.example.com/",
        "http://sub.hooks.example.com/",
    ],
)
def test_a_host_outside_allowed_hosts_is_refused_unresolved(
    url: str, connections: ConnectionLog
) -> None:
    resolver = Resolver({"evil.example.net": ["93.184.216.34"]})

    error = refusal({"url": url}, resolver=resolver, host_map={})

    assert error.code == "HOST_NOT_ALLOWED"
    assert "allowed_hosts" in error.message
    assert resolver.asked == []
    assert connections.attempts == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://example.com/", "*.example.com"),
        ("http://notexample.com/", "*.example.com"),
        ("http://api.example.com.evil.net/", "*.example.com"),
    ],
)
def test_a_wildcard_covers_sub_domains_only(
    url: str, allowed: str, connections: ConnectionLog
) -> None:
    error = refusal({"url": url}, allowed_hosts=(allowed,), host_map={})

    assert error.code == "HOST_NOT_ALLOWED"
    assert connections.attempts == []


@pytest.mark.parametrize("unrestricted", [False, True])
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "a loopback address"),
        ("http://127.0.0.1:8000/admin", "a loopback address"),
        ("http://10.0.0.1/", "a private address"),
        ("http://192.168.1.1/", "a private address"),
        ("http://172.16.0.1/", "a private address"),
        ("http://100.64.0.1/", "a carrier-grade NAT address"),
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://169.254.1.1/", "a link-local address"),
        ("http://0.0.0.0/", "the unspecified address"),
        ("http://224.0.0.1/", "a multicast address"),
        ("http://240.0.0.1/", "a reserved address"),
        ("http://[::1]/", "a loopback address"),
        ("http://[::]/", "the unspecified address"),
        ("http://[fe80::1]/", "a link-local address"),
        ("http://[fc00::1]/", "a private address"),
        ("http://[fd00:ec2::254]/", "a cloud metadata address"),
        ("http://[::ffff:127.0.0.1]/", "an IPv6 form of 127.0.0.1, a loopback"),
        ("http://[::ffff:a9fe:a9fe]/", "an IPv6 form of 169.254.169.254"),
        ("http://[2002:7f00:1::1]/", "embedding 127.0.0.1, a loopback address"),
        ("http://[64:ff9b::a00:1]/", "embedding 10.0.0.1, a private address"),
    ],
)
def test_an_ip_literal_that_is_not_public_is_refused(
    url: str, reason: str, unrestricted: bool, connections: ConnectionLog
) -> None:
    resolver = Resolver()

    error = refusal({"url": url}, unrestricted=unrestricted, resolver=resolver)

    assert error.code == "ADDRESS_NOT_ALLOWED"
    assert reason in error.message
    assert resolver.asked == []
    assert connections.attempts == []


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://2130706433/", "127.0.0.1"),
        ("http://0177.0.0.1/", "127.0.0.1"),
        ("http://0x7f.0.0.1/", "127.0.0.1"),
        ("http://0x7f000001/", "127.0.0.1"),
        ("http://127.1/", "127.0.0.1"),
        ("http://127.0.1/", "127.0.0.1"),
        ("http://10.1/", "10.0.0.1"),
        ("http://0/", "0.0.0.0"),  # noqa: S104
        ("http://127.0.0.1./", "127.0.0.1"),
        ("http://０x7f.0.0.1/", "127.0.0.1"),  # fullwidth digit
        ("http://１２７．０．０．１/", "127.0.0.1"),  # fullwidth digits and dots
        ("http://134744072/", "8.8.8.8"),  # public, and still refused in this form
    ],
)
def test_an_ip_address_in_an_unusual_form_is_refused_even_unrestricted(
    url: str, address: str, connections: ConnectionLog
) -> None:
    resolver = Resolver()

    error = refusal({"url": url}, unrestricted=True, resolver=resolver)

    assert error.code == "ADDRESS_NOT_ALLOWED"
    assert address in error.message
    assert resolver.asked == []
    assert connections.attempts == []


def test_a_public_ip_literal_needs_the_unrestricted_capability(
    connections: ConnectionLog,
) -> None:
    error = refusal({"url": "http://93.184.216.34/"})

    assert error.code == "HOST_NOT_ALLOWED"
    assert "not IP addresses" in error.message
    assert connections.attempts == []


@pytest.mark.parametrize("unrestricted", [False, True])
def test_localhost_is_refused_after_resolving_it(
    unrestricted: bool, connections: ConnectionLog
) -> None:
    # The system resolver: localhost comes from /etc/hosts, no network needed.
    error = refusal(
        {"url": "http://localhost:8000/"},
        allowed_hosts=() if unrestricted else ("localhost",),
        unrestricted=unrestricted,
        resolver=None,
        host_map={},
    )

    assert error.code == "ADDRESS_NOT_ALLOWED"
    assert "localhost resolves to a loopback address" in error.message
    assert connections.attempts == []


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["10.0.0.7"],
        ["169.254.169.254"],
        ["93.184.216.34", "192.168.0.10"],  # any one private address refuses
        ["2606:2800:220:1::1", "::1"],
        ["::ffff:169.254.169.254"],
        ["2002:a00:1::1"],  # 6to4 around 10.0.0.1
        ["2001:0:4136:e378:8000:63bf:3fff:fdd2"],  # Teredo
        ["100.64.12.34"],
    ],
)
def test_a_name_that_resolves_to_an_internal_address_is_refused(
    addresses: list[str], connections: ConnectionLog
) -> None:
    resolver = Resolver({"api.partner.com": addresses})

    error = refusal(
        {"url": "https://api.partner.com/v1"},
        allowed_hosts=("api.partner.com",),
        resolver=resolver,
    )

    assert error.code == "ADDRESS_NOT_ALLOWED"
    assert error.message.startswith(
        "'https://api.partner.com/v1': api.partner.com resolves to "
    )
    assert resolver.asked == ["api.partner.com"]
    assert connections.attempts == []


def test_the_unrestricted_capability_does_not_reach_internal_names(
    connections: ConnectionLog,
) -> None:
    resolver = Resolver({"intranet.corp.example": ["10.1.2.3"]})

    error = refusal(
        {"url": "http://intranet.corp.example/"},
        allowed_hosts=(),
        unrestricted=True,
        resolver=resolver,
    )

    assert error.code == "ADDRESS_NOT_ALLOWED"
    assert connections.attempts == []


def test_a_mapped_host_is_reached_only_by_plugins_that_list_it(
    connections: ConnectionLog,
) -> None:
    resolver = Resolver()

    unrestricted = refusal(
        {"url": "http://hooks.example.com/"},
        allowed_hosts=(),
        unrestricted=True,
        resolver=resolver,
    )
    unlisted = refusal(
        {"url": "http://hooks.example.com/"},
        allowed_hosts=("other.example.com",),
        resolver=resolver,
    )

    assert unrestricted.code == unlisted.code == "HOST_NOT_ALLOWED"
    assert "mapped to an internal address by the operator" in unrestricted.message
    assert resolver.asked == []
    assert connections.attempts == []


def test_a_name_that_does_not_resolve_is_host_not_found(
    connections: ConnectionLog,
) -> None:
    error = refusal(
        {"url": "http://nowhere.example.org/"}, allowed_hosts=("*.example.org",)
    )

    assert error.code == "HOST_NOT_FOUND"
    assert connections.attempts == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", "is not an http or https URL"),
        ("ftp://hooks.example.com/", "is not an http or https URL"),
        ("gopher://hooks.example.com:70/", "is not an http or https URL"),
        ("hooks.example.com/path", "is not an http or https URL"),
        ("http://user:secret@hooks.example.com/", "carries credentials"),
        ("http://hooks.example.com@evil.example.net/", "carries credentials"),
        ("http:///path", "has no host"),
        ("http://hooks.example.com:0/", "has port 0"),
        ("http://hooks.example.com:99999/", "is not a valid URL"),
        ("http://hooks.example.com/a b", "contains a space or control character"),
        ("http://hooks.example.com/\r\nX-Injected: 1", "control character"),
        ("http://under_score.example.com/", "not a valid host name"),
        ("http://%31%32%37.0.0.1/", "not a valid IPv4 address"),
        ("http://%65vil.example.com/", "not a valid host name"),
        ("http://1.2.3.4.5/", "not a valid IPv4 address"),
        ("http://1.2.3.08/", "not a valid IPv4 address"),
        ("http://256.0.0.1/", "not a valid IPv4 address"),
        ("http://[::1/", "is not a valid URL"),
        ("http://hooks.example.com/\ud800", "is not valid Unicode"),
        ("http://" + "a" * 8200 + ".com/", "is longer than 8192 characters"),
    ],
)
def test_a_url_that_is_not_a_plain_web_url_is_refused(
    url: str, problem: str, connections: ConnectionLog
) -> None:
    error = refusal({"url": url}, unrestricted=True)

    assert error.code == "URL_INVALID"
    assert problem in error.message
    assert connections.attempts == []


@pytest.mark.parametrize(
    ("request_", "code", "problem"),
    [
        ("http://hooks.example.com/", "REQUEST_INVALID", "must be a JSON object"),
        ({}, "REQUEST_INVALID", "url must be a non-empty string"),
        ({"url": 7}, "REQUEST_INVALID", "url must be a non-empty string"),
        (
            {"url": "http://hooks.example.com/", "timeout": 5},
            "REQUEST_INVALID",
            "unknown field 'timeout'",
        ),
        (
            {"url": "http://hooks.example.com/", "method": "TRACE"},
            "REQUEST_INVALID",
            "method must be one of GET, POST, PUT, PATCH, DELETE, HEAD",
        ),
        (
            {"url": "http://hooks.example.com/", "method": "CONNECT"},
            "REQUEST_INVALID",
            "method must be one of",
        ),
        (
            {"url": "http://hooks.example.com/", "body": {"a": 1}},
            "REQUEST_INVALID",
            "body must be a string",
        ),
        (
            {"url": "http://hooks.example.com/", "method": "POST", "body": "\ud800"},
            "REQUEST_INVALID",
            "body is not valid Unicode",
        ),
        (
            {"url": "http://hooks.example.com/", "headers": {"X-A": "\ud800"}},
            "HEADER_NOT_ALLOWED",
            "a character beyond Latin-1",
        ),
        (
            {"url": "http://hooks.example.com/", "headers": ["X-A: 1"]},
            "REQUEST_INVALID",
            "headers must be an object",
        ),
        (
            {"url": "http://hooks.example.com/", "headers": {"X-Count": 3}},
            "REQUEST_INVALID",
            "header 'X-Count' must have a string value",
        ),
        (
            {"url": "http://hooks.example.com/", "headers": {"X-A": "1\r\nHost: x"}},
            "HEADER_NOT_ALLOWED",
            "has a line break, a control character",
        ),
        (
            {"url": "http://hooks.example.com/", "headers": {"X-A\r\nB": "1"}},
            "HEADER_NOT_ALLOWED",
            "is not a valid header name",
        ),
        (
            {"url": "http://hooks.example.com/", "headers": {"Host": "evil.net"}},
            "HEADER_NOT_ALLOWED",
            "header 'Host' is set by the host",
        ),
        (
            {"url": "http://hooks.example.com/", "headers": {"user-agent": "x"}},
            "HEADER_NOT_ALLOWED",
            "header 'user-agent' is set by the host",
        ),
        (
            {
                "url": "http://hooks.example.com/",
                "headers": {"Transfer-Encoding": "chunked"},
            },
            "HEADER_NOT_ALLOWED",
            "header 'Transfer-Encoding'",
        ),
        (
            {"url": "http://hooks.example.com/", "headers": {"Connection": "close"}},
            "HEADER_NOT_ALLOWED",
            "header 'Connection'",
        ),
        (
            {"url": "http://hooks.example.com/", "headers": {"Content-Length": "0"}},
            "HEADER_NOT_ALLOWED",
            "header 'Content-Length'",
        ),
        (
            {
                "url": "http://hooks.example.com/",
                "method": "POST",
                "body": "x" * (MAX_REQUEST_BODY_BYTES + 1),
            },
            "REQUEST_TOO_LARGE",
            f"the cap is {MAX_REQUEST_BODY_BYTES}",
        ),
        (
            {
                "url": "http://hooks.example.com/",
                "method": "POST",
                "body": "é" * (MAX_REQUEST_BODY_BYTES // 2 + 1),  # bytes, not chars
            },
            "REQUEST_TOO_LARGE",
            "the request body is",
        ),
        (
            {
                "url": "http://hooks.example.com/",
                "headers": {f"X-{n}": "v" * 1000 for n in range(70)},
            },
            "REQUEST_TOO_LARGE",
            "the request headers are",
        ),
    ],
)
def test_a_malformed_request_is_refused(
    request_: object, code: str, problem: str, connections: ConnectionLog
) -> None:
    error = refusal(request_)

    assert error.code == code
    assert problem in error.message
    assert connections.attempts == []


def test_no_time_left_refuses_at_once(connections: ConnectionLog) -> None:
    error = refusal({"url": "http://hooks.example.com/"}, deadline_seconds=0)

    assert error.code == "TIMEOUT"
    assert connections.attempts == []


def test_a_resolver_that_hangs_is_bounded_by_the_deadline(
    connections: ConnectionLog,
) -> None:
    released = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        released.wait(10)
        return ["93.184.216.34"]

    started = time.monotonic()
    try:
        error = refusal(
            {"url": "http://slow-dns.example.org/"},
            allowed_hosts=("slow-dns.example.org",),
            resolver=hanging,
            deadline_seconds=0.3,
        )
    finally:
        released.set()

    assert error.code == "TIMEOUT"
    assert time.monotonic() - started < 0.3 + SLACK_SECONDS
    assert connections.attempts == []


# -- the address checked is the address connected to ------------------------------


def test_the_connection_goes_to_the_checked_address_without_resolving_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])  # a rebinding DNS server
    asked: list[str] = []
    dialled: list[tuple[str, int]] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    def create_connection(address: tuple[str, int], *args: Any, **kw: Any) -> None:
        dialled.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket, "create_connection", create_connection)

    error = refusal(
        {"url": "https://api.partner.com/v1"},
        allowed_hosts=("api.partner.com",),
        resolver=rebinding,
    )

    assert error.code == "CONNECTION_FAILED"
    assert asked == ["api.partner.com"]
    assert dialled == [("93.184.216.34", 443)]


def test_every_checked_address_is_tried_in_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialled: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kw: Any) -> None:
        dialled.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket, "create_connection", create_connection)

    error = refusal(
        {"url": "http://api.partner.com:8080/"},
        allowed_hosts=("api.partner.com",),
        resolver=Resolver({"api.partner.com": ["2606:2800:220:1::1", "93.184.216.34"]}),
    )

    assert error.code == "CONNECTION_FAILED"
    assert dialled == [("2606:2800:220:1::1", 8080), ("93.184.216.34", 8080)]


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "2002:808:808::1",
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


# -- real requests to a local server through the operator's host map -------------


def test_a_get_reaches_the_mapped_host_with_the_plugins_user_agent(
    server: LocalServer, connections: ConnectionLog
) -> None:
    server.routes["/status"] = lambda handler: reply(
        handler, 200, b'{"ok": true}', [("Content-Type", "application/json")]
    )

    answer = fetch_as_webhook(
        {"url": server.url("/status?x=1"), "headers": {"Accept": "application/json"}}
    )

    assert answer == {
        "status": 200,
        "headers": {
            "server": answer["headers"]["server"],
            "date": answer["headers"]["date"],
            "content-type": "application/json",
            "content-length": "12",
        },
        "url": server.url("/status?x=1"),
        "body": '{"ok": true}',
    }
    [received] = server.received
    assert (received.method, received.path) == ("GET", "/status?x=1")
    assert received.headers["host"] == f"hooks.example.com:{server.port}"
    assert received.headers["user-agent"] == "EmDash-Plugin/webhook"
    assert received.headers["accept"] == "application/json"
    assert connections.attempts == [("127.0.0.1", server.port)]


def test_a_post_sends_its_body(server: LocalServer) -> None:
    server.routes["/hook"] = lambda handler: reply(handler, 201, b"stored")
    payload = json.dumps({"event": "content:afterSave", "title": "Olá"})

    answer = fetch_as_webhook(
        {
            "url": server.url("/hook"),
            "method": "post",
            "headers": {"Content-Type": "application/json", "X-Signature": "abc"},
            "body": payload,
        }
    )

    assert (answer["status"], answer["body"]) == (201, "stored")
    [received] = server.received
    assert received.method == "POST"
    assert received.body == payload.encode()
    assert received.headers["content-length"] == str(len(payload.encode()))
    assert received.headers["content-type"] == "application/json"
    assert received.headers["x-signature"] == "abc"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_the_other_methods_reach_the_server(server: LocalServer, method: str) -> None:
    server.routes["/item"] = lambda handler: reply(handler, 204)

    answer = fetch_as_webhook({"url": server.url("/item"), "method": method})

    assert answer["status"] == 204
    assert [r.method for r in server.received] == [method]


def test_a_head_request_has_an_empty_body(server: LocalServer) -> None:
    server.routes["/item"] = lambda handler: reply(handler, 200, b"not sent")

    answer = fetch_as_webhook({"url": server.url("/item"), "method": "HEAD"})

    assert (answer["status"], answer["body"]) == (200, "")
    assert answer["headers"]["content-length"] == "8"


def test_an_error_status_is_an_answer_not_a_refusal(server: LocalServer) -> None:
    answer = fetch_as_webhook({"url": server.url("/missing")})

    assert (answer["status"], answer["body"]) == (404, "no route")


def test_a_unicode_host_is_matched_and_sent_in_its_idna_form(
    server: LocalServer,
) -> None:
    server.routes["/"] = lambda handler: reply(handler, 200, b"hallo")

    answer = fetch_as_webhook(
        {"url": f"http://BÜCHER.example:{server.port}/"},
        allowed_hosts=("xn--bcher-kva.example",),
        host_map={"bücher.example": "127.0.0.1"},
    )

    assert answer["body"] == "hallo"
    [received] = server.received
    assert received.headers["host"] == f"xn--bcher-kva.example:{server.port}"


def test_a_wildcard_allows_a_sub_domain(server: LocalServer) -> None:
    server.routes["/"] = lambda handler: reply(handler, 200, b"sub")

    answer = fetch_as_webhook(
        {"url": server.url("/", host="Hooks.Example.COM")},
        allowed_hosts=("*.example.com",),
    )

    assert answer["body"] == "sub"


def test_non_ascii_in_the_path_is_percent_encoded(server: LocalServer) -> None:
    server.routes["/caf%C3%A9"] = lambda handler: reply(handler, 200, b"ok")

    answer = fetch_as_webhook({"url": server.url("/café?q=ü")})

    assert answer["status"] == 200
    assert server.received[0].path == "/caf%C3%A9?q=%C3%BC"


def test_a_binary_body_comes_back_in_base64(server: LocalServer) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    server.routes["/icon.png"] = lambda handler: reply(
        handler, 200, png, [("Content-Type", "image/png")]
    )

    answer = fetch_as_webhook({"url": server.url("/icon.png")})

    assert "body" not in answer
    assert answer["body_base64"] == "iVBORw0KGgoAAAANSUhEUg=="


def test_text_is_decoded_in_its_declared_charset(server: LocalServer) -> None:
    server.routes["/latin"] = lambda handler: reply(
        handler,
        200,
        "Olá".encode("latin-1"),
        [("Content-Type", "text/plain; charset=ISO-8859-1")],
    )

    answer = fetch_as_webhook({"url": server.url("/latin")})

    assert answer["body"] == "Olá"


def test_repeated_response_headers_are_joined(server: LocalServer) -> None:
    server.routes["/cookies"] = lambda handler: reply(
        handler, 200, headers=[("X-Tag", "a"), ("x-tag", "b")]
    )

    answer = fetch_as_webhook({"url": server.url("/cookies")})

    assert answer["headers"]["x-tag"] == "a, b"


def test_proxy_settings_in_the_environment_are_ignored(
    server: LocalServer, connections: ConnectionLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    server.routes["/"] = lambda handler: reply(handler, 200, b"direct")

    answer = fetch_as_webhook({"url": server.url("/")})

    assert answer["body"] == "direct"
    assert connections.attempts == [("127.0.0.1", server.port)]


def test_the_host_map_comes_from_the_settings_by_default(
    server: LocalServer, settings: Any
) -> None:
    settings.PLUGIN_HOST_MAP = {"hooks.example.com": "127.0.0.1"}
    server.routes["/"] = lambda handler: reply(handler, 200, b"mapped")

    answer = fetch_as_webhook({"url": server.url("/")}, host_map=None)

    assert answer["body"] == "mapped"


def test_without_a_host_map_setting_no_host_is_mapped(settings: Any) -> None:
    del settings.PLUGIN_HOST_MAP
    resolver = Resolver({"hooks.example.com": ["127.0.0.1"]})

    error = refusal(
        {"url": "http://hooks.example.com/"}, host_map=None, resolver=resolver
    )

    assert error.code == "ADDRESS_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("host_map", "problem"),
    [
        ({"hooks.example.com": "127.0.0.1:8089"}, "the port comes from the URL"),
        ({"hooks.example.com": "intranet"}, "which is not an IP address"),
        ({"10.0.0.1": "10.0.0.2"}, "'10.0.0.1' is not a host name"),
        ({"bad host": "10.0.0.2"}, "'bad host' is not a host name"),
    ],
)
def test_a_bad_host_map_is_a_configuration_error(
    host_map: dict[str, str], problem: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match="PLUGIN_HOST_MAP") as caught:
        fetch_as_webhook({"url": "http://hooks.example.com/"}, host_map=host_map)

    assert problem in str(caught.value)


def test_a_closed_port_is_connection_failed(connections: ConnectionLog) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connections.open_ports.add(port)

    error = refusal({"url": f"http://hooks.example.com:{port}/"})

    assert error.code == "CONNECTION_FAILED"


def test_an_answer_that_is_not_http_is_response_invalid(server: LocalServer) -> None:
    server.routes["/garbage"] = lambda handler: handler.wfile.write(b"garbage\r\n\r\n")

    error = refusal({"url": server.url("/garbage")})

    assert error.code == "RESPONSE_INVALID"


# -- redirects ---------------------------------------------------------------------


def test_a_redirect_to_an_allowed_path_is_followed(server: LocalServer) -> None:
    server.routes["/old"] = redirect(301, "/new")
    server.routes["/new"] = lambda handler: reply(handler, 200, b"moved here")

    answer = fetch_as_webhook(
        {"url": server.url("/old"), "headers": {"Authorization": "Bearer t0ken"}}
    )

    assert (answer["status"], answer["body"]) == (200, "moved here")
    assert answer["url"] == server.url("/new")
    assert [r.path for r in server.received] == ["/old", "/new"]
    assert server.received[1].headers["authorization"] == "Bearer t0ken"


def test_credentials_are_dropped_when_a_redirect_changes_origin(
    server: LocalServer, second_server: LocalServer
) -> None:
    server.routes["/start"] = redirect(
        302, second_server.url("/landing", host="other.example.com")
    )
    second_server.routes["/landing"] = lambda handler: reply(handler, 200, b"landed")
    headers = {
        "Authorization": "Bearer t0ken",
        "cookie": "session=1",
        "Proxy-Authorization": "Basic eDp5",
        "X-Request-Id": "42",
    }

    answer = fetch_as_webhook({"url": server.url("/start"), "headers": headers})

    assert answer["body"] == "landed"
    first, second = server.received[0].headers, second_server.received[0].headers
    assert first["authorization"] == "Bearer t0ken"
    assert first["cookie"] == "session=1"
    assert "authorization" not in second
    assert "cookie" not in second
    assert "proxy-authorization" not in second
    assert second["x-request-id"] == "42"
    assert second["host"] == f"other.example.com:{second_server.port}"


def test_a_redirect_to_another_port_of_the_same_host_changes_origin(
    server: LocalServer, second_server: LocalServer
) -> None:
    server.routes["/start"] = redirect(307, second_server.url("/landing"))
    second_server.routes["/landing"] = lambda handler: reply(handler, 200)

    fetch_as_webhook(
        {"url": server.url("/start"), "headers": {"Authorization": "Bearer t0ken"}}
    )

    assert "authorization" not in second_server.received[0].headers


@pytest.mark.parametrize(
    ("status", "method", "then_method", "then_body"),
    [
        (303, "POST", "GET", b""),
        (303, "PUT", "GET", b""),
        (301, "POST", "GET", b""),
        (302, "POST", "GET", b""),
        (302, "PUT", "PUT", b"payload"),
        (307, "POST", "POST", b"payload"),
        (308, "PATCH", "PATCH", b"payload"),
    ],
)
def test_a_redirect_keeps_or_drops_the_method_and_body(
    server: LocalServer, status: int, method: str, then_method: str, then_body: bytes
) -> None:
    server.routes["/submit"] = redirect(status, "/result")
    server.routes["/result"] = lambda handler: reply(handler, 200, b"done")

    answer = fetch_as_webhook(
        {
            "url": server.url("/submit"),
            "method": method,
            "headers": {"Content-Type": "text/plain"},
            "body": "payload",
        }
    )

    assert answer["body"] == "done"
    followed = server.received[1]
    assert (followed.method, followed.body) == (then_method, then_body)
    assert ("content-type" in followed.headers) == bool(then_body)


def test_up_to_five_redirects_are_followed(server: LocalServer) -> None:
    for hop in range(1, MAX_REDIRECTS + 1):
        server.routes[f"/hop/{hop}"] = redirect(302, f"/hop/{hop - 1}")
    server.routes["/hop/0"] = lambda handler: reply(handler, 200, b"arrived")

    answer = fetch_as_webhook({"url": server.url(f"/hop/{MAX_REDIRECTS}")})

    assert answer["body"] == "arrived"
    assert len(server.received) == MAX_REDIRECTS + 1


def test_a_sixth_redirect_is_refused(server: LocalServer) -> None:
    server.routes["/loop"] = redirect(302, "/loop")

    error = refusal({"url": server.url("/loop")})

    assert error.code == "TOO_MANY_REDIRECTS"
    assert len(server.received) == MAX_REDIRECTS + 1


def test_a_redirect_without_a_location_is_the_answer(server: LocalServer) -> None:
    server.routes["/odd"] = lambda handler: reply(handler, 302, b"nowhere")

    answer = fetch_as_webhook({"url": server.url("/odd")})

    assert (answer["status"], answer["body"]) == (302, "nowhere")


@pytest.mark.parametrize(
    ("location", "code"),
    [
        ("http://evil.example.net/steal", "HOST_NOT_ALLOWED"),
        ("http://internal.example.com/", "ADDRESS_NOT_ALLOWED"),
        ("http://127.0.0.1:{port}/", "ADDRESS_NOT_ALLOWED"),
        ("http://2130706433:{port}/", "ADDRESS_NOT_ALLOWED"),
        ("http://[::ffff:127.0.0.1]:{port}/", "ADDRESS_NOT_ALLOWED"),
        ("http://169.254.169.254/latest/meta-data/", "ADDRESS_NOT_ALLOWED"),
        ("file:///etc/passwd", "URL_INVALID"),
    ],
)
def test_a_redirect_is_checked_like_the_first_request(
    server: LocalServer, connections: ConnectionLog, location: str, code: str
) -> None:
    server.routes["/away"] = redirect(302, location.format(port=server.port))
    resolver = Resolver(
        {"evil.example.net": ["93.184.216.34"], "internal.example.com": ["10.0.0.5"]}
    )

    error = refusal(
        {"url": server.url("/away")},
        allowed_hosts=(*ALLOWED, "internal.example.com"),
        resolver=resolver,
    )

    assert error.code == code
    assert "evil.example.net" not in resolver.asked
    assert connections.attempts == [("127.0.0.1", server.port)]
    assert len(server.received) == 1


# -- caps on size and time ---------------------------------------------------------


@pytest.mark.parametrize("content_length", [True, False])
def test_a_body_at_the_cap_is_answered(
    server: LocalServer, content_length: bool
) -> None:
    body = b"a" * MAX_RESPONSE_BYTES
    server.routes["/big"] = lambda handler: reply(
        handler, 200, body, content_length=content_length
    )

    answer = fetch_as_webhook({"url": server.url("/big")})

    assert len(answer["body"]) == MAX_RESPONSE_BYTES


@pytest.mark.parametrize("content_length", [True, False])
def test_a_body_over_the_cap_is_refused(
    server: LocalServer, content_length: bool
) -> None:
    body = b"a" * (MAX_RESPONSE_BYTES + 1)
    server.routes["/huge"] = lambda handler: reply(
        handler, 200, body, content_length=content_length
    )

    error = refusal({"url": server.url("/huge")})

    assert error.code == "RESPONSE_TOO_LARGE"


def test_a_huge_declared_length_is_refused_before_reading(server: LocalServer) -> None:
    def lying(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(50 * MAX_RESPONSE_BYTES))
        handler.end_headers()
        handler.wfile.write(b"a")
        server.released.wait(5)

    server.routes["/lying"] = lying
    started = time.monotonic()

    error = refusal({"url": server.url("/lying")}, deadline_seconds=3.0)

    assert error.code == "RESPONSE_TOO_LARGE"
    assert time.monotonic() - started < 1.0


def test_a_server_that_does_not_answer_times_out_at_the_deadline(
    server: LocalServer,
) -> None:
    server.routes["/slow"] = lambda handler: server.released.wait(10)
    started = time.monotonic()

    error = refusal({"url": server.url("/slow")}, deadline_seconds=0.4)

    elapsed = time.monotonic() - started
    assert error.code == "TIMEOUT"
    assert 0.4 <= elapsed < 0.4 + SLACK_SECONDS


def test_a_server_that_trickles_bytes_times_out_at_the_deadline(
    server: LocalServer,
) -> None:
    """Each byte arrives well within any per-read timeout; only a deadline on the
    whole fetch stops it."""

    def trickle(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
        while not server.released.wait(0.05):
            try:
                handler.wfile.write(b"z")
                handler.wfile.flush()
            except OSError:
                return

    server.routes["/trickle"] = trickle
    started = time.monotonic()

    error = refusal({"url": server.url("/trickle")}, deadline_seconds=0.6)

    elapsed = time.monotonic() - started
    assert error.code == "TIMEOUT"
    assert 0.6 <= elapsed < 0.6 + SLACK_SECONDS


# -- HTTPS: the certificate is checked against the host name ------------------------


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    make_server_context: Callable[..., tuple[ssl.SSLContext, list[str]]]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        ).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    """A test CA, and server contexts with a certificate it signed for a name.
    The server records the SNI names it was asked for."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_certificate = _certificate(
        "EmDash Test CA", ca_key, "EmDash Test CA", ca_key, ca=True
    )
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(_pem(ca_certificate))

    def make_server_context(
        name: str, *, self_signed: bool = False
    ) -> tuple[ssl.SSLContext, list[str]]:
        key = ec.generate_private_key(ec.SECP256R1())
        if self_signed:
            certificate = _certificate(name, key, name, key, ca=False)
        else:
            certificate = _certificate(name, key, "EmDash Test CA", ca_key, ca=False)
        chain = tmp_path / f"{name}.pem"
        chain.write_bytes(_pem(certificate) + _key_pem(key))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain)
        server_names: list[str] = []
        context.sni_callback = lambda _socket, server_name, _context: (
            server_names.append(server_name)
        )
        return context, server_names

    return Certificates(ca_file=ca_file, make_server_context=make_server_context)


@pytest.fixture
def tls_server(
    connections: ConnectionLog,
) -> Iterator[Callable[[ssl.SSLContext], LocalServer]]:
    started: list[LocalServer] = []

    def start(context: ssl.SSLContext) -> LocalServer:
        local = LocalServer(tls=context)
        connections.open_ports.add(local.port)
        started.append(local)
        return local

    yield start
    for local in started:
        local.stop()


def test_https_verifies_the_certificate_against_the_host_name(
    certificates: Certificates,
    tls_server: Callable[[ssl.SSLContext], LocalServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    context, server_names = certificates.make_server_context("hooks.example.com")
    server = tls_server(context)
    server.routes["/secure"] = lambda handler: reply(handler, 200, b"encrypted")

    answer = fetch_as_webhook({"url": server.url("/secure")})

    assert (answer["status"], answer["body"]) == (200, "encrypted")
    assert server_names == ["hooks.example.com"]
    assert server.received[0].headers["host"] == f"hooks.example.com:{server.port}"


def test_https_refuses_a_certificate_for_another_name(
    certificates: Certificates,
    tls_server: Callable[[ssl.SSLContext], LocalServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    context, _names = certificates.make_server_context("other.example.com")
    server = tls_server(context)

    error = refusal({"url": server.url("/secure")})

    assert error.code == "TLS_ERROR"
    assert "hooks.example.com" in error.message
    assert server.received == []


def test_https_refuses_a_self_signed_certificate(
    certificates: Certificates, tls_server: Callable[[ssl.SSLContext], LocalServer]
) -> None:
    context, _names = certificates.make_server_context(
        "hooks.example.com", self_signed=True
    )
    server = tls_server(context)

    error = refusal({"url": server.url("/secure")})

    assert error.code == "TLS_ERROR"
    assert "certificate verify failed" in error.message
    assert server.received == []
