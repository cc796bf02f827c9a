"""Full-text search through /_emdash/api/search."""

import pytest

from emdash.content.services import entries
from emdash.core.actors import SYSTEM
from tests.api.conftest import error, send
from tests.factories import make_collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def library() -> None:
    make_collection("posts")
    make_collection("notes")
    entries.create_entry(
        SYSTEM,
        "posts",
        {
            "data": {"title": "Otters", "excerpt": "Otters hold hands asleep."},
            "status": "published",
        },
    )
    entries.create_entry(
        SYSTEM, "posts", {"data": {"title": "Otter draft", "excerpt": "Unfinished."}}
    )
    entries.create_entry(
        SYSTEM,
        "notes",
        {"data": {"title": "Note", "excerpt": "An otter note."}, "status": "published"},
    )


def test_visitors_find_live_entries_with_marked_snippets(client, library):
    response = send(client, "GET", "/search?q=otters&collection=posts")

    [hit] = response.json()["items"]
    assert response.status_code == 200
    assert list(response.json()) == ["items"]
    assert {key: hit[key] for key in ("collection", "slug", "title", "snippet")} == {
        "collection": "posts",
        "slug": "otters",
        "title": "Otters",
        "snippet": "<mark>Otters</mark> <mark>Otters</mark> hold hands asleep.",
    }
    assert isinstance(hit["score"], float)
    assert sorted(hit) == ["collection", "id", "score", "slug", "snippet", "title"]


def test_editors_also_find_drafts_and_collections_combine(client, admin, library):
    response = send(
        client,
        "GET",
        "/search?q=otter&collection=posts&collection=notes",
        headers=admin,
    )

    assert sorted(hit["title"] for hit in response.json()["items"]) == [
        "Note",
        "Otter draft",
        "Otters",
    ]


def test_limit_caps_the_hits(client, library):
    response = send(client, "GET", "/search?q=otter&limit=1")

    assert len(response.json()["items"]) == 1


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("", {"q": "is required"}),
        ("?q=%20", {"q": "must not be empty"}),
        ("?q=otter&limit=101", {"limit": "Input should be less than or equal to 100"}),
    ],
)
def test_bad_searches_are_422_naming_the_parameter(client, library, query, fields):
    response = send(client, "GET", f"/search{query}")

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"fields": fields}


def test_the_search_error_message(client):
    response = send(client, "GET", "/search?q=%20")

    assert response.json() == error(
        "VALIDATION_ERROR",
        "Type something to search for.",
        fields={"q": "must not be empty"},
    )
