"""The web requests a plugin makes (host function ``http_fetch``), held to its grant.

A plugin with ``network:request`` reaches only the hosts in its ``allowed_hosts``
(``*.example.com`` covers sub-domains); one with ``network:request:unrestricted``
reaches any host. Either way the host name is resolved here, every address it
resolves to must be public, and the connection goes to an address that was checked:
it is never resolved a second time, so a name cannot switch to an internal address
between the check and the connect (DNS rebinding). IP addresses written in unusual
forms (``2130706433``, ``0177.0.0.1``, ``127.1``) are refused before anything is
resolved. Redirects are followed here, each hop checked by the same rules, and
credentials are dropped when a redirect leaves the origin. Proxy settings in the
environment are never read. Everything runs within the caller's deadline, because
a fetch blocks outside wasm, where the epoch cannot stop it.

The operator's ``PLUGIN_HOST_MAP`` (never a manifest) may point a host name at an
internal address, for an intranet webhook; only plugins that list that name in
``allowed_hosts`` reach it.

This module does not need the sandbox: ``fetch`` takes the request a plugin sent
and answers the JSON the plugin receives, or raises FetchRefused.
"""

import base64
import http.client
import io
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from emdash.core.errors import EmDashError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# (host name, port) -> the addresses it resolves to, as strings.
Resolver = Callable[[str, int], Sequence[str]]

MiB = 1024 * 1024
# Half the sandbox's input cap: the answer must fit into the guest as JSON, and a
# binary body grows by a third in base64.
MAX_RESPONSE_BYTES = MiB // 2
MAX_REQUEST_BODY_BYTES = 1 * MiB
MAX_REQUEST_HEADER_BYTES = 64 * 1024
MAX_URL_LENGTH = 8192
MAX_REDIRECTS = 5

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}

# The host sets these itself, or they concern the connection rather than the
# request (hop-by-hop), so a plugin may not send them.
FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "user-agent",
        "content-length",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Dropped when a redirect goes to another scheme, host or port.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})

# code -> when a fetch is refused with it
REFUSAL_CODES: dict[str, str] = {
    "REQUEST_INVALID": "the request is not an object of url, method, headers, body",
    "URL_INVALID": "the URL is not an http or https URL with a valid host",
    "HEADER_NOT_ALLOWED": "a header is malformed, or one the host sets itself",
    "REQUEST_TOO_LARGE": "the request body or headers exceed their cap",
    "HOST_NOT_ALLOWED": "the host is not in the plugin's allowed_hosts",
    "ADDRESS_NOT_ALLOWED": "the host is, or resolves to, a non-public address",
    "HOST_NOT_FOUND": "the host name does not resolve",
    "CONNECTION_FAILED": "no connection could be made, or it broke",
    "TLS_ERROR": "the TLS handshake or certificate check failed",
    "TIMEOUT": "the deadline passed",
    "TOO_MANY_REDIRECTS": f"more than {MAX_REDIRECTS} redirects",
    "RESPONSE_TOO_LARGE": f"the response body exceeds {MAX_RESPONSE_BYTES} bytes",
    "RESPONSE_INVALID": "the server's answer is not valid HTTP",
}


class FetchRefused(EmDashError):
    """An ``http_fetch`` that was refused or failed in an ordinary way. The sandbox
    hands it to the plugin as ``{"error": {"code", "message"}}``."""

    code = "FETCH_REFUSED"
    status = 422

    def __init__(self, code: str, message: str, *, url: str | None = None) -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"unknown fetch refusal code {code!r}")
        super().__init__(message, code=code, details={"url": url} if url else None)


