"""Run-time collections and fields, and what schema changes do to stored values."""

import pytest

from emdash.content.models import Collection, Entry, EntryReference
from emdash.content.queries import EntryFilters, list_entries
from emdash.content.services import collections, entries
from emdash.core.actors import SYSTEM
from emdash.core.errors import Conflict, PermissionDenied, ValidationFailed
from tests.factories import actor_for, make_collection, make_user

pytestmark = pytest.mark.django_db


def test_create_collection_with_fields():
    collection = make_collection("posts")

    assert collection.url_pattern == "/posts/{slug}/"
    assert [f.slug for f in collection.fields.all()] == [
        "title",
        "excerpt",
        "body",
        "featured_image",
    ]


def test_only_administrators_manage_schema():
    editor = actor_for(make_user("editor"))

    with pytest.raises(PermissionDenied):
        collections.create_collection(editor, {"slug": "x", "label": "X"})

    assert Collection.objects.count() == 0


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"slug": "Bad Slug", "label": "X"}, {"slug"}),
        ({"slug": "media", "label": "X"}, {"slug"}),
        ({"slug": "ok"}, {"label"}),
        ({"slug": "ok", "label": "X", "supports": ["time-travel"]}, {"supports"}),
        ({"slug": "ok", "label": "X", "url_pattern": "/ok/"}, {"url_pattern"}),
        ({"slug": "ok", "label": "X", "colour": "red"}, {"colour"}),
        (
            {"slug": "ok", "label": "X", "fields": [{"slug": "a", "type": "nope"}]},
            {"fields.0.type"},
        ),
        (
            {
                "slug": "ok",
                "label": "X",
                "fields": [
                    {"slug": "a", "type": "string"},
                    {"slug": "a", "type": "text"},
                ],
            },
            {"fields.1.slug"},
        ),
    ],
)
def test_invalid_definitions_name_the_problem_and_create_nothing(values, fields):
    with pytest.raises(ValidationFailed) as invalid:
        collections.create_collection(SYSTEM, values)

    assert set(invalid.value.fields) == fields
    assert Collection.objects.count() == 0


def test_duplicate_collection_is_a_conflict():
    make_collection("posts")

    with pytest.raises(Conflict) as clash:
        make_collection("posts")

    assert clash.value.code == "COLLECTION_EXISTS"


def test_a_collection_with_entries_is_not_deleted_by_accident():
    make_collection("posts")
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Keep me"}})

    with pytest.raises(Conflict):
        collections.delete_collection(SYSTEM, "posts")
    collections.delete_collection(SYSTEM, "posts", delete_entries=True)

    assert Collection.objects.count() == 0
    assert Entry.objects.count() == 0


def test_adding_a_field_backfills_its_default():
    make_collection("posts")
    entry = entries.create_entry(SYSTEM, "posts", {"data": {"title": "Old"}})

    collections.add_field(
        SYSTEM, "posts", {"slug": "rating", "type": "integer", "default": 3}
    )

    assert Entry.objects.get(pk=entry.pk).data == {"title": "Old", "rating": 3}


def test_a_required_field_without_default_is_refused_once_entries_exist():
    make_collection("posts")
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Old"}})

    with pytest.raises(ValidationFailed) as invalid:
        collections.add_field(
            SYSTEM, "posts", {"slug": "x", "type": "string", "required": True}
        )

    assert list(invalid.value.fields) == ["required"]


def test_changing_a_type_converts_values_or_refuses_with_the_entries_that_fail():
    make_collection(
        "posts",
        fields=[{"slug": "title", "type": "string"}, {"slug": "n", "type": "string"}],
    )
    good = entries.create_entry(SYSTEM, "posts", {"data": {"title": "a", "n": "42"}})
    bad = entries.create_entry(SYSTEM, "posts", {"data": {"title": "b", "n": "many"}})

    with pytest.raises(ValidationFailed) as refused:
        collections.update_field(SYSTEM, "posts", "n", {"type": "integer"})

    assert refused.value.code == "FIELD_CONVERSION_FAILED"
    assert refused.value.details["cleared"] == [bad.pk]
    assert Entry.objects.get(pk=good.pk).data["n"] == "42"  # nothing changed

    dry = collections.update_field(
        SYSTEM, "posts", "n", {"type": "integer"}, force=True, dry_run=True
    )
    assert (dry.converted, dry.cleared, dry.applied) == (1, [bad.pk], False)
    assert Entry.objects.get(pk=good.pk).data["n"] == "42"

    report = collections.update_field(
        SYSTEM, "posts", "n", {"type": "integer"}, force=True
    )

    assert (report.converted, report.cleared, report.applied) == (1, [bad.pk], True)
    assert Entry.objects.get(pk=good.pk).data["n"] == 42
    assert "n" not in Entry.objects.get(pk=bad.pk).data
    # History keeps what was there.
    assert Entry.objects.get(pk=bad.pk).current_revision.data["n"] == "many"


