"""Machine-readable views of the live site: the RSS feed, the sitemap and
robots.txt. Each goes through the page cache like any page."""

from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.feedgenerator import Rss201rev2Feed

from emdash.content.queries import public_latest, public_sitemap
from emdash.core import epoch
from emdash.site import cache
from emdash.site.snapshot import site_snapshot
from emdash.site.templatetags.emdash_site import absolute, excerpt

FEED_ITEMS = 20


def feed(request: HttpRequest) -> HttpResponse:
    """``/feed.xml``: the newest live entries of the home collection, RSS 2.0."""
    state = cache.request_state(request)
    return cache.serve(request, state, lambda: _feed(state))


def _feed(state: epoch.EpochState) -> HttpResponse:
    site = site_snapshot(state).settings
    rss = Rss201rev2Feed(
        title=site["title"],
        link=absolute("/"),
        description=site["tagline"] or site["title"],
        language=site["language"],
        feed_url=absolute("/feed.xml"),
    )
    for entry in public_latest(site["home_collection"], limit=FEED_ITEMS):
        # Password-protected entries are announced, never quoted.
        summary = "" if entry.visibility == "password" else excerpt(entry)
        rss.add_item(
            title=entry.title,
            link=absolute(entry.url),
            description=summary,
            unique_id=absolute(entry.url),
            pubdate=entry.published_at,
            updateddate=entry.updated_at,
            author_name=entry.author_name or None,
        )
    response = HttpResponse(content_type="application/rss+xml; charset=utf-8")
    rss.write(response, "utf-8")
    return response


def sitemap(request: HttpRequest) -> HttpResponse:
    """``/sitemap.xml``: every live, public, indexable entry."""
    state = cache.request_state(request)
    return cache.serve(request, state, _sitemap)


def _sitemap() -> HttpResponse:
    urls = "".join(
        f"<url><loc>{escape(absolute(url))}</loc>"
        f"<lastmod>{updated.date().isoformat()}</lastmod></url>"
        for url, updated in public_sitemap()
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{escape(absolute('/'))}</loc></url>{urls}</urlset>"
    )
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


def robots(request: HttpRequest) -> HttpResponse:
    """``/robots.txt``: everything but the API and admin, and where the sitemap is."""
    body = (
        "User-agent: *\n"
        "Disallow: /_emdash/\n"
        f"Sitemap: {settings.SITE_URL}/sitemap.xml\n"
    )
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
