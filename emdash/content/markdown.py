"""Markdown for rich-text fields: CommonMark, a few extensions, directives, sanitised.

markdown-it-py parses CommonMark plus tables, strikethrough, footnotes and task lists.
Structured blocks use one grammar, MyST colon-fence directives
(``:::{image} media:ID``), expanded into tokens right after block parsing so that
directive bodies share the document's footnotes and references. Every rendered
document then goes through one nh3 allowlist; the only markup added after that pass is
the embed iframes, built here from validated video ids. ``docs/markdown.md`` is the
reference for authors.
"""

import functools
import html
import re
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.footnote import footnote_plugin

from emdash.core.errors import PayloadTooLarge, ValidationFailed

# Parsing is linear but slow on adversarial input (about 35 µs per character for
# "[^" repeated), so the cap bounds the worst case to under a minute.
MAX_MARKDOWN_LENGTH: Final = 1_000_000
# Callouts nest by parsing their body again; deeper ones render as their source.
MAX_DIRECTIVE_DEPTH: Final = 8
# HTML parsers (nh3's html5ever too) take time quadratic in element depth, which only
# raw HTML can drive up: Markdown itself stays under ~200 levels (20 per parse).
MAX_HTML_DEPTH: Final = 512
CALLOUT_KINDS: Final = ("note", "tip", "warning", "danger")
ALIGNMENTS: Final = ("left", "center", "right")
MAX_GALLERY_COLUMNS: Final = 6
MAX_IMAGE_WIDTH: Final = 10_000

_MEDIA_ID = r"[0-7][0-9A-HJKMNP-TV-Z]{25}"  # a canonical (upper-case) ULID
_MEDIA_REFERENCE = re.compile(rf"media:({_MEDIA_ID})")
_GALLERY_LINE = re.compile(rf"media:({_MEDIA_ID})(?:\s+(.*))?")
_DIRECTIVE_INFO = re.compile(r"\{([a-z][a-z0-9_-]*)\}\s*(.*)")
_DIRECTIVE_OPTION = re.compile(r":([A-Za-z][\w-]*):(?:[ \t]+(.*))?")
_TASK_MARKER = re.compile(r"\[([ xX])\][ \t\n\v\f\r]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}
)
_YOUTUBE_PATH_PREFIXES = ("/embed/", "/shorts/", "/live/", "/v/")
_VIMEO_PATH = re.compile(r"/(?:video/)?(\d{1,12})(?:/([0-9a-f]{1,40}))?/?")
_VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})
_CODE_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_FOOTNOTE_ID = re.compile(r"fn(?:ref)?\d{1,6}(?::\d{1,6})?")
_DIMENSION = re.compile(r"[0-9]{1,5}")
_WHITESPACE = re.compile(r"\s")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
# Void elements never hold children; these others are closed implicitly by a sibling.
_NON_NESTING_TAGS = frozenset(
    {
        *("area", "base", "br", "col", "embed", "hr", "img", "input", "keygen"),
        *("link", "meta", "param", "source", "track", "wbr"),
        *("p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot"),
        *("caption", "colgroup", "option", "optgroup", "rb", "rp", "rt", "rtc"),
    }
)

_ENV_MEDIA = "emdash_media"
_ENV_MEDIA_IDS = "emdash_media_ids"
_ENV_EMBEDS = "emdash_embeds"
_ENV_EMBED_NONCE = "emdash_embed_nonce"

_VIDEO_TITLES = {"youtube": "YouTube video", "vimeo": "Vimeo video"}
_EMBED_ALLOW = (
    "accelerometer; clipboard-write; encrypted-media; gyroscope; picture-in-picture; "
    "fullscreen"
)


class MarkdownTooLarge(PayloadTooLarge, ValueError):
    """The Markdown text is longer than ``MAX_MARKDOWN_LENGTH`` characters."""

    code = "MARKDOWN_TOO_LARGE"


