"""Reachability checks for the outside services some tests need."""

import os
import socket
import sys

import pytest

SERVICES = {
    "postgres": ("127.0.0.1", 5432),
    "redis": ("127.0.0.1", 6379),
}


def reachable(name: str) -> bool:
    host, port = SERVICES[name]
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def strict() -> bool:
    return os.environ.get("EMDASH_REQUIRE_SERVICES") == "1"


def require_service(name: str) -> None:
    """Skip the calling test when ``name`` is down; fail instead in CI's strict mode."""
    if reachable(name):
        return
    message = f"{name} is not available at {SERVICES[name][0]}:{SERVICES[name][1]}"
    if strict():
        pytest.fail(f"{message} (EMDASH_REQUIRE_SERVICES=1)")
    pytest.skip(message)


if __name__ == "__main__":
    # `python -m tests.services postgres` exits 0 when the service answers.
    sys.exit(0 if all(reachable(name) for name in sys.argv[1:]) else 1)
