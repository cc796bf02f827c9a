"""The page cache and HTTP caching headers, on locmem and on Redis."""

import re

import pytest
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client

from emdash.content.services import entries
from emdash.core import epoch, site_settings
from emdash.core.actors import SYSTEM
from emdash.site import cache as site_cache
from tests.site.conftest import publish

pytestmark = pytest.mark.usefixtures("site", "page_cache")

PUBLIC_300 = "public, max-age=300, s-maxage=300"


def test_a_second_anonymous_get_is_served_from_the_cache(
    client: Client, editor
) -> None:
    publish(editor, "posts", "hello", data={"title": "Hello"})

    first = client.get("/posts/hello/")
    second = client.get("/posts/hello/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert (first["X-EmDash-Cache"], second["X-EmDash-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert first["Cache-Control"] == PUBLIC_300
    assert second["Cache-Control"] in {
        PUBLIC_300,
        "public, max-age=299, s-maxage=299",
    }
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == "text/html; charset=utf-8"


def test_query_counts_of_the_anonymous_post_page(
    client: Client, editor, django_assert_num_queries
) -> None:
    publish(editor, "posts", "hello", terms={"tag": ["intro"]})
    publish(editor, "posts", "other")

    # Nothing memoised: the content and plugins epochs, settings, menu items,
    # collections, entry, terms, and the plugins epoch again for the plugin
    # registry (page:metadata; no plugin handles it, so no more).
    with django_assert_num_queries(8):
        assert client.get("/posts/hello/")["X-EmDash-Cache"] == "miss"
    # Cached: the two epoch reads alone (memoised per process outside tests).
    with django_assert_num_queries(2):
        assert client.get("/posts/hello/")["X-EmDash-Cache"] == "hit"
    # Another page in the same epoch reuses settings, menu and routes.
    with django_assert_num_queries(5):
        assert client.get("/posts/other/")["X-EmDash-Cache"] == "miss"


def test_query_counts_of_the_home_page(
    client: Client, editor, django_assert_num_queries
) -> None:
    for slug in ["one", "two", "three"]:
        publish(editor, "posts", slug)

    # Epochs, settings, menu items, collections, latest posts, plugins epoch.
    with django_assert_num_queries(7):
        client.get("/")
    with django_assert_num_queries(2):
        client.get("/")
    with django_assert_num_queries(4):
        client.get("/?page=1")


def test_a_write_invalidates_every_cached_page(client: Client, editor) -> None:
    entry = publish(editor, "posts", "hello", data={"title": "Before"})
    client.get("/")
    client.get("/posts/hello/")

    entries.update_entry(
        editor,
        "posts",
        entry.pk,
        {"data": {"title": "After"}, "version": entry.version},
    )
    entries.publish_entry(editor, "posts", entry.pk)

    home = client.get("/")
    post = client.get("/posts/hello/")
    assert (home["X-EmDash-Cache"], post["X-EmDash-Cache"]) == ("miss", "miss")
    assert '<a href="/posts/hello/">After</a>' in home.content.decode()
    assert '<h1 class="entry__title">After</h1>' in post.content.decode()


def test_a_settings_change_shows_on_the_next_request(client: Client) -> None:
    client.get("/")

    site_settings.update(SYSTEM, {"title": "Renamed"})

    assert (
        '<a class="site-title" href="/">Renamed</a>' in client.get("/").content.decode()
    )


def test_if_none_match_gets_a_304_until_the_content_changes(
    client: Client, editor, django_assert_num_queries
) -> None:
    entry = publish(editor, "posts", "hello")
    etag = client.get("/posts/hello/")["ETag"]

    with django_assert_num_queries(2):
        not_modified = client.get("/posts/hello/", headers={"if-none-match": etag})
    entries.unpublish_entry(editor, "posts", entry.pk)
    gone = client.get("/posts/hello/", headers={"if-none-match": etag})

    assert re.fullmatch(r'"\d+-\d+-[0-9a-f]{32}"', etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert not_modified["Cache-Control"] == PUBLIC_300
    assert gone.status_code == 404
    assert client.get("/", headers={"if-none-match": etag}).status_code == 200


def test_404s_carry_public_headers_but_are_not_stored(client: Client) -> None:
    first = client.get("/nothing/")
    second = client.get("/nothing/")

    assert (first.status_code, second.status_code) == (404, 404)
    assert first["Cache-Control"] == PUBLIC_300
    assert "X-EmDash-Cache" not in second
    assert "ETag" not in second


@pytest.mark.parametrize(
    "credentials",
    [{"cookie": "sessionid"}, {"header": "Bearer ec_pat_x"}],
    ids=["session-cookie", "authorization"],
)
def test_signed_in_requests_bypass_the_cache(
    client: Client, editor, credentials, django_assert_num_queries
) -> None:
    publish(editor, "posts", "hello")
    client.get("/posts/hello/")
    headers = {}
    if "cookie" in credentials:
        client.cookies["sessionid"] = "not-a-real-session"
    else:
        headers["authorization"] = credentials["header"]

    response = client.get("/posts/hello/", headers=headers)

    assert response.status_code == 200
    assert "X-EmDash-Cache" not in response
    assert "ETag" not in response
    assert response["Cache-Control"] == "private, no-cache"


def test_the_cache_key_includes_the_query_string(client: Client, editor) -> None:
    site_settings.update(SYSTEM, {"posts_per_page": 1})
    publish(editor, "posts", "older")
    publish(editor, "posts", "newer")

    first = client.get("/")
    second = client.get("/?page=2")

    assert second["X-EmDash-Cache"] == "miss"
    assert first["ETag"] != second["ETag"]
    assert '<a href="/posts/older/">Older</a>' in second.content.decode()
    assert '<a href="/posts/older/">Older</a>' not in first.content.decode()


def test_password_pages_never_enter_the_cache(client: Client, editor) -> None:
    publish(
        editor,
        "posts",
        "secret",
        data={"body": "The hidden recipe."},
        visibility="password",
        password="open sesame",
    )

    locked = [client.get("/posts/secret/") for _ in range(2)]
    unlocked = client.post("/posts/secret/", {"password": "open sesame"})
    after = client.get("/posts/secret/")

    for response in [*locked, unlocked, after]:
        assert response["Cache-Control"] == "private, no-store"
        assert "X-EmDash-Cache" not in response
        assert "ETag" not in response
    assert "The hidden recipe." in unlocked.content.decode()
    assert "The hidden recipe." not in after.content.decode()


@pytest.mark.parametrize("leaves", ["csrf-token", "cookie"])
def test_a_response_made_for_one_visitor_is_not_stored(rf, leaves: str) -> None:
    request = rf.get("/form/")
    builds: list[str] = []

    def build() -> HttpResponse:
        builds.append(leaves)
        response = HttpResponse("<form></form>")
        if leaves == "csrf-token":
            get_token(request)
        else:
            response.set_cookie("seen", "1")
        return response

    state = epoch.current()
    first = site_cache.serve(request, state, build)
    second = site_cache.serve(request, state, build)

    assert builds == [leaves, leaves]
    assert "X-EmDash-Cache" not in second
    assert "ETag" not in first


@pytest.mark.usefixtures("page_cache")
def test_a_hit_answered_before_sessions_still_carries_the_security_headers(
    client: Client, editor
) -> None:
    publish(editor, "posts", "hello")
    client.get("/posts/hello/")

    hit = client.get("/posts/hello/")

    assert hit["X-EmDash-Cache"] == "hit"
    assert hit["Content-Security-Policy"].startswith("default-src 'self'")
    assert hit["X-Frame-Options"] == "DENY"
    assert hit["X-Content-Type-Options"] == "nosniff"
    assert not hit.cookies
