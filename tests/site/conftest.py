"""Fixtures for the public site: a fresh cache per test and a small site.

Epoch values restart with every test database, so a cache that outlived a test
would answer the next one with stale pages: each test gets its own cache.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from pytest_django.fixtures import Settings

from emdash.content.models import Entry
from emdash.content.services import entries, menus, taxonomies
from emdash.core.actors import SYSTEM, Actor
from tests.factories import actor_for, make_collection, make_user
from tests.services import require_service

REDIS_URL = "redis://127.0.0.1:6379/0"
PAGE_FIELDS = [
    {"slug": "title", "type": "string", "required": True, "searchable": True},
    {"slug": "body", "type": "markdown", "searchable": True},
]


def _locmem() -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"emdash-site-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture(autouse=True)
def _own_cache(settings: Settings) -> None:
    settings.CACHES = _locmem()


@pytest.fixture(params=["locmem", "redis"])
def page_cache(request: pytest.FixtureRequest, settings: Settings) -> Iterator[str]:
    """Runs a test once on locmem and once on Redis, under a prefix of its own."""
    if request.param == "locmem":
        settings.CACHES = _locmem()
        yield "locmem"
        return
    require_service("redis")
    prefix = f"emdash-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield "redis"
    # Delete only this test's keys: FLUSHDB would wipe other runs sharing Redis.
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def editor(db: None) -> Actor:
    user = make_user("editor")
    user.display_name = "Ada Lovelace"
    user.save()
    return actor_for(user)


@pytest.fixture
def site(db: None) -> None:
    """Posts at /posts/{slug}/, pages at /{slug}/, categories, tags, a menu."""
    make_collection("posts")
    make_collection(
        "pages", fields=PAGE_FIELDS, supports=["drafts", "seo"], url_pattern="/{slug}/"
    )
    taxonomies.create_taxonomy(
        SYSTEM,
        {
            "slug": "category",
            "label": "Categories",
            "hierarchical": True,
            "collections": ["posts"],
        },
    )
    taxonomies.create_term(SYSTEM, "category", {"slug": "guides", "name": "Guides"})
    taxonomies.create_taxonomy(
        SYSTEM, {"slug": "tag", "label": "Tags", "collections": ["posts"]}
    )
    menus.save_menu(
        SYSTEM,
        "primary",
        label="Primary",
        items=[
            {"label": "Home", "url": "/"},
            {
                "label": "Guides",
                "url": "/posts/first/",
                "children": [{"label": "About us", "url": "/about/"}],
            },
        ],
    )


def publish(actor: Actor, collection: str, slug: str, **values: Any) -> Entry:
    """Create a published entry titled after its slug unless data says otherwise."""
    data = {"title": slug.replace("-", " ").capitalize(), **values.pop("data", {})}
    return entries.create_entry(
        actor,
        collection,
        {"slug": slug, "status": "published", "data": data, **values},
    )
