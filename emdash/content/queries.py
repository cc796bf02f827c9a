"""Reads: entry listings for editors and agents (filters, sort, cursor pages) and
the public views of live content that the site, feeds and anonymous API see."""

import dataclasses
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db.models import Count, F, Max, Min, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from emdash.content.indexes import filter_expression
from emdash.content.models import (
    Collection,
    Entry,
    EntryTerm,
    Status,
    Term,
    Visibility,
)
from emdash.content.services.collections import indexed_kinds, load_collection
from emdash.content.services.entries import live_q
from emdash.core import epoch, paging
from emdash.core.actors import Actor
from emdash.core.epoch import EpochState
from emdash.core.errors import ValidationFailed

SYSTEM_SORTS = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "published_at": "sort_published",
    "title": "title",
    "slug": "slug",
}
FILTER_OPS = {"eq": "", "lt": "__lt", "lte": "__lte", "gt": "__gt", "gte": "__gte"}


@dataclass(frozen=True)
class Page:
    items: list[Entry]
    next_cursor: str | None
    # True when items show their live revision rather than the working copy.
    live: bool


@dataclass(frozen=True)
class EntryFilters:
    status: str | None = None
    term: str | None = None  # "taxonomy:term-slug"
    author: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    fields: tuple[tuple[str, str, Any], ...] = ()  # (field slug, op, raw value)


def _typed(kind: str, raw: Any, field: str) -> Any:
    if kind == "number":
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise ValidationFailed(
                "Invalid filter.", fields={field: "must be a number"}
            ) from None
    if kind == "boolean":
        if str(raw).lower() not in {"true", "false", "1", "0"}:
            raise ValidationFailed(
                "Invalid filter.", fields={field: "must be true or false"}
            )
        return str(raw).lower() in {"true", "1"}
    return str(raw)


def _apply_filters(
    queryset: QuerySet[Entry], kinds: dict[str, str], filters: EntryFilters
) -> QuerySet[Entry]:
    if filters.status:
        if filters.status not in Status.values:
            raise ValidationFailed(
                "Invalid status filter.",
                fields={"status": f"must be one of: {', '.join(Status.values)}"},
            )
        queryset = queryset.filter(status=filters.status)
    else:
        queryset = queryset.exclude(status=Status.TRASH)
    if filters.term:
        taxonomy, _, term = filters.term.partition(":")
        if not term:
            raise ValidationFailed(
                "Invalid term filter.", fields={"term": "must be taxonomy:term-slug"}
            )
        queryset = queryset.filter(
            entry_terms__term__taxonomy__slug=taxonomy, entry_terms__term__slug=term
        )
    if filters.author is not None:
        queryset = queryset.filter(author_id=filters.author)
    if filters.date_from:
        queryset = queryset.filter(sort_published__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(sort_published__lt=filters.date_to)
    for index, (slug, op, raw) in enumerate(filters.fields):
        name = f"field.{slug}"
        if slug not in kinds:
            raise ValidationFailed(
                "Only indexed fields can be filtered.",
                fields={name: "is not an indexed field of this collection"},
            )
        if op not in FILTER_OPS:
            raise ValidationFailed(
                "Invalid filter.", fields={name: f"unknown operator {op!r}"}
            )
        alias = f"f{index}"
        kind = kinds[slug]
        value = _typed(kind, raw, name)
        if kind == "boolean":
            queryset = queryset.filter(**{f"data__{slug}": value})
            continue
        queryset = queryset.alias(**{alias: filter_expression(slug, kind)}).filter(
            **{f"{alias}{FILTER_OPS[op]}": value}
        )
    return queryset


def list_entries(
    actor: Actor,
    collection_slug: str,
    *,
    filters: EntryFilters | None = None,
    sort: str = "-created_at",
    cursor: str | None = None,
    limit: int = paging.DEFAULT_LIMIT,
) -> Page:
    """A page of entries. Editors see working copies of every status; anyone else
    sees live, public entries only (as their live revision)."""
    collection = load_collection(collection_slug)
    actor.require("content:read")
    filters = filters or EntryFilters()
    paging.check_limit(limit)
    live_only = not actor.has("content:read_drafts")
    queryset = Entry.objects.filter(collection=collection).annotate(
        sort_published=Coalesce("published_at", "created_at")
    )
    if live_only:
        if filters.status and filters.status != Status.PUBLISHED:
            raise ValidationFailed(
                "You may only list published entries.",
                fields={"status": "must be published"},
            )
        queryset = queryset.filter(live_q(), visibility=Visibility.PUBLIC)
        filters = dataclasses.replace(filters, status=None)
    kinds = indexed_kinds(collection)
    queryset = _apply_filters(queryset, kinds, filters)

    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key in SYSTEM_SORTS:
        sort_expression: Any = SYSTEM_SORTS[key]
        queryset = queryset.alias(sort_key=F(sort_expression))
    elif key in kinds:
        queryset = queryset.alias(
            sort_key=Coalesce(filter_expression(key, kinds[key]), _zero(kinds[key]))
        )
    else:
        allowed = ", ".join([*SYSTEM_SORTS, *kinds])
        raise ValidationFailed(
            "Invalid sort.",
            fields={"sort": f"must be one of: {allowed} (prefix - for descending)"},
        )
    if cursor:
        value, last_id = paging.decode_cursor(cursor)
        if key in {"created_at", "updated_at", "published_at"}:
            value = paging.parse_cursor_time(value)
        op = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"sort_key__{op}": value})
            | Q(sort_key=value, **{f"id__{op}": last_id})
        )
    order = ["-sort_key", "-id"] if descending else ["sort_key", "id"]
    rows, last = paging.last_of_page(
        list(
            queryset.annotate(cursor_key=F("sort_key"))
            .order_by(*order)
            .select_related("collection", "author", "live_revision")[: limit + 1]
        ),
        limit,
    )
    next_cursor = (
        paging.encode_cursor([_cursor_value(last.cursor_key), last.pk])
        if last
        else None
    )
    return Page(items=rows, next_cursor=next_cursor, live=live_only)


