"""Fixed-window rate limits counted in the cache or in the database.

A limit is a ``bucket`` (what is being limited, such as ``magic-link-email``) and a
``key`` (who: an address, an IP). Each window of ``window_seconds`` starts on a
multiple of the window since the Unix epoch, so every process agrees on it without
talking to the others, and each window has a counter of its own.

``RATE_LIMIT_BACKEND`` says where the counters live; both backends are shared by
every process, so concurrent hits never let more than ``limit`` through in a window:

- ``cache`` (the default with Redis, ``CACHE_IS_SHARED``): ``add`` and ``incr`` are
  atomic there. On the per-process locmem cache each process would count on its own
  (N processes allow N times the limit), so only choose it there for one process.
- ``database`` (the default otherwise): a :class:`RateLimitCounter` row per window,
  counted by one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement (SQLite
  3.35+, PostgreSQL). Opening a window also deletes the rows of windows that are over,
  so the table holds about one row per key active in the last window. The statement
  runs on the default connection: call it outside ``transaction.atomic``, or a
  rollback of the caller's transaction takes the hit back with it.

Keys are an HMAC of the key under ``SECRET_KEY``: neither the cache nor the table
ever holds a raw email address or IP, and the stored names cannot be reversed by
hashing guesses.
"""

import hashlib
import hmac
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from emdash.core.errors import EmDashError
from emdash.core.models import RateLimitCounter

# At most 32 characters, so that a counter key fits RateLimitCounter.key (96).
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
# Keep a window's counter a little past its end, so a process whose clock lags
# behind still finds it instead of starting the window over.
EXPIRY_GRACE_SECONDS = 5
# add and incr race only when the counter expires in between; two rounds are plenty.
_ATTEMPTS = 3
# Expired rows deleted at most per opened window: bounded work for the request that
# pays for it, and still far more than the one row each opening adds.
_CLEANUP_BATCH = 500


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


def clock() -> float:
    """Unix seconds; one name so that tests can hold a window still."""
    return time.time()


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
    moment = clock() if now is None else now
    window_start = int(moment // window_seconds) * window_seconds
    window_end = window_start + window_seconds
    counter = counter_key(bucket, key, window_start=window_start)
    if _in_database():
        count = _increment_row(
            counter, expires_at=window_end + EXPIRY_GRACE_SECONDS, moment=moment
        )
    else:
        timeout = math.ceil(window_end - moment) + EXPIRY_GRACE_SECONDS
        count = _increment(counter, timeout)
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
    moment = clock() if now is None else now
    window_start = int(moment // window_seconds) * window_seconds
    counter = counter_key(bucket, key, window_start=window_start)
    if _in_database():
        RateLimitCounter.objects.filter(key=counter).delete()
    else:
        cache.delete(counter)


def counter_key(bucket: str, key: str, *, window_start: int) -> str:
    """The name of one window's counter; ``key`` appears only as an HMAC."""
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


def _in_database() -> bool:
    return settings.RATE_LIMIT_BACKEND == "database"


def _increment_row(counter: str, *, expires_at: float, moment: float) -> int:
    """Add one to ``counter``'s row, creating it at 1, and return the new count."""
    table, key, count, expires = _quoted_names()
    # One statement: the row lock (PostgreSQL) or the write lock (SQLite) makes
    # concurrent hits take turns, each seeing the count the one before left.
    # Identifiers come quoted from the model; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({key}, {count}, {expires}) VALUES (%s, 1, %s) "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + 1 "
        f"RETURNING {count}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [counter, _db_datetime(expires_at)])
        # fetchall steps SQLite's statement to its end, which releases the lock.
        [(new_count,)] = cursor.fetchall()
    if new_count == 1:
        _delete_expired(moment)
    return new_count


def _delete_expired(moment: float) -> None:
    """Delete rows of windows that are over; a window opening pays for it, so the
    table stays about as big as the keys active in one window."""
    table, key, _, expires = _quoted_names()
    # On PostgreSQL, rows another request is deleting (or counting) are skipped rather
    # than waited for: no request blocks on cleanup, and two cleanups cannot deadlock.
    skip_locked = (
        " FOR UPDATE SKIP LOCKED"
        if connection.features.has_select_for_update_skip_locked
        else ""
    )
    sql = (
        f"DELETE FROM {table} WHERE {key} IN ("  # noqa: S608 - quoted identifiers
        f"SELECT {key} FROM {table} WHERE {expires} < %s LIMIT %s{skip_locked})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_db_datetime(moment), _CLEANUP_BATCH])


def _quoted_names() -> tuple[str, str, str, str]:
    meta = RateLimitCounter._meta
    names = (
        meta.db_table,
        meta.get_field("key").column,
        meta.get_field("count").column,
        meta.get_field("expires_at").column,
    )
    table, key, count, expires = (connection.ops.quote_name(n) for n in names)
    return table, key, count, expires


def _db_datetime(unix_seconds: float) -> str | datetime:
    """A Unix time as the connection stores a DateTimeField (SQLite: UTC text)."""
    moment = datetime.fromtimestamp(unix_seconds, tz=UTC)
    return connection.ops.adapt_datetimefield_value(moment)


def _check_arguments(bucket: str, limit: int, window_seconds: int) -> None:
    if not BUCKET_NAME.fullmatch(bucket):
        raise ValueError(
            "rate limit buckets are up to 32 lowercase letters, digits, - and _: "
            f"{bucket!r}"
        )
    if limit < 1 or window_seconds < 1:
        raise ValueError("limit and window_seconds must be at least 1")
