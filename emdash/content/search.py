"""Full-text search over entries: SQLite FTS5 or PostgreSQL tsvector, one interface.

Both engines index the folded copies in ``SearchDocument`` (see
``migrations/0002_search_index.py``); this module turns a user's query into the
same list of terms for either engine, ranks with the engine, and builds snippets
in Python so they are identical everywhere. ``docs/search.md`` has the rules.
"""

import html
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL

from emdash.content.models import Entry, SearchDocument, Visibility
from emdash.content.services.entries import live_q
from emdash.content.text import WORD, fold
from emdash.core.actors import Actor
from emdash.core.errors import ValidationFailed

MAX_QUERY_CHARS = 200
MAX_TERMS = 10
MAX_LIMIT = 100


# Title matches weigh ten times body matches on both engines.
SQLITE_RANK = "-bm25(content_searchdocument_fts, 10.0, 1.0)"
POSTGRESQL_WEIGHTS = "{0.1, 0.1, 0.1, 1.0}"  # D, C, B (body), A (title)

SNIPPET_WORDS = 30
SNIPPET_WORDS_BEFORE = 10
SNIPPET_MAX_CHARS = 320
ELLIPSIS = "…"
_NON_SPACE = re.compile(r"\S+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchHit:
    """One result, as the searcher may see it: the entry's id, collection, slug and
    title, an HTML ``snippet`` (escaped, matches in ``<mark>``) and a ``score``
    (higher is better; compare scores only within one result list)."""

    id: str
    collection: str
    slug: str
    title: str
    snippet: str
    score: float


def query_terms(query: str) -> list[str]:
    """The words of a query as both engines index them: folded, split into words,
    at most ``MAX_TERMS`` of them from the first ``MAX_QUERY_CHARS`` characters.

    Raises ``ValidationFailed`` for an empty query. A query of punctuation alone
    gives no terms (and so no results), never an error."""
    if not query.strip():
        raise ValidationFailed(
            "Type something to search for.", fields={"q": "must not be empty"}
        )
    return WORD.findall(fold(query[:MAX_QUERY_CHARS]))[:MAX_TERMS]


def search(
    actor: Actor,
    query: str,
    *,
    collections: Sequence[str] | None = None,
    limit: int = 20,
    locale: str | None = None,
) -> list[SearchHit]:
    """Entries matching every word of ``query`` (the last word also as a prefix),
    best first.

    Actors who may read drafts search the working copies of all entries not in
    the trash. Everyone else, anonymous visitors included, searches the live
    revisions of public entries that are live right now: published, or scheduled
    with their time passed."""
    actor.require("search:read")
    terms = query_terms(query)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            "Invalid limit.", fields={"limit": f"must be between 1 and {MAX_LIMIT}"}
        )
    if not terms or (collections is not None and not collections):
        return []
    live = not actor.has("content:read_drafts")
    documents = _searchable_documents(live=live, collections=collections, locale=locale)
    ranked = _rank(documents, terms, limit)
    return _hits(ranked, terms, live=live)


