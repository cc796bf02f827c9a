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
    process: subprocess.Popen[bytes]

    def next_line(self) -> str:
        """The next line serve prints after its announcement."""
        return read_line(self.process, self.log)

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


def read_line(process: subprocess.Popen[bytes], log: Path) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=START_SECONDS):
            pytest.fail(f"emdash serve went quiet:\n{log.read_text()}")
    line = process.stdout.readline().decode()
    assert line, f"emdash serve exited:\n{log.read_text()}"
    return line.rstrip("\n")


def announcement(process: subprocess.Popen[bytes], log: Path, *, as_json: bool) -> Any:
    """What serve prints before serving: one JSON line, or lines of text up to
    the one that says where it listens."""
    lines: list[str] = []
    while not lines or not (as_json or lines[-1].startswith("(listening")):
        lines.append(read_line(process, log))
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
        yield Started(announced, port, log, process)
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


def on_the_site(env: dict[str, str], code: str, *args: str) -> str:
    """Run Python ``code`` with Django set up for the site at ``env``; its stdout."""
    ran = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", "import django\ndjango.setup()\n" + code, *args],
        env={**env, "DJANGO_SETTINGS_MODULE": "emdash.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return ran.stdout.strip()


# Raises (LINK_REVOKED, ...) unless the token still sets up the site.
CHECK_SETUP_TOKEN = """
import sys
from emdash.accounts import setup
print(setup.check_token(sys.argv[1]).purpose)
"""
ADD_ADMINISTRATOR = """
from emdash.accounts.models import User
User.objects.create_user("ada@example.com", role="administrator")
"""


def test_serve_prints_the_setup_url_once_and_later_starts_keep_it(
    tmp_path: Path,
) -> None:
    env = clean_env(tmp_path / "data", EMDASH_DEMO="0")

    with serving(tmp_path, env=env) as first:
        printed = [first.next_line() for _ in range(3)]
        # Started while the first serves: the URL printed stays the one that works.
        with serving(tmp_path, env=env) as second:
            second_printed = [second.next_line() for _ in range(2)]
        with serving(tmp_path, "--json", env=env) as third:
            pass
    blank, heading, url = printed
    prefix = f"http://localhost:{first.port}/_emdash/admin/setup/"
    still_works = on_the_site(
        env, CHECK_SETUP_TOKEN, url.removeprefix(prefix).removesuffix("/")
    )
    on_the_site(env, ADD_ADMINISTRATOR)
    with serving(tmp_path, "--json", env=env) as set_up:
        pass

    assert blank == ""
    assert heading == "No administrator yet. Open this one-time URL to set up the site:"
    assert url.startswith(prefix)
    assert url.endswith("/")
    assert second_printed == [
        "",
        "No administrator yet. A setup URL printed earlier (by this or another "
        "process) still works; `emdash setup-url` prints a fresh one.",
    ]
    assert (third.announced["needs_setup"], third.announced["setup_url"]) == (
        True,
        None,
    )
    assert still_works == "setup"
    assert (set_up.announced["needs_setup"], set_up.announced["setup_url"]) == (
        False,
        None,
    )