class MarkdownTooComplex(ValidationFailed, ValueError):
    """Raw HTML in the Markdown nests elements deeper than ``MAX_HTML_DEPTH``."""

    code = "MARKDOWN_TOO_COMPLEX"


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What the renderer needs to know about a media item referenced as ``media:ID``."""

    id: str
    url: str
    width: int | None = None
    height: int | None = None
    alt: str = ""
    mime_type: str = ""

    @property
    def is_image(self) -> bool:
        # An unknown type is given the benefit of the doubt: <img> cannot run code.
        return not self.mime_type or self.mime_type.startswith("image/")


# --- public API --------------------------------------------------------------------


def render_markdown(text: str, *, media: Mapping[str, MediaInfo] | None = None) -> str:
    """Render Markdown to sanitised HTML.

    ``media`` maps media ids (as ``media_ids`` returns them) to what the page needs
    to show them; a referenced id that is missing renders nothing. Raises
    ``MarkdownTooLarge`` beyond ``MAX_MARKDOWN_LENGTH`` characters and ``TypeError``
    when ``text`` is not a string.
    """
    source = _checked_source(text)
    env = _new_env(media if media is not None else {})
    rendered = _markdown_parser().render(source, env)
    return _insert_embeds(sanitize_html(rendered), env)


def media_ids(text: str) -> list[str]:
    """Return the ids of the media the directives in ``text`` reference.

    In document order and without duplicates, so a caller can load them in one query
    and pass them to ``render_markdown``. Ids inside code blocks or in ordinary
    Markdown images are not directives and are not returned.
    """
    source = _checked_source(text)
    env = _new_env(None)
    _block_parser().parse(source, env)
    return list(env[_ENV_MEDIA_IDS])


def plain_text(text: str) -> str:
    """Return the words of a Markdown document without markup, whitespace collapsed.

    Meant for search documents and excerpts: code, table cells, footnotes, image alt
    text, captions, callout titles and bodies, embed titles and the text of raw HTML
    are kept; markup, URLs and raw HTML tags are not.
    """
    source = _checked_source(text)
    tokens = _markdown_parser().parse(source, _new_env(None))
    return " ".join(" ".join(_token_texts(tokens)).split())


def sanitize_html(markup: str) -> str:
    """Clean an HTML fragment with the allowlist that rendered Markdown goes through.

    Raises ``MarkdownTooComplex`` when elements nest deeper than ``MAX_HTML_DEPTH``.
    """
    _check_html_depth(markup)
    return _sanitiser().clean(markup)


# --- input and environment ---------------------------------------------------------


def _checked_source(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"Markdown must be a str, not {type(text).__name__}")
    if len(text) > MAX_MARKDOWN_LENGTH:
        raise MarkdownTooLarge(
            f"Markdown is {len(text):,} characters long; the limit is "
            f"{MAX_MARKDOWN_LENGTH:,}.",
            details={"length": len(text), "limit": MAX_MARKDOWN_LENGTH},
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates cannot cross into nh3 (Rust strings are valid UTF-8).
        return _SURROGATE.sub("\ufffd", text)
    return text


def _check_html_depth(markup: str) -> None:
    """Refuse markup whose elements may nest deeper than ``MAX_HTML_DEPTH``.

    An over-estimate of what an HTML parser builds: an end tag only closes the element
    opened last, so misnested or stray end tags (which make real parsers restructure
    the tree) never lower the count.
    """
    open_tags: list[str] = []
    for tag in _TAG.finditer(markup):
        name = tag.group(2).lower()
        if name in _NON_NESTING_TAGS:
            continue
        if not tag.group(1):
            open_tags.append(name)
            if len(open_tags) > MAX_HTML_DEPTH:
                raise MarkdownTooComplex(
                    f"HTML elements nest more than {MAX_HTML_DEPTH} deep (the limit "
                    f"is reached at a <{name}> tag); unclosed or misnested tags count.",
                    details={"limit": MAX_HTML_DEPTH},
                )
        elif open_tags and open_tags[-1] == name:
            open_tags.pop()


def _new_env(media: Mapping[str, MediaInfo] | None) -> dict[str, Any]:
    """Per-call parser state. ``media`` None means "do not resolve media ids"."""
    return {_ENV_MEDIA: media, _ENV_MEDIA_IDS: {}, _ENV_EMBEDS: []}


# --- parser set-up -----------------------------------------------------------------


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})
    md.enable(["table", "strikethrough"])
    # Pandoc's inline footnotes (^[...]) are not GitHub's flavour and cost time.
    md.use(footnote_plugin, inline=False)
    md.use(colon_fence_plugin)
    md.core.ruler.after("block", "emdash_directives", _expand_directives)
    # mdit-py-plugins' tasklists rule is quadratic in the number of list items.
    md.core.ruler.push("emdash_task_lists", _mark_task_lists)
    for token_type, rule in _RENDER_RULES.items():
        md.add_render_rule(token_type, rule)
    return md


@functools.cache
def _markdown_parser() -> MarkdownIt:
    return _build_parser()


@functools.cache
def _block_parser() -> MarkdownIt:
    """Parses blocks and directives only: enough to find media references."""
    md = _build_parser()
    md.core.ruler.enableOnly(["normalize", "block", "emdash_directives"])
    return md


# --- directives --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Directive:
    name: str
    argument: str
    options: dict[str, str]
    body: str
    fence: Token


type _DirectiveBuilder = Callable[[_Directive, StateCore, int], list[Token] | None]


def _expand_directives(state: StateCore) -> None:
    if any(token.type == "colon_fence" for token in state.tokens):
        state.tokens = _expand(state.tokens, state, depth=0)


def _expand(tokens: list[Token], state: StateCore, depth: int) -> list[Token]:
    expanded: list[Token] = []
    for token in tokens:
        if token.type == "colon_fence":
            expanded.extend(_directive_tokens(token, state, depth))
        else:
            expanded.append(token)
    return expanded


def _directive_tokens(fence: Token, state: StateCore, depth: int) -> list[Token]:
    """Turn one colon fence into tokens; anything unusable shows its source."""
    directive = _parse_directive(fence)
    builder = _DIRECTIVE_BUILDERS.get(directive.name) if directive else None
    built = builder(directive, state, depth) if builder and directive else None
    if built is None:
        source = _token("directive_source", "pre", 0, fence, body=fence.content)
        source.content = f"{fence.markup}{fence.info}\n{fence.content}{fence.markup}\n"
        return [source]
    return built


def _parse_directive(fence: Token) -> _Directive | None:
    match = _DIRECTIVE_INFO.fullmatch(fence.info.strip())
    if match is None:
        return None
    lines = fence.content.splitlines(keepends=True)
    options: dict[str, str] = {}
    consumed = 0
    for line in lines:
        option = _DIRECTIVE_OPTION.fullmatch(line.strip())
        if option is None:
            break
        options.setdefault(option.group(1).lower(), (option.group(2) or "").strip())
        consumed += 1
    if consumed and consumed < len(lines) and not lines[consumed].strip():
        consumed += 1  # the blank line that separates options from the body
    return _Directive(
        name=match.group(1),
        argument=match.group(2).strip(),
        options=options,
        body="".join(lines[consumed:]),
        fence=fence,
    )


def _token(token_type: str, tag: str, nesting: int, fence: Token, **meta: Any) -> Token:
    token = Token(token_type, tag, nesting, map=fence.map, level=fence.level)
    token.block = True
    token.meta = meta
    return token


def _inline(content: str, fence: Token) -> Token:
    """An inline token that the core ``inline`` rule will parse later."""
    token = Token("inline", "", 0, map=fence.map, level=fence.level + 1)
    token.content = content
    token.children = []
    return token


def _element(
    name: str, tag: str, fence: Token, inner: list[Token], classes: str = ""
) -> list[Token]:
    """Wrap ``inner`` in an element rendered by markdown-it's generic token rule."""
    opening = _token(f"{name}_open", tag, 1, fence)
    if classes:
        opening.attrSet("class", classes)
    return [opening, *inner, _token(f"{name}_close", tag, -1, fence)]


