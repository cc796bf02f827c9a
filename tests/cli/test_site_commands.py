"""`emdash taxonomy`, `menu`, `search`, `token` and `migrate` on the local site."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from emdash.accounts.models import ApiToken
from emdash.accounts.tokens import actor_for_token
from emdash.core.permissions import ALL_PERMISSIONS, scope_permissions
from tests.cli.conftest import fails, json_of, ok
from tests.factories import make_collection

pytestmark = pytest.mark.django_db


def test_taxonomies_and_nested_terms() -> None:
    make_collection("posts")

    created = json_of(
        "taxonomy", "create", "topics", "--label", "Topics", "--hierarchical",
        "--collection", "posts",
    )  # fmt: skip
    nature = json_of("taxonomy", "add-term", "topics", "--name", "Nature")
    birds = json_of(
        "taxonomy", "add-term", "topics", "--name", "Birds", "--parent", "nature",
        "--description", "Feathered",
    )  # fmt: skip

    assert created == {
        "slug": "topics",
        "label": "Topics",
        "label_singular": "",
        "hierarchical": True,
        "collections": ["posts"],
    }
    assert nature == {
        "slug": "nature",
        "name": "Nature",
        "description": "",
        "parent": None,
    }
    assert birds == {
        "slug": "birds",
        "name": "Birds",
        "description": "Feathered",
        "parent": "nature",
    }
    assert json_of("taxonomy", "terms", "topics") == {
        "items": [birds, nature],
        "next_cursor": None,
    }
    assert json_of("taxonomy", "list") == {"items": [created], "next_cursor": None}
    assert ok("taxonomy", "terms", "topics").splitlines()[2].split() == [
        "birds",
        "Birds",
        "nature",
    ]


def test_a_menu_is_set_from_json_and_read_back() -> None:
    make_collection("pages")
    about = json_of("content", "create", "pages", "--data", '{"title": "About"}')
    items = [
        {"label": "Home", "url": "/"},
        {"label": "About", "entry": about["id"], "children": [
            {"label": "Elsewhere", "url": "https://example.com/", "target": "_blank"}
        ]},
    ]  # fmt: skip

    saved = json_of(
        "menu", "set", "primary", "--label", "Main", "--data", json.dumps(items)
    )

    assert saved == {
        "slug": "primary",
        "label": "Main",
        "items": [
            {"label": "Home", "url": "/", "entry": None, "target": "", "children": []},
            {
                "label": "About",
                "url": "",
                "entry": about["id"],
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
        ],
    }
    assert json_of("menu", "get", "primary") == saved
    assert json_of("menu", "list") == {"items": [saved], "next_cursor": None}
    assert ok("menu", "get", "primary") == (
        "Main (primary)\n"
        "- Home -> /\n"
        f"- About -> (not live) (entry {about['id']})\n"
        "  - Elsewhere -> https://example.com/\n"
    )


def test_menu_items_must_be_a_list() -> None:
    result = fails("menu", "set", "primary", "--data", '{"label": "Home"}')

    assert result.stderr == (
        "error: INVALID_INPUT: the items must be a JSON list, "
        'like [{"label": "Home", "url": "/"}]\n'
    )


def test_search_finds_entries_with_marked_snippets() -> None:
    make_collection("posts")
    for title in ("A heron at dawn", "First frost"):
        json_of(
            "content", "create", "posts", "--status", "published",
            "--data", json.dumps({"title": title, "body": f"Notes about {title}."}),
        )  # fmt: skip

    found = json_of("search", "heron")["items"]

    assert [(hit["slug"], hit["collection"]) for hit in found] == [
        ("a-heron-at-dawn", "posts")
    ]
    assert "<mark>heron</mark>" in found[0]["snippet"]
    assert ok("search", "nothing-matches-this") == "No matches.\n"


def test_token_create_prints_the_secret_once_as_the_contract_says() -> None:
    created = json_of("token", "create", "--name", "ci", "--scope", "admin")

    assert sorted(created) == [
        "created_at",
        "expires_at",
        "id",
        "last_used_at",
        "name",
        "prefix",
        "revoked_at",
        "scopes",
        "token",
        "user",
    ]
    assert created["token"].startswith("ec_pat_")
    assert (created["name"], created["scopes"], created["user"]) == (
        "ci",
        ["admin"],
        None,
    )
    assert created["prefix"] == created["token"][:11]
    assert created["expires_at"] is None
    # An operator token: no user, every permission its scope gives.
    actor = actor_for_token(created["token"])
    assert (actor.kind, actor.user_id, actor.permissions) == (
        "token",
        None,
        ALL_PERMISSIONS,
    )
    listed = json_of("token", "list")["items"]
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0]


def test_token_scopes_and_expiry() -> None:
    created = json_of(
        "token", "create", "--name", "reader", "--scope", "content:read",
        "--scope", "menus:manage", "--expires-days", "30",
    )  # fmt: skip

    stored = ApiToken.objects.get()
    assert created["scopes"] == ["content:read", "menus:manage"]
    expected = timezone.now() + timedelta(days=30)
    assert abs(stored.expires_at - expected) < timedelta(minutes=1)
    assert actor_for_token(created["token"]).permissions == scope_permissions(
        ["content:read", "menus:manage"]
    )


def test_token_revoke_stops_it() -> None:
    created = json_of("token", "create", "--name", "ci", "--scope", "admin")

    revoked = json_of("token", "revoke", created["id"])

    assert revoked["id"] == created["id"]
    assert revoked["revoked_at"] is not None
    assert ok("token", "revoke", created["id"]).startswith("Token ci (")


def test_token_errors() -> None:
    unknown_scope = fails("token", "create", "--name", "ci", "--scope", "root")
    no_scope = fails("token", "create", "--name", "ci", code=2)

    assert unknown_scope.stderr.startswith(
        "error: VALIDATION_ERROR: The token request is invalid. "
        "(scope: unknown scope(s) root;"
    )
    assert "Missing option '--scope'" in no_scope.stderr
    assert ApiToken.objects.count() == 0


def test_migrate_on_a_migrated_database_applies_nothing() -> None:
    assert json_of("migrate") == {"applied": []}
    assert ok("migrate") == "The database is up to date.\n"