def fetch(
    request: object,
    *,
    plugin_id: str,
    allowed_hosts: Sequence[str],
    unrestricted: bool,
    deadline_seconds: float,
    resolver: Resolver | None = None,
    host_map: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Make the web request a plugin asked for and answer what it receives.

    ``request`` is ``{"url", "method"?, "headers"?, "body"?}`` (method GET by
    default, body a string). The answer is ``{"status", "headers", "url", "body"}``
    with ``body_base64`` instead of ``body`` when the response is not text in its
    declared charset (UTF-8 by default); header names are lowercase, repeated
    headers joined with ", ", ``url`` is where the last redirect led.

    ``resolver`` replaces the system's (``socket.getaddrinfo``); ``host_map``
    replaces ``settings.PLUGIN_HOST_MAP`` (host name -> address). Raises
    FetchRefused (see REFUSAL_CODES); ImproperlyConfigured for a bad host map.
    """
    if deadline_seconds <= 0:
        raise FetchRefused("TIMEOUT", "http_fetch was called with no time left")
    deadline = _Deadline(deadline_seconds)
    method, url, headers, body = _read_request(request)
    headers["User-Agent"] = f"EmDash-Plugin/{plugin_id}"
    policy = _Policy(
        allowed_hosts=tuple(_allowed_pattern(host) for host in allowed_hosts),
        unrestricted=unrestricted,
        host_map=_checked_host_map(
            getattr(settings, "PLUGIN_HOST_MAP", {}) if host_map is None else host_map
        ),
        resolver=resolver or system_resolver,
    )
    target = _parse_url(url)
    for _hop in range(MAX_REDIRECTS + 1):
        with _failures_as_refusals(target.url):
            addresses = policy.addresses(target, deadline)
            with closing(_PinnedConnection(target, addresses, deadline)) as connection:
                connection.request(method, target.request_path, body, headers)
                with connection.getresponse() as response:
                    location = response.getheader("Location", "")
                    if response.status not in REDIRECT_STATUSES or not location:
                        return _answer(target.url, response)
        method, headers, body, target = _redirected(
            target, response.status, location, method, headers, body
        )
    raise FetchRefused(
        "TOO_MANY_REDIRECTS",
        f"http_fetch to {url!r} was redirected more than {MAX_REDIRECTS} times",
        url=url,
    )


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system resolves ``host`` to."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def address_problem(address: IPAddress) -> str | None:
    """Why a plugin may not connect to ``address``, or None for a public address.
    An IPv6 address that carries an IPv4 address (mapped, compatible, 6to4, Teredo,
    NAT64) is refused when the IPv4 address would be; an IPv4-mapped one is judged
    by its IPv4 address alone."""
    if address in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:
            # A connection to it goes to the IPv4 address itself.
            problem = address_problem(mapped)
            return f"an IPv6 form of {mapped}, {problem}" if problem else None
        for embedded in _embedded_ipv4(address):
            problem = address_problem(embedded)
            if problem:
                return f"an IPv6 address embedding {embedded}, {problem}"
    return _general_problem(address)


# -- the request ------------------------------------------------------------------

_REQUEST_FIELDS = ("url", "method", "headers", "body")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Tab, printable ASCII and Latin-1 (what HTTP/1.1 can carry); no CR, LF or NUL.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


def _read_request(request: object) -> tuple[str, str, dict[str, str], bytes | None]:
    if not isinstance(request, dict):
        raise FetchRefused(
            "REQUEST_INVALID", "the http_fetch request must be a JSON object"
        )
    for key in request:
        if key not in _REQUEST_FIELDS:
            raise FetchRefused(
                "REQUEST_INVALID",
                f"the http_fetch request has an unknown field {key!r}; "
                f"expected {', '.join(_REQUEST_FIELDS)}",
            )
    url = request.get("url")
    if not isinstance(url, str) or not url:
        raise FetchRefused("REQUEST_INVALID", "url must be a non-empty string")
    method = request.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise FetchRefused(
            "REQUEST_INVALID", f"method must be one of {', '.join(METHODS)}"
        )
    body = request.get("body")
    if body is not None and not isinstance(body, str):
        raise FetchRefused("REQUEST_INVALID", "body must be a string")
    try:
        encoded_body = body.encode() if body is not None else None
    except UnicodeEncodeError:
        raise FetchRefused(
            "REQUEST_INVALID", "body is not valid Unicode (a lone surrogate?)"
        ) from None
    if encoded_body is not None and len(encoded_body) > MAX_REQUEST_BODY_BYTES:
        raise FetchRefused(
            "REQUEST_TOO_LARGE",
            f"the request body is {len(encoded_body)} bytes; "
            f"the cap is {MAX_REQUEST_BODY_BYTES}",
        )
    return method.upper(), url, _read_headers(request.get("headers", {})), encoded_body


def _read_headers(headers: object) -> dict[str, str]:
    if not isinstance(headers, dict):
        raise FetchRefused(
            "REQUEST_INVALID", "headers must be an object of names to strings"
        )
    size = 0
    for name, value in headers.items():
        if not isinstance(value, str):
            raise FetchRefused(
                "REQUEST_INVALID", f"header {name!r} must have a string value"
            )
        if not _HEADER_NAME.fullmatch(name):
            raise FetchRefused(
                "HEADER_NOT_ALLOWED", f"{name!r} is not a valid header name"
            )
        if name.lower() in FORBIDDEN_HEADERS:
            raise FetchRefused(
                "HEADER_NOT_ALLOWED",
                f"header {name!r} is set by the host and may not be sent by a plugin",
            )
        if not _HEADER_VALUE.fullmatch(value):
            raise FetchRefused(
                "HEADER_NOT_ALLOWED",
                f"header {name!r} has a line break, a control character or a "
                "character beyond Latin-1 in its value",
            )
        size += len(name) + len(value)
    if size > MAX_REQUEST_HEADER_BYTES:
        raise FetchRefused(
            "REQUEST_TOO_LARGE",
            f"the request headers are {size} bytes; "
            f"the cap is {MAX_REQUEST_HEADER_BYTES}",
        )
    return dict(headers)


# -- URLs and host names ----------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """One URL to fetch, its host normalised: lowercase ASCII (IDNA), without a
    trailing dot, an IPv6 address without brackets."""

    url: str
    scheme: str
    host: str
    port: int
    request_path: str  # path and query, as sent on the request line
    literal: IPAddress | None  # the host, when it is an IP address

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A last label like these makes URL parsers and inet_aton read the host as IPv4.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_IPV4_PART = {
    16: re.compile(r"0x([0-9a-f]*)"),
    8: re.compile(r"0([0-7]+)"),
    10: re.compile(r"([1-9][0-9]*|0)"),
}
_UNSAFE_URL_CHARACTER = re.compile(r"[\x00-\x20\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _parse_url(url: str) -> _Target:
    def invalid(reason: str) -> FetchRefused:
        return FetchRefused("URL_INVALID", f"{url!r} {reason}", url=url)

    if len(url) > MAX_URL_LENGTH:
        raise invalid(f"is longer than {MAX_URL_LENGTH} characters")
    if _UNSAFE_URL_CHARACTER.search(url):
        raise invalid("contains a space or control character (percent-encode it)")
    if not url.isascii() and not _encodable(url):
        raise invalid("is not valid Unicode (a lone surrogate?)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise invalid(f"is not a valid URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise invalid("is not an http or https URL")
    if "@" in parts.netloc:
        raise invalid("carries credentials; send them in a header instead")
    if not parts.hostname:
        raise invalid("has no host")
    if port == 0:
        raise invalid("has port 0")
    if parts.netloc.startswith("["):
        try:
            literal: IPAddress | None = ipaddress.IPv6Address(parts.hostname)
        except ValueError:
            raise invalid("has a bracketed host that is not an IPv6 address") from None
        host = parts.hostname
    else:
        ascii_host = _ascii_host(parts.hostname)
        if ascii_host is None:
            raise invalid("has a host that is not a valid host name")
        host = ascii_host
        literal = _ipv4_literal(host, url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return _Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port or DEFAULT_PORTS[scheme],
        request_path=_NON_ASCII.sub(lambda match: quote(match.group()), path),
        literal=literal,
    )


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _ascii_host(name: str) -> str | None:
    """A host as DNS knows it (IDNA-encoded, lowercase, no trailing dot), or None
    when it is not a valid host. Encoding comes first because IDNA maps fullwidth
    digits and dots to ASCII ones. A host ending in a numeric label is returned
    as it is, for _ipv4_literal to read."""
    try:
        host = name.removesuffix(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        return host
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return host


def _ipv4_literal(host: str, url: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address ``host`` names, read the way inet_aton and browsers read it
    (1 to 4 parts, each decimal, 0-prefixed octal or 0x hex), or None for a name.
    Only the dotted-quad form is accepted: any other is how a private address is
    smuggled past a filter that looks for one."""
    parts = host.split(".")
    if not _NUMERIC_LABEL.fullmatch(parts[-1]):
        return None
    address = _inet_aton(parts)
    if address is None:
        raise FetchRefused(
            "URL_INVALID",
            f"{url!r} has a host that is not a valid IPv4 address",
            url=url,
        )
    if host != str(address):
        raise FetchRefused(
            "ADDRESS_NOT_ALLOWED",
            f"{url!r} writes the IP address {address} in an unusual form; "
            "IPv4 addresses must be written as four decimal numbers",
            url=url,
        )
    return address


def _inet_aton(parts: list[str]) -> ipaddress.IPv4Address | None:
    """``a.b.c.d``, ``a.b.cd``, ``a.bcd`` or ``abcd``: the last number fills the
    bytes the others leave."""
    if len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        number = _ipv4_number(part)
        if number is None:
            return None
        numbers.append(number)
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = sum(number << (8 * (3 - index)) for index, number in enumerate(leading))
    return ipaddress.IPv4Address(value + last)


def _ipv4_number(part: str) -> int | None:
    for base, pattern in _IPV4_PART.items():
        match = pattern.fullmatch(part)
        if match:
            return int(match.group(1) or "0", base)
    return None


def _allowed_pattern(host: str) -> str:
    """An allowed_hosts entry in the form hosts are compared with."""
    wildcard = host.startswith("*.")
    name = host.removeprefix("*.").removesuffix(".")
    return ("*." if wildcard else "") + name.encode("idna").decode("ascii").lower()


def _host_allowed(host: str, allowed_hosts: tuple[str, ...]) -> bool:
    for pattern in allowed_hosts:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):  # ".example.com": sub-domains only
                return True
        elif host == pattern:
            return True
    return False


