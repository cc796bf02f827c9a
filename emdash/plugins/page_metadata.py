"""The ``page:metadata`` hook: what plugins add to the ``<head>`` of public pages.

When the site renders a page (a page-cache miss, or a page never cached), every
enabled plugin handling the hook gets the page and the site as plain public data,
in priority order, and may answer ``{"ok": {"meta": [...], "link": [...],
"jsonld": ...}}``. An answer is checked whole: one malformed part fails that
plugin (``bad_output``, logged) and the page goes on with the others' tags.

What a page says about itself belongs to the page: its ``<title>``, its canonical
link, and the meta tags named in PAGE_TAGS, which the default theme writes. A
plugin naming one of them fails, so no tag of the page is ever doubled or
contradicted, and none depends on which plugins are enabled. Between plugins, the
first in priority order to give a meta tag of a name (``name`` and ``property``
alike, since readers of Open Graph and Twitter cards take either) or a link of a
rel and href wins; JSON-LD documents are all kept, in that order.

A password-protected entry's fields never reach plugins, locked or unlocked.
Nothing is built and nothing runs when no enabled plugin handles the hook.
"""

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings

from emdash.content.models import Visibility
from emdash.content.queries import PublicEntry, PublicTerm
from emdash.core.actors import ANONYMOUS
from emdash.plugins import runtime
from emdash.plugins.bindings import site_json
from emdash.plugins.runtime import BadAnswer

HOOK = "page:metadata"
ANSWER_KEYS = ("meta", "link", "jsonld")

PageKind = Literal["home", "entry", "archive"]

# Meta tags (by name or property) the page writes about itself (base.html and the
# default theme's pages), and the site's referrer policy.
PAGE_TAGS = frozenset(
    {
        "description",
        "robots",
        "viewport",
        "color-scheme",
        "referrer",
        "og:type",
        "og:title",
        "og:description",
        "og:url",
        "og:site_name",
        "og:image",
        "article:published_time",
    }
)
# Relations that describe the page or point elsewhere. None makes the browser load
# anything into the page (no stylesheet, icon or preload), and ``canonical`` is the
# page's own.
LINK_RELS = frozenset(
    {
        "alternate",
        "author",
        "help",
        "license",
        "me",
        "nlweb",
        "pingback",
        "privacy-policy",
        "search",
        "site.standard.document",
        "terms-of-service",
        "webmention",
    }
)

# Per plugin answer.
MAX_META = 32
MAX_LINKS = 16
MAX_JSONLD = 8
MAX_JSONLD_CHARS = 32 * 1024  # all of one plugin's documents, serialised
MAX_NAME_CHARS = 100
MAX_CONTENT_CHARS = 2000
MAX_HREF_CHARS = 2048
MAX_TITLE_CHARS = 200
MAX_ATTRIBUTE_CHARS = 100
# How much of an odd key a message quotes.
MAX_QUOTED_CHARS = 60

TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9:._-]*")
HREFLANG = re.compile(r"x-default|[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}")
MEDIA_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*"
)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Whitespace, controls and backslashes, which browsers read loosely in URLs.
LOOSE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f\\]")

# What ``<script type="application/ld+json">`` must not contain as is: ``<`` could
# close the element or open a comment, ``>`` and ``&`` are escaped along with it,
# as Django's json_script does; U+2028/9 end lines in older JavaScript parsers.
SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


@dataclass(frozen=True)
class MetaTag:
    """``<meta name|property="key" content="content">``."""

    attribute: Literal["name", "property"]
    key: str
    content: str


@dataclass(frozen=True)
class LinkTag:
    rel: str
    href: str  # an http(s) URL or a site path
    hreflang: str = ""
    type: str = ""
    title: str = ""


@dataclass(frozen=True)
class HeadMetadata:
    """Tags for a page's ``<head>``, as plain data for the theme."""

    meta: tuple[MetaTag, ...] = ()
    links: tuple[LinkTag, ...] = ()
    # JSON-LD documents already serialised by ``script_json``: safe to print as
    # they are inside ``<script type="application/ld+json">``.
    jsonld: tuple[str, ...] = ()


NOTHING = HeadMetadata()


@dataclass(frozen=True)
class Page:
    """A public page as the site renders it; ``hook_input`` turns it into what
    plugins see."""

    kind: PageKind
    path: str
    title: str  # the entry's, the term's, the site's
    canonical: str  # a site path or URL
    description: str = ""  # the page's meta description, if it has one
    number: int = 1  # of a paginated list
    entry: PublicEntry | None = None
    terms: Mapping[str, list[dict[str, str]]] = field(default_factory=dict)
    term: PublicTerm | None = None


