"""Rate limits on each backend: the cache (locmem, Redis) and the database.

The tests marked for the database run on both passes, SQLite and PostgreSQL.
"""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.cache import cache, caches
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from emdash.core import ratelimit
from emdash.core.errors import EmDashError
from emdash.core.models import RateLimitCounter
from emdash.core.ratelimit import RateLimited, RateLimitState
from tests.concurrency import (
    child_env,
    postgres_url_for_children,
    run_at_once,
    skip_on_in_memory_sqlite,
)
from tests.services import require_service

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
# A moment 10 seconds into a 60-second window (1_800_000_000 is a multiple of 60).
T0 = 1_800_000_010.0
# The window around T0 is [T0 - 10, T0 + 50); its row expires 5 seconds after.
WINDOW_START = int(T0) - 10


def _locmem() -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"emdash-ratelimit-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture(
    params=["locmem", "redis", pytest.param("database", marks=pytest.mark.django_db)]
)
def backend(request: pytest.FixtureRequest, settings: Settings) -> Iterator[str]:
    """Runs a test on locmem, on Redis under a prefix of its own, and in the database
    (with an empty locmem cache beside it, which must stay empty)."""
    if request.param in ("locmem", "database"):
        settings.CACHES = _locmem()
        settings.CACHE_IS_SHARED = False
        settings.RATE_LIMIT_BACKEND = (
            "cache" if request.param == "locmem" else "database"
        )
        yield request.param
        return
    settings.RATE_LIMIT_BACKEND = "cache"
    require_service("redis")
    prefix = f"emdash-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.CACHE_IS_SHARED = True
    yield "redis"
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


# The database backend alone (a marked param: a plain one would drop the mark).
IN_DATABASE = pytest.mark.parametrize(
    "backend", [pytest.param("database", marks=pytest.mark.django_db)], indirect=True
)


def _hit(key: str = "ada@example.com", *, now: float = T0) -> RateLimitState:
    return ratelimit.hit("magic-link", key, limit=3, window_seconds=60, now=now)


def test_hits_up_to_the_limit_are_allowed_then_refused(backend: str) -> None:
    states = [_hit() for _ in range(5)]

    assert states == [
        RateLimitState(allowed=True, remaining=2, retry_after=50),
        RateLimitState(allowed=True, remaining=1, retry_after=50),
        RateLimitState(allowed=True, remaining=0, retry_after=50),
        RateLimitState(allowed=False, remaining=0, retry_after=50),
        RateLimitState(allowed=False, remaining=0, retry_after=50),
    ]


def test_check_and_hit_raises_rate_limited_with_retry_after(backend: str) -> None:
    for _ in range(3):
        ratelimit.check_and_hit(
            "magic-link", "ada@example.com", limit=3, window_seconds=60, now=T0 + 15
        )

    with pytest.raises(RateLimited) as caught:
        ratelimit.check_and_hit(
            "magic-link", "ada@example.com", limit=3, window_seconds=60, now=T0 + 15
        )

    error = caught.value
    assert isinstance(error, EmDashError)
    assert (error.status, error.code, error.retry_after) == (429, "RATE_LIMITED", 35)
    assert error.as_dict() == {
        "code": "RATE_LIMITED",
        "message": "Too many attempts; try again later.",
        "details": {"retry_after": 35},
    }


def test_a_new_window_starts_a_new_count(backend: str) -> None:
    for _ in range(4):
        _hit(now=T0)

    last_in_window = _hit(now=T0 + 49.5)
    next_window = _hit(now=T0 + 50)

    assert last_in_window == RateLimitState(allowed=False, remaining=0, retry_after=1)
    assert next_window == RateLimitState(allowed=True, remaining=2, retry_after=60)


def test_keys_and_buckets_are_counted_apart(backend: str) -> None:
    for _ in range(3):
        _hit("ada@example.com")

    other_key = _hit("grace@example.com")
    other_bucket = ratelimit.hit(
        "sign-in", "ada@example.com", limit=3, window_seconds=60, now=T0
    )

    assert other_key.remaining == 2
    assert other_bucket.remaining == 2
    assert _hit("ada@example.com").allowed is False


