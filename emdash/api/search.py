"""Full-text search: /_emdash/api/search"""

from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router

from emdash.api.auth import actor_of
from emdash.content import search as search_service
from emdash.content.schemas import SearchHitOut, SearchResultsOut

router = Router(tags=["search"])


@router.get(
    "",
    response=SearchResultsOut,
    operation_id="search",
    url_name="search",
    summary="Search entries, best match first",
    description=(
        "Every word must match (the last one also as a prefix). Snippets are escaped "
        "HTML with the matches in `<mark>`. Anonymous callers find live public "
        "entries only; tokens with content:read_drafts search working copies."
    ),
)
def search(
    request: HttpRequest,
    q: Annotated[str, Query(description="The words to look for")],
    collection: Annotated[
        list[str] | None, Query(description="Only these collections (repeatable)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=search_service.MAX_LIMIT)] = 20,
) -> SearchResultsOut:
    hits = search_service.search(
        actor_of(request), q, collections=collection, limit=limit
    )
    return SearchResultsOut(
        items=[SearchHitOut.model_validate(hit, from_attributes=True) for hit in hits]
    )