def _record_media_id(env: EnvType, media_id: str) -> None:
    env[_ENV_MEDIA_IDS][media_id] = None


def _lookup_media(env: EnvType, media_id: str) -> tuple[bool, MediaInfo | None]:
    """Return (show, info); when resolving, only images with a URL are shown."""
    media: Mapping[str, MediaInfo] | None = env[_ENV_MEDIA]
    if media is None:
        return True, None
    info = media.get(media_id)
    return (info is not None and bool(info.url) and info.is_image), info


def _positive_int(value: str | None, maximum: int) -> int | None:
    # The length check keeps int() away from its 4,300-digit limit.
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    number = int(value)
    return number if 0 < number <= maximum else None


def _is_web_url(value: str) -> bool:
    """An absolute http(s) URL that parses, host and port included."""
    if _WHITESPACE.search(value):
        return False
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError when out of range
    except ValueError:  # also for "https://[bad" (an unclosed IPv6 literal)
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


def _link_target(value: str | None) -> str | None:
    if not value:
        return None
    if _is_web_url(value) or (value.startswith("/") and not value.startswith("//")):
        return value
    return None


def _image_tokens(
    directive: _Directive, state: StateCore, depth: int
) -> list[Token] | None:
    argument, options, fence = directive.argument, directive.options, directive.fence
    info: MediaInfo | None = None
    if reference := _MEDIA_REFERENCE.fullmatch(argument):
        media_id = reference.group(1)
        _record_media_id(state.env, media_id)
        show, info = _lookup_media(state.env, media_id)
        if not show:
            return []
        src = info.url if info else None
    elif argument.startswith("https://") and _is_web_url(argument):
        src = argument
    else:
        return None
    width = _positive_int(options.get("width"), MAX_IMAGE_WIDTH)
    height = None
    if info and info.width and info.height:
        height = round(width * info.height / info.width) if width else info.height
        width = width or info.width
    image = _token(
        "directive_image",
        "img",
        0,
        fence,
        src=src,
        alt=options.get("alt") or (info.alt if info else ""),
        width=width,
        height=height,
        link=_link_target(options.get("link")),
    )
    inner = [image]
    if caption := options.get("caption"):
        inner += _element("figcaption", "figcaption", fence, [_inline(caption, fence)])
    classes = "image"
    if (align := options.get("align")) in ALIGNMENTS:
        classes += f" align-{align}"
    return _element("directive_figure", "figure", fence, inner, classes)


