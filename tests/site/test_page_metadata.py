"""The ``page:metadata`` hook on the public site: real WAT plugins add meta tags,
links and JSON-LD to the ``<head>`` of pages, merged in priority order, checked,
escaped, and kept out of stale cached pages."""

import json
import re
from typing import Any

import pytest
from django.test import Client

from emdash.core.actors import SYSTEM
from emdash.plugins import services
from tests.plugins.fixtures import install, logs_of
from tests.plugins.sandbox.wat import (
    CONSTANTS_AT,
    DEEP_RECURSION,
    INFINITE_LOOP,
    UNCHANGED,
    answering,
    data,
    plugin,
)
from tests.site.conftest import publish

pytestmark = pytest.mark.usefixtures("site")

HOOK = "page:metadata"
BODY = "The hidden recipe."

_JSONLD_PREFIX = '{"ok":{"jsonld":'
# Answers {"ok": {"jsonld": <its whole input>}}: the page then carries, in a
# JSON-LD script, exactly what the plugin was given.
ECHO_AS_JSONLD = plugin(
    f"""
    (local.set $n (i32.add (local.get $il) (i32.const {len(_JSONLD_PREFIX) + 2})))
    (local.set $out (call $alloc (local.get $n)))
    (memory.copy (local.get $out) (i32.const {CONSTANTS_AT})
                 (i32.const {len(_JSONLD_PREFIX)}))
    (memory.copy (i32.add (local.get $out) (i32.const {len(_JSONLD_PREFIX)}))
                 (local.get $ip) (local.get $il))
    (i32.store16 (i32.sub (i32.add (local.get $out) (local.get $n)) (i32.const 2))
                 (i32.const 0x7d7d))
    (call $pack (local.get $out) (local.get $n))
    """,
    locals_="(local $n i32) (local $out i32)",
    extra=f"(data (i32.const {CONSTANTS_AT}) {data(_JSONLD_PREFIX)})",
)


def contributing(answer: Any) -> bytes:
    """A plugin that answers ``{"ok": answer}``."""
    return answering(json.dumps({"ok": answer}))


def add(plugin_id: str, wasm: bytes, *, priority: int = 100, **options: Any) -> None:
    install(plugin_id, wasm, hooks={HOOK: {"priority": priority}}, **options)


def head(response: Any) -> str:
    return response.content.decode().split("</head>")[0]


def jsonld_of(response: Any) -> list[Any]:
    scripts = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', head(response)
    )
    return [json.loads(script) for script in scripts]


SOCIAL = {
    "meta": [
        {"name": "twitter:card", "content": "summary"},
        {"property": "og:locale", "content": "en_GB"},
    ],
    "link": [
        {"rel": "author", "href": "/about/"},
        {
            "rel": "alternate",
            "href": "https://example.com/fr/",
            "hreflang": "fr",
            "type": "text/html",
            "title": "En français",
        },
    ],
    "jsonld": {"@context": "https://schema.org", "@type": "WebSite", "name": "Ada"},
}
SOCIAL_TAGS = [
    '<meta name="twitter:card" content="summary">',
    '<meta property="og:locale" content="en_GB">',
    '<link rel="author" href="http://localhost:8000/about/">',
    '<link rel="alternate" href="https://example.com/fr/" hreflang="fr" '
    'type="text/html" title="En français">',
    '<script type="application/ld+json">{"@context":"https://schema.org",'
    '"@type":"WebSite","name":"Ada"}</script>',
]


def _head_lines(response: Any) -> list[str]:
    return [line.strip() for line in head(response).splitlines() if line.strip()]


def test_a_plugin_adds_meta_tags_links_and_json_ld_to_the_home_page(
    client: Client,
) -> None:
    add("social", contributing(SOCIAL))

    response = client.get("/")

    lines = _head_lines(response)
    assert response.status_code == 200
    # After the theme's own tags, before the stylesheet.
    theme_last = lines.index(
        '<meta property="og:url" content="http://localhost:8000/">'
    )
    assert lines[theme_last + 1 : theme_last + 6] == SOCIAL_TAGS
    assert 'rel="stylesheet"' in lines[theme_last + 6]
    assert logs_of("social") == []


