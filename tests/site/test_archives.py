"""Taxonomy archives: /<taxonomy>/<term>/ lists the live entries filed under a term."""

import pytest
from django.test import Client

from emdash.content.services import entries, taxonomies
from emdash.core import site_settings
from emdash.core.actors import SYSTEM
from tests.site.conftest import publish

pytestmark = pytest.mark.usefixtures("site")


def titles(response) -> list[str]:
    html = response.content.decode()
    return [
        part.split("</a>")[0].split(">")[-1]
        for part in html.split('class="summary__title"')[1:]
    ]


def test_a_category_archive_includes_child_categories_and_only_live_entries(
    client: Client, editor
) -> None:
    taxonomies.create_term(SYSTEM, "category", {"name": "Bread", "parent": "guides"})
    publish(editor, "posts", "top", terms={"category": ["guides"]})
    publish(editor, "posts", "child", terms={"category": ["bread"]})
    publish(editor, "posts", "elsewhere")
    entries.create_entry(
        editor,
        "posts",
        {
            "slug": "draft",
            "data": {"title": "Draft"},
            "terms": {"category": ["guides"]},
        },
    )

    guides = client.get("/category/guides/")
    bread = client.get("/category/bread/")

    assert guides.status_code == 200
    assert "<h1>Guides</h1>" in guides.content.decode()
    assert titles(guides) == ["Child", "Top"]
    assert titles(bread) == ["Child"]


def test_unknown_terms_and_taxonomies_are_404(client: Client) -> None:
    assert client.get("/category/nope/").status_code == 404
    assert client.get("/nope/guides/").status_code == 404
    assert client.get("/category/guides/?page=2").status_code == 404


def test_a_tag_archive_paginates(client: Client, editor) -> None:
    site_settings.update(SYSTEM, {"posts_per_page": 2})
    for slug in ["one", "two", "three"]:
        publish(editor, "posts", slug, terms={"tag": ["bread"]})

    first = client.get("/tag/bread/")
    second = client.get("/tag/bread/?page=2")

    assert titles(first) == ["Three", "Two"]
    assert 'href="/tag/bread/?page=2"' in first.content.decode()
    assert titles(second) == ["One"]
    assert 'href="/tag/bread/"' in second.content.decode()
