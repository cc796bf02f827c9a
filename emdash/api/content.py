"""Entries and their revisions: /_emdash/api/content/{collection}/..."""

from typing import Annotated, Any

from django.http import HttpRequest, QueryDict
from ninja import Query, Router
from pydantic import AwareDatetime, Field, StrictInt, StrictStr

from emdash.api.auth import actor_of
from emdash.api.bodies import Body
from emdash.content import queries
from emdash.content.models import Entry
from emdash.content.schemas import (
    EntryOut,
    EntryPageOut,
    RevisionComparisonOut,
    RevisionListOut,
    RevisionOut,
    entry_out,
    entry_page_out,
    revision_out,
)
from emdash.content.services import entries
from emdash.core import paging
from emdash.core.actors import Actor

router = Router(tags=["content"])

FIELD_FILTER_PREFIX = "field."


class EntryCreateIn(Body):
    data: dict[str, Any] | None = Field(
        None, description="Field values, checked by the collection"
    )
    slug: StrictStr | None = Field(
        None, description="Made from the title when left out"
    )
    status: StrictStr | None = Field(
        None, description="draft (default), pending, published or scheduled"
    )
    visibility: StrictStr | None = Field(
        None, description="public (default), private or password"
    )
    password: StrictStr | None = None
    seo: dict[str, Any] | None = Field(
        None, description="title, description, image, canonical, noindex"
    )
    terms: dict[str, list[StrictStr]] | None = Field(
        None, description='Term slugs per taxonomy: {"tags": ["news"]}'
    )
    locale: StrictStr | None = None
    scheduled_at: AwareDatetime | None = Field(
        None, description="Required with status scheduled"
    )


class EntryUpdateIn(Body):
    version: StrictInt = Field(
        description="The version you edited; a stale one gets 409"
    )
    data: dict[str, Any] | None = Field(
        None, description="Merged over the current data"
    )
    slug: StrictStr | None = None
    visibility: StrictStr | None = None
    password: StrictStr | None = None
    seo: dict[str, Any] | None = None
    terms: dict[str, list[StrictStr]] | None = Field(
        None, description="Replaces the terms of each taxonomy named"
    )


class VersionIn(Body):
    version: StrictInt | None = Field(
        None, description="Refused with 409 if the entry moved on"
    )


class ScheduleIn(VersionIn):
    scheduled_at: AwareDatetime


def _show(actor: Actor, entry: Entry) -> EntryOut:
    """The working copy for those who may read drafts, the live view for others."""
    return entry_out(entry, live=not actor.has("content:read_drafts"))


def _field_filters(params: QueryDict) -> tuple[tuple[str, str, str], ...]:
    """``field.price.gte=10`` -> ``("price", "gte", "10")``; no operator means eq."""
    found = []
    for key, values in params.lists():
        if key.startswith(FIELD_FILTER_PREFIX):
            slug, _, op = key.removeprefix(FIELD_FILTER_PREFIX).partition(".")
            found += [(slug, op or "eq", value) for value in values]
    return tuple(found)


