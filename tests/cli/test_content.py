"""`emdash content ...` and `emdash publish-due` on the local site."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from emdash.content.models import Entry
from emdash.content.services import taxonomies
from emdash.core.actors import SYSTEM
from tests.cli.conftest import fails, json_of, ok
from tests.factories import make_collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts() -> None:
    make_collection("posts")


def create(title: str, *options: str) -> dict:
    data = json.dumps({"title": title})
    return json_of("content", "create", "posts", "--data", data, *options)


def test_an_entry_goes_from_draft_to_published_and_keeps_its_history(
    posts: None,
) -> None:
    created = json_of(
        "content", "create", "posts", "--data",
        '{"title": "Hello world", "excerpt": "First"}',
    )  # fmt: skip
    entry_id = created["id"]

    assert {k: created[k] for k in ("slug", "status", "version", "data")} == {
        "slug": "hello-world",
        "status": "draft",
        "version": 1,
        "data": {"title": "Hello world", "excerpt": "First"},
    }
    assert json_of("content", "get", "posts", entry_id) == created
    assert json_of("content", "get", "posts", "hello-world") == created

    edited = json_of(
        "content", "update", "posts", "hello-world", "--version", "1",
        "--data", '{"title": "Hello again"}',
    )  # fmt: skip
    assert (edited["version"], edited["data"]) == (
        2,
        {"title": "Hello again", "excerpt": "First"},
    )

    published = json_of("content", "publish", "posts", entry_id, "--version", "2")
    assert (published["status"], published["version"], published["has_draft"]) == (
        "published",
        3,
        False,
    )
    assert published["published_at"] is not None

    draft_edit = json_of(
        "content", "update", "posts", entry_id, "--version", "3",
        "--data", '{"title": "Hello, third time"}',
    )  # fmt: skip
    assert (draft_edit["status"], draft_edit["has_draft"]) == ("published", True)

    history = json_of("content", "revisions", "posts", entry_id)["items"]
    assert [(r["number"], r["title"], r["live"], r["current"]) for r in history] == [
        (3, "Hello, third time", False, True),
        (2, "Hello again", True, False),
        (1, "Hello world", False, False),
    ]

    restored = json_of(
        "content", "restore-revision", "posts", entry_id, history[2]["id"]
    )
    assert (restored["title"], restored["status"], restored["version"]) == (
        "Hello world",
        "published",
        5,
    )


def test_unpublish_trash_restore_submit_and_duplicate(posts: None) -> None:
    entry_id = create("Hello world", "--status", "published")["id"]

    assert json_of("content", "unpublish", "posts", entry_id)["status"] == "draft"
    trashed = json_of("content", "delete", "posts", entry_id, "--version", "2")
    assert trashed["status"] == "trash"
    assert json_of("content", "list", "posts")["items"] == []
    in_trash = json_of("content", "list", "posts", "--status", "trash")["items"]
    assert [e["id"] for e in in_trash] == [entry_id]
    assert json_of("content", "restore", "posts", entry_id)["status"] == "draft"
    assert json_of("content", "submit", "posts", entry_id)["status"] == "pending"

    copy = json_of("content", "duplicate", "posts", entry_id)
    assert (copy["slug"], copy["status"], copy["data"]) == (
        "hello-world-2",
        "draft",
        {"title": "Hello world"},
    )
    assert Entry.objects.count() == 2


def test_create_takes_json_from_a_file_or_stdin_with_slug_and_terms(
    posts: None, tmp_path: Path
) -> None:
    taxonomies.create_taxonomy(
        SYSTEM, {"slug": "tags", "label": "Tags", "collections": ["posts"]}
    )
    source = tmp_path / "entry.json"
    source.write_text('{"title": "From a file"}')

    from_file = json_of(
        "content", "create", "posts", "--file", str(source), "--slug", "filed",
        "--term", "tags:birds", "--term", "tags:river",
    )  # fmt: skip
    from_stdin = json_of(
        "content", "create", "posts", "--stdin", stdin='{"title": "From stdin"}'
    )

    assert (from_file["slug"], from_file["title"]) == ("filed", "From a file")
    assert from_file["terms"] == {
        "tags": [{"slug": "birds", "name": "birds"}, {"slug": "river", "name": "river"}]
    }
    assert (from_stdin["slug"], from_stdin["title"]) == ("from-stdin", "From stdin")


def test_schedule_then_publish_due_records_the_publication(posts: None) -> None:
    entry_id = create("Later")["id"]

    scheduled = json_of(
        "content", "schedule", "posts", entry_id, "--at", "2099-01-01T09:00:00Z"
    )
    assert (scheduled["status"], scheduled["scheduled_at"]) == (
        "scheduled",
        "2099-01-01T09:00:00Z",
    )
    assert json_of("publish-due") == {"published": []}
    assert ok("publish-due") == "Nothing is due.\n"

    # Time passes: the scheduled time is now behind us.
    Entry.objects.filter(pk=entry_id).update(
        scheduled_at=timezone.now() - timedelta(minutes=1)
    )

    assert json_of("publish-due") == {"published": [entry_id]}
    assert json_of("content", "get", "posts", entry_id)["status"] == "published"


def test_create_with_at_schedules_the_entry(posts: None) -> None:
    created = create("Later", "--at", "2099-01-01T09:00:00Z")

    assert (created["status"], created["scheduled_at"]) == (
        "scheduled",
        "2099-01-01T09:00:00Z",
    )


def test_list_pages_with_a_cursor_or_follows_it_with_all(posts: None) -> None:
    ids = [create(title)["id"] for title in ("One", "Two", "Three")]

    first = json_of("content", "list", "posts", "--limit", "2", "--sort", "created_at")
    second = json_of(
        "content", "list", "posts", "--limit", "2", "--sort", "created_at",
        "--cursor", first["next_cursor"],
    )  # fmt: skip
    everything = json_of(
        "content", "list", "posts", "--limit", "2", "--sort", "created_at", "--all"
    )

    assert [e["id"] for e in first["items"]] == ids[:2]
    assert [e["id"] for e in second["items"]] == ids[2:]
    assert second["next_cursor"] is None
    assert [e["id"] for e in everything["items"]] == ids
    assert everything["next_cursor"] is None


def test_list_filters_on_status_term_and_indexed_fields() -> None:
    make_collection(
        "products",
        fields=[
            {"slug": "title", "type": "string", "required": True},
            {"slug": "price", "type": "number", "indexed": True},
        ],
    )
    taxonomies.create_taxonomy(
        SYSTEM, {"slug": "tags", "label": "Tags", "collections": ["products"]}
    )
    for title, price, status in [("Cheap", 5, "draft"), ("Dear", 50, "published")]:
        json_of(
            "content", "create", "products", "--status", status, "--term", "tags:x",
            "--data", json.dumps({"title": title, "price": price}),
        )  # fmt: skip

    def titles(*options: str) -> list[str]:
        listed = json_of("content", "list", "products", *options)["items"]
        return [e["title"] for e in listed]

    assert titles("--field", "price.gte=10") == ["Dear"]
    assert titles("--field", "price=5") == ["Cheap"]
    assert titles("--status", "draft") == ["Cheap"]
    assert titles("--term", "tags:x", "--sort", "title") == ["Cheap", "Dear"]


def test_plain_output_is_a_table_and_a_block(posts: None) -> None:
    created = create("Hello world")

    listed = ok("content", "list", "posts").splitlines()
    shown = ok("content", "get", "posts", "hello-world").splitlines()

    assert listed[0].split() == ["ID", "SLUG", "STATUS", "TITLE", "UPDATED", "(UTC)"]
    assert listed[2].split()[:5] == [
        created["id"],
        "hello-world",
        "draft",
        "Hello",
        "world",
    ]
    assert [line.split(None, 1) for line in shown[:7]] == [
        ["id", created["id"]],
        ["collection", "posts"],
        ["slug", "hello-world"],
        ["title", "Hello world"],
        ["status", "draft"],
        ["visibility", "public"],
        ["version", "1"],
    ]
    assert ok("content", "list", "posts", "--status", "trash") == "No entries.\n"


def test_bad_data_json_fails_with_a_clear_message_and_writes_nothing(
    posts: None,
) -> None:
    result = fails("content", "create", "posts", "--data", '{"title": oops}')

    assert result.stderr == (
        "error: INVALID_INPUT: --data is not valid JSON: "
        "Expecting value: line 1 column 11 (char 10)\n"
    )
    assert result.stdout == ""
    assert Entry.objects.count() == 0
    as_json = fails("content", "create", "posts", "--data", "{", "--json")
    assert json.loads(as_json.stderr)["error"]["code"] == "INVALID_INPUT"


def test_data_that_is_not_an_object_is_refused(posts: None) -> None:
    result = fails("content", "create", "posts", "--data", "[1, 2]")

    assert result.stderr == (
        "error: INVALID_INPUT: the JSON input must be an object, "
        'like {"title": "Hello"}\n'
    )


def test_service_errors_exit_1_with_their_code(posts: None) -> None:
    entry_id = create("Hello world")["id"]

    stale = fails(
        "content", "update", "posts", entry_id, "--version", "7", "--data", "{}"
    )
    missing = fails("content", "get", "nope", entry_id)
    invalid = fails("content", "create", "posts", "--data", '{"title": ""}', "--json")

    assert stale.stderr == (
        f"error: VERSION_CONFLICT: Entry {entry_id} is at version 1, not 7. "
        "Reload it and apply your change again.\n"
    )
    assert missing.stderr == "error: COLLECTION_NOT_FOUND: No collection 'nope'.\n"
    assert json.loads(invalid.stderr) == {
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Entry data is invalid.",
            "details": {"fields": {"title": "this field is required"}},
        }
    }
    assert Entry.objects.get().version == 1


def test_an_unknown_slug_reads_as_not_found(posts: None) -> None:
    result = fails("content", "get", "posts", "no-such-entry")

    assert result.stderr == (
        "error: ENTRY_NOT_FOUND: No entry 'no-such-entry' in 'posts'.\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["content", "update", "posts", "hello-world", "--data", "{}"],
        ["content", "create", "posts"],
        ["content", "create", "posts", "--data", "{}", "--stdin"],
        ["content", "create", "posts", "--data", "{}", "--term", "no-colon"],
        ["content", "list", "posts", "--field", "price"],
        ["content", "frobnicate"],
    ],
)
def test_usage_errors_exit_2(posts: None, args: list[str]) -> None:
    result = fails(*args, code=2)

    assert "Usage: emdash content" in result.stderr
    assert Entry.objects.count() == 0