def _checked_host_map(host_map: Mapping[str, str]) -> dict[str, IPAddress]:
    checked: dict[str, IPAddress] = {}
    for name, address in host_map.items():
        host = _ascii_host(name)
        if host is None or _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
            raise ImproperlyConfigured(f"PLUGIN_HOST_MAP: {name!r} is not a host name")
        try:
            checked[host] = ipaddress.ip_address(address)
        except ValueError:
            raise ImproperlyConfigured(
                f"PLUGIN_HOST_MAP: {name!r} maps to {address!r}, which is not an IP "
                "address (give the address alone: the port comes from the URL)"
            ) from None
    return checked


# -- addresses --------------------------------------------------------------------

_METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    embedded = []
    # Deprecated IPv4-compatible (::a.b.c.d); :: and ::1 are IPv6's own.
    if int(address) >> 32 == 0 and int(address) > 1:
        embedded.append(ipaddress.IPv4Address(int(address)))
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if address in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    return embedded


def _general_problem(address: IPAddress) -> str | None:
    checks = [
        (address.is_unspecified, "the unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address in _SHARED_ADDRESS_SPACE, "a carrier-grade NAT address"),
        (
            isinstance(address, ipaddress.IPv6Address) and address.is_site_local,
            "a site-local address",
        ),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a public address"),
    ]
    return next((problem for failed, problem in checks if failed), None)


# -- the policy: which addresses a URL may reach ----------------------------------


@dataclass(frozen=True)
class _Policy:
    allowed_hosts: tuple[str, ...]
    unrestricted: bool
    host_map: dict[str, IPAddress]
    resolver: Resolver

    def addresses(self, target: _Target, deadline: "_Deadline") -> list[IPAddress]:
        """The checked addresses to connect to for ``target``, or FetchRefused.
        Nothing is resolved for a host that is not allowed."""
        url = target.url
        if target.literal is not None:
            problem = address_problem(target.literal)
            if problem:
                raise FetchRefused(
                    "ADDRESS_NOT_ALLOWED",
                    f"{url!r}: {target.host} is {problem}",
                    url=url,
                )
            if not self.unrestricted:
                raise FetchRefused(
                    "HOST_NOT_ALLOWED",
                    f"{url!r}: the plugin may reach only the host names in its "
                    "allowed_hosts, not IP addresses",
                    url=url,
                )
            return [target.literal]
        mapped = self.host_map.get(target.host)
        if not _host_allowed(target.host, self.allowed_hosts):
            if mapped is not None:
                raise FetchRefused(
                    "HOST_NOT_ALLOWED",
                    f"{url!r}: {target.host} is mapped to an internal address by the "
                    "operator; only a plugin that lists it in allowed_hosts reaches it",
                    url=url,
                )
            if not self.unrestricted:
                raise FetchRefused(
                    "HOST_NOT_ALLOWED",
                    f"{url!r}: {target.host} is not in the plugin's allowed_hosts",
                    url=url,
                )
        if mapped is not None:
            return [mapped]
        addresses = self._resolve(target, deadline)
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise FetchRefused(
                    "ADDRESS_NOT_ALLOWED",
                    f"{url!r}: {target.host} resolves to {problem}",
                    url=url,
                )
        return addresses

    def _resolve(self, target: _Target, deadline: "_Deadline") -> list[IPAddress]:
        # getaddrinfo has no timeout of its own: wait for it in a thread, at most
        # until the deadline (a lookup that hangs on finishes in the background).
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="http-fetch")
        try:
            future = executor.submit(self.resolver, target.host, target.port)
            answers = future.result(timeout=deadline.remaining())
        except socket.gaierror:
            answers = []
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
        addresses: list[IPAddress] = []
        for answer in answers:
            address = ipaddress.ip_address(answer)
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise FetchRefused(
                "HOST_NOT_FOUND",
                f"{target.url!r}: {target.host} does not resolve",
                url=target.url,
            )
        return addresses