def contributions(
    describe: Callable[[], Page], site: Mapping[str, Any]
) -> HeadMetadata:
    """The plugins' tags for a page, merged. ``describe`` is called only when an
    enabled plugin handles the hook: otherwise this costs one registry lookup."""
    if not runtime.registry().by_hook.get(HOOK):
        return NOTHING
    answers = runtime.gather(
        HOOK, hook_input(describe(), site), ANONYMOUS, accept=parse_answer
    )
    return merge(contribution for _, contribution in answers)


# -- what plugins see ------------------------------------------------------------------


def _absolute(url: str) -> str:
    if url.startswith("/") and not url.startswith("//"):
        return f"{settings.SITE_URL}{url}"
    return url


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def hook_input(page: Page, site: Mapping[str, Any]) -> dict[str, Any]:
    """``{"page", "site"}``: public data only (live content, no drafts, nothing
    of a password-protected entry's fields)."""
    location = page.path if page.number == 1 else f"{page.path}?page={page.number}"
    return {
        "page": {
            "kind": page.kind,
            "path": page.path,
            "url": _absolute(location),
            "canonical": _absolute(page.canonical),
            "title": page.title,
            "description": page.description,
            "number": page.number,
            "entry": _entry_input(page.entry, page.terms) if page.entry else None,
            "term": _term_input(page.term) if page.term else None,
        },
        "site": site_json(site),
    }


def _entry_input(
    entry: PublicEntry, terms: Mapping[str, list[dict[str, str]]]
) -> dict[str, Any]:
    described: dict[str, Any] = {
        "id": entry.id,
        "collection": entry.collection,
        "slug": entry.slug,
        "title": entry.title,
        "url": _absolute(entry.url),
        "path": entry.url,
        "seo": entry.seo,
        "published_at": _iso(entry.published_at),
        "updated_at": _iso(entry.updated_at),
        "author_name": entry.author_name,
        "visibility": entry.visibility,
        "terms": {taxonomy: list(items) for taxonomy, items in terms.items()},
    }
    # Behind a password the fields are the body: they stay out, even once unlocked.
    if entry.visibility != Visibility.PASSWORD:
        described["data"] = entry.data
    return described


def _term_input(term: PublicTerm) -> dict[str, str]:
    return {
        "taxonomy": term.taxonomy,
        "taxonomy_label": term.taxonomy_label,
        "slug": term.slug,
        "name": term.name,
        "description": term.description,
    }


# -- checking an answer ----------------------------------------------------------------


def _a(value: Any) -> str:
    """A JSON value's type in words: ``a string``, ``null``."""
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "a list"
        case _:
            return "an object"


def _quoted(text: str) -> str:
    if len(text) > MAX_QUOTED_CHARS:
        text = text[: MAX_QUOTED_CHARS - 1] + "…"
    return f"'{text}'"


