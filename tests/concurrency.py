"""Running test code at once: in threads, each on its own database connection,
and in child processes configured like the test's."""

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections


def skip_on_in_memory_sqlite(also: str = "") -> None:
    """Skip a test whose threads must wait on each other's database locks; ``also``
    names any other test that covers the case."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "threads share the in-memory test database through SQLite's shared "
            "cache, whose table locks fail at once instead of waiting; the "
            "PostgreSQL pass runs this" + (f", and {also}" if also else "")
        )


def run_at_once[T](
    calls: Sequence[Callable[[], T]], *, timeout: float = 30
) -> list[T | BaseException]:
    """Run each call in its own thread, all released together; what each returned
    or raised."""
    start = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)  # each thread sets its own

    def run(index: int) -> None:
        try:
            start.wait()
            outcomes[index] = calls[index]()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcomes[index] = error
        finally:
            # Each thread has its own connection; an open one would block the
            # test database's teardown on PostgreSQL.
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert [thread.is_alive() for thread in threads] == [False] * len(calls)
    return outcomes


def postgres_url_for_children() -> str | None:
    """The URL of this test's database on PostgreSQL, for another process to use;
    None on SQLite, whose in-memory test database is this process's alone."""
    if connection.vendor != "postgresql":
        return None
    # At test time NAME is pytest-django's test database, not DATABASE_URL's.
    db = settings.DATABASES["default"]
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def child_env() -> dict[str, str]:
    """The environment for a process that configures Django like this one (on
    PostgreSQL, on this test's database)."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "emdash.settings"
    env["EMDASH_DATA_DIR"] = str(settings.DATA_DIR)
    postgres = postgres_url_for_children()
    if postgres is not None:
        env["DATABASE_URL"] = postgres
    return env
