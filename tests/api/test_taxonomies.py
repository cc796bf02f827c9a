"""Taxonomies and terms through /_emdash/api/taxonomies/."""

import pytest

from emdash.content.models import Taxonomy, Term
from emdash.content.services import taxonomies
from emdash.core.actors import SYSTEM
from tests.api.conftest import error, send
from tests.factories import make_collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def topics() -> Taxonomy:
    make_collection("posts")
    taxonomy = taxonomies.create_taxonomy(
        SYSTEM,
        {
            "slug": "topics",
            "label": "Topics",
            "hierarchical": True,
            "collections": ["posts"],
        },
    )
    science = taxonomies.create_term(SYSTEM, "topics", {"name": "Science"})
    taxonomies.create_term(
        SYSTEM, "topics", {"name": "Physics", "parent": science.slug}
    )
    return taxonomy


def test_create_list_and_get_taxonomies(client, admin):
    make_collection("posts")
    body = {
        "slug": "tags",
        "label": "Tags",
        "label_singular": "Tag",
        "collections": ["posts"],
    }

    created = send(client, "POST", "/taxonomies", body, admin)
    listed = send(client, "GET", "/taxonomies")
    single = send(client, "GET", "/taxonomies/tags")

    expected = {
        "slug": "tags",
        "label": "Tags",
        "label_singular": "Tag",
        "hierarchical": False,
        "collections": ["posts"],
    }
    assert created.status_code == 201
    assert created.json() == expected
    assert listed.json() == {"items": [expected], "next_cursor": None}
    assert single.json() == expected


def test_update_and_delete_a_taxonomy(client, admin, topics):
    updated = send(client, "PATCH", "/taxonomies/topics", {"label": "Subjects"}, admin)
    deleted = send(client, "DELETE", "/taxonomies/topics", headers=admin)

    assert updated.json()["label"] == "Subjects"
    assert deleted.status_code == 204
    assert (Taxonomy.objects.count(), Term.objects.count()) == (0, 0)


def test_a_taxonomy_cannot_become_hierarchical_later(client, admin, topics):
    response = send(
        client, "PATCH", "/taxonomies/topics", {"hierarchical": False}, admin
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "fields": {"hierarchical": "unknown property"}
    }
    assert Taxonomy.objects.get().hierarchical is True


def test_terms_list_create_update_and_delete(client, admin, topics):
    listed = send(client, "GET", "/taxonomies/topics/terms")
    created = send(
        client,
        "POST",
        "/taxonomies/topics/terms",
        {"name": "Chemistry", "description": "Atoms", "parent": "science"},
        admin,
    )
    moved = send(
        client, "PATCH", "/taxonomies/topics/terms/physics", {"parent": None}, admin
    )
    deleted = send(client, "DELETE", "/taxonomies/topics/terms/science", headers=admin)

    assert listed.json() == {
        "items": [
            {
                "slug": "physics",
                "name": "Physics",
                "description": "",
                "parent": "science",
            },
            {"slug": "science", "name": "Science", "description": "", "parent": None},
        ],
        "next_cursor": None,
    }
    assert created.status_code == 201
    assert created.json() == {
        "slug": "chemistry",
        "name": "Chemistry",
        "description": "Atoms",
        "parent": "science",
    }
    assert moved.json() == {
        "slug": "physics",
        "name": "Physics",
        "description": "",
        "parent": None,
    }
    assert deleted.status_code == 204
    assert sorted(Term.objects.values_list("slug", "parent")) == [
        ("chemistry", None),
        ("physics", None),
    ]


def test_an_unknown_term_is_404(client, admin, topics):
    response = send(
        client, "PATCH", "/taxonomies/topics/terms/nope", {"name": "X"}, admin
    )

    assert response.status_code == 404
    assert response.json() == error("TERM_NOT_FOUND", "No term 'nope' in 'topics'.")
