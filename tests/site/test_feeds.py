"""The RSS feed, the sitemap and robots.txt hold live public content only."""

import xml.etree.ElementTree as ET  # our own output, not untrusted XML
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from emdash.content.services import entries
from tests.site.conftest import publish

pytestmark = pytest.mark.usefixtures("site")

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_the_feed_lists_live_posts_newest_first(client: Client, editor) -> None:
    publish(
        editor,
        "posts",
        "older",
        published_at=(timezone.now() - timedelta(days=2)).isoformat(),
    )
    publish(editor, "posts", "newer", data={"excerpt": "Fresh <news> & more"})
    publish(editor, "posts", "secret", visibility="private")
    publish(editor, "posts", "locked", visibility="password", password="pw")
    entries.create_entry(editor, "posts", {"slug": "draft", "data": {"title": "D"}})

    response = client.get("/feed.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(response.content).find("channel")  # noqa: S314
    items = channel.findall("item")
    assert [i.findtext("link") for i in items] == [
        "http://localhost:8000/posts/locked/",
        "http://localhost:8000/posts/newer/",
        "http://localhost:8000/posts/older/",
    ]
    assert items[0].findtext("description") == ""
    assert items[1].findtext("description") == "Fresh <news> & more"


def test_the_sitemap_skips_noindex_private_and_unpublished(
    client: Client, editor
) -> None:
    publish(editor, "posts", "shown")
    publish(editor, "posts", "hidden", seo={"noindex": True})
    publish(editor, "posts", "secret", visibility="private")
    entries.create_entry(editor, "posts", {"slug": "draft", "data": {"title": "D"}})

    response = client.get("/sitemap.xml")

    tree = ET.fromstring(response.content)  # noqa: S314
    locations = [loc.text for loc in tree.iter(f"{SITEMAP}loc")]
    assert locations == [
        "http://localhost:8000/",
        "http://localhost:8000/posts/shown/",
    ]


def test_robots_points_at_the_sitemap_and_keeps_crawlers_out_of_the_api(
    client: Client,
) -> None:
    response = client.get("/robots.txt")

    assert response.content.decode() == (
        "User-agent: *\nDisallow: /_emdash/\n"
        "Sitemap: http://localhost:8000/sitemap.xml\n"
    )


def test_pages_announce_the_feed(client: Client, editor) -> None:
    publish(editor, "posts", "hello")

    html = client.get("/posts/hello/").content.decode()

    assert 'type="application/rss+xml"' in html
    assert 'href="/feed.xml"' in html
