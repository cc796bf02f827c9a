"""An HTTP(S) server on 127.0.0.1, in a thread, for tests of what plugins reach:
it records every request and answers with what a test routes."""

import http.server
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lowercase names
    body: bytes


Route = Callable[[http.server.BaseHTTPRequestHandler], None]


class LocalServer:
    """An HTTP server on 127.0.0.1 in a thread; ``routes`` maps a path to what
    answers it, ``received`` lists the requests it got."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.received: list[Received] = []
        self.released = threading.Event()  # set at teardown: slow routes stop
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def dispatch(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.received.append(
                    Received(
                        method=self.command,
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=self.rfile.read(length),
                    )
                )
                route = server.routes.get(urlsplit(self.path).path)
                if route is None:
                    reply(self, 404, b"no route")
                else:
                    route(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = dispatch

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port: int = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.01,), daemon=True
        )
        self.thread.start()

    def url(self, path: str, host: str = "hooks.example.com") -> str:
        scheme = "https" if isinstance(self.httpd.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(
    handler: http.server.BaseHTTPRequestHandler,
    status: int = 200,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
    *,
    content_length: bool = True,
) -> None:
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    if content_length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