def _gallery_tokens(
    directive: _Directive, state: StateCore, depth: int
) -> list[Token] | None:
    fence = directive.fence
    items: list[Token] = []
    for line in directive.body.splitlines():
        entry = _GALLERY_LINE.fullmatch(line.strip())
        if entry is None:
            continue
        media_id = entry.group(1)
        _record_media_id(state.env, media_id)
        show, info = _lookup_media(state.env, media_id)
        if not show:
            continue
        image = _token(
            "directive_image",
            "img",
            0,
            fence,
            src=info.url if info else None,
            alt=(entry.group(2) or "").strip() or (info.alt if info else ""),
            width=info.width if info else None,
            height=info.height if info and info.width else None,
            link=None,
        )
        items += _element("gallery_item", "figure", fence, [image], "gallery-item")
    if not items:
        return []
    classes = "gallery"
    columns = _positive_int(directive.options.get("columns"), MAX_GALLERY_COLUMNS)
    if columns:
        classes += f" gallery-columns-{columns}"
    return _element("gallery", "div", fence, items, classes)


def _embed_tokens(
    directive: _Directive, state: StateCore, depth: int
) -> list[Token] | None:
    url = directive.argument
    if not _is_web_url(url):
        return None
    title = directive.options.get("title", "")
    video = _video_player(url)
    if video is None:
        host = urlsplit(url).hostname
        card = _token("directive_link_card", "div", 0, directive.fence)
        card.meta = {"url": url, "title": title, "host": host}
        return [card]
    provider, player = video
    embed = _token("directive_video", "div", 0, directive.fence)
    embed.meta = {"provider": provider, "player": player, "title": title}
    return [embed]


