"""A person's own passkeys: add, rename, remove (never the last one).
Administrators (``users:manage``) may do the same for anyone."""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from emdash.accounts.models import Passkey, User
from emdash.core import audit
from emdash.core.actors import Actor
from emdash.core.errors import Conflict, NotFound, Unauthenticated, ValidationFailed


def list_passkeys(actor: Actor, user_id: int | None = None) -> QuerySet[Passkey]:
    owner = _owner(actor, user_id)
    return Passkey.objects.filter(user_id=owner).order_by("created_at")


def begin_add_passkey(actor: Actor) -> tuple[str, str]:
    from emdash.accounts import passkeys  # webauthn loads on first use

    return passkeys.begin_registration(_me(actor))


def finish_add_passkey(
    actor: Actor,
    challenge_id: str,
    credential: str | dict[str, Any],
    *,
    name: str = "",
) -> Passkey:
    from emdash.accounts import passkeys  # webauthn loads on first use

    user = _me(actor)
    with transaction.atomic():
        passkey = passkeys.finish_registration(
            user, challenge_id, credential, name=name or _next_name(user)
        )
        audit.record(
            actor,
            "passkey.add",
            target_type="passkey",
            target_id=passkey.pk,
            data={"user": user.pk, "name": passkey.name},
        )
    return passkey


def rename_passkey(actor: Actor, passkey_id: int | str, name: str) -> Passkey:
    label = (name or "").strip()
    if not label or len(label) > 100:
        raise ValidationFailed(
            "The passkey name is invalid.", fields={"name": "must be 1-100 characters"}
        )
    with transaction.atomic():
        passkey = _load(actor, passkey_id)
        passkey.name = label
        passkey.save(update_fields=["name"])
        audit.record(
            actor,
            "passkey.rename",
            target_type="passkey",
            target_id=passkey.pk,
            data={"name": label},
        )
    return passkey


def remove_passkey(actor: Actor, passkey_id: int | str) -> None:
    with transaction.atomic():
        passkey = _load(actor, passkey_id)
        # Lock the owner so two removals at once cannot both pass the count.
        User.objects.select_for_update().filter(pk=passkey.user_id).first()
        if Passkey.objects.filter(user_id=passkey.user_id).count() <= 1:
            raise Conflict(
                "This is the last passkey of the account; add another before "
                "removing it.",
                code="LAST_PASSKEY",
            )
        audit.record(
            actor,
            "passkey.remove",
            target_type="passkey",
            target_id=passkey.pk,
            data={"user": passkey.user_id, "name": passkey.name},
        )
        passkey.delete()


def _me(actor: Actor) -> User:

    if actor.kind != "user" or actor.user_id is None:
        raise Unauthenticated(
            "Sign in to manage your passkeys.", code="SESSION_REQUIRED"
        )
    user = User.objects.filter(pk=actor.user_id, is_active=True).first()
    if user is None:
        raise Unauthenticated("Sign in to manage your passkeys.")
    return user


def _owner(actor: Actor, user_id: int | None) -> int:

    if user_id is None or user_id == actor.user_id:
        if actor.user_id is None:
            raise Unauthenticated("Sign in to see your passkeys.")
        return actor.user_id
    actor.require("users:manage")
    return user_id


def _load(actor: Actor, passkey_id: int | str) -> Passkey:
    try:
        passkey = Passkey.objects.select_for_update().get(pk=int(passkey_id))
    except (Passkey.DoesNotExist, ValueError, TypeError):
        raise NotFound(
            f"No passkey '{passkey_id}'.", code="PASSKEY_NOT_FOUND"
        ) from None
    if passkey.user_id != actor.user_id:
        if not actor.has("users:manage"):
            # Someone else's passkey is as good as absent.
            raise NotFound(f"No passkey '{passkey_id}'.", code="PASSKEY_NOT_FOUND")
    return passkey


def _next_name(user: User) -> str:
    return f"Passkey {Passkey.objects.filter(user=user).count() + 1}"
