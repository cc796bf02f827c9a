"""Fixed-window rate limits counted in the cache.

A limit is a ``bucket`` (what is being limited, such as ``magic-link-email``) and a
``key`` (who: an address, an IP). Each window of ``window_seconds`` starts on a
multiple of the window since the Unix epoch, so every process agrees on it without
talking to the others, and each window has a counter of its own in the cache.

With a shared cache (``CACHE_IS_SHARED``, Redis) the counter is shared by every
process: ``add`` and ``incr`` are atomic there, so concurrent hits never let more
than ``limit`` through in a window. With the per-process locmem cache each process
counts on its own, so N processes allow up to N times the limit; that is acceptable
in development and on a single-process site, not behind several workers.

Keys are an HMAC of the key under ``SECRET_KEY``: the cache never holds a raw email
address or IP, and the stored names cannot be reversed by hashing guesses.
"""

import hashlib
import hmac
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from emdash.core.errors import EmDashError

BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
# Keep a window's counter a little past its end, so a process whose clock lags
# behind still finds it instead of starting the window over.
EXPIRY_GRACE_SECONDS = 5
# add and incr race only when the counter expires in between; two rounds are plenty.
_ATTEMPTS = 3


@dataclass(frozen=True)
class RateLimitState:
    allowed: bool
    # Hits left in this window after this one.
    remaining: int
    # Seconds until the window ends: when a refused caller may try again.
    retry_after: int


class RateLimited(EmDashError):
    code = "RATE_LIMITED"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


def hit(
    bucket: str,
    key: str,
    *,
    limit: int,
    window_seconds: int,
    now: float | None = None,
) -> RateLimitState:
    """Count one attempt by ``key`` in ``bucket`` and say whether it is allowed.

    Refused attempts count too, so someone who keeps trying stays refused until the
    window ends. ``now`` (Unix seconds) is for tests; it defaults to the clock.
    """
    _check_arguments(bucket, limit, window_seconds)
    moment = time.time() if now is None else now
    window_start = int(moment // window_seconds) * window_seconds
    window_end = window_start + window_seconds
    cache_key = counter_key(bucket, key, window_start=window_start)
    timeout = math.ceil(window_end - moment) + EXPIRY_GRACE_SECONDS
    count = _increment(cache_key, timeout)
    return RateLimitState(
        allowed=count <= limit,
        remaining=max(0, limit - count),
        retry_after=max(1, math.ceil(window_end - moment)),
    )


def check_and_hit(
    bucket: str,
    key: str,
    *,
    limit: int,
    window_seconds: int,
    now: float | None = None,
) -> RateLimitState:
    """:func:`hit`, raising :class:`RateLimited` when the attempt is refused."""
    state = hit(bucket, key, limit=limit, window_seconds=window_seconds, now=now)
    if not state.allowed:
        raise RateLimited(
            "Too many attempts; try again later.", retry_after=state.retry_after
        )
    return state


def reset(
    bucket: str, key: str, *, window_seconds: int, now: float | None = None
) -> None:
    """Forget ``key``'s attempts in the current window (after a successful sign-in)."""
    _check_arguments(bucket, 1, window_seconds)
    moment = time.time() if now is None else now
    window_start = int(moment // window_seconds) * window_seconds
    cache.delete(counter_key(bucket, key, window_start=window_start))


def counter_key(bucket: str, key: str, *, window_start: int) -> str:
    """The cache key of one window's counter; ``key`` appears only as an HMAC."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{bucket}\0{key}".encode(), hashlib.sha256
    ).hexdigest()
    return f"emdash:ratelimit:{bucket}:{digest[:32]}:{window_start}"


def _increment(cache_key: str, timeout: int) -> int:
    for _ in range(_ATTEMPTS):
        if cache.add(cache_key, 1, timeout=timeout):
            return 1
        try:
            count = cache.incr(cache_key)
        except ValueError:
            # The counter expired between add and incr: start it again.
            continue
        if count == 1:
            # Redis's INCR recreated a counter that expired after Django's existence
            # check, without an expiry; our counters start at 1 through add, so a 1
            # here can only be that. Give it its expiry back.
            cache.touch(cache_key, timeout=timeout)
        return count
    raise RuntimeError(f"rate limit counter {cache_key!r} kept expiring")


def _check_arguments(bucket: str, limit: int, window_seconds: int) -> None:
    if not BUCKET_NAME.fullmatch(bucket):
        raise ValueError(
            f"rate limit buckets are lowercase letters, digits, - and _: {bucket!r}"
        )
    if limit < 1 or window_seconds < 1:
        raise ValueError("limit and window_seconds must be at least 1")