def test_an_entry_page_gets_the_plugin_tags_beside_its_own(
    client: Client, editor
) -> None:
    publish(editor, "posts", "hello", data={"excerpt": "Hi there."})
    add("social", contributing(SOCIAL))

    lines = _head_lines(client.get("/posts/hello/"))

    assert '<meta name="description" content="Hi there.">' in lines
    assert '<meta property="og:type" content="article">' in lines
    start = lines.index(SOCIAL_TAGS[0])
    assert lines[start : start + 5] == SOCIAL_TAGS
    assert lines.index('<meta property="og:site_name" content="EmDash">') < start


def test_an_entry_page_hands_plugins_its_public_data(client: Client, editor) -> None:
    entry = publish(
        editor,
        "posts",
        "hello",
        data={"title": "Hello", "excerpt": "Hi there.", "body": "Some *words*."},
        seo={"image": "/media/cover.jpg"},
        terms={"tag": ["intro"]},
    )
    entry.refresh_from_db()
    add("echo", ECHO_AS_JSONLD, values={})

    [given] = jsonld_of(client.get("/posts/hello/"))

    assert given == {
        "hook": HOOK,
        "page": {
            "kind": "entry",
            "path": "/posts/hello/",
            "url": "http://localhost:8000/posts/hello/",
            "canonical": "http://localhost:8000/posts/hello/",
            "title": "Hello",
            "description": "Hi there.",
            "number": 1,
            "entry": {
                "id": entry.pk,
                "collection": "posts",
                "slug": "hello",
                "title": "Hello",
                "url": "http://localhost:8000/posts/hello/",
                "path": "/posts/hello/",
                "seo": {"image": "/media/cover.jpg"},
                "published_at": entry.published_at.isoformat(),
                "updated_at": entry.updated_at.isoformat(),
                "author_name": "Ada Lovelace",
                "visibility": "public",
                "terms": {"tag": [{"slug": "intro", "name": "intro"}]},
                "data": {
                    "title": "Hello",
                    "excerpt": "Hi there.",
                    "body": "Some *words*.",
                },
            },
            "term": None,
        },
        "site": {
            "title": "EmDash",
            "tagline": "",
            "url": "http://localhost:8000",
            "language": "en",
        },
        "settings": {},
    }


def test_home_and_archive_pages_say_what_they_are(client: Client, editor) -> None:
    publish(editor, "posts", "filed", terms={"category": ["guides"]})
    add("echo", ECHO_AS_JSONLD)

    home = jsonld_of(client.get("/?page=1"))[0]["page"]
    archive = jsonld_of(client.get("/category/guides/"))[0]["page"]
    missing = client.get("/nowhere/")

    assert home == {
        "kind": "home",
        "path": "/",
        "url": "http://localhost:8000/",
        "canonical": "http://localhost:8000/",
        "title": "EmDash",
        "description": "",
        "number": 1,
        "entry": None,
        "term": None,
    }
    assert archive == {
        "kind": "archive",
        "path": "/category/guides/",
        "url": "http://localhost:8000/category/guides/",
        "canonical": "http://localhost:8000/category/guides/",
        "title": "Guides",
        "description": "",
        "number": 1,
        "entry": None,
        "term": {
            "taxonomy": "category",
            "taxonomy_label": "Categories",
            "slug": "guides",
            "name": "Guides",
            "description": "",
        },
    }
    # 404s are rendered for every made-up path: they never call plugins.
    assert missing.status_code == 404
    assert jsonld_of(missing) == []
    assert logs_of("echo") == []


def test_a_later_page_of_the_home_page_has_its_number_in_url_and_canonical(
    client: Client, editor
) -> None:
    from emdash.core import site_settings

    site_settings.update(SYSTEM, {"posts_per_page": 1})
    publish(editor, "posts", "one")
    publish(editor, "posts", "two")
    add("echo", ECHO_AS_JSONLD)

    page = jsonld_of(client.get("/?page=2"))[0]["page"]

    assert (page["number"], page["url"], page["canonical"]) == (
        2,
        "http://localhost:8000/?page=2",
        "http://localhost:8000/?page=2",
    )


@pytest.fixture
def secret(site: None, editor) -> None:
    publish(
        editor,
        "posts",
        "secret",
        data={"title": "Secret", "excerpt": "Spoiler excerpt", "body": BODY},
        seo={"description": "A locked post."},
        visibility="password",
        password="open sesame",
    )


