"""Entries and revisions through /_emdash/api/content/."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from emdash.content.models import Collection, Entry, Revision
from emdash.content.schemas import entry_out
from emdash.content.services import taxonomies
from emdash.core.actors import SYSTEM
from tests.api.conftest import API, bearer, error, iso, send, token_for
from tests.factories import make_collection, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts() -> Collection:
    return make_collection("posts")


@pytest.fixture
def editor_user():
    return make_user("editor")


@pytest.fixture
def editor(editor_user) -> dict[str, str]:
    """Headers of the editor's own token."""
    return bearer(token_for("content:write", user=editor_user))


def create(client: Client, headers: dict[str, str], title: str, **body: Any) -> dict:
    data = {"title": title, **body.pop("data", {})}
    response = send(client, "POST", "/content/posts", {"data": data, **body}, headers)
    assert response.status_code == 201, response.content
    return response.json()


def publish(client: Client, headers: dict[str, str], entry_id: str) -> dict:
    response = send(client, "POST", f"/content/posts/{entry_id}/publish", {}, headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_create_answers_201_with_the_working_copy(client, posts, editor, editor_user):
    body = {
        "data": {"title": "Hello world", "excerpt": "Short"},
        "seo": {"description": "About hello"},
    }

    response = send(client, "POST", "/content/posts", body, editor)

    assert response.status_code == 201
    entry = Entry.objects.get()
    assert response.json() == {
        "id": entry.pk,
        "collection": "posts",
        "slug": "hello-world",
        "title": "Hello world",
        "locale": "en",
        "status": "draft",
        "visibility": "public",
        "data": {"title": "Hello world", "excerpt": "Short"},
        "seo": {"description": "About hello"},
        "terms": {},
        "version": 1,
        "has_draft": False,
        "live_revision_id": None,
        "created_at": iso(entry.created_at),
        "updated_at": iso(entry.updated_at),
        "published_at": None,
        "scheduled_at": None,
        "author": {"id": editor_user.pk, "display_name": "Editor User"},
    }


def test_responses_are_exactly_the_shared_schema_dumped_as_json(client, posts, editor):
    created = create(client, editor, "Same bytes")

    response = send(client, "GET", f"/content/posts/{created['id']}", headers=editor)

    entry = Entry.objects.select_related("collection", "author").get()
    assert response.json() == entry_out(entry).model_dump(mode="json")
    assert response.content == entry_out(entry).model_dump_json().encode()


def test_get_gives_editors_the_working_copy_and_hides_drafts_from_visitors(
    client, posts, editor
):
    created = create(client, editor, "Secret draft")

    as_editor = send(client, "GET", f"/content/posts/{created['id']}", headers=editor)
    as_visitor = send(client, "GET", f"/content/posts/{created['id']}")

    assert as_editor.status_code == 200
    assert as_editor.json() == created
    assert as_visitor.status_code == 404
    assert as_visitor.json() == error(
        "ENTRY_NOT_FOUND", f"No entry '{created['id']}' in 'posts'."
    )


def test_a_draft_edit_of_a_published_entry_stays_invisible_to_visitors(
    client, posts, editor
):
    created = create(client, editor, "Live title", data={"excerpt": "Live"})
    published = publish(client, editor, created["id"])
    edit = {"version": published["version"], "data": {"title": "Draft title"}}

    edited = send(client, "PATCH", f"/content/posts/{created['id']}", edit, editor)
    as_visitor = send(client, "GET", f"/content/posts/{created['id']}")
    as_editor = send(client, "GET", f"/content/posts/{created['id']}", headers=editor)
    listed = send(client, "GET", "/content/posts")

    entry = Entry.objects.get()
    assert edited.status_code == 200
    assert edited.json()["version"] == 3
    assert as_visitor.json()["data"] == {"title": "Live title", "excerpt": "Live"}
    assert (as_visitor.json()["title"], as_visitor.json()["has_draft"]) == (
        "Live title",
        False,
    )
    assert as_visitor.json()["author"] is None
    assert as_editor.json()["data"] == {"title": "Draft title", "excerpt": "Live"}
    assert as_editor.json()["has_draft"] is True
    assert as_editor.json()["live_revision_id"] == entry.live_revision_id
    assert as_editor.json()["live_revision_id"] != entry.current_revision_id
    assert [item["title"] for item in listed.json()["items"]] == ["Live title"]
    assert listed.json()["items"][0] == as_visitor.json()


def test_a_stale_version_is_409_and_nothing_is_written(client, posts, editor):
    created = create(client, editor, "Original")
    first = {"version": 1, "data": {"title": "First edit"}}
    send(client, "PATCH", f"/content/posts/{created['id']}", first, editor)
    stale = {"version": 1, "data": {"title": "Second edit"}}

    response = send(client, "PATCH", f"/content/posts/{created['id']}", stale, editor)

    assert response.status_code == 409
    assert response.json() == error(
        "VERSION_CONFLICT",
        f"Entry {created['id']} is at version 2, not 1. "
        "Reload it and apply your change again.",
        your_version=1,
        current_version=2,
    )
    entry = Entry.objects.get()
    assert (entry.title, entry.version, entry.revisions.count()) == ("First edit", 2, 2)


def test_a_stale_version_on_an_action_is_409_too(client, posts, editor):
    created = create(client, editor, "Original")
    send(client, "PATCH", f"/content/posts/{created['id']}", {"version": 1}, editor)

    response = send(
        client,
        "POST",
        f"/content/posts/{created['id']}/publish",
        {"version": 1},
        editor,
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "VERSION_CONFLICT"
    assert Entry.objects.get().status == "draft"


def test_an_edit_must_say_which_version_it_edited(client, posts, editor):
    created = create(client, editor, "Original")

    response = send(
        client,
        "PATCH",
        f"/content/posts/{created['id']}",
        {"data": {"title": "X"}},
        editor,
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"fields": {"version": "is required"}}
    assert Entry.objects.get().title == "Original"


def test_publish_unpublish_submit_and_duplicate(client, posts, editor):
    created = create(client, editor, "Story")
    entry_path = f"/content/posts/{created['id']}"

    submitted = send(client, "POST", f"{entry_path}/submit", {"version": 1}, editor)
    published = send(client, "POST", f"{entry_path}/publish", headers=editor)
    unpublished = send(client, "POST", f"{entry_path}/unpublish", {}, editor)
    duplicated = send(client, "POST", f"{entry_path}/duplicate", headers=editor)

    assert (submitted.status_code, submitted.json()["status"]) == (200, "pending")
    assert (published.status_code, published.json()["status"]) == (200, "published")
    assert published.json()["published_at"] == iso(
        Entry.objects.get(pk=created["id"]).published_at
    )
    assert (unpublished.status_code, unpublished.json()["status"]) == (200, "draft")
    assert unpublished.json()["live_revision_id"] is None
    copy = duplicated.json()
    assert duplicated.status_code == 200
    assert (copy["slug"], copy["status"], copy["version"]) == ("story-2", "draft", 1)
    assert copy["id"] != created["id"]
    assert copy["data"] == {"title": "Story"}
    assert Entry.objects.count() == 2


def test_schedule_takes_an_aware_future_time(client, posts, editor):
    created = create(client, editor, "Later")
    when = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    entry_path = f"/content/posts/{created['id']}/schedule"

    naive = send(
        client, "POST", entry_path, {"scheduled_at": "2099-01-01T10:00:00"}, editor
    )
    scheduled = send(
        client, "POST", entry_path, {"scheduled_at": when.isoformat()}, editor
    )

    assert naive.status_code == 422
    assert naive.json()["error"]["details"] == {
        "fields": {"scheduled_at": "Input should have timezone info"}
    }
    assert scheduled.status_code == 200
    assert scheduled.json()["status"] == "scheduled"
    assert scheduled.json()["scheduled_at"] == iso(when)
    assert send(client, "GET", f"/content/posts/{created['id']}").status_code == 404


def test_delete_moves_to_the_trash_and_restore_brings_back_a_draft(
    client, posts, editor
):
    created = create(client, editor, "Doomed")
    publish(client, editor, created["id"])
    entry_path = f"/content/posts/{created['id']}"

    trashed = send(client, "DELETE", f"{entry_path}?version=2", headers=editor)
    hidden = send(client, "GET", entry_path)
    restored = send(client, "POST", f"{entry_path}/restore", {"version": 3}, editor)

    assert (trashed.status_code, trashed.json()["status"]) == (200, "trash")
    assert hidden.status_code == 404
    assert (restored.status_code, restored.json()["status"]) == (200, "draft")
    assert restored.json()["version"] == 4


def test_permanent_delete_is_for_administrators_and_trashed_entries(
    client, posts, editor
):
    created = create(client, editor, "Gone")
    entry_path = f"/content/posts/{created['id']}"
    send(client, "DELETE", entry_path, headers=editor)
    administrator = bearer(token_for("admin", user=make_user("administrator")))

    by_editor = send(client, "DELETE", f"{entry_path}/permanent", headers=editor)
    kept = Entry.objects.filter(pk=created["id"]).exists()
    by_admin = send(client, "DELETE", f"{entry_path}/permanent", headers=administrator)

    assert by_editor.status_code == 403
    assert kept is True
    assert by_admin.status_code == 204
    assert by_admin.content == b""
    assert Entry.objects.count() == 0


def test_revisions_list_get_compare_and_restore(client, posts, editor):
    created = create(client, editor, "One")
    entry_path = f"/content/posts/{created['id']}"
    send(client, "PATCH", entry_path, {"version": 1, "data": {"title": "Two"}}, editor)
    first, second = Revision.objects.order_by("number")

    listed = send(client, "GET", f"{entry_path}/revisions", headers=editor)
    single = send(client, "GET", f"{entry_path}/revisions/{first.pk}", headers=editor)
    compared = send(
        client,
        "GET",
        f"{entry_path}/revisions/compare?from={first.pk}&to={second.pk}",
        headers=editor,
    )
    restored = send(
        client,
        "POST",
        f"{entry_path}/revisions/{first.pk}/restore",
        {"version": 2},
        editor,
    )

    assert [item["number"] for item in listed.json()["items"]] == [2, 1]
    assert listed.json()["next_cursor"] is None
    assert single.json() == {
        "id": first.pk,
        "number": 1,
        "slug": "one",
        "title": "One",
        "data": {"title": "One"},
        "seo": {},
        "actor": "Editor User (token test)",
        "note": "created",
        "created_at": iso(first.created_at),
        "live": False,
        "current": False,
    }
    assert compared.json() == {
        "from": first.pk,
        "to": second.pk,
        "changes": {"title": {"from": "One", "to": "Two"}},
    }
    assert restored.status_code == 200
    assert (restored.json()["title"], restored.json()["version"]) == ("One", 3)
    assert Revision.objects.count() == 3


def test_revisions_are_not_for_visitors(client, posts, editor):
    created = create(client, editor, "One")

    response = send(client, "GET", f"/content/posts/{created['id']}/revisions")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


def test_cursor_pagination_walks_every_entry_once(client, posts, editor):
    for title in ["Echo", "Alpha", "Delta", "Bravo", "Charlie"]:
        create(client, editor, title)

    seen, pages, cursor = [], 0, ""
    while True:
        query = f"?sort=title&limit=2{f'&cursor={cursor}' if cursor else ''}"
        page = send(client, "GET", f"/content/posts{query}", headers=editor).json()
        seen += [item["title"] for item in page["items"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]

    assert seen == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    assert pages == 3


def test_the_default_page_is_50_entries(client, posts, editor):
    for number in range(51):
        create(client, editor, f"Post {number}")

    page = send(client, "GET", "/content/posts", headers=editor).json()

    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


@pytest.fixture
def products() -> Collection:
    collection = make_collection(
        "products",
        fields=[
            {"slug": "title", "type": "string", "required": True},
            {"slug": "price", "type": "number", "indexed": True},
            {"slug": "in_stock", "type": "boolean", "indexed": True},
        ],
    )
    taxonomies.create_taxonomy(
        SYSTEM, {"slug": "tags", "label": "Tags", "collections": ["products"]}
    )
    return collection


def product(client, headers, title, price, in_stock, tags, status="draft") -> str:
    body = {
        "data": {"title": title, "price": price, "in_stock": in_stock},
        "terms": {"tags": tags},
        "status": status,
    }
    response = send(client, "POST", "/content/products", body, headers)
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("status=published", ["Lamp", "Chair"]),
        ("status=draft", ["Desk"]),
        ("term=tags:wood", ["Desk", "Chair"]),
        ("field.price.gte=100", ["Desk", "Lamp"]),
        ("field.price.lt=100&field.in_stock=true", ["Chair"]),
        ("field.price=250", ["Desk"]),
        ("sort=-price", ["Desk", "Lamp", "Chair"]),
        ("sort=price&term=tags:wood", ["Chair", "Desk"]),
    ],
)
def test_filters_and_sorts(client, products, editor, query, titles):
    product(client, editor, "Chair", 40, True, ["wood"], status="published")
    product(client, editor, "Lamp", 120, False, ["metal"], status="published")
    product(client, editor, "Desk", 250, True, ["wood"])

    response = send(client, "GET", f"/content/products?{query}", headers=editor)

    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == titles


def test_author_and_date_filters(client, posts, editor, editor_user):
    mine = create(client, editor, "Mine")
    other = bearer(token_for("content:write", user=make_user("editor")))
    create(client, other, "Theirs")
    created_at = Entry.objects.get(pk=mine["id"]).created_at
    window = {
        "from": iso(created_at),
        "to": iso(created_at + timedelta(microseconds=1)),
    }

    by_author = client.get(
        f"{API}/content/posts", {"author": editor_user.pk}, headers=editor
    )
    in_window = client.get(f"{API}/content/posts", window, headers=editor)
    everything = client.get(f"{API}/content/posts", headers=editor)

    assert [item["title"] for item in by_author.json()["items"]] == ["Mine"]
    assert [item["title"] for item in in_window.json()["items"]] == ["Mine"]
    assert [item["title"] for item in everything.json()["items"]] == ["Theirs", "Mine"]


def test_visitors_list_only_live_public_entries_and_may_not_ask_for_drafts(
    client, products, editor
):
    product(client, editor, "Chair", 40, True, ["wood"], status="published")
    product(client, editor, "Desk", 250, True, ["wood"])

    listed = send(client, "GET", "/content/products")
    drafts = send(client, "GET", "/content/products?status=draft")

    assert [item["title"] for item in listed.json()["items"]] == ["Chair"]
    assert listed.json()["items"][0]["terms"] == {
        "tags": [{"slug": "wood", "name": "wood"}]
    }
    assert drafts.status_code == 422
    assert drafts.json()["error"]["details"] == {
        "fields": {"status": "must be published"}
    }
