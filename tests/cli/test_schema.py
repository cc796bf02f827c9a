"""`emdash schema ...` on the local site."""

import json

import pytest

from emdash.content.models import Collection, Entry
from tests.cli.conftest import fails, json_of, ok

pytestmark = pytest.mark.django_db

BOOK_FIELDS = {
    "fields": [
        {"slug": "title", "type": "string", "required": True},
        {"slug": "pages", "type": "integer"},
    ]
}


def field(slug: str, field_type: str, **flags: object) -> dict:
    return {
        "slug": slug,
        "label": slug.title(),
        "type": field_type,
        "required": False,
        "unique": False,
        "indexed": False,
        "searchable": False,
        "default": None,
        "validation": {},
        "help_text": "",
        **flags,
    }


def test_create_a_collection_with_fields_then_read_it_back() -> None:
    created = json_of(
        "schema", "create", "books", "--label", "Books", "--supports", "drafts",
        "--supports", "search", "--url-pattern", "/books/{slug}/",
        "--data", json.dumps(BOOK_FIELDS),
    )  # fmt: skip

    assert created == {
        "slug": "books",
        "label": "Books",
        "label_singular": "",
        "description": "",
        "url_pattern": "/books/{slug}/",
        "supports": ["drafts", "search"],
        "title_field": "title",
        "fields": [field("title", "string", required=True), field("pages", "integer")],
    }
    assert json_of("schema", "get", "books") == created
    assert json_of("schema", "list") == {"items": [created], "next_cursor": None}
    assert ok("schema", "list").splitlines()[2].split() == [
        "books",
        "Books",
        "title,",
        "pages",
        "/books/{slug}/",
    ]


def test_fields_are_added_changed_and_removed() -> None:
    json_of(
        "schema",
        "create",
        "books",
        "--label",
        "Books",
        "--data",
        json.dumps(BOOK_FIELDS),
    )
    json_of("content", "create", "books", "--data", '{"title": "Dune", "pages": 412}')

    added = json_of(
        "schema", "add-field", "books", "isbn", "--type", "string", "--unique",
        "--validation", '{"max_length": 17}', "--help-text", "ISBN-13",
    )  # fmt: skip
    dry_run = json_of(
        "schema", "update-field", "books", "pages", "--type", "string", "--dry-run"
    )
    converted = json_of("schema", "update-field", "books", "pages", "--type", "string")
    removed = json_of("schema", "remove-field", "books", "isbn")

    assert added == field(
        "isbn",
        "string",
        unique=True,
        validation={"max_length": 17},
        help_text="ISBN-13",
    )
    report = {"field": "pages", "converted": 1, "cleared": [], "removed": 0}
    assert dry_run == {**report, "applied": False}
    assert converted == {**report, "applied": True}
    assert removed == {
        "field": "isbn",
        "converted": 0,
        "cleared": [],
        "removed": 0,
        "applied": True,
    }
    assert Entry.objects.get().data == {"title": "Dune", "pages": "412"}
    assert [f["slug"] for f in json_of("schema", "get", "books")["fields"]] == [
        "title",
        "pages",
    ]


def test_update_changes_a_collections_labels() -> None:
    json_of("schema", "create", "books", "--label", "Books")

    updated = json_of(
        "schema", "update", "books", "--label", "Library", "--label-singular", "Book"
    )

    assert (updated["label"], updated["label_singular"]) == ("Library", "Book")


def test_schema_errors_name_the_problem() -> None:
    reserved = fails("schema", "create", "admin", "--label", "Admin")
    no_type = fails("schema", "add-field", "books", "isbn", code=2)
    no_change = fails("schema", "update", "books", code=2)

    assert reserved.stderr == (
        "error: VALIDATION_ERROR: The collection definition is invalid. "
        "(slug: 'admin' is reserved)\n"
    )
    assert "Missing option '--type'" in no_type.stderr
    assert "give at least one change" in no_change.stderr
    assert Collection.objects.count() == 0
