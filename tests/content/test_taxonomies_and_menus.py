"""Taxonomies, terms on entries, and menus through the content services."""

import pytest

from emdash.content.models import Term
from emdash.content.services import entries, menus, taxonomies
from emdash.core.actors import SYSTEM
from emdash.core.errors import Conflict, PermissionDenied, ValidationFailed
from tests.factories import actor_for, make_collection, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    make_collection("posts")
    taxonomies.create_taxonomy(
        SYSTEM,
        {
            "slug": "category",
            "label": "Categories",
            "hierarchical": True,
            "collections": ["posts"],
        },
    )
    taxonomies.create_taxonomy(
        SYSTEM, {"slug": "tag", "label": "Tags", "collections": ["posts"]}
    )


def test_hierarchical_terms_nest_and_refuse_loops(site):
    news = taxonomies.create_term(SYSTEM, "category", {"name": "News"})
    local = taxonomies.create_term(
        SYSTEM, "category", {"name": "Local", "parent": "news"}
    )

    assert local.parent_id == news.pk
    with pytest.raises(ValidationFailed) as loop:
        taxonomies.update_term(SYSTEM, "category", "news", {"parent": "local"})
    assert loop.value.fields == {"parent": "would make a loop"}
    with pytest.raises(ValidationFailed):
        taxonomies.create_term(SYSTEM, "tag", {"name": "x", "parent": "news"})


def test_terms_may_use_words_reserved_for_entry_slugs(site):
    term = taxonomies.create_term(SYSTEM, "tag", {"name": "Media", "slug": "media"})

    assert term.slug == "media"
    with pytest.raises(Conflict):
        taxonomies.create_term(SYSTEM, "tag", {"name": "Media again", "slug": "media"})


def test_entries_get_terms_and_flat_terms_are_created_on_the_fly(site):
    taxonomies.create_term(SYSTEM, "category", {"name": "News"})

    entry = entries.create_entry(
        SYSTEM,
        "posts",
        {"data": {"title": "T"}, "terms": {"category": ["news"], "tag": ["Fresh Tag"]}},
    )

    assert taxonomies.entry_terms(entry) == {
        "category": [{"slug": "news", "name": "News"}],
        "tag": [{"slug": "fresh-tag", "name": "fresh tag"}],
    }
    with pytest.raises(ValidationFailed) as missing:
        entries.create_entry(
            SYSTEM, "posts", {"data": {"title": "U"}, "terms": {"category": ["nope"]}}
        )
    assert missing.value.fields == {"terms.category": "no such term: nope"}


def test_deleting_a_term_moves_its_children_up(site):
    taxonomies.create_term(SYSTEM, "category", {"name": "A"})
    taxonomies.create_term(SYSTEM, "category", {"name": "B", "parent": "a"})
    taxonomies.create_term(SYSTEM, "category", {"name": "C", "parent": "b"})

    taxonomies.delete_term(SYSTEM, "category", "b")

    assert Term.objects.get(slug="c").parent.slug == "a"


def test_editors_manage_terms_but_not_taxonomies(site):
    editor = actor_for(make_user("editor"))

    taxonomies.create_term(editor, "tag", {"name": "ok"})
    with pytest.raises(PermissionDenied):
        taxonomies.create_taxonomy(editor, {"slug": "genre", "label": "Genres"})


def test_menus_nest_and_link_live_entries_only(site):
    entry = entries.create_entry(SYSTEM, "posts", {"data": {"title": "About"}})
    menus.save_menu(
        SYSTEM,
        "primary",
        label="Primary",
        items=[
            {"label": "Home", "url": "/"},
            {
                "label": "More",
                "url": "/more/",
                "children": [{"label": "About", "entry": entry.pk}],
            },
        ],
    )

    draft_tree = menus.public_menu("primary")
    entries.publish_entry(SYSTEM, "posts", entry.pk)
    live_tree = menus.public_menu("primary")

    assert draft_tree[1]["children"][0]["url"] == ""
    assert live_tree == [
        {"label": "Home", "url": "/", "entry": None, "target": "", "children": []},
        {
            "label": "More",
            "url": "/more/",
            "entry": None,
            "target": "",
            "children": [
                {
                    "label": "About",
                    "url": "/posts/about/",
                    "entry": entry.pk,
                    "target": "",
                    "children": [],
                }
            ],
        },
    ]


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([{"label": "x"}], "items.0"),
        ([{"label": "x", "url": "javascript:alert(1)"}], "items.0.url"),
        ([{"label": "", "url": "/"}], "items.0.label"),
        ([{"label": "x", "entry": "01JAAAAAAAAAAAAAAAAAAAAAAA"}], "items"),
        ([{"label": "x", "url": "/", "colour": 1}], "items.0.colour"),
    ],
)
def test_bad_menu_items_are_refused_and_the_menu_is_unchanged(site, items, field):
    menus.save_menu(SYSTEM, "primary", items=[{"label": "Home", "url": "/"}])

    with pytest.raises(ValidationFailed) as invalid:
        menus.save_menu(SYSTEM, "primary", items=items)

    assert field in invalid.value.fields
    assert [i["label"] for i in menus.public_menu("primary")] == ["Home"]


def test_an_entry_is_found_by_its_slug_as_well_as_its_id(site):
    entry = entries.create_entry(SYSTEM, "posts", {"data": {"title": "Find me"}})

    assert entries.get_entry(SYSTEM, "posts", "find-me").pk == entry.pk
    assert entries.get_entry(SYSTEM, "posts", entry.pk).pk == entry.pk