def _video_player(url: str) -> tuple[str, str] | None:
    """(provider, privacy-friendly player address) for a YouTube or Vimeo page."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    video_id: str | None = None
    if host in _YOUTUBE_HOSTS:
        if parts.path == "/watch":
            video_id = parse_qs(parts.query).get("v", [""])[0]
        elif parts.path.startswith(_YOUTUBE_PATH_PREFIXES):
            video_id = parts.path.split("/")[2]
    elif host == "youtu.be":
        video_id = parts.path.removeprefix("/")
    elif host in _VIMEO_HOSTS:
        match = _VIMEO_PATH.fullmatch(parts.path)
        if match is None:
            return None
        unlisted_hash = f"&h={match.group(2)}" if match.group(2) else ""
        player = f"https://player.vimeo.com/video/{match.group(1)}?dnt=1{unlisted_hash}"
        return "vimeo", player
    if video_id and _YOUTUBE_ID.fullmatch(video_id):
        return "youtube", f"https://www.youtube-nocookie.com/embed/{video_id}"
    return None


def _callout_tokens(
    directive: _Directive, state: StateCore, depth: int
) -> list[Token] | None:
    if depth >= MAX_DIRECTIVE_DEPTH:
        return None
    fence = directive.fence
    kind = directive.argument.lower()
    if kind not in CALLOUT_KINDS:
        kind = "note"
    inner: list[Token] = []
    if title := directive.options.get("title"):
        title_inline = [_inline(title, fence)]
        inner += _element("callout_title", "p", fence, title_inline, "callout-title")
    body: list[Token] = []
    state.md.block.parse(directive.body, state.md, state.env, body)
    for token in body:
        token.level += fence.level + 1
    inner += _expand(body, state, depth + 1)
    return _element("callout", "aside", fence, inner, f"callout callout-{kind}")


def _html_tokens(
    directive: _Directive, state: StateCore, depth: int
) -> list[Token] | None:
    raw = _token("directive_html", "", 0, directive.fence)
    raw.content = directive.body
    return [raw]


_DIRECTIVE_BUILDERS: Final[dict[str, _DirectiveBuilder]] = {
    "image": _image_tokens,
    "gallery": _gallery_tokens,
    "embed": _embed_tokens,
    "callout": _callout_tokens,
    "html": _html_tokens,
}


# --- task lists ----------------------------------------------------------------------


def _mark_task_lists(state: StateCore) -> None:
    """Turn list items starting with ``[ ]`` or ``[x]`` into disabled checkboxes."""
    tokens = state.tokens
    open_lists: list[Token] = []
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            open_lists.append(token)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            open_lists.pop()
        elif (
            token.type == "inline"
            and open_lists
            and tokens[index - 1].type == "paragraph_open"
            and tokens[index - 2].type == "list_item_open"
            and token.children
            and token.children[0].type == "text"
            and (marker := _TASK_MARKER.match(token.children[0].content))
        ):
            first = token.children[0]
            first.content = first.content[3:]
            checkbox = Token("task_checkbox", "input", 0)
            checkbox.meta = {"checked": marker.group(1) != " "}
            token.children.insert(0, checkbox)
            tokens[index - 2].attrSet("class", "task-list-item")
            open_lists[-1].attrSet("class", "contains-task-list")


# --- rendering -----------------------------------------------------------------------


type _RenderRule = Callable[[Any, Sequence[Token], int, OptionsDict, EnvType], str]


def _attributes(values: Mapping[str, object]) -> str:
    """Render the non-empty attributes, escaped."""
    return "".join(
        f' {name}="{escapeHtml(str(value))}"' for name, value in values.items() if value
    )


def _render_table_cell(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # markdown-it aligns cells with inline styles, which the site's CSP blocks.
    token = tokens[idx]
    style = token.attrGet("style")
    align = str(style).removeprefix("text-align:") if style else None
    return f"<{token.tag}{_attributes({'align': align})}>"


def _render_task_checkbox(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    checked = " checked" if tokens[idx].meta["checked"] else ""
    return f'<input class="task-list-item-checkbox" type="checkbox"{checked} disabled>'


def _render_image(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    meta = tokens[idx].meta
    sizes = _attributes({"width": meta["width"], "height": meta["height"]})
    image = (
        f'<img src="{escapeHtml(meta["src"])}" alt="{escapeHtml(meta["alt"])}"'
        f'{sizes} loading="lazy">'
    )
    if meta["link"]:
        image = f'<a href="{escapeHtml(meta["link"])}">{image}</a>'
    return image + "\n"


def _render_video(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A placeholder that survives sanitising; ``_insert_embeds`` swaps the iframe in.

    Iframes never pass through the sanitiser, so raw HTML cannot frame anything; the
    placeholder carries a per-render random nonce that no author can guess.
    """
    meta = tokens[idx].meta
    provider = meta["provider"]
    title = meta["title"] or _VIDEO_TITLES[provider]
    embeds: list[str] = env[_ENV_EMBEDS]
    embeds.append(
        f'<iframe src="{escapeHtml(meta["player"])}" title="{escapeHtml(title)}" '
        'loading="lazy" referrerpolicy="strict-origin-when-cross-origin" '
        f'allow="{_EMBED_ALLOW}" allowfullscreen></iframe>'
    )
    if _ENV_EMBED_NONCE not in env:
        env[_ENV_EMBED_NONCE] = secrets.token_hex(16)
    placeholder = _embed_placeholder(env[_ENV_EMBED_NONCE], len(embeds) - 1)
    return f'<div class="embed embed-{provider}">{placeholder}</div>\n'


