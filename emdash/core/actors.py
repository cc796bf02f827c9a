"""Actors: who is doing something. Every service call takes one."""

from dataclasses import dataclass, field
from typing import Literal

from emdash.core.errors import PermissionDenied, Unauthenticated
from emdash.core.permissions import (
    ALL_PERMISSIONS,
    OWN_ANY_STEMS,
    PUBLIC_PERMISSIONS,
    Role,
    role_permissions,
)

ActorKind = Literal["anonymous", "user", "token", "plugin", "system"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str = ""
    label: str = ""
    permissions: frozenset[str] = field(default_factory=frozenset)
    # The user on whose behalf the actor acts, for _own checks and authorship.
    user_id: int | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def can(self, stem: str, *, owner_id: int | None = None) -> bool:
        """Resolve an own/any pair (``content:edit``) or a plain permission."""
        if stem not in OWN_ANY_STEMS:
            return self.has(stem)
        if self.has(f"{stem}_any"):
            return True
        return (
            self.has(f"{stem}_own")
            and owner_id is not None
            and owner_id == self.user_id
        )

    def require(self, stem: str, *, owner_id: int | None = None) -> None:
        if self.can(stem, owner_id=owner_id):
            return
        if self.is_anonymous:
            raise Unauthenticated("Sign in or send a bearer token to do this.")
        needed = stem if stem not in OWN_ANY_STEMS else f"{stem}_any or {stem}_own"
        raise PermissionDenied(
            f"{self.label or self.kind} lacks the permission {needed}.",
            details={"permission": needed},
        )

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "id": self.id, "label": self.label}


ANONYMOUS = Actor(kind="anonymous", label="anonymous", permissions=PUBLIC_PERMISSIONS)
SYSTEM = Actor(kind="system", id="system", label="system", permissions=ALL_PERMISSIONS)


def user_actor(user_id: int, label: str, role: Role) -> Actor:
    return Actor(
        kind="user",
        id=str(user_id),
        label=label,
        permissions=role_permissions(role),
        user_id=user_id,
    )


def plugin_actor(plugin_id: str, permissions: frozenset[str]) -> Actor:
    return Actor(
        kind="plugin",
        id=plugin_id,
        label=f"plugin {plugin_id}",
        permissions=permissions,
    )
