"""The public pages: home, entries at their URL patterns, 404s, SEO, the menu."""

import re

import pytest
from django.test import Client

from emdash.content.services import entries
from emdash.core import site_settings
from emdash.core.actors import SYSTEM
from emdash.site.rendering import render_page
from tests.factories import make_user
from tests.site.conftest import publish

pytestmark = pytest.mark.usefixtures("site")


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="summary__title"><a href="[^"]*">([^<]*)</a>', html)


def test_home_lists_live_posts_newest_first_with_date_excerpt_and_link(
    client: Client, editor
) -> None:
    publish(editor, "posts", "first", data={"excerpt": "The very first one."})
    publish(editor, "posts", "second", data={"body": "Words *from* the body."})
    draft = entries.create_entry(editor, "posts", {"data": {"title": "Draft"}})

    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert _titles(html) == ["Second", "First"]
    assert '<a href="/posts/first/">First</a>' in html
    assert '<p class="summary__excerpt">The very first one.</p>' in html
    assert '<p class="summary__excerpt">Words from the body.</p>' in html
    assert draft.title not in html
    assert html.count('<time datetime="') == 2
    assert "<title>EmDash</title>" in html


def test_home_paginates_by_the_posts_per_page_setting(client: Client, editor) -> None:
    site_settings.update(SYSTEM, {"posts_per_page": 2})
    for slug in ["one", "two", "three", "four", "five"]:
        publish(editor, "posts", slug)

    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()
    third = client.get("/?page=3").content.decode()

    assert _titles(first) == ["Five", "Four"]
    assert 'href="/?page=2">Older posts' in first
    assert "Newer posts" not in first
    assert _titles(second) == ["Three", "Two"]
    assert '<a rel="prev" href="/">' in second
    assert '<a rel="next" href="/?page=3">' in second
    assert _titles(third) == ["One"]
    assert "Older posts" not in third
    assert [client.get(f"/?page={p}").status_code for p in ["4", "0", "x", "-1"]] == [
        404,
        404,
        404,
        404,
    ]


