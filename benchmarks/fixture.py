"""The benchmark's throwaway site, run inside Django in a child process.

``python -m benchmarks.fixture seed`` fills a migrated, empty data dir with 200
published posts through the content services (so revisions, search documents,
terms and the rendered-HTML cache are what a real site has), and prints a JSON
object with what the load runs need. ``python -m benchmarks.fixture queries``
counts the SQL queries per route with Django's test client. The parent
(``benchmarks.run``) sets ``EMDASH_DATA_DIR`` and ``DJANGO_SETTINGS_MODULE``.
"""

import json
import random
import sys
from datetime import timedelta
from typing import Any

import django

POSTS = 200
CATEGORIES = [
    ("news", "News"),
    ("guides", "Guides"),
    ("engineering", "Engineering"),
    ("design", "Design"),
    ("publishing", "Publishing"),
    ("kitchen", "Kitchen"),
    ("outdoors", "Outdoors"),
    ("notes", "Notes"),
]
TAGS = [f"tag-{n:02d}" for n in range(30)]
WORDS = (
    "the a of and to in is it that was for on are with as by this be at from "
    "or an have not which but all were when we there can more if some out so "
    "what about into than them only other new time could these two may then "
    "first any well like also after most made over such through where much "
    "before right too means old same tell does set three want air play small "
    "end put home read hand port large spell add even land here must big high "
    "page cache query server request render template editor draft publish "
    "revision schedule reader writer garden bread river mountain coffee window "
    "letter morning evening station harbour lantern orchard meadow thread"
).split()


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 20))
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    text = " ".join(_sentence(rng) for _ in range(rng.randint(3, 5)))
    # Some inline Markdown so the renderer does real work.
    words = text.split(" ")
    for _ in range(2):
        i = rng.randrange(1, len(words) - 1)
        words[i] = rng.choice([f"**{words[i]}**", f"*{words[i]}*", f"`{words[i]}`"])
    return " ".join(words)


def _body(rng: random.Random) -> str:
    """4-7 paragraphs with an h2 after the second and a list, sometimes a quote."""
    paragraphs = [_paragraph(rng) for _ in range(rng.randint(4, 7))]
    heading = "## " + " ".join(rng.choices(WORDS, k=4)).capitalize()
    marker = rng.choice(["-", "1."])
    items = "\n".join(
        f"{marker} {' '.join(rng.choices(WORDS, k=rng.randint(3, 8)))}"
        for _ in range(rng.randint(3, 5))
    )
    blocks = [*paragraphs[:2], heading, *paragraphs[2:3], items, *paragraphs[3:]]
    if rng.random() < 0.3:
        blocks.insert(-1, "> " + _sentence(rng))
    return "\n\n".join(blocks) + "\n"


def seed() -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from emdash.accounts.tokens import create_token
    from emdash.content.services import collections, entries, menus, taxonomies
    from emdash.core import site_settings
    from emdash.core.actors import SYSTEM

    rng = random.Random(20261126)  # noqa: S311 -- the same site on every run
    now = timezone.now()
    slugs: list[str] = []
    with transaction.atomic():
        site_settings.update(
            SYSTEM, {"title": "Bench Blog", "tagline": "Measured, not guessed"}
        )
        collections.create_collection(
            SYSTEM,
            {
                "slug": "posts",
                "label": "Posts",
                "label_singular": "Post",
                "url_pattern": "/posts/{slug}/",
                "supports": ["drafts", "revisions", "scheduling", "search", "seo"],
                "fields": [
                    {
                        "slug": "title",
                        "type": "string",
                        "required": True,
                        "searchable": True,
                    },
                    {"slug": "excerpt", "type": "text", "searchable": True},
                    {"slug": "body", "type": "markdown", "searchable": True},
                    {"slug": "featured_image", "type": "image"},
                ],
            },
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
        taxonomies.create_taxonomy(
            SYSTEM, {"slug": "tag", "label": "Tags", "collections": ["posts"]}
        )
        for slug, name in CATEGORIES:
            taxonomies.create_term(SYSTEM, "category", {"slug": slug, "name": name})
        for n in range(POSTS):
            title = " ".join(rng.choices(WORDS, k=rng.randint(4, 8))).capitalize()
            entry = entries.create_entry(
                SYSTEM,
                "posts",
                {
                    "slug": f"post-{n:03d}",
                    "status": "published",
                    # Oldest first, a day apart, so the home page has an order.
                    "published_at": (now - timedelta(days=POSTS - n)).isoformat(),
                    "data": {
                        "title": title,
                        "excerpt": _sentence(rng),
                        "body": _body(rng),
                    },
                    "terms": {
                        "category": [rng.choice(CATEGORIES)[0]],
                        "tag": rng.sample(TAGS, rng.randint(3, 5)),
                    },
                },
            )
            slugs.append(entry.slug)
        menus.save_menu(
            SYSTEM,
            "primary",
            label="Primary",
            items=[
                {"label": "Home", "url": "/"},
                *({"label": name, "url": f"/category/{s}/"} for s, name in CATEGORIES),
            ],
        )
        token = create_token(SYSTEM, name="bench", scopes=["content:read"])
    return {
        "posts": len(slugs),
        # A post from the middle: it has both a newer and an older neighbour.
        "post_path": f"/posts/{slugs[len(slugs) // 2]}/",
        "token": token.plaintext,
    }


def count_queries(routes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Queries per request for each route, in steady state: ``uncached`` with the
    page cache off (EMDASH_PAGE_CACHE_SECONDS=0, which also stops caching the
    site snapshot), ``miss`` with the cache on but this page not stored yet,
    ``hit`` from the page cache. Each is counted on a repeated request, after a
    first one has warmed the per-process memos (content epoch, compiled
    templates), as under load."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from emdash.core import epoch

    # 127.0.0.1 is always an allowed host; the test client's "testserver" is not.
    client = Client(SERVER_NAME="127.0.0.1")

    def measure(path: str, headers: dict[str, str]) -> tuple[int, int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        return len(queries), len(response.content), response.status_code

    results: dict[str, dict[str, Any]] = {}
    for name, route in routes.items():
        path, headers = route["path"], route.get("headers", {})
        row: dict[str, Any] = {"path": path}
        with override_settings(PAGE_CACHE_SECONDS=0):
            cache.clear()
            measure(path, headers)
            row["uncached"], row["bytes"], _ = measure(path, headers)
        cache.clear()
        epoch.forget_memo()
        # Another URL, so the measured page is not stored yet.
        measure("/?warm=1", {})  # warms the epoch memo and the site snapshot
        row["miss"], _, _ = measure(path, headers)
        row["hit"], _, _ = measure(path, headers)
        results[name] = row
    return results


def main() -> None:
    django.setup()
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "seed":
        print(json.dumps(seed()))
    elif command == "queries":
        print(json.dumps(count_queries(json.loads(sys.stdin.read()))))
    else:
        raise SystemExit("usage: python -m benchmarks.fixture seed|queries")


if __name__ == "__main__":
    main()