def _no_other_keys(item: dict[str, Any], where: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    for key in item:
        if key not in allowed:
            raise BadAnswer(
                f"{where} has an unknown key {_quoted(key)} "
                f"(it may have {', '.join(allowed)})"
            )


def _text(value: Any, where: str, max_chars: int, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise BadAnswer(f"{where} must be a string, not {_a(value)}")
    if not value and not allow_empty:
        raise BadAnswer(f"{where} is empty")
    if len(value) > max_chars:
        raise BadAnswer(f"{where} has {len(value)} characters, over {max_chars}")
    if CONTROL.search(value):
        raise BadAnswer(f"{where} has a control character")
    return value


def _items(answer: dict[str, Any], key: str, limit: int) -> list[Any]:
    items = answer.get(key, [])
    if not isinstance(items, list):
        raise BadAnswer(f"{key} must be a list, not {_a(items)}")
    if len(items) > limit:
        raise BadAnswer(f"{key} has {len(items)} items, over {limit}")
    return items


def parse_answer(value: Any) -> HeadMetadata:
    """One plugin's ``ok`` value as head tags, or BadAnswer saying what is wrong
    (the runtime logs it as the plugin's ``bad_output`` failure)."""
    if not isinstance(value, dict):
        raise BadAnswer(
            f"a page:metadata answer must be an object with any of "
            f"{', '.join(ANSWER_KEYS)}; it answered {_a(value)}"
        )
    _no_other_keys(value, "the answer", ANSWER_KEYS)
    meta = _items(value, "meta", MAX_META)
    links = _items(value, "link", MAX_LINKS)
    return HeadMetadata(
        meta=tuple(_meta(item, f"meta[{index}]") for index, item in enumerate(meta)),
        links=tuple(_link(item, f"link[{index}]") for index, item in enumerate(links)),
        jsonld=_jsonld(value["jsonld"]) if "jsonld" in value else (),
    )


def _meta(item: Any, where: str) -> MetaTag:
    if not isinstance(item, dict):
        raise BadAnswer(f"{where} must be an object, not {_a(item)}")
    _no_other_keys(item, where, ("name", "property", "content"))
    attributes = [name for name in ("name", "property") if name in item]
    if len(attributes) != 1:
        raise BadAnswer(f"{where} must have either name or property")
    attribute: Literal["name", "property"] = (
        "name" if attributes[0] == "name" else "property"
    )
    key = _text(item[attribute], f"{where}.{attribute}", MAX_NAME_CHARS)
    if not TAG_NAME.fullmatch(key):
        raise BadAnswer(
            f"{where}.{attribute} {_quoted(key)} is not a name: a letter, then "
            "letters, digits, ':', '.', '_' or '-'"
        )
    if key.lower() in PAGE_TAGS:
        raise BadAnswer(
            f"{where}.{attribute} '{key}' belongs to the page; plugins may not set it"
        )
    if "content" not in item:
        raise BadAnswer(f"{where} has no content")
    content = _text(
        item["content"], f"{where}.content", MAX_CONTENT_CHARS, allow_empty=True
    )
    return MetaTag(attribute, key, content)


def _link(item: Any, where: str) -> LinkTag:
    if not isinstance(item, dict):
        raise BadAnswer(f"{where} must be an object, not {_a(item)}")
    _no_other_keys(item, where, ("rel", "href", "hreflang", "type", "title"))
    for required in ("rel", "href"):
        if required not in item:
            raise BadAnswer(f"{where} has no {required}")
    rel = _text(item["rel"], f"{where}.rel", MAX_NAME_CHARS).lower()
    if rel not in LINK_RELS:
        raise BadAnswer(
            f"{where}.rel {_quoted(rel)} is not one plugins may use "
            f"({', '.join(sorted(LINK_RELS))})"
        )
    hreflang = _optional(item, "hreflang", where, HREFLANG, "a language tag")
    media_type = _optional(item, "type", where, MEDIA_TYPE, "a media type")
    title = (
        _text(item["title"], f"{where}.title", MAX_TITLE_CHARS)
        if "title" in item
        else ""
    )
    return LinkTag(
        rel, _href(item["href"], f"{where}.href"), hreflang, media_type, title
    )


def _optional(
    item: dict[str, Any], key: str, where: str, pattern: re.Pattern[str], words: str
) -> str:
    if key not in item:
        return ""
    value = _text(item[key], f"{where}.{key}", MAX_ATTRIBUTE_CHARS)
    if not pattern.fullmatch(value):
        raise BadAnswer(f"{where}.{key} {_quoted(value)} is not {words}")
    return value


def _href(value: Any, where: str) -> str:
    href = _text(value, where, MAX_HREF_CHARS)
    if LOOSE_IN_URL.search(href):
        raise BadAnswer(f"{where} has whitespace, a control character or a backslash")
    site_path = href.startswith("/") and not href.startswith("//")
    if not site_path and not _is_web_url(href):
        raise BadAnswer(
            f"{where} {_quoted(href)} is neither an http(s) URL nor a site path "
            "starting with a single /"
        )
    return href


def _is_web_url(href: str) -> bool:
    try:
        parts = urlsplit(href)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # say, an unclosed [ around an IPv6 host
        return False


def _jsonld(value: Any) -> tuple[str, ...]:
    documents = value if isinstance(value, list) else [value]
    if len(documents) > MAX_JSONLD:
        raise BadAnswer(f"jsonld has {len(documents)} documents, over {MAX_JSONLD}")
    texts = []
    for index, document in enumerate(documents):
        if not isinstance(document, dict) or not document:
            where = f"jsonld[{index}]" if isinstance(value, list) else "jsonld"
            shape = "an empty object" if document == {} else _a(document)
            raise BadAnswer(f"{where} must be a JSON-LD object, not {shape}")
        texts.append(script_json(document))
    size = sum(len(text) for text in texts)
    if size > MAX_JSONLD_CHARS:
        raise BadAnswer(f"jsonld takes {size} characters, over {MAX_JSONLD_CHARS}")
    return tuple(texts)


def script_json(value: Any) -> str:
    """JSON that reads the same and cannot end or escape the ``<script>`` element
    it is printed in: the characters of SCRIPT_ESCAPES, which can only occur
    inside JSON strings, become ``\\u`` escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.translate(SCRIPT_ESCAPES)


# -- merging ---------------------------------------------------------------------------


def merge(contributions: Iterable[HeadMetadata]) -> HeadMetadata:
    """Contributions in priority order as one set of tags: the first meta tag of
    a name, by ``name`` or ``property`` (compared without case), the first link of
    a rel and href, and every distinct JSON-LD document."""
    meta: dict[str, MetaTag] = {}
    links: dict[tuple[str, str], LinkTag] = {}
    jsonld: dict[str, None] = {}
    for contribution in contributions:
        for tag in contribution.meta:
            meta.setdefault(tag.key.lower(), tag)
        for link in contribution.links:
            links.setdefault((link.rel, link.href), link)
        jsonld.update(dict.fromkeys(contribution.jsonld))
    return HeadMetadata(tuple(meta.values()), tuple(links.values()), tuple(jsonld))
