"""The audit log: every write records who did what to which object."""

from typing import Any

from emdash.core.actors import Actor
from emdash.core.models import AuditEvent


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