def rebuild_index() -> int:
    """Re-read every search document into the engine's index; returns their number.

    FTS5 is rebuilt from ``content_searchdocument``; PostgreSQL computes the
    vector column on every write, so there is nothing to rebuild."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO content_searchdocument_fts(content_searchdocument_fts) "
                "VALUES ('rebuild')"
            )
    return SearchDocument.objects.count()


def make_snippet(text: str, terms: Sequence[str]) -> str | None:
    """Escaped HTML of about ``SNIPPET_WORDS`` words of ``text`` around the first
    word matching ``terms`` (the last term as a prefix), each match wrapped in
    ``<mark>``, with an ellipsis where the text was cut. ``None`` when no word of
    ``text`` matches."""
    matched = _matching_spans(text, terms)
    first = next(matched, None)
    if first is None:
        return None
    start, end = _window(text, first)
    marks = [first]
    for span in matched:
        if span[0] >= end:
            break
        marks.append(span)
    return _render(text, start, end, marks)


# -- which documents ------------------------------------------------------------------


def _searchable_documents(
    *, live: bool, collections: Sequence[str] | None, locale: str | None
) -> QuerySet[SearchDocument]:
    if live:
        # live_q() is evaluated at query time, so a scheduled entry becomes
        # findable once its time passes, with no write in between.
        live_entry = Entry.objects.filter(
            live_q(), visibility=Visibility.PUBLIC, pk=OuterRef("entry_id")
        )
        documents = SearchDocument.objects.filter(
            Exists(live_entry), variant=SearchDocument.LIVE
        )
    else:
        # Trashing an entry deletes its documents, so no status check is needed.
        documents = SearchDocument.objects.filter(variant=SearchDocument.WORKING)
    if collections is not None:
        documents = documents.filter(collection_slug__in=list(collections))
    if locale is not None:
        documents = documents.filter(locale=locale)
    return documents


# -- ranking --------------------------------------------------------------------------


def _fts5_query(terms: Sequence[str]) -> str:
    # Words hold letters and digits only, so quoting each one makes it a plain
    # string to FTS5: no operator, column filter or syntax error can get through.
    quoted = [f'"{term}"' for term in terms]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def _tsquery(terms: Sequence[str]) -> str:
    # Likewise quoted lexemes for to_tsquery; ':*' makes the last one a prefix.
    quoted = [f"'{term}'" for term in terms]
    quoted[-1] += ":*"
    return " & ".join(quoted)


def _rank(
    documents: QuerySet[SearchDocument], terms: Sequence[str], limit: int
) -> list[tuple[int, float]]:
    """(document id, score) of the best ``limit`` matches; higher score is better."""
    postgresql = connection.vendor == "postgresql"
    # The engine finds the matches; each one is then checked against the filters
    # by primary key, a correlated EXISTS, so the cost follows the number of
    # matches rather than the number of documents.
    matched_id = "d.id" if postgresql else "content_searchdocument_fts.rowid"
    # A constant column of the outer query, not input.
    allowed = documents.filter(pk=RawSQL(matched_id, ())).values("pk")  # noqa: S611
    # Django's compiled SQL with its own parameters: user input reaches the
    # database only as parameters.
    allowed_sql, allowed_params = allowed.query.sql_with_params()
    if postgresql:
        sql = (
            f"SELECT d.id, ts_rank_cd(%s::float4[], d.search_vector, q, 1) AS score "  # noqa: S608
            f"FROM content_searchdocument d, to_tsquery('simple', %s) q "
            f"WHERE d.search_vector @@ q AND EXISTS ({allowed_sql}) "
            f"ORDER BY score DESC, d.id LIMIT %s"
        )
        params = (POSTGRESQL_WEIGHTS, _tsquery(terms), *allowed_params, limit)
    else:
        sql = (
            f"SELECT rowid, {SQLITE_RANK} AS score FROM content_searchdocument_fts "  # noqa: S608
            f"WHERE content_searchdocument_fts MATCH %s AND EXISTS ({allowed_sql}) "
            f"ORDER BY score DESC, rowid LIMIT %s"
        )
        params = (_fts5_query(terms), *allowed_params, limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(document_id, float(score)) for document_id, score in cursor.fetchall()]


def _hits(
    ranked: list[tuple[int, float]], terms: Sequence[str], *, live: bool
) -> list[SearchHit]:
    documents = SearchDocument.objects.select_related(
        "entry", "entry__live_revision"
    ).only(
        "title",
        "body",
        "collection_slug",
        "entry__slug",
        "entry__title",
        "entry__live_revision__slug",
        "entry__live_revision__title",
    )
    by_id = documents.in_bulk([document_id for document_id, _ in ranked])
    hits: list[SearchHit] = []
    for document_id, score in ranked:
        document = by_id.get(document_id)
        # A document can vanish, or lose its live revision, between the two queries.
        if document is None:
            continue
        shown = document.entry.live_revision if live else document.entry
        if shown is None:
            continue
        snippet = (
            make_snippet(document.body, terms)
            or make_snippet(document.title, terms)
            or _opening(document.body or document.title)
        )
        hits.append(
            SearchHit(
                id=document.entry.pk,
                collection=document.collection_slug,
                slug=shown.slug,
                title=shown.title,
                snippet=snippet,
                score=score,
            )
        )
    return hits


# -- snippets -------------------------------------------------------------------------


def _matches(text: str, terms: Sequence[str]) -> bool:
    *exact, prefix = terms
    return any(
        token in exact or token.startswith(prefix) for token in WORD.findall(fold(text))
    )


def _is_word_character(character: str) -> bool:
    # Judged after folding: a combining accent folds away inside its word, and a
    # symbol such as "™" folds to letters the engines index.
    return bool(WORD.search(fold(character))) or unicodedata.combining(character) > 0


def _matching_spans(text: str, terms: Sequence[str]) -> Iterator[tuple[int, int]]:
    """Spans of the words of ``text`` that match, in order. Each space-separated
    chunk is folded once; only a matching chunk is split into its words."""
    for chunk in _NON_SPACE.finditer(text):
        if not _matches(chunk.group(), terms):
            continue
        position = chunk.start()
        for is_word, characters in groupby(chunk.group(), key=_is_word_character):
            length = len(list(characters))
            if is_word and _matches(text[position : position + length], terms):
                yield position, position + length
            position += length


def _window(text: str, match: tuple[int, int]) -> tuple[int, int]:
    """Character span of the words around ``match``: a few before, the rest after."""
    match_start, match_end = match
    before = [word.start() for word in _NON_SPACE.finditer(text, 0, match_start)]
    # The word holding the match may begin before it, as in "(match".
    if before and not text[match_start - 1].isspace():
        match_word_start = before.pop()
    else:
        match_word_start = match_start
    start = (before[-SNIPPET_WORDS_BEFORE:] or [match_word_start])[0]
    words_after = SNIPPET_WORDS - min(len(before), SNIPPET_WORDS_BEFORE)
    end = match_end
    for count, word in enumerate(_NON_SPACE.finditer(text, match_word_start), 1):
        end = word.end()
        if count == words_after:
            break
    # Text without spaces (long URLs, Chinese) is cut by characters instead.
    if end - start > SNIPPET_MAX_CHARS:
        start = max(start, match_start - SNIPPET_MAX_CHARS // 3)
        end = min(end, max(match_end, start + SNIPPET_MAX_CHARS))
    return start, end


def _render(text: str, start: int, end: int, marks: list[tuple[int, int]]) -> str:
    parts: list[str] = []
    position = start
    for mark_start, mark_end in marks:
        mark_end = min(mark_end, end)
        parts.append(_plain(text[position:mark_start]))
        parts.append(f"<mark>{html.escape(text[mark_start:mark_end])}</mark>")
        position = mark_end
    parts.append(_plain(text[position:end]))
    body = "".join(parts).strip()
    head = ELLIPSIS if text[:start].strip() else ""
    tail = ELLIPSIS if text[end:].strip() else ""
    return f"{head}{body}{tail}"


def _plain(text: str) -> str:
    return html.escape(_SPACES.sub(" ", text))


def _opening(text: str) -> str:
    """The first words of ``text``, escaped, for a hit whose match the snippet
    rules cannot place (a word split differently by the engine)."""
    words = _NON_SPACE.findall(text)
    shown = _plain(" ".join(words[:SNIPPET_WORDS]))
    return f"{shown}{ELLIPSIS}" if len(words) > SNIPPET_WORDS else shown
