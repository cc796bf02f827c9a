"""The audit log: every write records who did what to which object."""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from emdash.core import paging
from emdash.core.actors import Actor
from emdash.core.models import AuditEvent
from emdash.core.paging import DEFAULT_LIMIT


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
    paging.check_limit(limit)
    events = AuditEvent.objects.all()
    given = {
        name: value for name, value in asdict(filters).items() if value is not None
    }
    events = events.filter(**given)
    if cursor:
        at, last_id = _decode_cursor(cursor)
        events = events.filter(Q(at__lt=at) | Q(at=at, id__lt=last_id))
    rows, last = paging.last_of_page(
        list(events.order_by("-at", "-id")[: limit + 1]), limit
    )
    next_cursor = paging.encode_cursor([last.at.isoformat(), last.pk]) if last else None
    return AuditPage(items=rows, next_cursor=next_cursor)


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    at, last_id = paging.decode_cursor(cursor)
    moment = paging.parse_cursor_time(at)
    if moment.tzinfo is None or not isinstance(last_id, str):
        raise paging.invalid_cursor()
    return moment, last_id
