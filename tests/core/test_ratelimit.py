import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.cache import cache, caches
from pytest_django.fixtures import Settings

from emdash.core import ratelimit
from emdash.core.errors import EmDashError
from emdash.core.ratelimit import RateLimited, RateLimitState
from tests.services import require_service

REDIS_URL = "redis://127.0.0.1:6379/0"
# A moment 10 seconds into a 60-second window (1_800_000_000 is a multiple of 60).
T0 = 1_800_000_010.0


def _locmem() -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"emdash-ratelimit-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture(params=["locmem", "redis"])
def backend(request: pytest.FixtureRequest, settings: Settings) -> Iterator[str]:
    """Runs a test once on locmem and once on Redis, under a prefix of its own."""
    if request.param == "locmem":
        settings.CACHES = _locmem()
        settings.CACHE_IS_SHARED = False
        yield "locmem"
        return
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


def test_the_cache_never_holds_the_raw_key(backend: str) -> None:
    _hit("ada@example.com")

    key = ratelimit.counter_key(
        "magic-link", "ada@example.com", window_start=int(T0) - 10
    )

    assert "ada" not in key
    assert "example" not in key
    assert key.startswith("emdash:ratelimit:magic-link:")
    assert key.endswith(f":{int(T0) - 10}")
    assert cache.get(key) == 1


def test_the_key_hash_depends_on_the_secret_key(settings: Settings) -> None:
    before = ratelimit.counter_key("magic-link", "203.0.113.9", window_start=0)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"

    assert ratelimit.counter_key("magic-link", "203.0.113.9", window_start=0) != before


def test_counters_expire_after_their_window(backend: str) -> None:
    _hit()

    key = ratelimit.counter_key(
        "magic-link", "ada@example.com", window_start=int(T0) - 10
    )
    # 50 seconds left in the window, plus the grace for lagging clocks.
    assert _seconds_to_live(backend, key) == pytest.approx(55, abs=1)


def _seconds_to_live(backend: str, key: str) -> float:
    if backend == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        ttl = client.ttl(cache.make_key(key))
        client.close()
        return ttl
    expires_at = caches["default"]._expire_info[cache.make_key(key)]
    return expires_at - time.time()


@pytest.mark.parametrize(
    ("bucket", "limit", "window"),
    [("Magic Link", 3, 60), ("magic:link", 3, 60), ("magic-link", 0, 60), ("ok", 3, 0)],
)
def test_bad_arguments_are_refused(bucket: str, limit: int, window: int) -> None:
    with pytest.raises(ValueError, match="rate limit buckets|at least 1"):
        ratelimit.hit(bucket, "key", limit=limit, window_seconds=window)


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


# locmem counts per process; the guarantee across processes is Redis's.
@pytest.mark.parametrize("backend", ["redis"], indirect=True)
def test_threads_hammering_one_key_never_exceed_the_limit(backend: str) -> None:
    limit, threads, hits_each = 25, 8, 20
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def hammer() -> None:
        start.wait()
        for _ in range(hits_each):
            state = ratelimit.hit(
                "sign-in", "203.0.113.9", limit=limit, window_seconds=60, now=T0
            )
            with lock:
                allowed.append(state.allowed)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(allowed) == threads * hits_each
    assert allowed.count(True) == limit
    key = ratelimit.counter_key("sign-in", "203.0.113.9", window_start=int(T0) - 10)
    assert cache.get(key) == threads * hits_each


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
