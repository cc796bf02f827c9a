"""Taxonomies and their terms: /_emdash/api/taxonomies/..."""

from typing import ClassVar

from django.http import HttpRequest
from ninja import Router
from pydantic import Field, StrictBool, StrictInt, StrictStr

from emdash.api.auth import actor_of
from emdash.api.bodies import Body
from emdash.content.schemas import (
    TaxonomyListOut,
    TaxonomyOut,
    TermListOut,
    TermOut,
    taxonomy_out,
    term_out,
)
from emdash.content.services import taxonomies

router = Router(tags=["taxonomies"])


class TaxonomyChangesIn(Body):
    label: StrictStr | None = None
    label_singular: StrictStr | None = None
    collections: list[StrictStr] | None = Field(
        None, description="Slugs of the collections whose entries may use it"
    )


class TaxonomyIn(TaxonomyChangesIn):
    slug: StrictStr
    label: StrictStr
    hierarchical: StrictBool | None = Field(
        None, description="true for categories (terms nest), false for tags"
    )


class TermChangesIn(Body):
    nullable: ClassVar[frozenset[str]] = frozenset({"parent"})

    name: StrictStr | None = None
    slug: StrictStr | None = Field(None, description="Made from the name when left out")
    description: StrictStr | None = None
    parent: StrictStr | None = Field(
        None,
        description="The parent term's slug (hierarchical taxonomies); null for none",
    )
    sort_order: StrictInt | None = None


class TermIn(TermChangesIn):
    name: StrictStr


@router.get(
    "",
    response=TaxonomyListOut,
    operation_id="list_taxonomies",
    url_name="list_taxonomies",
    summary="List taxonomies",
)
def list_taxonomies(request: HttpRequest) -> TaxonomyListOut:
    found = taxonomies.list_taxonomies(actor_of(request))
    return TaxonomyListOut(items=[taxonomy_out(t) for t in found])


@router.post(
    "",
    response={201: TaxonomyOut},
    operation_id="create_taxonomy",
    url_name="create_taxonomy",
    summary="Create a taxonomy",
)
def create_taxonomy(request: HttpRequest, payload: TaxonomyIn) -> TaxonomyOut:
    return taxonomy_out(
        taxonomies.create_taxonomy(actor_of(request), payload.changes())
    )


@router.get(
    "/{slug}",
    response=TaxonomyOut,
    operation_id="get_taxonomy",
    url_name="get_taxonomy",
    summary="Get a taxonomy",
)
def get_taxonomy(request: HttpRequest, slug: str) -> TaxonomyOut:
    return taxonomy_out(taxonomies.get_taxonomy(actor_of(request), slug))


@router.patch(
    "/{slug}",
    response=TaxonomyOut,
    operation_id="update_taxonomy",
    url_name="update_taxonomy",
    summary="Change a taxonomy's labels or collections",
)
def update_taxonomy(
    request: HttpRequest, slug: str, payload: TaxonomyChangesIn
) -> TaxonomyOut:
    changes = payload.changes()
    return taxonomy_out(taxonomies.update_taxonomy(actor_of(request), slug, changes))


@router.delete(
    "/{slug}",
    response={204: None},
    operation_id="delete_taxonomy",
    url_name="delete_taxonomy",
    summary="Delete a taxonomy and its terms",
)
def delete_taxonomy(request: HttpRequest, slug: str) -> None:
    taxonomies.delete_taxonomy(actor_of(request), slug)


@router.get(
    "/{slug}/terms",
    response=TermListOut,
    operation_id="list_terms",
    url_name="list_terms",
    summary="List a taxonomy's terms",
)
def list_terms(request: HttpRequest, slug: str) -> TermListOut:
    found = taxonomies.list_terms(actor_of(request), slug)
    return TermListOut(items=[term_out(t) for t in found])


@router.post(
    "/{slug}/terms",
    response={201: TermOut},
    operation_id="create_term",
    url_name="create_term",
    summary="Add a term",
)
def create_term(request: HttpRequest, slug: str, payload: TermIn) -> TermOut:
    return term_out(taxonomies.create_term(actor_of(request), slug, payload.changes()))


@router.patch(
    "/{slug}/terms/{term}",
    response=TermOut,
    operation_id="update_term",
    url_name="update_term",
    summary="Rename, move or re-describe a term",
)
def update_term(
    request: HttpRequest, slug: str, term: str, payload: TermChangesIn
) -> TermOut:
    changes = payload.changes()
    return term_out(taxonomies.update_term(actor_of(request), slug, term, changes))


@router.delete(
    "/{slug}/terms/{term}",
    response={204: None},
    operation_id="delete_term",
    url_name="delete_term",
    summary="Delete a term; its children move up, entries lose it",
)
def delete_term(request: HttpRequest, slug: str, term: str) -> None:
    taxonomies.delete_term(actor_of(request), slug, term)
