"""Checking and merging ``page:metadata`` answers, and serialising JSON-LD for a
script element; tests/site/test_page_metadata.py runs real plugins on pages."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from emdash.content.queries import PublicEntry
from emdash.plugins.page_metadata import (
    MAX_CONTENT_CHARS,
    MAX_JSONLD,
    MAX_JSONLD_CHARS,
    MAX_LINKS,
    MAX_META,
    HeadMetadata,
    LinkTag,
    MetaTag,
    Page,
    hook_input,
    merge,
    parse_answer,
    script_json,
)
from emdash.plugins.runtime import BadAnswer

RELS = (
    "alternate, author, help, license, me, nlweb, pingback, privacy-policy, "
    "search, site.standard.document, terms-of-service, webmention"
)


def test_a_full_answer_becomes_tags() -> None:
    parsed = parse_answer(
        {
            "meta": [
                {"name": "twitter:card", "content": "summary"},
                {"property": "og:locale", "content": ""},
            ],
            "link": [
                {"rel": "Alternate", "href": "/fr/", "hreflang": "fr-CA"},
                {
                    "rel": "license",
                    "href": "HTTPS://creativecommons.org/licenses/by/4.0/",
                    "type": "text/html",
                    "title": "CC BY 4.0",
                },
            ],
            "jsonld": [{"@type": "Person", "name": "Ada"}, {"@type": "Thing"}],
        }
    )

    assert parsed == HeadMetadata(
        meta=(
            MetaTag("name", "twitter:card", "summary"),
            MetaTag("property", "og:locale", ""),
        ),
        links=(
            LinkTag("alternate", "/fr/", hreflang="fr-CA"),
            LinkTag(
                "license",
                "HTTPS://creativecommons.org/licenses/by/4.0/",
                type="text/html",
                title="CC BY 4.0",
            ),
        ),
        jsonld=('{"@type":"Person","name":"Ada"}', '{"@type":"Thing"}'),
    )


def test_every_part_of_an_answer_is_optional() -> None:
    assert parse_answer({}) == HeadMetadata()
    assert parse_answer({"jsonld": {"@id": "#x"}}).jsonld == ('{"@id":"#x"}',)


def _many(count: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    return [item] * count


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            "tags",
            "a page:metadata answer must be an object with any of meta, link, "
            "jsonld; it answered a string",
        ),
        (
            None,
            "a page:metadata answer must be an object with any of meta, link, "
            "jsonld; it answered null",
        ),
        (
            {"meta": [], "script": "alert(1)"},
            "the answer has an unknown key 'script' (it may have meta, link, jsonld)",
        ),
        ({"meta": {"name": "x"}}, "meta must be a list, not an object"),
        ({"link": "/x/"}, "link must be a list, not a string"),
        (
            {"meta": _many(MAX_META + 1, {"name": "x", "content": "y"})},
            f"meta has {MAX_META + 1} items, over {MAX_META}",
        ),
        (
            {"link": _many(MAX_LINKS + 1, {"rel": "me", "href": "/"})},
            f"link has {MAX_LINKS + 1} items, over {MAX_LINKS}",
        ),
        ({"meta": ["x"]}, "meta[0] must be an object, not a string"),
        (
            {"meta": [{"name": "a", "content": "b"}, {"name": "x", "value": "y"}]},
            "meta[1] has an unknown key 'value' (it may have name, property, content)",
        ),
        (
            {"meta": [{"http-equiv": "refresh", "content": "0;url=//evil"}]},
            "meta[0] has an unknown key 'http-equiv' (it may have name, property, "
            "content)",
        ),
        ({"meta": [{"content": "y"}]}, "meta[0] must have either name or property"),
        (
            {"meta": [{"name": "x", "property": "og:x", "content": "y"}]},
            "meta[0] must have either name or property",
        ),
        (
            {"meta": [{"name": 7, "content": "y"}]},
            "meta[0].name must be a string, not a number",
        ),
        ({"meta": [{"name": "", "content": "y"}]}, "meta[0].name is empty"),
        (
            {"meta": [{"name": "x" * 101, "content": "y"}]},
            "meta[0].name has 101 characters, over 100",
        ),
        (
            {"meta": [{"name": "two words", "content": "y"}]},
            "meta[0].name 'two words' is not a name: a letter, then letters, "
            "digits, ':', '.', '_' or '-'",
        ),
        (
            {"meta": [{"property": '"><script>', "content": "y"}]},
            "meta[0].property '\"><script>' is not a name: a letter, then letters, "
            "digits, ':', '.', '_' or '-'",
        ),
        (
            {"meta": [{"name": "Description", "content": "Mine"}]},
            "meta[0].name 'Description' belongs to the page; plugins may not set it",
        ),
        (
            {"meta": [{"name": "robots", "content": "noindex"}]},
            "meta[0].name 'robots' belongs to the page; plugins may not set it",
        ),
        (
            {"meta": [{"property": "og:title", "content": "Mine"}]},
            "meta[0].property 'og:title' belongs to the page; plugins may not set it",
        ),
        (
            {"meta": [{"name": "og:image", "content": "/mine.png"}]},
            "meta[0].name 'og:image' belongs to the page; plugins may not set it",
        ),
        ({"meta": [{"name": "x"}]}, "meta[0] has no content"),
        (
            {"meta": [{"name": "x", "content": None}]},
            "meta[0].content must be a string, not null",
        ),
        (
            {"meta": [{"name": "x", "content": "y" * (MAX_CONTENT_CHARS + 1)}]},
            f"meta[0].content has {MAX_CONTENT_CHARS + 1} characters, over "
            f"{MAX_CONTENT_CHARS}",
        ),
        (
            {"meta": [{"name": "x", "content": "a\nb"}]},
            "meta[0].content has a control character",
        ),
        ({"link": [{"href": "/x/"}]}, "link[0] has no rel"),
        ({"link": [{"rel": "me"}]}, "link[0] has no href"),
        (
            {"link": [{"rel": "me", "href": "/", "media": "print"}]},
            "link[0] has an unknown key 'media' (it may have rel, href, hreflang, "
            "type, title)",
        ),
        (
            {"link": [{"rel": "stylesheet", "href": "/x.css"}]},
            f"link[0].rel 'stylesheet' is not one plugins may use ({RELS})",
        ),
        (
            {"link": [{"rel": "canonical", "href": "/elsewhere/"}]},
            f"link[0].rel 'canonical' is not one plugins may use ({RELS})",
        ),
        (
            {"link": [{"rel": "alternate stylesheet", "href": "/x.css"}]},
            f"link[0].rel 'alternate stylesheet' is not one plugins may use ({RELS})",
        ),
        (
            {"link": [{"rel": "me", "href": "javascript:alert(1)"}]},
            "link[0].href 'javascript:alert(1)' is neither an http(s) URL nor a "
            "site path starting with a single /",
        ),
        (
            {"link": [{"rel": "me", "href": "//evil.example/"}]},
            "link[0].href '//evil.example/' is neither an http(s) URL nor a site "
            "path starting with a single /",
        ),
        (
            {"link": [{"rel": "me", "href": "relative/path"}]},
            "link[0].href 'relative/path' is neither an http(s) URL nor a site "
            "path starting with a single /",
        ),
        (
            {"link": [{"rel": "me", "href": "https:///no-host"}]},
            "link[0].href 'https:///no-host' is neither an http(s) URL nor a site "
            "path starting with a single /",
        ),
        (
            {"link": [{"rel": "me", "href": "http://[::1/"}]},
            "link[0].href 'http://[::1/' is neither an http(s) URL nor a site path "
            "starting with a single /",
        ),
        (
            {"link": [{"rel": "me", "href": "/a b/"}]},
            "link[0].href has whitespace, a control character or a backslash",
        ),
        (
            {"link": [{"rel": "me", "href": "/\\evil.example/"}]},
            "link[0].href has whitespace, a control character or a backslash",
        ),
        (
            {"link": [{"rel": "me", "href": "https://x.example/" + "a" * 2048}]},
            "link[0].href has 2066 characters, over 2048",
        ),
        (
            {"link": [{"rel": "alternate", "href": "/", "hreflang": "french!"}]},
            "link[0].hreflang 'french!' is not a language tag",
        ),
        (
            {"link": [{"rel": "alternate", "href": "/", "type": "html"}]},
            "link[0].type 'html' is not a media type",
        ),
        (
            {"link": [{"rel": "me", "href": "/", "title": ""}]},
            "link[0].title is empty",
        ),
        ({"jsonld": "text"}, "jsonld must be a JSON-LD object, not a string"),
        ({"jsonld": None}, "jsonld must be a JSON-LD object, not null"),
        ({"jsonld": {}}, "jsonld must be a JSON-LD object, not an empty object"),
        (
            {"jsonld": [{"@type": "Thing"}, [1]]},
            "jsonld[1] must be a JSON-LD object, not a list",
        ),
        (
            {"jsonld": _many(MAX_JSONLD + 1, {"@type": "Thing"})},
            f"jsonld has {MAX_JSONLD + 1} documents, over {MAX_JSONLD}",
        ),
        (
            {"jsonld": {"text": "<" * MAX_JSONLD_CHARS}},
            f"jsonld takes {6 * MAX_JSONLD_CHARS + 11} characters, over "
            f"{MAX_JSONLD_CHARS}",
        ),
    ],
)
def test_a_malformed_answer_is_refused_saying_why(answer: Any, message: str) -> None:
    with pytest.raises(BadAnswer) as refused:
        parse_answer(answer)

    assert str(refused.value) == message


def test_a_long_unknown_key_is_quoted_shortened() -> None:
    with pytest.raises(BadAnswer) as refused:
        parse_answer({"k" * 100: 1})

    assert str(refused.value) == (
        f"the answer has an unknown key '{'k' * 59}…' (it may have meta, link, jsonld)"
    )


def test_merging_keeps_the_first_meta_tag_of_each_name_and_link_of_each_href() -> None:
    first = HeadMetadata(
        meta=(MetaTag("name", "Twitter:Site", "@first"),),
        links=(LinkTag("license", "/license/", title="First"),),
        jsonld=('{"@type":"Person"}',),
    )
    second = HeadMetadata(
        meta=(
            MetaTag("name", "twitter:site", "@second"),
            MetaTag("property", "twitter:site", "@second"),
            MetaTag("name", "twitter:creator", "@second"),
        ),
        links=(
            LinkTag("license", "/license/", title="Second"),
            LinkTag("license", "/other-license/"),
        ),
        jsonld=('{"@type":"Person"}', '{"@type":"Thing"}'),
    )

    assert merge([first, second]) == HeadMetadata(
        meta=(
            MetaTag("name", "Twitter:Site", "@first"),
            MetaTag("name", "twitter:creator", "@second"),
        ),
        links=(
            LinkTag("license", "/license/", title="First"),
            LinkTag("license", "/other-license/"),
        ),
        jsonld=('{"@type":"Person"}', '{"@type":"Thing"}'),
    )
    assert merge([]) == HeadMetadata()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"a": "</script>"}, '{"a":"\\u003c/script\\u003e"}'),
        ({"a": "<!--"}, '{"a":"\\u003c!--"}'),
        ({"a": "Q&A"}, '{"a":"Q\\u0026A"}'),
        ({"a": "\u2028\u2029"}, '{"a":"\\u2028\\u2029"}'),
        ({"<key>": ["é", 1, None, True]}, '{"\\u003ckey\\u003e":["é",1,null,true]}'),
    ],
)
def test_script_json_reads_the_same_and_cannot_end_a_script(
    value: Any, text: str
) -> None:
    assert script_json(value) == text
    assert json.loads(text) == value


ENTRY = PublicEntry(
    id="01J0000000000000000000ENTRY",
    collection="posts",
    slug="secret",
    title="Secret",
    data={"title": "Secret", "body": "The hidden recipe."},
    rendered={"body": "<p>The hidden recipe.</p>"},
    seo={"description": "A locked post."},
    url="/posts/secret/",
    published_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    updated_at=datetime(2026, 1, 3, 3, 4, 5, tzinfo=UTC),
    author_name="Ada",
    visibility="password",
)
SITE = {"title": "EmDash", "tagline": "Notes", "language": "en", "footer_text": "x"}


def test_a_password_entry_goes_to_plugins_without_its_fields() -> None:
    page = Page(
        "entry",
        "/posts/secret/",
        title="Secret",
        canonical="/posts/secret/",
        entry=ENTRY,
    )

    given = hook_input(page, SITE)

    assert given == {
        "page": {
            "kind": "entry",
            "path": "/posts/secret/",
            "url": "http://localhost:8000/posts/secret/",
            "canonical": "http://localhost:8000/posts/secret/",
            "title": "Secret",
            "description": "",
            "number": 1,
            "entry": {
                "id": ENTRY.id,
                "collection": "posts",
                "slug": "secret",
                "title": "Secret",
                "url": "http://localhost:8000/posts/secret/",
                "path": "/posts/secret/",
                "seo": {"description": "A locked post."},
                "published_at": "2026-01-02T03:04:05+00:00",
                "updated_at": "2026-01-03T03:04:05+00:00",
                "author_name": "Ada",
                "visibility": "password",
                "terms": {},
            },
            "term": None,
        },
        "site": {
            "title": "EmDash",
            "tagline": "Notes",
            "url": "http://localhost:8000",
            "language": "en",
        },
    }