def test_reset_forgets_the_attempts_in_this_window(backend: str) -> None:
    for _ in range(3):
        _hit()

    ratelimit.reset("magic-link", "ada@example.com", window_seconds=60, now=T0)

    assert _hit() == RateLimitState(allowed=True, remaining=2, retry_after=50)


def test_the_store_never_holds_the_raw_key(backend: str) -> None:
    _hit("ada@example.com")

    key = ratelimit.counter_key(
        "magic-link", "ada@example.com", window_start=WINDOW_START
    )

    assert "ada" not in key
    assert "example" not in key
    assert key.startswith("emdash:ratelimit:magic-link:")
    assert key.endswith(f":{WINDOW_START}")
    assert _stored_count(backend, key) == 1


def _stored_count(backend: str, key: str) -> int | None:
    if backend != "database":
        return cache.get(key)
    # The cache beside the database backend is never written to.
    assert cache.get(key) is None
    row = RateLimitCounter.objects.filter(key=key).first()
    return row.count if row else None


def test_the_key_hash_depends_on_the_secret_key(settings: Settings) -> None:
    before = ratelimit.counter_key("magic-link", "203.0.113.9", window_start=0)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"

    assert ratelimit.counter_key("magic-link", "203.0.113.9", window_start=0) != before


def test_counters_expire_after_their_window(backend: str) -> None:
    _hit()

    key = ratelimit.counter_key(
        "magic-link", "ada@example.com", window_start=WINDOW_START
    )
    # 50 seconds left in the window, plus the grace for lagging clocks.
    assert _seconds_to_live(backend, key) == pytest.approx(55, abs=1)


def _seconds_to_live(backend: str, key: str) -> float:
    if backend == "database":
        # Rows expire on the clock of the hit (``now``), not the test's.
        return RateLimitCounter.objects.get(key=key).expires_at.timestamp() - T0
    if backend == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        ttl = client.ttl(cache.make_key(key))
        client.close()
        return ttl
    expires_at = caches["default"]._expire_info[cache.make_key(key)]
    return expires_at - time.time()


@pytest.mark.parametrize(
    ("bucket", "limit", "window"),
    [
        ("Magic Link", 3, 60),
        ("magic:link", 3, 60),
        ("magic-link", 0, 60),
        ("ok", 3, 0),
        ("b" * 33, 3, 60),
    ],
)
def test_bad_arguments_are_refused(bucket: str, limit: int, window: int) -> None:
    with pytest.raises(ValueError, match="rate limit buckets|at least 1"):
        ratelimit.hit(bucket, "key", limit=limit, window_seconds=window)


