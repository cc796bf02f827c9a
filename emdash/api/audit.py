"""The audit log: /_emdash/api/audit (audit:read, administrators)."""

from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router

from emdash.api.auth import actor_of
from emdash.core import audit, paging
from emdash.core.schemas import AuditPageOut, audit_page_out

router = Router(tags=["audit"])


@router.get(
    "",
    response=AuditPageOut,
    operation_id="list_audit_events",
    url_name="list_audit_events",
    summary="List audit events, newest first, a page at a time",
    description=(
        "Each filter matches exactly. Follow `next_cursor` (as `cursor`) until it "
        "is null; pages neither skip nor repeat events as new ones are recorded."
    ),
)
def list_audit_events(
    request: HttpRequest,
    action: Annotated[str | None, Query(description="e.g. user.sign_in")] = None,
    actor_id: Annotated[
        str | None, Query(description="A user id, token id, plugin id or system")
    ] = None,
    target_type: Annotated[
        str | None, Query(description="e.g. user, token, role, invite, entry")
    ] = None,
    target_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=paging.MAX_LIMIT)] = paging.DEFAULT_LIMIT,
) -> AuditPageOut:
    filters = audit.AuditFilters(
        action=action,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
    )
    page = audit.list_events(actor_of(request), filters, cursor=cursor, limit=limit)
    return audit_page_out(page)
