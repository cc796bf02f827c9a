"""Seed files (emdash.content.seed): applied through the services, in one
transaction, idempotently; and the demo content of a brand-new site."""

import json
from typing import Any

import pytest
from django.test import override_settings

from emdash.accounts.models import User
from emdash.content import seed
from emdash.content.models import Collection, Entry, Menu, Taxonomy, Term
from emdash.content.services import entries, menus, taxonomies
from emdash.core import site_settings
from emdash.core.actors import SYSTEM
from emdash.core.errors import ValidationFailed
from tests.cli.conftest import sample_seed

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "collections": Collection.objects.count(),
        "taxonomies": Taxonomy.objects.count(),
        "terms": Term.objects.count(),
        "entries": Entry.objects.count(),
        "menus": Menu.objects.count(),
    }


def entry(collection: str, slug: str) -> Entry:
    return Entry.objects.get(collection__slug=collection, slug=slug)


def test_apply_seed_creates_everything_through_the_services() -> None:
    report = seed.apply_seed(sample_seed())

    assert report.as_dict() == {
        "created": {
            "settings": ["title", "posts_per_page"],
            "collections": ["posts", "pages"],
            "taxonomies": ["topics", "tags"],
            "terms": ["topics:nature", "topics:birds", "tags:river"],
            # Oldest first: by published_days_ago, undated ones keep file order.
            "entries": [
                "posts/first-frost",
                "posts/heron-at-dawn",
                "posts/kingfisher",
                "posts/owls",
                "pages/about",
            ],
            "menus": ["primary"],
        },
        "skipped": {kind: [] for kind in seed.KINDS},
    }
    assert site_settings.get_all()["title"] == "Field Notes"
    assert Term.objects.get(slug="birds").parent.slug == "nature"
    heron = entry("posts", "heron-at-dawn")
    assert (heron.status, heron.title, heron.seo) == (
        "published",
        "A heron at dawn",
        {"description": "One bird, one river."},
    )
    assert taxonomies.entry_terms(heron) == {
        "tags": [{"slug": "river", "name": "river"}],
        "topics": [{"slug": "birds", "name": "Birds"}],
    }
    assert entry("posts", "kingfisher").status == "draft"
    assert (
        entry("posts", "owls").scheduled_at.isoformat() == "2099-01-01T09:00:00+00:00"
    )
    # Publication follows the order of the dates, though not the dates themselves.
    assert entry("posts", "first-frost").published_at < heron.published_at
    about = entry("pages", "about")
    assert menus.menu_tree(menus.get_menu(SYSTEM, "primary")) == [
        {"label": "Home", "url": "/", "entry": None, "target": "", "children": []},
        {
            "label": "About",
            "url": "/about/",
            "entry": about.pk,
            "target": "",
            "children": [
                {
                    "label": "Elsewhere",
                    "url": "https://example.com/",
                    "entry": None,
                    "target": "_blank",
                    "children": [],
                }
            ],
        },
    ]


def test_applying_a_seed_again_changes_nothing() -> None:
    seed.apply_seed(sample_seed())
    before = counts()
    versions = dict(Entry.objects.values_list("slug", "version"))

    report = seed.apply_seed(sample_seed())

    assert report.created == {kind: [] for kind in seed.KINDS}
    assert report.skipped["entries"] == [
        "posts/first-frost",
        "posts/heron-at-dawn",
        "posts/kingfisher",
        "posts/owls",
        "pages/about",
    ]
    assert report.skipped["terms"] == ["topics:birds", "topics:nature", "tags:river"]
    assert report.skipped["settings"] == ["title", "posts_per_page"]
    assert counts() == before
    assert dict(Entry.objects.values_list("slug", "version")) == versions


def test_a_seed_adds_what_is_missing_and_keeps_what_the_site_changed() -> None:
    seed.apply_seed(sample_seed())
    site_settings.update(SYSTEM, {"title": "Renamed by the owner"})
    more = sample_seed()
    more["taxonomies"][1]["terms"].append({"slug": "frost", "name": "frost"})

    report = seed.apply_seed(more)

    assert report.created["terms"] == ["tags:frost"]
    assert report.skipped["settings"] == ["title", "posts_per_page"]
    assert site_settings.get_all()["title"] == "Renamed by the owner"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (
            lambda s: s["entries"][0].pop("slug"),
            {"entries.0.slug": "Field required"},
        ),
        (
            lambda s: s.update(widgets=[]),
            {"widgets": "Extra inputs are not permitted"},
        ),
        (
            lambda s: s["entries"][2].update(status="trash"),
            {
                "entries.2.status": "Input should be 'draft', 'pending', "
                "'published' or 'scheduled'"
            },
        ),
    ],
)
def test_a_malformed_seed_names_the_problem_and_writes_nothing(
    change: Any, fields: dict[str, str]
) -> None:
    document = sample_seed()
    change(document)

    with pytest.raises(ValidationFailed) as raised:
        seed.apply_seed(document)

    assert raised.value.fields == fields
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_failure_late_in_a_seed_undoes_the_whole_seed() -> None:
    document = sample_seed()
    document["menus"][0]["items"][1]["entry"]["slug"] = "missing"

    with pytest.raises(ValidationFailed) as raised:
        seed.apply_seed(document)

    assert raised.value.fields == {
        "menus.0.items.1.entry": "no entry 'missing' in 'pages'"
    }
    assert counts() == dict.fromkeys(counts(), 0)
    assert site_settings.get_all()["title"] == site_settings.DEFAULTS["title"]


def test_a_service_refusal_undoes_the_whole_seed() -> None:
    document = sample_seed()
    document["entries"][4]["data"] = {"title": "About", "subtitle": "unknown field"}

    with pytest.raises(ValidationFailed) as raised:
        seed.apply_seed(document)

    assert list(raised.value.fields) == ["subtitle"]
    assert counts() == dict.fromkeys(counts(), 0)


def test_find_entry_id_looks_up_any_status_by_slug() -> None:
    seed.apply_seed(sample_seed())
    draft = entry("posts", "kingfisher")
    entries.trash_entry(SYSTEM, "posts", draft.pk)

    assert seed.find_entry_id("posts", "kingfisher") == draft.pk
    assert seed.find_entry_id("pages", "kingfisher") is None


@override_settings(DEMO_CONTENT=True)
def test_the_demo_content_goes_into_a_brand_new_site_once() -> None:
    demo = json.loads(seed.demo_seed_path().read_text(encoding="utf-8"))

    assert seed.seed_demo_if_empty() is True
    assert seed.seed_demo_if_empty() is False

    wanted = sorted(f"{e['collection']}/{e['slug']}" for e in demo["entries"])
    found = sorted(
        f"{c}/{s}" for c, s in Entry.objects.values_list("collection__slug", "slug")
    )
    assert found == wanted
    assert Collection.objects.filter(slug="posts").count() == 1


@override_settings(DEMO_CONTENT=False)
def test_no_demo_content_when_the_site_turned_it_off() -> None:
    assert seed.seed_demo_if_empty() is False
    assert counts() == dict.fromkeys(counts(), 0)


@override_settings(DEMO_CONTENT=True)
def test_no_demo_content_once_the_site_has_a_user() -> None:
    User.objects.create_user("owner@example.com")

    assert seed.seed_demo_if_empty() is False
    assert counts() == dict.fromkeys(counts(), 0)


@override_settings(DEMO_CONTENT=True)
def test_no_demo_content_once_the_site_has_a_collection() -> None:
    seed.apply_seed({"collections": sample_seed()["collections"][1:]})

    assert seed.seed_demo_if_empty() is False
    assert Entry.objects.count() == 0
