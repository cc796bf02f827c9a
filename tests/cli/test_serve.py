"""`emdash serve` as a user runs it: a process of its own on a fresh data dir."""

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

# The editable install's script, with this interpreter.
EMDASH = Path(sys.executable).parent / "emdash"
START_SECONDS = 60


@dataclass(frozen=True)
class Started:
    announced: Any  # the parsed JSON line with --json, else the lines of text
    port: int
    log: Path

    def get(self, path: str) -> httpx.Response:
        """GET ``path``, waiting for the workers to accept connections."""
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=5)
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A user's shell: none of this test run's settings, a data dir of its own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EMDASH_", "DJANGO_", "DATABASE_URL"))
    }
    return {**env, "EMDASH_DATA_DIR": str(data_dir), **extra}


def announcement(process: subprocess.Popen[bytes], log: Path, *, as_json: bool) -> Any:
    """What serve prints before serving: one JSON line, or lines of text up to
    the one that says where it listens."""
    assert process.stdout is not None
    lines: list[str] = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not lines or not (as_json or lines[-1].startswith("(listening")):
            if not selector.select(timeout=START_SECONDS):
                pytest.fail(f"emdash serve went quiet:\n{log.read_text()}")
            line = process.stdout.readline().decode()
            assert line, f"emdash serve exited:\n{log.read_text()}"
            lines.append(line.rstrip("\n"))
    return json.loads(lines[0]) if as_json else lines


@contextmanager
def serving(
    home: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[Started]:
    port = free_port()
    log = home / f"serve-{port}.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(  # noqa: S603 - our own script and arguments
            [str(EMDASH), "serve", "--port", str(port), "--workers", "2", *options],
            cwd=home,
            env=env or clean_env(home / "data"),
            stdout=subprocess.PIPE,
            # Unbuffered, so a line read leaves the next one for the selector.
            bufsize=0,
            stderr=errors,
            start_new_session=True,
        )
    try:
        announced = announcement(process, log, as_json="--json" in options)
        yield Started(announced, port, log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


def test_serve_migrates_seeds_the_demo_once_and_serves(tmp_path: Path) -> None:
    with serving(tmp_path, "--json") as first:
        home = first.get("/")
    with serving(tmp_path, "--json") as second:
        again = second.get("/")

    assert first.announced["url"] == f"http://localhost:{first.port}"
    assert first.announced["bind"] == f"127.0.0.1:{first.port}"
    assert first.announced["workers"] == 2
    assert "content.0001_initial" in first.announced["migrations_applied"]
    assert first.announced["demo_seeded"] is True
    assert home.status_code == 200
    assert (
        second.announced["migrations_applied"],
        second.announced["demo_seeded"],
    ) == (
        [],
        False,
    )
    assert again.status_code == 200


def test_serve_prints_the_site_url_and_can_skip_the_demo(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path / "data", EMDASH_DEMO="0", EMDASH_SITE_URL="http://cms.localhost:9999"
    )

    with serving(tmp_path, env=env) as started:
        home = started.get("/")

    applied, running, listening = started.announced
    assert applied.startswith("Applied ")
    assert applied.endswith(" database migration(s).")
    assert running == "EmDash is running at http://cms.localhost:9999"
    assert listening == (
        f"(listening on 127.0.0.1:{started.port} with 2 worker(s); Ctrl+C stops it)"
    )
    assert home.status_code == 200
    assert "Traceback" not in started.log.read_text()
