"""Pydantic types shared by every door (API, CLI, MCP), with converters from models.

The REST API returns these, the CLI's local transport builds the same ones, so a
command prints the same thing whether it runs in-process or over HTTP.
"""

# Models and services are imported only where used, so a remote CLI command can
# use these types without loading Django.
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from emdash.content.models import Collection, Entry, Menu, Revision, Taxonomy, Term
    from emdash.content.queries import Page


class AuthorOut(BaseModel):
    id: int
    display_name: str


class EntryOut(BaseModel):
    id: str
    collection: str
    slug: str
    title: str
    locale: str
    status: str
    visibility: str
    data: dict[str, Any]
    seo: dict[str, Any]
    terms: dict[str, list[dict[str, str]]]
    version: int
    has_draft: bool
    live_revision_id: str | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    scheduled_at: datetime | None
    author: AuthorOut | None


class EntryPageOut(BaseModel):
    items: list[EntryOut]
    next_cursor: str | None


class FieldOut(BaseModel):
    slug: str
    label: str
    type: str
    required: bool
    unique: bool
    indexed: bool
    searchable: bool
    default: Any = None
    validation: dict[str, Any] = Field(default_factory=dict)
    help_text: str = ""


class CollectionOut(BaseModel):
    slug: str
    label: str
    label_singular: str
    description: str
    url_pattern: str
    supports: list[str]
    title_field: str
    fields: list[FieldOut]


class CollectionListOut(BaseModel):
    items: list[CollectionOut]
    next_cursor: str | None = None


class RevisionOut(BaseModel):
    id: str
    number: int
    slug: str
    title: str
    data: dict[str, Any]
    seo: dict[str, Any]
    actor: str
    note: str
    created_at: datetime
    live: bool
    current: bool


class RevisionListOut(BaseModel):
    items: list[RevisionOut]
    next_cursor: str | None = None


class TermOut(BaseModel):
    slug: str
    name: str
    description: str
    parent: str | None


class TaxonomyOut(BaseModel):
    slug: str
    label: str
    label_singular: str
    hierarchical: bool
    collections: list[str]


class MenuItemOut(BaseModel):
    label: str
    url: str
    entry: str | None
    target: str
    children: list[MenuItemOut]


class MenuOut(BaseModel):
    slug: str
    label: str
    items: list[MenuItemOut]


def entry_out(
    entry: Entry,
    terms: dict[str, list[dict[str, str]]] | None = None,
    *,
    live: bool = False,
) -> EntryOut:
    """Serialise an entry: its working copy, or (``live``) what the public sees."""
    from emdash.content.services import taxonomies as taxonomy_services

    if terms is None:
        terms = taxonomy_services.entry_terms(entry)
    source: Entry | Revision = entry
    if live and entry.live_revision is not None:
        source = entry.live_revision
    author = entry.author
    return EntryOut(
        id=entry.pk,
        collection=entry.collection.slug,
        slug=source.slug,
        title=source.title,
        locale=entry.locale,
        status=entry.status,
        visibility=entry.visibility,
        data=source.data,
        seo=source.seo,
        terms=terms,
        version=entry.version,
        has_draft=False if live else entry.has_draft,
        live_revision_id=entry.live_revision_id,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
        published_at=entry.published_at,
        scheduled_at=entry.scheduled_at,
        author=AuthorOut(id=author.pk, display_name=author.display_name or author.email)
        if author and not live
        else None,
    )


def entry_page_out(page: Page) -> EntryPageOut:
    from emdash.content.services import taxonomies as taxonomy_services

    terms = taxonomy_services.terms_for_entries([e.pk for e in page.items])
    return EntryPageOut(
        items=[entry_out(e, terms.get(e.pk, {}), live=page.live) for e in page.items],
        next_cursor=page.next_cursor,
    )


def collection_out(collection: Collection) -> CollectionOut:
    return CollectionOut(
        slug=collection.slug,
        label=collection.label,
        label_singular=collection.label_singular,
        description=collection.description,
        url_pattern=collection.url_pattern,
        supports=list(collection.supports),
        title_field=collection.title_field,
        fields=[
            FieldOut(
                slug=f.slug,
                label=f.label,
                type=f.type,
                required=f.required,
                unique=f.unique,
                indexed=f.indexed,
                searchable=f.searchable,
                default=f.default,
                validation=f.validation,
                help_text=f.help_text,
            )
            for f in collection.fields.all()
        ],
    )


def revision_out(revision: Revision, entry: Entry) -> RevisionOut:
    return RevisionOut(
        id=revision.pk,
        number=revision.number,
        slug=revision.slug,
        title=revision.title,
        data=revision.data,
        seo=revision.seo,
        actor=revision.actor_label,
        note=revision.note,
        created_at=revision.created_at,
        live=revision.pk == entry.live_revision_id,
        current=revision.pk == entry.current_revision_id,
    )


def taxonomy_out(taxonomy: Taxonomy) -> TaxonomyOut:
    return TaxonomyOut(
        slug=taxonomy.slug,
        label=taxonomy.label,
        label_singular=taxonomy.label_singular,
        hierarchical=taxonomy.hierarchical,
        collections=[c.slug for c in taxonomy.collections.all()],
    )


def term_out(term: Term) -> TermOut:
    return TermOut(
        slug=term.slug,
        name=term.name,
        description=term.description,
        parent=term.parent.slug if term.parent else None,
    )


def menu_out(menu: Menu) -> MenuOut:
    from emdash.content.services import menus as menu_services

    return MenuOut(
        slug=menu.slug,
        label=menu.label,
        items=[
            MenuItemOut.model_validate(item) for item in menu_services.menu_tree(menu)
        ],
    )


class RevisionChangeOut(BaseModel):
    # "from" is a keyword, so the attribute is from_ and the JSON name an alias.
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    from_: Any = Field(alias="from")
    to: Any


class RevisionComparisonOut(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    changes: dict[str, RevisionChangeOut]


class FieldChangeReportOut(BaseModel):
    """What a field change did (``applied``) or, for a dry run, would do."""

    field: str
    converted: int
    cleared: list[str]
    removed: int
    applied: bool


class MenuListOut(BaseModel):
    items: list[MenuOut]
    next_cursor: str | None = None


class TaxonomyListOut(BaseModel):
    items: list[TaxonomyOut]
    next_cursor: str | None = None


class TermListOut(BaseModel):
    items: list[TermOut]
    next_cursor: str | None = None


class SearchHitOut(BaseModel):
    id: str
    collection: str
    slug: str
    title: str
    snippet: str
    score: float


class SearchResultsOut(BaseModel):
    items: list[SearchHitOut]
