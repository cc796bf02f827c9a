"""The default theme's demo content, applied through the seed loader, makes a
complete site: every entry renders and the home page lists the posts."""

import json
import re
from typing import Any

import pytest
from django.test import Client

from emdash.content.seed import apply_seed, demo_seed_path
from emdash.content.services import collections
from emdash.core.actors import SYSTEM

POST_SLUGS_NEWEST_FIRST = [
    "why-we-keep-pages-fast",
    "small-tools-sharp-edges",
    "birding-along-the-river",
    "a-week-of-sourdough",
    "scheduling-without-cron",
    "writing-in-markdown",
    "welcome-to-emdash",
]


def _seed() -> dict[str, Any]:
    return json.loads(demo_seed_path().read_text(encoding="utf-8"))


def _listed(html: str) -> list[str]:
    return re.findall(r'<h2 class="summary__title"><a href="/posts/([^/]+)/">', html)


@pytest.mark.django_db
def test_the_demo_posts_collection_has_the_contracted_fields() -> None:
    apply_seed(_seed())

    posts = collections.get_collection(SYSTEM, "posts")

    assert posts.url_pattern == "/posts/{slug}/"
    assert posts.supports == ["drafts", "revisions", "scheduling", "search", "seo"]
    assert [(f.slug, f.type, f.required, f.searchable) for f in posts.fields.all()] == [
        ("title", "string", True, True),
        ("excerpt", "text", False, True),
        ("body", "markdown", False, True),
        ("featured_image", "image", False, False),
    ]
    assert collections.get_collection(SYSTEM, "pages").url_pattern == "/{slug}/"


@pytest.mark.django_db
def test_the_demo_site_lists_its_posts_and_renders_every_entry(client: Client) -> None:
    apply_seed(_seed())

    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()

    assert _listed(first) + _listed(second) == POST_SLUGS_NEWEST_FIRST
    assert '<p class="site-tagline">Notes on writing, publishing' in first
    nav = first[first.index('<nav class="site-nav"') : first.index("</nav>")]
    assert re.findall(r'<a href="[^"]*"[^>]*>([^<]*)</a>', nav) == [
        "Home",
        "About",
        "Guides",
        "Writing in Markdown",
        "Scheduling without cron",
        "Colophon",
    ]
    for path in [f"/posts/{slug}/" for slug in POST_SLUGS_NEWEST_FIRST] + [
        "/about/",
        "/colophon/",
    ]:
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 200, path
        assert '<div class="prose">' in html
        # A directive the renderer did not understand shows as its source.
        assert 'class="directive-source"' not in html, path


@pytest.mark.django_db
def test_the_markdown_guide_shows_every_construct_it_describes(client: Client) -> None:
    apply_seed(_seed())

    html = client.get("/posts/writing-in-markdown/").content.decode()

    assert "<title>Markdown in EmDash: a complete tour</title>" in html
    assert '<aside class="callout callout-warning">' in html
    assert "<table>" in html
    assert '<pre><code class="language-python">' in html
    assert "<blockquote>" in html
    assert '<section class="footnotes">' in html
    assert '<ul class="contains-task-list">' in html
    assert "<s>strikethrough</s>" in html
    assert re.search(
        r'<span class="entry__terms-label">Category:</span>\s*'
        r'<a class="term" href="/category/writing/">Writing</a>',
        html,
    )
