"""Reachability checks for the outside services and programs some tests need."""

import os
import shutil
import socket
import sys

import pytest

SERVICES = {
    "postgres": ("127.0.0.1", 5432),
    "redis": ("127.0.0.1", 6379),
}
# Programs looked up on PATH, with how to install them.
PROGRAMS = {
    # Debian's build: the browser tests do not use Playwright's downloaded ones.
    "chromium": "apt-get install chromium",
    # Building the example plugins from source (AssemblyScript) and the C SDK example.
    "npm": "Node.js 20 or newer with npm",
    "clang": "apt-get install clang lld",
    "wasm-ld": "apt-get install lld",
}


def reachable(name: str) -> bool:
    if name in PROGRAMS:
        return shutil.which(name) is not None
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
    if name in PROGRAMS:
        message = f"{name} is not on PATH (install it: {PROGRAMS[name]})"
    else:
        message = f"{name} is not available at {SERVICES[name][0]}:{SERVICES[name][1]}"
    if strict():
        pytest.fail(f"{message} (EMDASH_REQUIRE_SERVICES=1)")
    pytest.skip(message)


if __name__ == "__main__":
    # `python -m tests.services postgres chromium` exits 0 when all are there.
    sys.exit(0 if all(reachable(name) for name in sys.argv[1:]) else 1)
