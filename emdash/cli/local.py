"""In-process handlers: each does what its REST route does, through the same
services and the same converters, as the system actor (the operator at the
machine). The services are imported when a handler runs, after Django is set
up, so the operation table can be read without them."""

from datetime import datetime
from typing import Any

from emdash.accounts.schemas import TokenCreatedOut, TokenListOut, TokenOut
from emdash.cli.client import Request
from emdash.cli.models import SettingsOut
from emdash.content.schemas import (
    CollectionListOut,
    CollectionOut,
    EntryOut,
    EntryPageOut,
    FieldChangeReportOut,
    FieldOut,
    MenuListOut,
    MenuOut,
    RevisionListOut,
    SearchHitOut,
    SearchResultsOut,
    TaxonomyListOut,
    TaxonomyOut,
    TermListOut,
    TermOut,
    collection_out,
    entry_out,
    entry_page_out,
    menu_out,
    revision_out,
    taxonomy_out,
    term_out,
)
from emdash.core.actors import SYSTEM

FIELD_FILTER_PREFIX = "field."


# -- schema ----------------------------------------------------------------------------


def list_collections(request: Request) -> CollectionListOut:
    from emdash.content.services import collections

    found = collections.list_collections(SYSTEM)
    return CollectionListOut(items=[collection_out(c) for c in found])


def get_collection(request: Request) -> CollectionOut:
    from emdash.content.services import collections

    return collection_out(
        collections.get_collection(SYSTEM, request.path["collection"])
    )


def create_collection(request: Request) -> CollectionOut:
    from emdash.content.services import collections

    return collection_out(collections.create_collection(SYSTEM, request.body or {}))


def update_collection(request: Request) -> CollectionOut:
    from emdash.content.services import collections

    slug = request.path["collection"]
    return collection_out(
        collections.update_collection(SYSTEM, slug, request.body or {})
    )


def add_field(request: Request) -> FieldOut:
    from emdash.content.services import collections

    field = collections.add_field(
        SYSTEM, request.path["collection"], request.body or {}
    )
    return FieldOut.model_validate(field, from_attributes=True)


def update_field(request: Request) -> FieldChangeReportOut:
    from emdash.content.services import collections

    report = collections.update_field(
        SYSTEM,
        request.path["collection"],
        request.path["field"],
        request.body or {},
        force=bool(request.query.get("force")),
        dry_run=bool(request.query.get("dry_run")),
    )
    return FieldChangeReportOut(**report.as_dict())


def remove_field(request: Request) -> FieldChangeReportOut:
    from emdash.content.services import collections

    report = collections.remove_field(
        SYSTEM, request.path["collection"], request.path["field"]
    )
    return FieldChangeReportOut(**report.as_dict())


# -- content ---------------------------------------------------------------------------


def _entry_id(request: Request) -> str:
    """The entry the path names, by id or (as only the CLI allows) by slug."""
    from emdash.content.seed import find_entry_id
    from emdash.core.ids import is_ulid

    ref = request.path["entry"]
    # Slugs are lowercase and ids uppercase, so one never passes for the other.
    if ref.isupper() and is_ulid(ref):
        return ref
    # An unknown slug goes on as it is, for the service's ENTRY_NOT_FOUND.
    return find_entry_id(request.path["collection"], ref) or ref


def _field_filters(query: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """``field.price.gte=10`` -> ``("price", "gte", "10")``; no operator means eq."""
    found = []
    for key, value in query.items():
        if key.startswith(FIELD_FILTER_PREFIX):
            slug, _, op = key.removeprefix(FIELD_FILTER_PREFIX).partition(".")
            values = value if isinstance(value, list) else [value]
            found += [(slug, op or "eq", str(item)) for item in values]
    return tuple(found)


def list_entries(request: Request) -> EntryPageOut:
    from emdash.content import queries

    query = request.query
    filters = queries.EntryFilters(
        status=query.get("status"),
        term=query.get("term"),
        fields=_field_filters(query),
    )
    page = queries.list_entries(
        SYSTEM,
        request.path["collection"],
        filters=filters,
        sort=query.get("sort") or "-created_at",
        cursor=query.get("cursor"),
        limit=int(query.get("limit") or queries.DEFAULT_LIMIT),
    )
    return entry_page_out(page)


def get_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    collection = request.path["collection"]
    return entry_out(entries.get_entry(SYSTEM, collection, _entry_id(request)))


def create_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    collection = request.path["collection"]
    return entry_out(entries.create_entry(SYSTEM, collection, request.body or {}))


def update_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    collection = request.path["collection"]
    entry = entries.update_entry(
        SYSTEM, collection, _entry_id(request), request.body or {}
    )
    return entry_out(entry)


def _version(values: dict[str, Any] | None) -> int | None:
    return (values or {}).get("version")


def trash_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.trash_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        version=_version(request.query),
    )
    return entry_out(entry)