@pytest.mark.parametrize("backend", ["locmem", "redis"], indirect=True)
def test_a_counter_that_expires_between_add_and_incr_starts_again(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hit()
    real_incr = caches["default"].incr
    calls = []

    def incr_after_expiry(key: str, delta: int = 1) -> int:
        calls.append(key)
        if len(calls) == 1:
            cache.delete(key)
        return real_incr(key, delta)

    monkeypatch.setattr(caches["default"], "incr", incr_after_expiry)

    assert _hit() == RateLimitState(allowed=True, remaining=2, retry_after=50)
    assert len(calls) == 1


LIMIT, THREADS, HITS_EACH = 25, 8, 20


def _hammer_from_threads() -> list[bool]:
    """THREADS threads hit one key HITS_EACH times each, all starting at once."""
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(HITS_EACH):
            state = ratelimit.hit(
                "sign-in", "203.0.113.9", limit=LIMIT, window_seconds=60, now=T0
            )
            with lock:
                allowed.append(state.allowed)

    assert run_at_once([hammer] * THREADS, timeout=60) == [None] * THREADS
    return allowed


def _sign_in_key() -> str:
    return ratelimit.counter_key("sign-in", "203.0.113.9", window_start=WINDOW_START)


# locmem counts per process; across processes the guarantee is Redis's or the
# database's.
@pytest.mark.parametrize("backend", ["redis"], indirect=True)
def test_threads_hammering_one_key_never_exceed_the_limit(backend: str) -> None:
    allowed = _hammer_from_threads()

    assert len(allowed) == THREADS * HITS_EACH
    assert allowed.count(True) == LIMIT
    assert cache.get(_sign_in_key()) == THREADS * HITS_EACH


@pytest.mark.django_db(transaction=True)
def test_threads_hammering_one_key_in_the_database_never_exceed_the_limit(
    settings: Settings,
) -> None:
    skip_on_in_memory_sqlite(also="the process test below covers SQLite on a file")
    settings.RATE_LIMIT_BACKEND = "database"

    allowed = _hammer_from_threads()

    assert len(allowed) == THREADS * HITS_EACH
    assert allowed.count(True) == LIMIT
    assert RateLimitCounter.objects.get(key=_sign_in_key()).count == THREADS * HITS_EACH


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
def test_a_counter_recreated_by_redis_incr_gets_its_expiry_back(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django checks the key exists, then INCRs: if it expires in between, Redis
    recreates it at 1 with no expiry, which would leak a counter forever."""
    _hit()
    key = ratelimit.counter_key(
        "magic-link", "ada@example.com", window_start=int(T0) - 10
    )
    client = redis.Redis.from_url(REDIS_URL)

    def incr_racing_expiry(cache_key: str, delta: int = 1) -> int:
        client.delete(cache.make_key(cache_key))
        return client.incr(cache.make_key(cache_key), delta)

    monkeypatch.setattr(caches["default"], "incr", incr_racing_expiry)

    state = _hit()

    assert state == RateLimitState(allowed=True, remaining=2, retry_after=50)
    assert client.ttl(cache.make_key(key)) == pytest.approx(55, abs=1)
    client.close()


# Hits in separate processes, as behind gunicorn: the point of the database backend.
CHILD = """
import json, sys
import django

django.setup()
from emdash.core import ratelimit

limit, hits, now = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
allowed = [
    ratelimit.hit("sign-in", "203.0.113.9", limit=limit, window_seconds=60, now=now)
    .allowed
    for _ in range(hits)
]
print(json.dumps(allowed), flush=True)
"""


def _child_env(database_url: str) -> dict[str, str]:
    env = child_env()
    env.pop("EMDASH_CACHE_URL", None)
    env["EMDASH_RATE_LIMIT_BACKEND"] = "database"
    env["DATABASE_URL"] = database_url
    return env


def _database_url_for_children(tmp_path: Path) -> str:
    postgres = postgres_url_for_children()
    if postgres is not None:
        return postgres
    # The in-memory test database is this process's alone: the children share a file,
    # migrated the way a site's is.
    url = f"sqlite:///{tmp_path / 'ratelimit.sqlite3'}"
    subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "manage.py", "migrate", "core", "--verbosity", "0"],
        cwd=REPO,
        env=_child_env(url),
        check=True,
        timeout=60,
    )
    return url


@pytest.mark.django_db(transaction=True)
def test_processes_hammering_one_key_share_the_limit(tmp_path: Path) -> None:
    processes, hits_each, limit = 4, 15, 25
    env = _child_env(_database_url_for_children(tmp_path))
    children = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", CHILD, str(limit), str(hits_each), str(T0)],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        # Every child is set up: let them all go at once.
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [json.loads(child.communicate(timeout=60)[0]) for child in children]
    finally:
        for child in children:
            child.kill()
            child.wait()

    assert [child.returncode for child in children] == [0] * processes
    allowed = [state for result in results for state in result]
    assert len(allowed) == processes * hits_each
    assert allowed.count(True) == limit


def _row(key: str, *, count: int, expires_at: float) -> RateLimitCounter:
    return RateLimitCounter(
        key=key, count=count, expires_at=datetime.fromtimestamp(expires_at, tz=UTC)
    )


def _keys() -> set[str]:
    return set(RateLimitCounter.objects.values_list("key", flat=True))


@IN_DATABASE
def test_opening_a_window_deletes_the_rows_of_windows_that_are_over(
    backend: str,
) -> None:
    _hit("ada@example.com", now=T0)
    ada = ratelimit.counter_key(
        "magic-link", "ada@example.com", window_start=WINDOW_START
    )
    RateLimitCounter.objects.bulk_create(
        [
            _row("long-gone", count=7, expires_at=T0 - 3600),
            _row("just-over", count=1, expires_at=T0 + 53),
        ]
    )

    # A new window opens at T0 + 50; Ada's window is over, but within its grace.
    _hit("grace@example.com", now=T0 + 54)
    after_first = _keys()
    # Past the grace, the next window opened deletes Ada's row too.
    _hit("linus@example.com", now=T0 + 56)
    after_second = _keys()

    assert "long-gone" not in after_first
    assert "just-over" not in after_first
    assert ada in after_first
    assert ada not in after_second
    assert len(after_second) == 2


@IN_DATABASE
def test_counting_in_an_open_window_is_one_statement_and_deletes_nothing(
    backend: str, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(2):
        _hit(now=T0)
    RateLimitCounter.objects.bulk_create(
        [_row("long-gone", count=1, expires_at=T0 - 60)]
    )

    with django_assert_num_queries(1):
        state = _hit(now=T0 + 1)

    assert state == RateLimitState(allowed=True, remaining=1, retry_after=49)
    assert "long-gone" in _keys()


@IN_DATABASE
def test_each_window_opened_deletes_a_bounded_batch(backend: str) -> None:
    batch = ratelimit._CLEANUP_BATCH
    RateLimitCounter.objects.bulk_create(
        [_row(f"old-{n}", count=1, expires_at=T0 - 60) for n in range(batch + 10)]
    )

    _hit("ada@example.com")
    left_after_one = RateLimitCounter.objects.filter(key__startswith="old-").count()
    _hit("grace@example.com")

    assert left_after_one == 10
    assert not RateLimitCounter.objects.filter(key__startswith="old-").exists()


@IN_DATABASE
def test_reset_deletes_the_row(backend: str) -> None:
    _hit()
    _hit("grace@example.com")

    ratelimit.reset("magic-link", "ada@example.com", window_seconds=60, now=T0)

    grace = ratelimit.counter_key(
        "magic-link", "grace@example.com", window_start=WINDOW_START
    )
    assert _keys() == {grace}


@IN_DATABASE
def test_the_longest_bucket_fits_the_counter_row(backend: str) -> None:
    bucket = "b" * 32
    # The last moment with a 10-digit window start (year 2286).
    now = 9_999_999_999.0
    key = ratelimit.counter_key(bucket, "203.0.113.9", window_start=int(now))

    state = ratelimit.hit(bucket, "203.0.113.9", limit=1, window_seconds=1, now=now)

    assert state.allowed is True
    # SQLite does not enforce a VARCHAR's length: check it here for both.
    assert len(key) <= RateLimitCounter._meta.get_field("key").max_length
    assert _keys() == {key}


PROBE = "import emdash.settings as s; print(s.RATE_LIMIT_BACKEND)"


def _rate_limit_backend(
    env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMDASH_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env={**clean, "EMDASH_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "database"),
        ({"EMDASH_RATE_LIMIT_BACKEND": ""}, "database"),
        ({"EMDASH_CACHE_URL": "redis://127.0.0.1:6379/0"}, "cache"),
        (
            {
                "EMDASH_CACHE_URL": "redis://127.0.0.1:6379/0",
                "EMDASH_RATE_LIMIT_BACKEND": "database",
            },
            "database",
        ),
        ({"EMDASH_RATE_LIMIT_BACKEND": "cache"}, "cache"),
    ],
)
def test_the_backend_defaults_to_the_database_unless_the_cache_is_shared(
    env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    probe = _rate_limit_backend(env, tmp_path)

    assert probe.returncode == 0, probe.stderr
    assert probe.stdout == f"{expected}\n"


def test_an_unknown_backend_is_refused(tmp_path: Path) -> None:
    probe = _rate_limit_backend({"EMDASH_RATE_LIMIT_BACKEND": "redis"}, tmp_path)

    assert probe.returncode != 0
    assert (
        "ValueError: EMDASH_RATE_LIMIT_BACKEND must be cache or database, got 'redis'"
        in probe.stderr
    )