# -- the connection ---------------------------------------------------------------


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; TimeoutError once there are none."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        return left


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP or HTTPS connection to addresses checked beforehand. The URL's host
    name goes into the Host header, TLS SNI and the certificate check, and is never
    resolved again. No proxy is ever used."""

    def __init__(
        self, target: _Target, addresses: list[IPAddress], deadline: _Deadline
    ) -> None:
        super().__init__(target.host, target.port)
        self.default_port = DEFAULT_PORTS[target.scheme]  # Host header omits it
        self._tls = target.scheme == "https"
        self._addresses = addresses
        self._deadline = deadline

    def connect(self) -> None:
        sock = self._connect_to_first_reachable()
        if self._tls:
            try:
                sock.settimeout(self._deadline.remaining())
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self.host)
            except OSError:
                sock.close()
                raise
        self.sock = _DeadlineSocket(sock, self._deadline)  # type: ignore[assignment]

    def _connect_to_first_reachable(self) -> socket.socket:
        error: OSError = ConnectionError("no address to connect to")
        for address in self._addresses:
            try:
                return socket.create_connection(
                    (str(address), self.port), timeout=self._deadline.remaining()
                )
            except OSError as failure:
                error = failure
        raise error


class _DeadlineSocket:
    """The part of a socket HTTPConnection uses, with every wait bounded by what is
    left of the deadline. A timeout per operation alone would let a server that
    sends a byte at a time hold the fetch open indefinitely. Like a socket, it
    stays open while a reader made by ``makefile`` is: http.client closes the
    connection and goes on reading the response through its reader."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self.sock = sock
        self.deadline = deadline
        self._open_readers = 0
        self._closed = False

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self.sock.settimeout(self.deadline.remaining())
            view = view[self.sock.send(view) :]

    def makefile(self, mode: str) -> io.BufferedReader:
        self._open_readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        self._closed = True
        self._close_when_unused()

    def reader_closed(self) -> None:
        self._open_readers -= 1
        self._close_when_unused()

    def _close_when_unused(self) -> None:
        if self._closed and self._open_readers == 0:
            self.sock.close()


