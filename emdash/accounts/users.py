"""Users: listing, profile, role and status changes, deletion.

Two rules hold for every change. The site always keeps an active administrator:
the last one cannot be demoted, disabled or deleted (checked with the
administrators' rows locked, so two administrators demoting each other at once
cannot both succeed). And nobody hands out more than they hold: an actor can only
assign a role, or change a user, whose permissions are all among its own.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet

from emdash.accounts.models import User, new_session_salt
from emdash.accounts.roles import check_role, permissions_for_role
from emdash.core import audit
from emdash.core.actors import Actor
from emdash.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from emdash.core.permissions import Role

ADMINISTRATOR = Role.ADMINISTRATOR.slug


def actor_for_user(user: User) -> Actor:
    """The actor a signed-in person acts as."""
    return Actor(
        kind="user",
        id=str(user.pk),
        label=str(user),
        permissions=permissions_for_role(user.role),
        user_id=user.pk,
    )


def administrator_exists() -> bool:
    return User.objects.filter(role=ADMINISTRATOR, is_active=True).exists()


@dataclass(frozen=True)
class UserFilters:
    role: str | None = None
    active: bool | None = None
    query: str = ""


def list_users(actor: Actor, filters: UserFilters | None = None) -> QuerySet[User]:
    actor.require("users:read")
    filters = filters or UserFilters()
    users = User.objects.order_by("email")
    if filters.role:
        users = users.filter(role=filters.role)
    if filters.active is not None:
        users = users.filter(is_active=filters.active)
    if filters.query:
        users = users.filter(
            Q(email__icontains=filters.query) | Q(display_name__icontains=filters.query)
        )
    return users


def get_user(actor: Actor, user_id: int | str) -> User:
    if str(user_id) != str(actor.user_id):
        actor.require("users:read")
    return _load(user_id)


def update_user(
    actor: Actor,
    user_id: int | str,
    *,
    display_name: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's name, role or status. People may rename themselves; the
    rest needs ``users:manage``."""
    is_self = str(user_id) == str(actor.user_id)
    if role is not None or is_active is not None or not is_self:
        actor.require("users:manage")
    if display_name is not None and len(display_name.strip()) > 150:
        raise ValidationFailed(
            "The display name is too long.",
            fields={"display_name": "must be at most 150 characters"},
        )
    if role is not None:
        check_role(role)
        require_holds(actor, role, "assign the role")
    with transaction.atomic():
        admins = _lock_administrators() if role or is_active is not None else set()
        user = _load(user_id, lock=True)
        if not is_self:
            require_holds(actor, user.role, "change a user with the role")
        changes: dict[str, object] = {}
        if display_name is not None and display_name.strip() != user.display_name:
            changes["display_name"] = [user.display_name, display_name.strip()]
            user.display_name = display_name.strip()
        if role is not None and role != user.role:
            changes["role"] = [user.role, role]
            if user.role == ADMINISTRATOR:
                _keep_an_administrator(user, "demote", admins)
            user.role = role
        if is_active is not None and is_active != user.is_active:
            changes["is_active"] = [user.is_active, is_active]
            if not is_active:
                if user.role == ADMINISTRATOR:
                    _keep_an_administrator(user, "disable", admins)
                # A disabled user's sessions end at their next request.
                user.session_salt = new_session_salt()
            user.is_active = is_active
        if not changes:
            return user
        user.save()
        if "role" in changes:
            action = "user.role_change"
        elif "is_active" in changes:
            action = "user.enable" if user.is_active else "user.disable"
        else:
            action = "user.update"
        audit.record(actor, action, target_type="user", target_id=user.pk, data=changes)
    return user


def delete_user(actor: Actor, user_id: int | str) -> None:
    """Delete a user; their entries stay, without an author."""
    actor.require("users:manage")
    with transaction.atomic():
        admins = _lock_administrators()
        user = _load(user_id, lock=True)
        require_holds(actor, user.role, "delete a user with the role")
        if user.role == ADMINISTRATOR and user.is_active:
            _keep_an_administrator(user, "delete", admins)
        email = user.email
        user.delete()
        audit.record(
            actor,
            "user.delete",
            target_type="user",
            target_id=user_id,
            data={"email": email},
        )


def sign_out_everywhere(actor: Actor, user_id: int | str) -> None:
    """End every session of a user (their own, or anyone's with users:manage)."""
    if str(user_id) != str(actor.user_id):
        actor.require("users:manage")
    with transaction.atomic():
        user = _load(user_id, lock=True)
        if user.pk != actor.user_id:
            require_holds(actor, user.role, "sign out a user with the role")
        user.session_salt = new_session_salt()
        user.save(update_fields=["session_salt"])
        audit.record(
            actor, "user.sign_out_everywhere", target_type="user", target_id=user.pk
        )


def _load(user_id: int | str, *, lock: bool = False) -> User:
    users = User.objects.select_for_update() if lock else User.objects
    try:
        return users.get(pk=int(user_id))
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"No user '{user_id}'.", code="USER_NOT_FOUND") from None


def require_holds(actor: Actor, role: str, doing: str) -> None:
    missing = permissions_for_role(role) - actor.permissions
    if missing:
        raise PermissionDenied(
            f"You cannot {doing} '{role}': it has permissions you lack "
            f"({', '.join(sorted(missing))}).",
            code="ROLE_ABOVE_YOURS",
        )


def _lock_administrators() -> set[int]:
    """Lock the active administrators' rows, always first and in id order, so
    concurrent changes queue behind each other instead of deadlocking."""
    locked = (
        User.objects.select_for_update()
        .filter(role=ADMINISTRATOR, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return set(locked)


def _keep_an_administrator(user: User, doing: str, administrators: set[int]) -> None:
    """Refuse to remove the last active administrator (``administrators`` were
    locked by the caller's transaction)."""
    if not administrators - {user.pk}:
        raise Conflict(
            f"Cannot {doing} the last administrator: make someone else an "
            "administrator first.",
            code="LAST_ADMINISTRATOR",
        )