def test_empty_home_says_nothing_is_published(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert "Nothing has been published yet." in response.content.decode()


def test_post_page_shows_title_date_author_body_and_terms(
    client: Client, editor
) -> None:
    publish(
        editor,
        "posts",
        "hello",
        data={"title": "Hello world", "body": "## Part one\n\nSome **bold** text."},
        terms={"category": ["guides"], "tag": ["intro", "news"]},
    )

    response = client.get("/posts/hello/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="entry__title">Hello world</h1>' in html
    assert '<span class="meta__author">by Ada Lovelace</span>' in html
    assert "<h2>Part one</h2>" in html
    assert "<strong>bold</strong>" in html
    assert re.search(
        r'<span class="entry__terms-label">Category:</span>\s*'
        r'<a class="term" href="/category/guides/">Guides</a>',
        html,
    )
    assert re.search(
        r'<span class="entry__terms-label">Tag:</span>\s*'
        r'<a class="term" href="/tag/intro/">intro</a>'
        r'<a class="term" href="/tag/news/">news</a>',
        html,
    )


def test_entry_page_seo_defaults_to_title_and_excerpt(client: Client, editor) -> None:
    publish(editor, "posts", "plain", data={"excerpt": "A short summary."})

    html = client.get("/posts/plain/").content.decode()

    assert "<title>Plain · EmDash</title>" in html
    assert '<meta name="description" content="A short summary.">' in html
    assert '<link rel="canonical" href="http://localhost:8000/posts/plain/">' in html
    assert '<meta property="og:title" content="Plain">' in html
    assert '<meta property="og:description" content="A short summary.">' in html
    assert (
        '<meta property="og:url" content="http://localhost:8000/posts/plain/">' in html
    )
    assert '<meta property="og:type" content="article">' in html
    assert 'name="robots"' not in html


def test_entry_page_seo_object_overrides_title_description_canonical_robots(
    client: Client, editor
) -> None:
    publish(
        editor,
        "posts",
        "tuned",
        data={"excerpt": "Not this."},
        seo={
            "title": "The <best> title",
            "description": "Chosen words.",
            "canonical": "https://elsewhere.example/original/",
            "image": "/media/cover.jpg",
            "noindex": True,
        },
    )

    html = client.get("/posts/tuned/").content.decode()

    assert "<title>The &lt;best&gt; title</title>" in html
    assert '<meta name="description" content="Chosen words.">' in html
    assert '<link rel="canonical" href="https://elsewhere.example/original/">' in html
    assert '<meta name="robots" content="noindex">' in html
    assert (
        '<meta property="og:image" content="http://localhost:8000/media/cover.jpg">'
        in (html)
    )
    assert "Not this." not in html


def test_pages_live_at_the_top_level_without_a_byline(client: Client, editor) -> None:
    publish(editor, "pages", "about", data={"title": "About us", "body": "We write."})

    html = client.get("/about/").content.decode()

    assert '<h1 class="entry__title">About us</h1>' in html
    assert "<p>We write.</p>" in html
    assert "meta__author" not in html


def test_a_top_level_pattern_does_not_swallow_longer_paths(
    client: Client, editor
) -> None:
    publish(editor, "posts", "hello", data={"title": "The post"})
    publish(editor, "pages", "posts", data={"title": "A page called posts"})

    assert "The post" in client.get("/posts/hello/").content.decode()
    assert "A page called posts" in client.get("/posts/").content.decode()
    assert client.get("/hello/").status_code == 404
    assert client.get("/posts/hello/extra/").status_code == 404


def test_a_path_without_its_trailing_slash_redirects(client: Client, editor) -> None:
    publish(editor, "posts", "hello")

    response = client.get("/posts/hello?ref=feed")

    assert response.status_code == 301
    assert response["Location"] == "/posts/hello/?ref=feed"
    assert client.get("/posts/hello/more").status_code == 404
    assert client.get("/posts/missing").status_code == 404


def test_unicode_slugs_resolve(client: Client, editor) -> None:
    publish(editor, "posts", "ça-va", data={"title": "Ça va"})

    response = client.get("/posts/%C3%A7a-va/")

    assert response.status_code == 200
    assert '<a href="/posts/ça-va/">Ça va</a>' in client.get("/").content.decode()


@pytest.mark.parametrize(
    "case", ["draft", "pending", "private", "trashed", "scheduled", "unknown"]
)
def test_anything_not_public_is_a_themed_404(client: Client, editor, case: str) -> None:
    values = {"data": {"title": "Hidden"}, "slug": "hidden"}
    if case == "draft":
        entries.create_entry(editor, "posts", values)
    elif case == "pending":
        entry = entries.create_entry(editor, "posts", values)
        entries.submit_entry(editor, "posts", entry.pk, version=entry.version)
    elif case == "private":
        publish(editor, "posts", "hidden", visibility="private")
    elif case == "trashed":
        entry = publish(editor, "posts", "hidden")
        entries.trash_entry(editor, "posts", entry.pk, version=entry.version)
    elif case == "scheduled":
        entries.create_entry(
            editor,
            "posts",
            {**values, "status": "scheduled", "scheduled_at": "2999-01-01T00:00:00Z"},
        )

    response = client.get("/posts/hidden/")
    home = client.get("/").content.decode()

    html = response.content.decode()
    assert response.status_code == 404
    assert '<h1 class="entry__title">Nothing here</h1>' in html
    assert '<a class="site-title" href="/">EmDash</a>' in html
    assert '<meta name="robots" content="noindex">' in html
    assert "Hidden" not in html
    assert "Hidden" not in home


def test_an_unknown_deep_path_is_a_404(client: Client) -> None:
    response = client.get("/no/such/thing")

    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()


def test_a_draft_edit_of_a_published_post_stays_invisible(
    client: Client, editor
) -> None:
    entry = publish(editor, "posts", "live", data={"title": "Live title"})
    entries.update_entry(
        editor,
        "posts",
        entry.pk,
        {"data": {"title": "Unpublished edit"}, "version": entry.version},
    )

    html = client.get("/posts/live/").content.decode()

    assert '<h1 class="entry__title">Live title</h1>' in html
    assert "Unpublished edit" not in html


def test_header_shows_settings_and_the_nested_primary_menu(client: Client) -> None:
    site_settings.update(SYSTEM, {"title": "Field Notes", "tagline": "Birds & bread"})

    html = client.get("/").content.decode()

    assert '<a class="site-title" href="/">Field Notes</a>' in html
    assert '<p class="site-tagline">Birds &amp; bread</p>' in html
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', nav) == [
        ("/", "Home"),
        ("/posts/first/", "Guides"),
        ("/about/", "About us"),
    ]
    assert '<a href="/" aria-current="page">Home</a>' in nav
    assert nav.count("<ul>") == 2


def test_a_menu_link_to_an_entry_that_is_not_public_is_left_out(
    client: Client, editor
) -> None:
    draft = entries.create_entry(editor, "pages", {"data": {"title": "Soon"}})
    from emdash.content.services import menus

    menus.save_menu(
        SYSTEM,
        "primary",
        items=[{"label": "Home", "url": "/"}, {"label": "Soon", "entry": draft.pk}],
    )

    nav = client.get("/").content.decode().split('<nav class="site-nav"')[1]

    assert "Soon" not in nav
    assert '<a href="/" aria-current="page">Home</a>' in nav


def test_pages_have_a_csp_and_no_inline_script_or_style(client: Client, editor) -> None:
    publish(editor, "posts", "hello", data={"body": "Text"})

    for path in ["/", "/posts/hello/", "/missing/"]:
        response = client.get(path)
        html = response.content.decode()
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "<script" not in html
        assert "<style" not in html
        assert " style=" not in html
        assert '<link rel="stylesheet" href="/static/themes/default/site.css">' in html


def test_render_page_refuses_orm_objects(rf) -> None:
    user = make_user("author")

    with pytest.raises(TypeError, match=r"context\.rows\[0\] is a User; pass plain"):
        render_page(rf.get("/"), "404.html", {"rows": [user]})


def test_the_theme_stylesheet_is_served(client) -> None:
    response = client.get("/static/themes/default/site.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