class _DeadlineReader(io.RawIOBase):
    def __init__(self, owner: _DeadlineSocket) -> None:
        self._owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._owner.sock.settimeout(self._owner.deadline.remaining())
        return self._owner.sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._owner.reader_closed()


@contextmanager
def _failures_as_refusals(url: str) -> Iterator[None]:
    """Network failures during one hop, as FetchRefused with their code."""

    def refused(code: str, what: str, error: Exception) -> FetchRefused:
        return FetchRefused(code, f"http_fetch to {url!r} {what}: {error}", url=url)

    try:
        yield
    except TimeoutError as error:
        raise refused("TIMEOUT", "ran past its deadline", error) from error
    except ssl.SSLError as error:
        raise refused("TLS_ERROR", "failed its TLS check", error) from error
    except OSError as error:
        raise refused(
            "CONNECTION_FAILED", "could not connect, or the connection broke", error
        ) from error
    except http.client.HTTPException as error:
        raise refused("RESPONSE_INVALID", "got an invalid answer", error) from error


# -- responses and redirects ------------------------------------------------------


def _answer(url: str, response: http.client.HTTPResponse) -> dict[str, Any]:
    declared = response.getheader("Content-Length", "")
    too_large = FetchRefused(
        "RESPONSE_TOO_LARGE",
        f"http_fetch to {url!r}: the response body is larger than "
        f"{MAX_RESPONSE_BYTES} bytes",
        url=url,
    )
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise too_large
    data = response.read(MAX_RESPONSE_BYTES + 1)
    if len(data) > MAX_RESPONSE_BYTES:
        raise too_large
    headers: dict[str, str] = {}
    for name, value in response.getheaders():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    answer: dict[str, Any] = {"status": response.status, "headers": headers, "url": url}
    text = _as_text(data, response.headers.get_content_charset() or "utf-8")
    if text is None:
        answer["body_base64"] = base64.b64encode(data).decode("ascii")
    else:
        answer["body"] = text
    return answer


def _as_text(data: bytes, charset: str) -> str | None:
    for encoding in dict.fromkeys((charset, "utf-8")):
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return None


def _redirected(
    current: _Target,
    status: int,
    location: str,
    method: str,
    headers: dict[str, str],
    body: bytes | None,
) -> tuple[str, dict[str, str], bytes | None, _Target]:
    """The next request after a redirect (RFC 9110 15.4): 303 turns anything but
    HEAD into GET, and so do 301 and 302 for POST, as browsers do; 307 and 308 keep
    the method and body. Credentials stay with the origin they were meant for."""
    target = _parse_url(urljoin(current.url, location))
    if (status == 303 and method != "HEAD") or (
        status in (301, 302) and method == "POST"
    ):
        method, body = "GET", None
        headers = {
            name: value
            for name, value in headers.items()
            if not name.lower().startswith("content-")
        }
    if target.origin != current.origin:
        headers = {
            name: value
            for name, value in headers.items()
            if name.lower() not in CREDENTIAL_HEADERS
        }
    return method, headers, body, target
