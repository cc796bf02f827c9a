"""Pydantic types for the core's records shared by every door."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from emdash.core.audit import AuditPage
    from emdash.core.models import AuditEvent


class AuditEventOut(BaseModel):
    id: str
    at: datetime
    actor_kind: str = Field(description="user, token, anonymous, plugin or system")
    actor_id: str
    actor_label: str = Field(description="Who it was at the time, for people")
    action: str = Field(description="e.g. user.sign_in, token.create, role.update")
    target_type: str
    target_id: str
    data: dict[str, Any]


class AuditPageOut(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None


def audit_event_out(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(
        id=event.pk,
        at=event.at,
        actor_kind=event.actor_kind,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        data=event.data,
    )


def audit_page_out(page: AuditPage) -> AuditPageOut:
    return AuditPageOut(
        items=[audit_event_out(event) for event in page.items],
        next_cursor=page.next_cursor,
    )
