"""Collections and fields through /_emdash/api/schema/."""

import pytest

from emdash.content.models import Collection, Entry, Field
from emdash.content.services import entries
from emdash.core.actors import SYSTEM
from tests.api.conftest import bearer, error, send, token_for
from tests.factories import make_collection

pytestmark = pytest.mark.django_db

TITLE_FIELD = {
    "slug": "title",
    "label": "Title",
    "type": "string",
    "required": True,
    "unique": False,
    "indexed": False,
    "searchable": True,
    "default": None,
    "validation": {},
    "help_text": "",
}


def test_create_a_collection_with_fields(client, admin):
    body = {
        "slug": "books",
        "label": "Books",
        "label_singular": "Book",
        "supports": ["drafts", "revisions"],
        "fields": [
            {"slug": "title", "type": "string", "required": True, "searchable": True}
        ],
    }

    response = send(client, "POST", "/schema/collections", body, admin)

    assert response.status_code == 201
    assert response.json() == {
        "slug": "books",
        "label": "Books",
        "label_singular": "Book",
        "description": "",
        "url_pattern": "/books/{slug}/",
        "supports": ["drafts", "revisions"],
        "title_field": "title",
        "fields": [TITLE_FIELD],
    }


def test_list_and_get_collections(client, admin):
    make_collection(
        "posts",
        fields=[
            {"slug": "title", "type": "string", "required": True, "searchable": True}
        ],
    )
    make_collection("pages", fields=[])

    listed = send(client, "GET", "/schema/collections", headers=admin)
    single = send(client, "GET", "/schema/collections/posts", headers=admin)

    assert [c["slug"] for c in listed.json()["items"]] == ["pages", "posts"]
    assert listed.json()["next_cursor"] is None
    assert single.json()["fields"] == [TITLE_FIELD]


def test_an_invalid_collection_is_422_naming_each_problem(client, admin):
    body = {"slug": "Bad Slug", "label": "X", "fields": [{"slug": "a", "type": "nope"}]}

    response = send(client, "POST", "/schema/collections", body, admin)

    assert response.status_code == 422
    fields = response.json()["error"]["details"]["fields"]
    assert sorted(fields) == ["fields.0.type", "slug"]
    assert Collection.objects.count() == 0


def test_a_field_definition_with_an_unknown_property_is_422(client, admin):
    body = {
        "slug": "books",
        "label": "Books",
        "fields": [{"slug": "a", "type": "string", "colour": 1}],
    }

    response = send(client, "POST", "/schema/collections", body, admin)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "fields": {"fields.0.colour": "unknown property"}
    }
    assert Collection.objects.count() == 0


def test_update_a_collection(client, admin):
    make_collection("posts")

    response = send(
        client,
        "PATCH",
        "/schema/collections/posts",
        {"label": "Articles", "url_pattern": "/a/{slug}/"},
        admin,
    )

    assert response.status_code == 200
    assert (response.json()["label"], response.json()["url_pattern"]) == (
        "Articles",
        "/a/{slug}/",
    )
    assert Collection.objects.get().label == "Articles"


def test_delete_refuses_a_collection_with_entries_unless_asked(client, admin):
    make_collection("posts")
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Keep me"}})

    refused = send(client, "DELETE", "/schema/collections/posts", headers=admin)
    still_there = Collection.objects.filter(slug="posts").exists()
    deleted = send(
        client, "DELETE", "/schema/collections/posts?delete_entries=true", headers=admin
    )

    assert refused.status_code == 409
    assert refused.json() == error(
        "COLLECTION_NOT_EMPTY",
        "Collection 'posts' still has 1 entries; "
        "delete them first or pass delete_entries.",
        entries=1,
    )
    assert still_there is True
    assert deleted.status_code == 204
    assert (Collection.objects.count(), Entry.objects.count()) == (0, 0)


def test_add_a_field(client, admin):
    make_collection("posts")

    response = send(
        client,
        "POST",
        "/schema/collections/posts/fields",
        {"slug": "rating", "type": "integer", "indexed": True},
        admin,
    )

    assert response.status_code == 201
    assert response.json() == {
        "slug": "rating",
        "label": "Rating",
        "type": "integer",
        "required": False,
        "unique": False,
        "indexed": True,
        "searchable": False,
        "default": None,
        "validation": {},
        "help_text": "",
    }
    assert Field.objects.filter(slug="rating").count() == 1


def test_change_a_field_type_with_dry_run_force_and_report(client, admin):
    make_collection(
        "notes",
        fields=[
            {"slug": "title", "type": "string"},
            {"slug": "size", "type": "string"},
        ],
    )
    good = entries.create_entry(SYSTEM, "notes", {"data": {"title": "A", "size": "42"}})
    bad = entries.create_entry(
        SYSTEM, "notes", {"data": {"title": "B", "size": "huge"}}
    )
    path = "/schema/collections/notes/fields/size"

    dry = send(client, "PATCH", f"{path}?dry_run=true", {"type": "integer"}, admin)
    refused = send(client, "PATCH", path, {"type": "integer"}, admin)
    untouched = Entry.objects.get(pk=good.pk).data["size"]
    forced = send(client, "PATCH", f"{path}?force=true", {"type": "integer"}, admin)

    assert dry.json() == {
        "field": "size",
        "converted": 1,
        "cleared": [bad.pk],
        "removed": 0,
        "applied": False,
    }
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "FIELD_CONVERSION_FAILED"
    assert untouched == "42"
    assert forced.json() == {
        "field": "size",
        "converted": 1,
        "cleared": [bad.pk],
        "removed": 0,
        "applied": True,
    }
    assert Entry.objects.get(pk=good.pk).data == {"title": "A", "size": 42}
    assert Entry.objects.get(pk=bad.pk).data == {"title": "B"}


def test_remove_a_field_reports_what_went(client, admin):
    make_collection("posts")
    entries.create_entry(
        SYSTEM, "posts", {"data": {"title": "A", "excerpt": "gone soon"}}
    )

    response = send(
        client, "DELETE", "/schema/collections/posts/fields/excerpt", headers=admin
    )

    assert response.status_code == 200
    assert response.json() == {
        "field": "excerpt",
        "converted": 0,
        "cleared": [],
        "removed": 1,
        "applied": True,
    }
    assert Entry.objects.get().data == {"title": "A"}


def test_schema_changes_need_schema_write(client):
    make_collection("posts")
    writer = bearer(token_for("content:write"))

    response = send(
        client,
        "POST",
        "/schema/collections/posts/fields",
        {"slug": "x", "type": "string"},
        writer,
    )

    assert response.status_code == 403
    assert Field.objects.filter(slug="x").count() == 0