def _embed_placeholder(nonce: str, index: int) -> str:
    return f"emdash-embed-{nonce}-{index}"


def _insert_embeds(cleaned: str, env: EnvType) -> str:
    for index, iframe in enumerate(env[_ENV_EMBEDS]):
        cleaned = cleaned.replace(
            _embed_placeholder(env[_ENV_EMBED_NONCE], index), iframe
        )
    return cleaned


def _render_link_card(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    meta = tokens[idx].meta
    return (
        f'<div class="embed embed-link"><a href="{escapeHtml(meta["url"])}">'
        f'<span class="embed-title">{escapeHtml(meta["title"] or meta["url"])}</span> '
        f'<span class="embed-host">{escapeHtml(meta["host"])}</span></a></div>\n'
    )


def _render_raw_html(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # Cleaned on its own first so that unbalanced tags cannot swallow what follows.
    return sanitize_html(tokens[idx].content) + "\n"


def _render_directive_source(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    source = escapeHtml(tokens[idx].content)
    return f'<pre class="directive-source"><code>{source}</code></pre>\n'


_RENDER_RULES: Final[dict[str, _RenderRule]] = {
    "th_open": _render_table_cell,
    "td_open": _render_table_cell,
    "task_checkbox": _render_task_checkbox,
    "directive_image": _render_image,
    "directive_video": _render_video,
    "directive_link_card": _render_link_card,
    "directive_html": _render_raw_html,
    "directive_source": _render_directive_source,
}


# --- sanitising ----------------------------------------------------------------------

_ALLOWED_TAGS: Final = frozenset(
    {
        *("a", "abbr", "aside", "b", "blockquote", "br", "caption", "cite", "code"),
        *("col", "colgroup", "dd", "del", "details", "div", "dl", "dt", "em"),
        *("figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i"),
        *("img", "input", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s"),
        *("samp", "section", "small", "span", "strong", "sub", "summary", "sup"),
        *("table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul"),
        *("var", "wbr"),
    }
)
_ALLOWED_ATTRIBUTES: Final = {
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    "code": {"class"},
    "col": {"span"},
    "colgroup": {"span"},
    "details": {"open"},
    "img": {"src", "alt", "title", "width", "height"},
    "input": {"checked"},
    "li": {"id"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
}
_ALLOWED_ATTRIBUTE_VALUES: Final = {
    "img": {"loading": {"lazy", "eager"}},
    "input": {"type": {"checkbox"}},
    "td": {"align": set(ALIGNMENTS)},
    "th": {"align": set(ALIGNMENTS)},
}
# Task lists are the only source of <input>, and they are read-only. A single forced
# attribute: nh3 writes several in hash order, which would make output vary by process.
_FORCED_ATTRIBUTE_VALUES: Final = {"input": {"disabled": ""}}
_ALLOWED_CLASSES: Final = {
    "a": {"footnote-backref"},
    "aside": {"callout", *(f"callout-{kind}" for kind in CALLOUT_KINDS)},
    "div": {
        *("gallery", "embed", "embed-youtube", "embed-vimeo", "embed-link"),
        *(f"gallery-columns-{n}" for n in range(1, MAX_GALLERY_COLUMNS + 1)),
    },
    "figure": {"image", "gallery-item", *(f"align-{a}" for a in ALIGNMENTS)},
    "hr": {"footnotes-sep"},
    "input": {"task-list-item-checkbox"},
    "li": {"task-list-item", "footnote-item"},
    "ol": {"footnotes-list", "contains-task-list"},
    "p": {"callout-title"},
    "pre": {"directive-source"},
    "section": {"footnotes"},
    "span": {"embed-title", "embed-host"},
    "sup": {"footnote-ref"},
    "ul": {"contains-task-list"},
}


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """Value checks nh3 cannot express: code languages, footnote ids, sizes."""
    if tag == "code" and name == "class":  # other tags use allowed_classes
        kept = [c for c in value.split() if _CODE_LANGUAGE_CLASS.fullmatch(c)]
        return " ".join(kept) or None
    if name == "id":
        return value if _FOOTNOTE_ID.fullmatch(value) else None
    if name in ("width", "height"):
        return value if _DIMENSION.fullmatch(value) else None
    return value


@functools.cache
def _sanitiser() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(_ALLOWED_TAGS),
        clean_content_tags={"script", "style", "iframe", "object", "template"},
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        tag_attribute_values=_ALLOWED_ATTRIBUTE_VALUES,
        set_tag_attribute_values=_FORCED_ATTRIBUTE_VALUES,
        allowed_classes=_ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


@functools.cache
def _text_extractor() -> nh3.Cleaner:
    return nh3.Cleaner(tags=set(), clean_content_tags={"script", "style", "template"})


# --- plain text ----------------------------------------------------------------------


def _html_text(markup: str) -> str:
    _check_html_depth(markup)
    return html.unescape(_text_extractor().clean(markup))


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image" and child.children:
            parts.append(_inline_text(child.children))
    return "".join(parts)


def _token_texts(tokens: Sequence[Token]) -> Iterator[str]:
    for token in tokens:
        match token.type:
            case "inline":
                yield _inline_text(token.children or [])
            case "code_block" | "fence":
                yield token.content
            case "directive_source":
                yield token.meta["body"]
            case "html_block" | "directive_html":
                yield _html_text(token.content)
            case "directive_image":
                yield token.meta["alt"]
            case "directive_video" | "directive_link_card":
                yield token.meta["title"]