@pytest.mark.usefixtures("secret")
def test_a_password_entry_never_hands_its_fields_to_plugins(client: Client) -> None:
    add("echo", ECHO_AS_JSONLD)

    locked = client.get("/posts/secret/")
    unlocked = client.post("/posts/secret/", {"password": "open sesame"})

    assert BODY in unlocked.content.decode()
    for response in [locked, unlocked]:
        [given] = jsonld_of(response)
        entry = given["page"]["entry"]
        assert given["page"]["description"] == "A locked post."
        assert entry["visibility"] == "password"
        assert "data" not in entry
        assert BODY not in head(response)
        assert "Spoiler excerpt" not in json.dumps(given)
        assert response["Cache-Control"] == "private, no-store"


def test_plugins_merge_in_priority_order_the_first_tag_of_a_name_wins(
    client: Client,
) -> None:
    # Installed first, runs second.
    add(
        "later",
        contributing(
            {
                "meta": [
                    {"name": "twitter:site", "content": "@later"},
                    {"name": "twitter:creator", "content": "@later"},
                    {"property": "OG:LOCALE", "content": "fr_FR"},
                ],
                "link": [
                    {"rel": "license", "href": "/license/", "title": "Later"},
                    {"rel": "me", "href": "https://later.example/"},
                ],
                "jsonld": [{"@type": "Person"}, {"@type": "Organization"}],
            }
        ),
        priority=20,
    )
    add(
        "earlier",
        contributing(
            {
                "meta": [
                    {"name": "Twitter:Site", "content": "@earlier"},
                    {"property": "og:locale", "content": "en_GB"},
                ],
                "link": [{"rel": "license", "href": "/license/", "title": "Earlier"}],
                "jsonld": {"@type": "Person"},
            }
        ),
        priority=10,
    )

    lines = _head_lines(client.get("/"))
    start = lines.index('<meta name="Twitter:Site" content="@earlier">')

    assert lines[start : start + 7] == [
        '<meta name="Twitter:Site" content="@earlier">',
        '<meta property="og:locale" content="en_GB">',
        '<meta name="twitter:creator" content="@later">',
        '<link rel="license" href="http://localhost:8000/license/" title="Earlier">',
        '<link rel="me" href="https://later.example/">',
        '<script type="application/ld+json">{"@type":"Person"}</script>',
        '<script type="application/ld+json">{"@type":"Organization"}</script>',
    ]
    assert "@later" not in "".join(lines[:start] + lines[start + 3 :])


def test_a_plugin_answering_junk_fails_alone_and_is_logged(client: Client) -> None:
    add("social", contributing(SOCIAL))
    add(
        "junk",
        contributing(
            {"meta": [{"name": "x", "content": "y", "http-equiv": "refresh"}]}
        ),
        priority=1,
    )
    add("owner", contributing({"meta": [{"name": "description", "content": "Mine"}]}))

    response = client.get("/")

    lines = _head_lines(response)
    assert response.status_code == 200
    start = lines.index(SOCIAL_TAGS[0])
    assert lines[start : start + 5] == SOCIAL_TAGS
    assert 'content="y"' not in head(response)
    assert 'content="Mine"' not in head(response)
    assert logs_of("junk") == [
        (
            "error",
            HOOK,
            f"failed in {HOOK} (bad_output): meta[0] has an unknown key "
            "'http-equiv' (it may have name, property, content)",
            {"reason": "bad_output", "on_error": "continue"},
        )
    ]
    assert logs_of("owner") == [
        (
            "error",
            HOOK,
            f"failed in {HOOK} (bad_output): meta[0].name 'description' belongs to "
            "the page; plugins may not set it",
            {"reason": "bad_output", "on_error": "continue"},
        )
    ]
    assert logs_of("social") == []


@pytest.mark.parametrize(
    ("wasm", "reason"),
    [(INFINITE_LOOP, "fuel"), (DEEP_RECURSION, "stack")],
    ids=["loops", "traps"],
)
def test_a_plugin_that_loops_or_traps_leaves_the_page_standing(
    client: Client, editor, wasm: bytes, reason: str
) -> None:
    publish(editor, "posts", "hello")
    add("broken", wasm, priority=1)
    add("social", contributing(SOCIAL))

    response = client.get("/posts/hello/")

    assert response.status_code == 200
    assert '<h1 class="entry__title">Hello</h1>' in response.content.decode()
    assert set(SOCIAL_TAGS) <= set(_head_lines(response))
    [(level, hook, message, details)] = logs_of("broken")
    assert (level, hook, details) == (
        "error",
        HOOK,
        {"reason": reason, "on_error": "continue"},
    )
    assert message.startswith(f"failed in {HOOK} ({reason}): ")


