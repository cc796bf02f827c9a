"""Collections and their fields: /_emdash/api/schema/..."""

from typing import Any, ClassVar

from django.http import HttpRequest
from ninja import Router
from pydantic import Field, StrictBool, StrictStr

from emdash.api.auth import actor_of
from emdash.api.bodies import Body
from emdash.content.schemas import (
    CollectionListOut,
    CollectionOut,
    FieldChangeReportOut,
    FieldOut,
    collection_out,
)
from emdash.content.services import collections

router = Router(tags=["schema"])


class FieldIn(Body):
    nullable: ClassVar[frozenset[str]] = frozenset({"default"})

    slug: StrictStr
    type: StrictStr = Field(description="string, text, markdown, number, integer, ...")
    label: StrictStr | None = None
    required: StrictBool | None = None
    unique: StrictBool | None = None
    indexed: StrictBool | None = None
    searchable: StrictBool | None = None
    default: Any = None
    validation: dict[str, Any] | None = None
    help_text: StrictStr | None = None


class FieldChangesIn(Body):
    """Any part of a field's definition except its slug; ``type`` converts values."""

    nullable: ClassVar[frozenset[str]] = frozenset({"default"})

    type: StrictStr | None = None
    label: StrictStr | None = None
    required: StrictBool | None = None
    unique: StrictBool | None = None
    indexed: StrictBool | None = None
    searchable: StrictBool | None = None
    default: Any = None
    validation: dict[str, Any] | None = None
    help_text: StrictStr | None = None


class CollectionChangesIn(Body):
    label: StrictStr | None = None
    label_singular: StrictStr | None = None
    description: StrictStr | None = None
    url_pattern: StrictStr | None = Field(None, description="e.g. /posts/{slug}/")
    supports: list[StrictStr] | None = Field(
        None,
        description="drafts, revisions, scheduling, search, seo, comments, paywall",
    )
    title_field: StrictStr | None = None


class CollectionIn(CollectionChangesIn):
    slug: StrictStr
    label: StrictStr
    fields: list[FieldIn] | None = None


@router.get(
    "/collections",
    response=CollectionListOut,
    operation_id="list_collections",
    url_name="list_collections",
    summary="List collections",
)
def list_collections(request: HttpRequest) -> CollectionListOut:
    found = collections.list_collections(actor_of(request))
    return CollectionListOut(items=[collection_out(c) for c in found])


@router.post(
    "/collections",
    response={201: CollectionOut},
    operation_id="create_collection",
    url_name="create_collection",
    summary="Create a collection, with its fields",
)
def create_collection(request: HttpRequest, payload: CollectionIn) -> CollectionOut:
    values = payload.changes()
    return collection_out(collections.create_collection(actor_of(request), values))


@router.get(
    "/collections/{slug}",
    response=CollectionOut,
    operation_id="get_collection",
    url_name="get_collection",
    summary="Get a collection and its fields",
)
def get_collection(request: HttpRequest, slug: str) -> CollectionOut:
    return collection_out(collections.get_collection(actor_of(request), slug))


@router.patch(
    "/collections/{slug}",
    response=CollectionOut,
    operation_id="update_collection",
    url_name="update_collection",
    summary="Change a collection's labels, URL pattern or features",
)
def update_collection(
    request: HttpRequest, slug: str, payload: CollectionChangesIn
) -> CollectionOut:
    changes = payload.changes()
    return collection_out(
        collections.update_collection(actor_of(request), slug, changes)
    )


@router.delete(
    "/collections/{slug}",
    response={204: None},
    operation_id="delete_collection",
    url_name="delete_collection",
    summary="Delete a collection (refused while it has entries, unless delete_entries)",
)
def delete_collection(
    request: HttpRequest, slug: str, delete_entries: bool = False
) -> None:
    collections.delete_collection(
        actor_of(request), slug, delete_entries=delete_entries
    )


@router.post(
    "/collections/{slug}/fields",
    response={201: FieldOut},
    operation_id="add_field",
    url_name="add_field",
    summary="Add a field to a collection",
)
def add_field(request: HttpRequest, slug: str, payload: FieldIn) -> FieldOut:
    definition = payload.changes()
    field = collections.add_field(actor_of(request), slug, definition)
    return FieldOut.model_validate(field, from_attributes=True)


@router.patch(
    "/collections/{slug}/fields/{field}",
    response=FieldChangeReportOut,
    operation_id="update_field",
    url_name="update_field",
    summary="Change a field; a type change converts stored values",
    description=(
        "Values that cannot be converted fail the change with their entry ids "
        "(FIELD_CONVERSION_FAILED) unless `force=true`, which clears them. "
        "`dry_run=true` reports what would happen and writes nothing."
    ),
)
def update_field(
    request: HttpRequest,
    slug: str,
    field: str,
    payload: FieldChangesIn,
    force: bool = False,
    dry_run: bool = False,
) -> FieldChangeReportOut:
    report = collections.update_field(
        actor_of(request),
        slug,
        field,
        payload.changes(),
        force=force,
        dry_run=dry_run,
    )
    return FieldChangeReportOut(**report.as_dict())


@router.delete(
    "/collections/{slug}/fields/{field}",
    response=FieldChangeReportOut,
    operation_id="remove_field",
    url_name="remove_field",
    summary="Remove a field and its stored values",
)
def remove_field(request: HttpRequest, slug: str, field: str) -> FieldChangeReportOut:
    report = collections.remove_field(actor_of(request), slug, field)
    return FieldChangeReportOut(**report.as_dict())