def test_removing_a_field_deletes_its_values_but_revisions_keep_them():
    make_collection("posts")
    entry = entries.create_entry(
        SYSTEM, "posts", {"data": {"title": "a", "excerpt": "gone"}}
    )

    report = collections.remove_field(SYSTEM, "posts", "excerpt")

    assert report.removed == 1
    entry.refresh_from_db()
    assert entry.data == {"title": "a"}
    assert entry.current_revision.data == {"title": "a", "excerpt": "gone"}
    with pytest.raises(ValidationFailed) as invalid:
        entries.update_entry(
            SYSTEM, "posts", entry.pk, {"version": 1, "data": {"excerpt": "x"}}
        )
    assert invalid.value.fields == {
        "excerpt": "unknown field; this collection has: title, body, featured_image"
    }


def test_removing_a_reference_field_drops_its_side_table_rows():
    make_collection("people", fields=[{"slug": "title", "type": "string"}])
    make_collection(
        "posts",
        fields=[
            {"slug": "title", "type": "string"},
            {"slug": "by", "type": "reference", "validation": {"collection": "people"}},
        ],
    )
    ada = entries.create_entry(SYSTEM, "people", {"data": {"title": "Ada"}})
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "p", "by": ada.pk}})
    assert EntryReference.objects.count() == 1

    collections.remove_field(SYSTEM, "posts", "by")

    assert EntryReference.objects.count() == 0


def test_making_a_field_unique_fails_while_values_repeat():
    make_collection(
        "posts",
        fields=[
            {"slug": "title", "type": "string"},
            {"slug": "code", "type": "string"},
        ],
    )
    for title in ("a", "b"):
        entries.create_entry(
            SYSTEM, "posts", {"data": {"title": title, "code": "same"}}
        )

    with pytest.raises(ValidationFailed) as invalid:
        collections.update_field(SYSTEM, "posts", "code", {"unique": True})

    assert invalid.value.fields == {"unique": "existing values are not unique"}
    assert collections.load_collection("posts").fields.get(slug="code").unique is False


def test_indexed_fields_filter_and_sort():
    make_collection(
        "products",
        fields=[
            {"slug": "title", "type": "string"},
            {"slug": "price", "type": "number", "indexed": True},
        ],
    )
    for title, price in [("cheap", 2), ("mid", 10), ("dear", 100)]:
        entries.create_entry(
            SYSTEM, "products", {"data": {"title": title, "price": price}}
        )

    page = list_entries(
        SYSTEM,
        "products",
        filters=EntryFilters(fields=(("price", "gte", "5"),)),
        sort="-price",
    )

    assert [e.title for e in page.items] == ["dear", "mid"]
    with pytest.raises(ValidationFailed) as invalid:
        list_entries(
            SYSTEM, "products", filters=EntryFilters(fields=(("title", "eq", "x"),))
        )
    assert invalid.value.fields == {
        "field.title": "is not an indexed field of this collection"
    }


def test_cursor_pagination_walks_every_entry_once():
    make_collection("posts")
    made = [
        entries.create_entry(SYSTEM, "posts", {"data": {"title": f"Post {i:02}"}}).pk
        for i in range(7)
    ]

    seen: list[str] = []
    cursor = None
    while True:
        page = list_entries(SYSTEM, "posts", sort="title", limit=3, cursor=cursor)
        seen += [e.pk for e in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == made


def test_a_forged_cursor_is_refused():
    make_collection("posts")

    with pytest.raises(ValidationFailed) as invalid:
        list_entries(SYSTEM, "posts", cursor="not-a-cursor")

    assert invalid.value.fields == {"cursor": "is not a cursor this API gave out"}