def test_plugin_text_is_escaped_and_json_ld_cannot_end_its_script(
    client: Client,
) -> None:
    sneaky = 'Q&A "quoted" <b>bold</b> </script><script>alert(1)</script>'
    add(
        "sneaky",
        contributing(
            {
                "meta": [{"name": "twitter:title", "content": sneaky}],
                "link": [{"rel": "author", "href": "/a/", "title": sneaky}],
                "jsonld": {"name": sneaky, "comment": "<!-- x --> \u2028\u2029"},
            }
        ),
    )

    response = client.get("/")

    html = head(response)
    escaped = (
        "Q&amp;A &quot;quoted&quot; &lt;b&gt;bold&lt;/b&gt; "
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    assert f'<meta name="twitter:title" content="{escaped}">' in html
    assert f'title="{escaped}">' in html
    assert html.count("<script") == 1
    assert html.count("</script>") == 1
    assert (
        '<script type="application/ld+json">{"name":"Q\\u0026A \\"quoted\\" '
        "\\u003cb\\u003ebold\\u003c/b\\u003e \\u003c/script\\u003e\\u003cscript"
        '\\u003ealert(1)\\u003c/script\\u003e","comment":"\\u003c!-- x --\\u003e '
        '\\u2028\\u2029"}</script>'
    ) in html
    assert jsonld_of(response) == [
        {"name": sneaky, "comment": "<!-- x --> \u2028\u2029"}
    ]


def test_a_disabled_plugin_contributes_nothing(client: Client) -> None:
    add("social", contributing(SOCIAL), enabled=False)

    response = client.get("/")

    assert not set(SOCIAL_TAGS) & set(_head_lines(response))
    assert logs_of("social") == []


def test_a_plugin_answering_no_change_adds_nothing(client: Client) -> None:
    add("quiet", UNCHANGED)

    lines = _head_lines(client.get("/"))

    assert "application/ld+json" not in "".join(lines)
    assert lines[-3:] == [
        '<meta property="og:url" content="http://localhost:8000/">',
        '<link rel="stylesheet" href="/static/themes/default/site.css">',
        '<link rel="alternate" type="application/rss+xml" title="EmDash" '
        'href="/feed.xml">',
    ]


def test_plugins_without_the_hook_cost_pages_nothing(
    client: Client, editor, django_assert_num_queries
) -> None:
    publish(editor, "posts", "hello")
    install("saver", UNCHANGED, hooks=["content:afterSave"])
    client.get("/posts/hello/")

    # As with no plugin at all (tests/site/test_cache.py): the two epochs, the
    # latest posts, and the plugins epoch again for the registry.
    with django_assert_num_queries(4):
        response = client.get("/?page=1")

    assert response["X-EmDash-Cache"] == "miss"
    assert "application/ld+json" not in head(response)
    assert logs_of("saver") == []


@pytest.mark.usefixtures("page_cache")
def test_enabling_a_plugin_retires_pages_cached_before(client: Client) -> None:
    add("social", contributing(SOCIAL), enabled=False)
    before = client.get("/")
    assert client.get("/")["X-EmDash-Cache"] == "hit"

    services.enable(SYSTEM, "social")
    enabled = client.get("/")
    services.disable(SYSTEM, "social")
    disabled = client.get("/")

    assert before["X-EmDash-Cache"] == "miss"
    assert (enabled["X-EmDash-Cache"], disabled["X-EmDash-Cache"]) == ("miss", "miss")
    assert len({before["ETag"], enabled["ETag"], disabled["ETag"]}) == 3
    assert set(SOCIAL_TAGS) <= set(_head_lines(enabled))
    assert not set(SOCIAL_TAGS) & set(_head_lines(disabled))
    assert client.get("/", headers={"if-none-match": before["ETag"]}).status_code == 200


@pytest.mark.usefixtures("page_cache")
def test_changing_a_plugins_settings_retires_cached_pages(client: Client) -> None:
    add(
        "echo",
        ECHO_AS_JSONLD,
        settings={"handle": {"type": "string", "label": "Handle"}},
        values={"handle": "@old"},
    )
    assert jsonld_of(client.get("/"))[0]["settings"] == {"handle": "@old"}
    assert client.get("/")["X-EmDash-Cache"] == "hit"

    services.update_settings(SYSTEM, "echo", {"handle": "@new"})
    after = client.get("/")

    assert after["X-EmDash-Cache"] == "miss"
    assert jsonld_of(after)[0]["settings"] == {"handle": "@new"}