def publish_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.publish_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        version=_version(request.body),
    )
    return entry_out(entry)


def unpublish_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.unpublish_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        version=_version(request.body),
    )
    return entry_out(entry)


def schedule_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    body = request.body or {}
    entry = entries.schedule_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        at=body.get("scheduled_at"),
        version=_version(body),
    )
    return entry_out(entry)


def restore_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.restore_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        version=_version(request.body),
    )
    return entry_out(entry)


def duplicate_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    collection = request.path["collection"]
    return entry_out(entries.duplicate_entry(SYSTEM, collection, _entry_id(request)))


def submit_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.submit_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        version=_version(request.body),
    )
    return entry_out(entry)


def list_revisions(request: Request) -> RevisionListOut:
    from emdash.content.services import entries

    collection = request.path["collection"]
    revisions = entries.list_revisions(SYSTEM, collection, _entry_id(request))
    return RevisionListOut(items=[revision_out(r, r.entry) for r in revisions])


def restore_revision(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.restore_revision(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        request.path["revision"],
        version=_version(request.body),
    )
    return entry_out(entry)


# -- taxonomies and menus --------------------------------------------------------------


def list_taxonomies(request: Request) -> TaxonomyListOut:
    from emdash.content.services import taxonomies

    found = taxonomies.list_taxonomies(SYSTEM)
    return TaxonomyListOut(items=[taxonomy_out(t) for t in found])


def create_taxonomy(request: Request) -> TaxonomyOut:
    from emdash.content.services import taxonomies

    return taxonomy_out(taxonomies.create_taxonomy(SYSTEM, request.body or {}))


def list_terms(request: Request) -> TermListOut:
    from emdash.content.services import taxonomies

    found = taxonomies.list_terms(SYSTEM, request.path["taxonomy"])
    return TermListOut(items=[term_out(t) for t in found])


def create_term(request: Request) -> TermOut:
    from emdash.content.services import taxonomies

    taxonomy = request.path["taxonomy"]
    return term_out(taxonomies.create_term(SYSTEM, taxonomy, request.body or {}))


def list_menus(request: Request) -> MenuListOut:
    from emdash.content.services import menus

    return MenuListOut(items=[menu_out(m) for m in menus.list_menus(SYSTEM)])


def get_menu(request: Request) -> MenuOut:
    from emdash.content.services import menus

    return menu_out(menus.get_menu(SYSTEM, request.path["menu"]))


def save_menu(request: Request) -> MenuOut:
    from emdash.content.services import menus

    body = request.body or {}
    menu = menus.save_menu(
        SYSTEM, request.path["menu"], label=body.get("label"), items=body.get("items")
    )
    return menu_out(menu)


# -- search, settings, tokens ----------------------------------------------------------


def search(request: Request) -> SearchResultsOut:
    from emdash.content import search as search_service

    hits = search_service.search(
        SYSTEM,
        request.query["q"],
        collections=request.query.get("collection"),
        limit=int(request.query.get("limit") or 20),
    )
    return SearchResultsOut(
        items=[SearchHitOut.model_validate(hit, from_attributes=True) for hit in hits]
    )


def get_settings(request: Request) -> SettingsOut:
    from emdash.core import site_settings

    return SettingsOut(site_settings.get_all(SYSTEM))


def create_token(request: Request) -> TokenCreatedOut:
    from emdash.accounts import tokens
    from emdash.accounts.schemas import token_out

    body = request.body or {}
    expires_at = body.get("expires_at")
    issued = tokens.create_token(
        SYSTEM,
        name=body.get("name", ""),
        scopes=body.get("scopes", []),
        expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
    )
    return TokenCreatedOut(
        **token_out(issued.token).model_dump(), token=issued.plaintext
    )


def list_tokens(request: Request) -> TokenListOut:
    from emdash.accounts import tokens
    from emdash.accounts.schemas import token_out

    return TokenListOut(items=[token_out(t) for t in tokens.list_tokens(SYSTEM)])


def revoke_token(request: Request) -> TokenOut:
    from emdash.accounts import tokens
    from emdash.accounts.schemas import token_out

    return token_out(tokens.revoke_token(SYSTEM, request.path["token"]))