def _zero(kind: str) -> Value:
    return Value(0.0) if kind == "number" else Value("")


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# -- what the public sees now -------------------------------------------------------

_window_memo: dict[int, tuple[float, EpochState]] = {}


def public_state() -> EpochState:
    """The content epoch, corrected for scheduled entries that went live since the
    last write (no write happens on a read, so the stored next due time can lie
    in the past). Then one query finds the latest passed due time, which joins
    the cache key, and the next future one, which bounds cache lifetimes."""
    state = epoch.current()
    if state.next_due_at is None or state.next_due_at > timezone.now():
        return state
    memo = _window_memo.get(state.value)
    if memo and time.monotonic() - memo[0] < settings.EPOCH_MEMO_SECONDS:
        return memo[1]
    now = timezone.now()
    window = Entry.objects.filter(status=Status.SCHEDULED).aggregate(
        passed=Max("scheduled_at", filter=Q(scheduled_at__lte=now)),
        upcoming=Min("scheduled_at", filter=Q(scheduled_at__gt=now)),
    )
    passed = window["passed"]
    corrected = EpochState(
        value=state.value,
        next_due_at=window["upcoming"],
        due_marker=str(int(passed.timestamp())) if passed else "",
    )
    _window_memo.clear()
    _window_memo[state.value] = (time.monotonic(), corrected)
    return corrected


# -- public views ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicEntry:
    """Live content as readers see it: plain data, no ORM objects."""

    id: str
    collection: str
    slug: str
    title: str
    data: dict[str, Any]
    rendered: dict[str, str]
    seo: dict[str, Any]
    url: str
    published_at: datetime | None
    updated_at: datetime
    author_name: str
    visibility: str


def entry_url(url_pattern: str, slug: str) -> str:
    return url_pattern.replace("{slug}", slug)


def _public(entry: Entry) -> PublicEntry:
    live = entry.live_revision
    assert live is not None  # noqa: S101 - live_q guarantees a live revision
    author = entry.author
    return PublicEntry(
        id=entry.pk,
        collection=entry.collection.slug,
        slug=live.slug,
        title=live.title,
        data=live.data,
        rendered=live.rendered,
        seo=live.seo,
        url=entry_url(entry.collection.url_pattern, live.slug),
        published_at=entry.published_at,
        updated_at=entry.updated_at,
        author_name=(author.display_name or "") if author else "",
        visibility=entry.visibility,
    )


def _public_queryset(now: datetime | None = None) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(live_q(now), live_revision__isnull=False)
        .exclude(visibility=Visibility.PRIVATE)
        .select_related("collection", "author", "live_revision")
    )


