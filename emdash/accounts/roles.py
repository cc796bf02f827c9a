"""Roles: the built-in ladder from ``emdash.core.permissions`` plus custom roles,
named bundles of permissions an administrator defines. Everything that turns a
user into permissions goes through ``permissions_for_role``."""

import re
from dataclasses import dataclass

from django.db import transaction

from emdash.accounts import links
from emdash.accounts.models import AccessLink, CustomRole, User
from emdash.core import audit
from emdash.core.actors import Actor
from emdash.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from emdash.core.permissions import ALL_PERMISSIONS, Role, role_permissions

SLUG = re.compile(r"[a-z][a-z0-9-]{1,31}")


@dataclass(frozen=True)
class RoleInfo:
    slug: str
    name: str
    description: str
    permissions: frozenset[str]
    built_in: bool


def is_built_in(slug: str) -> bool:
    return slug.upper() in Role.__members__


def permissions_for_role(slug: str) -> frozenset[str]:
    """The permissions a role grants; an unknown role (a custom role deleted under
    a user, which ``delete_role`` prevents) grants nothing."""
    if is_built_in(slug):
        return role_permissions(Role.from_slug(slug))
    stored = CustomRole.objects.filter(slug=slug).values_list("permissions", flat=True)
    return frozenset(next(iter(stored), [])) & ALL_PERMISSIONS


def role_name(slug: str) -> str:
    """What to call a role: a built-in role's title, a custom role's name."""
    fallback = (slug or "").replace("-", " ").capitalize()
    if is_built_in(slug):
        return fallback
    names = CustomRole.objects.filter(slug=slug).values_list("name", flat=True)
    return next(iter(names), fallback)


def role_exists(slug: str) -> bool:
    return is_built_in(slug) or CustomRole.objects.filter(slug=slug).exists()


def check_role(slug: str, *, field: str = "role") -> None:
    if not role_exists(slug):
        raise ValidationFailed(
            f"There is no role '{slug}'.",
            fields={field: f"unknown role; expected one of {', '.join(role_slugs())}"},
        )


def role_slugs() -> list[str]:
    custom = CustomRole.objects.order_by("slug").values_list("slug", flat=True)
    return [role.slug for role in Role] + list(custom)


def list_roles(actor: Actor) -> list[RoleInfo]:
    actor.require("users:read")
    built_in = [
        RoleInfo(
            slug=role.slug,
            name=role.slug.title(),
            description="Built-in role",
            permissions=role_permissions(role),
            built_in=True,
        )
        for role in Role
    ]
    custom = [_info(row) for row in CustomRole.objects.order_by("slug")]
    return built_in + custom


def get_role(actor: Actor, slug: str) -> RoleInfo:
    actor.require("users:read")
    for info in list_roles(actor):
        if info.slug == slug:
            return info
    raise NotFound(f"No role '{slug}'.", code="ROLE_NOT_FOUND")


def create_role(
    actor: Actor,
    *,
    slug: str,
    name: str,
    permissions: list[str],
    description: str = "",
) -> RoleInfo:
    actor.require("users:manage")
    errors = _validate(name=name, permissions=permissions, description=description)
    if not SLUG.fullmatch(slug or ""):
        errors["slug"] = "2-32 characters: lowercase letters, digits and -"
    elif is_built_in(slug):
        errors["slug"] = "is the name of a built-in role"
    if errors:
        raise ValidationFailed("The role is invalid.", fields=errors)
    _require_holds(actor, frozenset(permissions))
    with transaction.atomic():
        if CustomRole.objects.filter(slug=slug).exists():
            raise Conflict(f"A role '{slug}' exists already.", code="ROLE_EXISTS")
        row = CustomRole.objects.create(
            slug=slug,
            name=name.strip(),
            description=description.strip(),
            permissions=sorted(set(permissions)),
        )
        audit.record(
            actor,
            "role.create",
            target_type="role",
            target_id=slug,
            data={"permissions": row.permissions},
        )
    return _info(row)


def update_role(
    actor: Actor,
    slug: str,
    *,
    name: str | None = None,
    permissions: list[str] | None = None,
    description: str | None = None,
) -> RoleInfo:
    actor.require("users:manage")
    if is_built_in(slug):
        raise ValidationFailed(
            "Built-in roles cannot be changed; create a custom role instead.",
            code="ROLE_BUILT_IN",
        )
    with transaction.atomic():
        row = CustomRole.objects.select_for_update().filter(slug=slug).first()
        if row is None:
            raise NotFound(f"No role '{slug}'.", code="ROLE_NOT_FOUND")
        errors = _validate(
            name=row.name if name is None else name,
            permissions=row.permissions if permissions is None else permissions,
            description=row.description if description is None else description,
        )
        if errors:
            raise ValidationFailed("The role is invalid.", fields=errors)
        # Neither raise a role above yourself nor touch one that is above you.
        _require_holds(actor, frozenset(row.permissions))
        if permissions is not None:
            _require_holds(actor, frozenset(permissions))
        before = list(row.permissions)
        if name is not None:
            row.name = name.strip()
        if description is not None:
            row.description = description.strip()
        if permissions is not None:
            row.permissions = sorted(set(permissions))
        row.save()
        audit.record(
            actor,
            "role.update",
            target_type="role",
            target_id=slug,
            data={"permissions_before": before, "permissions": row.permissions},
        )
    return _info(row)


def delete_role(actor: Actor, slug: str) -> None:
    actor.require("users:manage")
    if is_built_in(slug):
        raise ValidationFailed(
            "Built-in roles cannot be deleted.", code="ROLE_BUILT_IN"
        )
    with transaction.atomic():
        row = CustomRole.objects.select_for_update().filter(slug=slug).first()
        if row is None:
            raise NotFound(f"No role '{slug}'.", code="ROLE_NOT_FOUND")
        _require_holds(actor, frozenset(row.permissions))
        holders = User.objects.filter(role=slug).count()
        if holders:
            raise Conflict(
                f"{holders} user(s) hold the role '{slug}'; give them another role "
                "first.",
                code="ROLE_IN_USE",
            )
        promised = links.pending(AccessLink.INVITE, role=slug).count()
        if promised:
            raise Conflict(
                f"{promised} pending invite(s) grant the role '{slug}'; revoke them "
                "first.",
                code="ROLE_IN_USE",
            )
        row.delete()
        audit.record(actor, "role.delete", target_type="role", target_id=slug)


def _require_holds(actor: Actor, permissions: frozenset[str]) -> None:
    if missing := permissions - actor.permissions:
        raise PermissionDenied(
            f"A role cannot hold permissions you lack ({', '.join(sorted(missing))}).",
            code="ROLE_ABOVE_YOURS",
        )


def _validate(*, name: str, permissions: list[str], description: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name or not name.strip() or len(name) > 100:
        errors["name"] = "must be 1-100 characters"
    if len(description or "") > 300:
        errors["description"] = "must be at most 300 characters"
    unknown = sorted(set(permissions) - ALL_PERMISSIONS)
    if unknown:
        errors["permissions"] = (
            f"unknown permission(s) {', '.join(unknown)}; "
            f"expected some of {', '.join(sorted(ALL_PERMISSIONS))}"
        )
    return errors


def _info(row: CustomRole) -> RoleInfo:
    return RoleInfo(
        slug=row.slug,
        name=row.name,
        description=row.description,
        permissions=frozenset(row.permissions) & ALL_PERMISSIONS,
        built_in=False,
    )
