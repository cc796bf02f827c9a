"""Menus through /_emdash/api/menus/."""

import pytest

from emdash.content.models import Menu, MenuItem
from emdash.content.services import entries
from emdash.core.actors import SYSTEM
from tests.api.conftest import error, send
from tests.factories import make_collection

pytestmark = pytest.mark.django_db


def test_put_creates_then_replaces_a_nested_menu(client, admin):
    make_collection("posts")
    about = entries.create_entry(SYSTEM, "posts", {"data": {"title": "About"}})
    body = {
        "label": "Main",
        "items": [
            {"label": "Home", "url": "/"},
            {
                "label": "More",
                "url": "/more/",
                "children": [{"label": "About", "entry": about.pk, "url": None}],
            },
        ],
    }

    created = send(client, "PUT", "/menus/main", body, admin)
    replaced = send(
        client,
        "PUT",
        "/menus/main",
        {"items": [{"label": "Blog", "url": "/posts/", "target": "_blank"}]},
        admin,
    )

    assert created.status_code == 200
    assert created.json() == {
        "slug": "main",
        "label": "Main",
        "items": [
            {"label": "Home", "url": "/", "entry": None, "target": "", "children": []},
            {
                "label": "More",
                "url": "/more/",
                "entry": None,
                "target": "",
                "children": [
                    {
                        "label": "About",
                        "url": "",
                        "entry": about.pk,
                        "target": "",
                        "children": [],
                    }
                ],
            },
        ],
    }
    assert replaced.json() == {
        "slug": "main",
        "label": "Main",
        "items": [
            {
                "label": "Blog",
                "url": "/posts/",
                "entry": None,
                "target": "_blank",
                "children": [],
            }
        ],
    }
    assert MenuItem.objects.count() == 1


def test_list_get_and_delete_menus(client, admin):
    send(
        client,
        "PUT",
        "/menus/footer",
        {"items": [{"label": "Home", "url": "/"}]},
        admin,
    )

    listed = send(client, "GET", "/menus")
    single = send(client, "GET", "/menus/footer")
    deleted = send(client, "DELETE", "/menus/footer", headers=admin)
    gone = send(client, "GET", "/menus/footer")

    footer = {
        "slug": "footer",
        "label": "Footer",
        "items": [
            {"label": "Home", "url": "/", "entry": None, "target": "", "children": []}
        ],
    }
    assert listed.json() == {"items": [footer], "next_cursor": None}
    assert single.json() == footer
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert gone.json() == error("MENU_NOT_FOUND", "No menu 'footer'.")


def test_a_bad_menu_item_is_422_naming_it_and_nothing_is_saved(client, admin):
    body = {
        "items": [
            {"label": "Home", "url": "/"},
            {"label": "Evil", "url": "javascript:alert(1)"},
        ]
    }

    response = send(client, "PUT", "/menus/main", body, admin)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "fields": {"items.1.url": "must be an http(s) URL, a path or a fragment"}
    }
    assert Menu.objects.count() == 0


def test_a_menu_item_without_a_label_is_refused_by_the_door(client, admin):
    response = send(client, "PUT", "/menus/main", {"items": [{"url": "/"}]}, admin)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "fields": {"items.0.label": "is required"}
    }
    assert Menu.objects.count() == 0
