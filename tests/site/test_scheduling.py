"""A scheduled entry goes public at its time with nothing running in between and
no write on a GET, and no cached page outlives that time."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emdash.content.services import entries
from emdash.core import epoch

pytestmark = pytest.mark.usefixtures("site")

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _schedule(editor, seconds: float):
    entry = entries.create_entry(
        editor, "posts", {"slug": "soon", "data": {"title": "Coming soon"}}
    )
    due = timezone.now() + timedelta(seconds=seconds)
    entries.schedule_entry(editor, "posts", entry.pk, at=due, version=entry.version)
    return due


def _sleep_until(moment) -> None:
    time.sleep(max(0.0, (moment - timezone.now()).total_seconds()) + 0.2)


def test_a_scheduled_entry_is_public_after_its_time_without_a_write(
    client: Client, editor
) -> None:
    due = _schedule(editor, 1.5)

    with CaptureQueriesContext(connection) as queries:
        before = client.get("/posts/soon/")
        _sleep_until(due)
        after = client.get("/posts/soon/")

    statements = [q["sql"].lstrip().upper() for q in queries.captured_queries]
    assert (before.status_code, after.status_code) == (404, 200)
    assert '<h1 class="entry__title">Coming soon</h1>' in after.content.decode()
    assert statements
    assert [s for s in statements if s.startswith(WRITES)] == []


@pytest.mark.usefixtures("page_cache")
def test_a_cached_page_does_not_outlive_the_next_due_time(
    client: Client, editor
) -> None:
    due = _schedule(editor, 2.5)

    seconds_left = (due - timezone.now()).total_seconds()
    first = client.get("/")
    cached = client.get("/")
    _sleep_until(due)
    with CaptureQueriesContext(connection) as queries:
        after = client.get("/")

    max_age = int(first["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert first["Cache-Control"] == f"public, max-age={max_age}, s-maxage={max_age}"
    assert 1 <= max_age <= seconds_left
    assert cached["X-EmDash-Cache"] == "hit"
    assert "Coming soon" not in first.content.decode()
    assert "Coming soon" not in cached.content.decode()
    assert '<a href="/posts/soon/">Coming soon</a>' in after.content.decode()
    # Past the due time the page is cached again under a key that includes the
    # passed due time, although nothing was written and the epoch did not move.
    assert after["Cache-Control"] == (
        f"public, max-age={settings.PAGE_CACHE_SECONDS}, "
        f"s-maxage={settings.PAGE_CACHE_SECONDS}"
    )
    assert after["X-EmDash-Cache"] == "miss"
    assert client.get("/")["X-EmDash-Cache"] == "hit"
    assert epoch.current().next_due_at == due
    assert not any(
        q["sql"].lstrip().upper().startswith(WRITES) for q in queries.captured_queries
    )
