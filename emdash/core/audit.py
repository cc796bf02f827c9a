"""The audit log: every write records who did what to which object."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from emdash.core.actors import Actor
from emdash.core.errors import ValidationFailed
from emdash.core.models import AuditEvent

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def record(
    actor: Actor,
    action: str,
    *,
    target_type: str = "",
    target_id: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:200],
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        data=data or {},
    )


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    actor_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEvent]
    next_cursor: str | None


def list_events(
    actor: Actor,
    filters: AuditFilters | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> AuditPage:
    """A page of events, newest first. The cursor names the last event shown by
    its (time, id), so pages neither skip nor repeat events as new ones arrive."""
    actor.require("audit:read")
    filters = filters or AuditFilters()
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            "Invalid limit.", fields={"limit": f"must be between 1 and {MAX_LIMIT}"}
        )
    events = AuditEvent.objects.all()
    for name in ("action", "actor_id", "target_type", "target_id"):
        value = getattr(filters, name)
        if value is not None:
            events = events.filter(**{name: value})
    if cursor:
        at, last_id = _decode_cursor(cursor)
        events = events.filter(Q(at__lt=at) | Q(at=at, id__lt=last_id))
    rows = list(events.order_by("-at", "-id")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode_cursor(rows[-1])
    return AuditPage(items=rows, next_cursor=next_cursor)


def _encode_cursor(event: AuditEvent) -> str:
    values = json.dumps([event.at.isoformat(), event.pk]).encode()
    return base64.urlsafe_b64encode(values).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        moment, last_id = None, None
    if moment is None or moment.tzinfo is None or not isinstance(last_id, str):
        raise ValidationFailed(
            "Invalid cursor.", fields={"cursor": "is not a cursor this API gave out"}
        )
    return moment, last_id