@router.get(
    "/{collection}",
    response=EntryPageOut,
    operation_id="list_entries",
    url_name="list_entries",
    summary="List entries, filtered, sorted and a page at a time",
    description=(
        "Anonymous callers and tokens without content:read_drafts see live public "
        "entries as published. Indexed fields filter as `field.<slug>=value` or "
        "`field.<slug>.<op>=value` with op eq, lt, lte, gt or gte. Follow "
        "`next_cursor` (as `cursor`) until it is null."
    ),
)
def list_entries(
    request: HttpRequest,
    collection: str,
    status: str | None = None,
    term: Annotated[str | None, Query(description="taxonomy:term-slug")] = None,
    author: Annotated[int | None, Query(description="A user id")] = None,
    date_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    date_to: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    sort: Annotated[
        str,
        Query(description="A system or indexed field; a leading - sorts descending"),
    ] = "-created_at",
    limit: Annotated[int, Query(ge=1, le=paging.MAX_LIMIT)] = paging.DEFAULT_LIMIT,
    cursor: str | None = None,
) -> EntryPageOut:
    filters = queries.EntryFilters(
        status=status,
        term=term,
        author=author,
        date_from=date_from,
        date_to=date_to,
        fields=_field_filters(request.GET),
    )
    page = queries.list_entries(
        actor_of(request),
        collection,
        filters=filters,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    return entry_page_out(page)


@router.post(
    "/{collection}",
    response={201: EntryOut},
    operation_id="create_entry",
    url_name="create_entry",
    summary="Create an entry (a draft unless status says otherwise)",
)
def create_entry(
    request: HttpRequest, collection: str, payload: EntryCreateIn
) -> EntryOut:
    actor = actor_of(request)
    return _show(actor, entries.create_entry(actor, collection, payload.changes()))


@router.get(
    "/{collection}/{entry_id}",
    response=EntryOut,
    operation_id="get_entry",
    url_name="get_entry",
    summary="Get an entry: the working copy, or the live view for readers",
)
def get_entry(request: HttpRequest, collection: str, entry_id: str) -> EntryOut:
    actor = actor_of(request)
    return _show(actor, entries.get_entry(actor, collection, entry_id))


@router.patch(
    "/{collection}/{entry_id}",
    response=EntryOut,
    operation_id="update_entry",
    url_name="update_entry",
    summary="Edit the working copy (a published entry stays live as it was)",
)
def update_entry(
    request: HttpRequest, collection: str, entry_id: str, payload: EntryUpdateIn
) -> EntryOut:
    actor = actor_of(request)
    return _show(
        actor, entries.update_entry(actor, collection, entry_id, payload.changes())
    )


@router.delete(
    "/{collection}/{entry_id}",
    response=EntryOut,
    operation_id="trash_entry",
    url_name="trash_entry",
    summary="Move an entry to the trash",
)
def trash_entry(
    request: HttpRequest, collection: str, entry_id: str, version: int | None = None
) -> EntryOut:
    actor = actor_of(request)
    return _show(
        actor, entries.trash_entry(actor, collection, entry_id, version=version)
    )


@router.delete(
    "/{collection}/{entry_id}/permanent",
    response={204: None},
    operation_id="delete_entry_permanently",
    url_name="delete_entry_permanently",
    summary="Delete a trashed entry for good (administrators)",
)
def delete_entry_permanently(
    request: HttpRequest, collection: str, entry_id: str
) -> None:
    entries.delete_entry_permanently(actor_of(request), collection, entry_id)


@router.post(
    "/{collection}/{entry_id}/publish",
    response=EntryOut,
    operation_id="publish_entry",
    url_name="publish_entry",
    summary="Publish the working copy now",
)
def publish_entry(
    request: HttpRequest,
    collection: str,
    entry_id: str,
    payload: VersionIn | None = None,
) -> EntryOut:
    actor = actor_of(request)
    version = payload.version if payload else None
    return _show(
        actor, entries.publish_entry(actor, collection, entry_id, version=version)
    )


@router.post(
    "/{collection}/{entry_id}/unpublish",
    response=EntryOut,
    operation_id="unpublish_entry",
    url_name="unpublish_entry",
    summary="Take an entry off the site; it becomes a draft",
)
def unpublish_entry(
    request: HttpRequest,
    collection: str,
    entry_id: str,
    payload: VersionIn | None = None,
) -> EntryOut:
    actor = actor_of(request)
    version = payload.version if payload else None
    return _show(
        actor, entries.unpublish_entry(actor, collection, entry_id, version=version)
    )


@router.post(
    "/{collection}/{entry_id}/schedule",
    response=EntryOut,
    operation_id="schedule_entry",
    url_name="schedule_entry",
    summary="Publish the working copy at a future time",
)
def schedule_entry(
    request: HttpRequest, collection: str, entry_id: str, payload: ScheduleIn
) -> EntryOut:
    actor = actor_of(request)
    entry = entries.schedule_entry(
        actor, collection, entry_id, at=payload.scheduled_at, version=payload.version
    )
    return _show(actor, entry)


@router.post(
    "/{collection}/{entry_id}/restore",
    response=EntryOut,
    operation_id="restore_entry",
    url_name="restore_entry",
    summary="Bring an entry back from the trash as a draft",
)
def restore_entry(
    request: HttpRequest,
    collection: str,
    entry_id: str,
    payload: VersionIn | None = None,
) -> EntryOut:
    actor = actor_of(request)
    version = payload.version if payload else None
    return _show(
        actor, entries.restore_entry(actor, collection, entry_id, version=version)
    )


@router.post(
    "/{collection}/{entry_id}/duplicate",
    response=EntryOut,
    operation_id="duplicate_entry",
    url_name="duplicate_entry",
    summary="Copy an entry into a new draft",
)
def duplicate_entry(request: HttpRequest, collection: str, entry_id: str) -> EntryOut:
    actor = actor_of(request)
    return _show(actor, entries.duplicate_entry(actor, collection, entry_id))


@router.post(
    "/{collection}/{entry_id}/submit",
    response=EntryOut,
    operation_id="submit_entry",
    url_name="submit_entry",
    summary="Submit a draft for review (status pending)",
)
def submit_entry(
    request: HttpRequest,
    collection: str,
    entry_id: str,
    payload: VersionIn | None = None,
) -> EntryOut:
    actor = actor_of(request)
    version = payload.version if payload else None
    return _show(
        actor, entries.submit_entry(actor, collection, entry_id, version=version)
    )


@router.get(
    "/{collection}/{entry_id}/revisions",
    response=RevisionListOut,
    operation_id="list_revisions",
    url_name="list_revisions",
    summary="List an entry's revisions, newest first",
)
def list_revisions(
    request: HttpRequest, collection: str, entry_id: str
) -> RevisionListOut:
    revisions = entries.list_revisions(actor_of(request), collection, entry_id)
    # The related manager hands every revision the same entry object: no query each.
    return RevisionListOut(items=[revision_out(r, r.entry) for r in revisions])


@router.get(
    "/{collection}/{entry_id}/revisions/compare",
    response=RevisionComparisonOut,
    operation_id="compare_revisions",
    url_name="compare_revisions",
    by_alias=True,
    summary="Field-by-field differences between two revisions",
)
def compare_revisions(
    request: HttpRequest,
    collection: str,
    entry_id: str,
    from_revision: Annotated[str, Query(alias="from")],
    to_revision: Annotated[str, Query(alias="to")],
) -> RevisionComparisonOut:
    comparison = entries.compare_revisions(
        actor_of(request), collection, entry_id, from_revision, to_revision
    )
    return RevisionComparisonOut.model_validate(comparison)


@router.get(
    "/{collection}/{entry_id}/revisions/{revision_id}",
    response=RevisionOut,
    operation_id="get_revision",
    url_name="get_revision",
    summary="Get one revision",
)
def get_revision(
    request: HttpRequest, collection: str, entry_id: str, revision_id: str
) -> RevisionOut:
    revision = entries.get_revision(
        actor_of(request), collection, entry_id, revision_id
    )
    return revision_out(revision, revision.entry)


@router.post(
    "/{collection}/{entry_id}/revisions/{revision_id}/restore",
    response=EntryOut,
    operation_id="restore_revision",
    url_name="restore_revision",
    summary="Make an old revision the working copy again (not published)",
)
def restore_revision(
    request: HttpRequest,
    collection: str,
    entry_id: str,
    revision_id: str,
    payload: VersionIn | None = None,
) -> EntryOut:
    actor = actor_of(request)
    version = payload.version if payload else None
    return _show(
        actor,
        entries.restore_revision(
            actor, collection, entry_id, revision_id, version=version
        ),
    )
