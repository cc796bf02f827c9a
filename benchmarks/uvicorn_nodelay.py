"""uvicorn with keep-alive connections that get TCP_NODELAY, as its single-worker
mode does: ``python -m benchmarks.uvicorn_nodelay <uvicorn arguments>``.

With ``--workers N`` uvicorn (0.54 here) binds the listening socket with ``proto``
0; accepted sockets inherit it, and asyncio sets TCP_NODELAY only when ``proto``
is IPPROTO_TCP. Nagle's algorithm then holds each response body until the client
ACKs the headers, which the client delays by ~40 ms on Linux: every keep-alive
request pays that (Kludex/uvicorn#3149). This re-creates the listener with the
right ``proto`` (the one-line fix proposed in Kludex/uvicorn#3155), so the
benchmark compares ASGI with WSGI rather than with a socket option.
"""

import socket
import sys

from uvicorn.config import Config
from uvicorn.main import main

_bind_socket = Config.bind_socket


def _bind_tcp_socket(self: Config) -> socket.socket:
    sock = _bind_socket(self)
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return sock
    fixed = socket.socket(
        sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach()
    )
    fixed.set_inheritable(True)
    return fixed


Config.bind_socket = _bind_tcp_socket  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
