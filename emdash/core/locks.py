"""A lock that makes processes starting at once take turns at start-up work.

Several ``emdash serve`` processes (or gunicorn workers, or containers behind a load
balancer) may start together on one database: migrations and the demo seed must run
in one of them at a time, and the others must then find the work done.
"""

import fcntl
import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

LOCK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")

# The lock files this thread holds, so that nesting works as it does on PostgreSQL
# (where a session may take the same advisory lock again) instead of deadlocking.
_held = threading.local()


def lock_key(name: str) -> int:
    """The signed 64-bit ``pg_advisory_lock`` key for ``name``, the same in every
    process (``hash()`` is salted per process, so it cannot be used)."""
    digest = hashlib.sha256(f"emdash:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def startup_lock(name: str) -> Iterator[None]:
    """Hold the lock ``name`` for the block, waiting as long as another process has it.

    On PostgreSQL this is a session advisory lock on the default connection, so it
    covers every process using the database, on any machine. Elsewhere (SQLite) it is
    an exclusive ``flock`` on ``<EMDASH_DATA_DIR>/<name>.lock``: the database file may
    not exist yet, and a SQLite database is only shared by processes on one machine.
    Both are released when the block exits, by an exception too, or when the process
    dies. Take it outside any transaction, and do not fork while holding it.
    """
    if not LOCK_NAME.fullmatch(name):
        raise ValueError(f"lock names are lowercase letters, digits, - and _: {name!r}")
    if connection.vendor == "postgresql":
        with _advisory_lock(lock_key(name)):
            yield
    else:
        with _file_lock(Path(settings.DATA_DIR) / f"{name}.lock"):
            yield


@contextmanager
def _advisory_lock(key: int) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    held: set[Path] = _held.__dict__.setdefault("paths", set())
    if path in held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Append mode creates the file without truncating it; closing it drops the flock.
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        held.add(path)
        try:
            yield
        finally:
            held.discard(path)