def public_entry(collection_slug: str, slug: str) -> PublicEntry | None:
    """The live entry at ``slug`` in a collection, or None (one query)."""
    entry = (
        _public_queryset()
        .filter(collection__slug=collection_slug, live_revision__slug=slug)
        .order_by("-published_at")
        .first()
    )
    return _public(entry) if entry else None


def public_latest(
    collection_slug: str, *, limit: int = 10, offset: int = 0
) -> list[PublicEntry]:
    """Newest live entries of a collection (one query)."""
    entries = (
        _public_queryset()
        .filter(collection__slug=collection_slug)
        .order_by("-published_at", "-id")[offset : offset + limit]
    )
    return [_public(e) for e in entries]


@dataclass(frozen=True)
class PublicTerm:
    taxonomy: str
    taxonomy_label: str
    slug: str
    name: str
    description: str


def public_term(taxonomy_slug: str, term_slug: str) -> PublicTerm | None:
    """A term for its archive page, or None (one query)."""
    row = (
        Term.objects.filter(taxonomy__slug=taxonomy_slug, slug=term_slug)
        .values_list("slug", "name", "description", "taxonomy__label")
        .first()
    )
    if row is None:
        return None
    slug, name, description, label = row
    return PublicTerm(taxonomy_slug, label, slug, name, description)


def public_by_term(
    taxonomy_slug: str, term_slug: str, *, limit: int = 10, offset: int = 0
) -> list[PublicEntry]:
    """Newest live entries filed under a term or, in a hierarchical taxonomy,
    under any term below it (two queries: the term tree, then the entries)."""
    terms = list(
        Term.objects.filter(taxonomy__slug=taxonomy_slug).values_list(
            "pk", "slug", "parent_id"
        )
    )
    roots = [pk for pk, slug, _ in terms if slug == term_slug]
    wanted = set(roots)
    frontier = set(roots)
    while frontier:
        frontier = {pk for pk, _, parent in terms if parent in frontier} - wanted
        wanted |= frontier
    if not wanted:
        return []
    entries = (
        _public_queryset()
        .filter(pk__in=EntryTerm.objects.filter(term_id__in=wanted).values("entry_id"))
        .order_by("-published_at", "-id")[offset : offset + limit]
    )
    return [_public(e) for e in entries]


def check_entry_password(entry_id: str, password: str) -> bool:
    """Whether ``password`` opens a password-protected entry. The hash never
    leaves this function, so templates cannot print it."""
    stored = (
        Entry.objects.filter(pk=entry_id, visibility=Visibility.PASSWORD)
        .values_list("password_hash", flat=True)
        .first()
    )
    return bool(password and stored) and check_password(password, stored)


def public_sitemap() -> list[tuple[str, datetime]]:
    """(URL, last change) of every live, public entry not marked noindex (one
    query). The noindex flag lives in the live revision's SEO JSON, so it is
    checked here rather than in SQL, the same way on every database."""
    rows = (
        _public_queryset()
        .filter(visibility=Visibility.PUBLIC)
        .exclude(collection__url_pattern="")
        .order_by("collection__slug", "-published_at")
        .values_list(
            "collection__url_pattern",
            "live_revision__slug",
            "live_revision__seo",
            "updated_at",
        )
    )
    return [
        (entry_url(pattern, slug), updated)
        for pattern, slug, seo, updated in rows
        if not (seo or {}).get("noindex")
    ]


def public_collections_by_pattern() -> list[tuple[str, str]]:
    """(collection slug, url pattern) pairs for routing public URLs."""
    return list(
        Collection.objects.exclude(url_pattern="").values_list("slug", "url_pattern")
    )


@dataclass(frozen=True)
class EntryCounts:
    by_status: Counter[str]
    # Per collection slug, not counting the trash.
    by_collection: Counter[str]


def entry_counts(actor: Actor) -> EntryCounts:
    """How many entries there are per status and per collection, in one query."""
    actor.require("content:read_drafts")
    counts = EntryCounts(by_status=Counter(), by_collection=Counter())
    rows = (
        Entry.objects.order_by()
        .values_list("collection__slug", "status")
        .annotate(count=Count("pk"))
    )
    for collection, status, count in rows:
        counts.by_status[status] += count
        if status != Status.TRASH:
            counts.by_collection[collection] += count
    return counts
