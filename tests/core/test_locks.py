"""startup_lock: one holder at a time across threads and processes.

The database tests run on both passes, so they exercise the lock file on SQLite and
the advisory lock on PostgreSQL.
"""

import fcntl
import json
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from emdash.core.locks import lock_key, startup_lock
from tests.concurrency import child_env, run_at_once

REPO = Path(__file__).resolve().parents[2]
HOLD_SECONDS = 0.3

# Waits until the parent says go, so that every child asks for the lock at once.
CHILD = """
import json, sys, time
import django

django.setup()
from emdash.core.locks import startup_lock

name, hold = sys.argv[1], float(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
requested = time.time()
with startup_lock(name):
    acquired = time.time()
    time.sleep(hold)
    released = time.time()
print(json.dumps([requested, acquired, released]), flush=True)
"""


@dataclass(frozen=True)
class Span:
    requested: float
    acquired: float
    released: float


def unique_name() -> str:
    # xdist workers share one data dir, so every test takes a lock of its own.
    return f"test-{uuid.uuid4().hex}"


def assert_took_turns(spans: list[Span]) -> None:
    ordered = sorted(spans, key=lambda span: span.acquired)
    for earlier, later in pairwise(ordered):
        assert later.acquired >= earlier.released
        # They competed: the later one asked while the earlier one held the lock.
        assert later.requested < earlier.released


def take(name: str, taken: list[str]) -> None:
    try:
        with startup_lock(name):
            taken.append(name)
    finally:
        # Each thread has its own connection; an open one would block the test
        # database's teardown on PostgreSQL.
        connections.close_all()


def test_lock_key_is_the_same_in_every_process_and_release() -> None:
    # Processes of two releases run side by side during a rolling deploy: the key
    # derivation must never change.
    assert lock_key("migrate") == -2705740871537046126
    assert lock_key("seed") != lock_key("migrate")


@pytest.mark.parametrize(
    "name", ["", "Migrate", "../migrate", "a b", "-x", "seed.lock"]
)
def test_lock_names_are_plain_words(name: str) -> None:
    with pytest.raises(ValueError, match="lock names are"), startup_lock(name):
        pass


@pytest.mark.django_db(transaction=True)
def test_threads_take_turns() -> None:
    name = unique_name()
    spans: list[Span] = []

    def hold() -> None:
        requested = time.time()
        with startup_lock(name):
            acquired = time.time()
            time.sleep(HOLD_SECONDS)
            released = time.time()
        spans.append(Span(requested, acquired, released))

    outcomes = run_at_once([hold] * 3)

    assert outcomes == [None] * 3
    assert len(spans) == 3
    assert_took_turns(spans)


@pytest.mark.django_db(transaction=True)
def test_processes_take_turns() -> None:
    name = unique_name()
    children = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", CHILD, name, "0.5"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=REPO,
        )
        for _ in range(2)
    ]
    try:
        assert [child.stdout.readline() for child in children] == ["ready\n"] * 2
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=60)[0] for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()

    assert [child.returncode for child in children] == [0, 0]
    assert_took_turns([Span(*json.loads(output)) for output in outputs])


@pytest.mark.django_db(transaction=True)
def test_an_exception_in_the_block_releases_the_lock() -> None:
    name = unique_name()
    taken: list[str] = []

    with pytest.raises(RuntimeError, match="migration failed"), startup_lock(name):
        raise RuntimeError("migration failed")
    assert run_at_once([lambda: take(name, taken)], timeout=10) == [None]

    assert taken == [name]


@pytest.mark.django_db(transaction=True)
def test_the_lock_nests_within_a_thread() -> None:
    name = unique_name()
    taken: list[str] = []
    waiter = threading.Thread(target=take, args=(name, taken), daemon=True)

    with startup_lock(name):
        with startup_lock(name):
            pass
        waiter.start()
        waiter.join(timeout=HOLD_SECONDS)
        # Leaving the inner block kept the outer hold.
        assert taken == []
    waiter.join(timeout=10)

    assert taken == [name]


@pytest.mark.django_db(transaction=True)
def test_the_lock_is_the_databases_own_kind() -> None:
    name = unique_name()
    key = lock_key(name)

    with startup_lock(name):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND pid = pg_backend_pid() AND granted"
                    " AND classid::bigint = %s AND objid::bigint = %s",
                    [(key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF],
                )
                assert cursor.fetchone() == (1,)
        else:
            with (Path(settings.DATA_DIR) / f"{name}.lock").open("a") as other:
                with pytest.raises(BlockingIOError):
                    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
