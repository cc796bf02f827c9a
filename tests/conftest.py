"""Test set-up shared by every test.

The suite runs twice: on SQLite (everything) and, with ``DATABASE_URL`` pointing at
PostgreSQL, again for the tests that touch the database (``make test`` does both).
Tests that need an outside service call ``require_service``: it skips when the
service is missing, and fails instead when ``EMDASH_REQUIRE_SERVICES=1`` (CI).
"""

import time

import pytest

from tests.services import require_service

__all__ = ["require_service"]

# (django_db_blocker is not here: pytest-django gives it to every test.)
DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def _uses_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db"):
        return True
    return bool(DB_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """On the PostgreSQL pass, run only the tests that touch the database."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return
    kept, dropped = [], []
    for item in items:
        (kept if _uses_database(item) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def _fresh_epoch_memo() -> None:
    """Each test's database starts over, so epoch values repeat across tests: forget
    what this process remembers of them, and the plugin registry built on them."""
    from emdash.core import epoch
    from emdash.plugins import runtime

    epoch.forget_memo()
    runtime.forget()


@pytest.fixture(autouse=True)
def _steady_rate_limit_window(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hold rate-limit windows still: a test that counts attempts must not see a
    window (they start on multiples of their length) roll over halfway. The clock
    is pinned inside the current hour, away from any window's edge. The rate
    limiter's own tests pass explicit times and keep the real clock."""
    if request.node.path.name == "test_ratelimit.py":
        return
    from emdash.core import ratelimit

    hour = int(time.time()) // 3600 * 3600
    monkeypatch.setattr(ratelimit, "clock", lambda: hour + 450.5)
