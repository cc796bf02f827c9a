"""API tokens: ``ec_pat_<random>``, stored as an unkeyed SHA-256 so they survive a
secret-key rotation. A user's token acts with ``scopes ∩ role``; a token without a
user is an operator token: the system actor limited by its scopes."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from emdash.accounts.links import hash_secret
from emdash.accounts.models import ApiToken, User
from emdash.accounts.roles import permissions_for_role
from emdash.core import audit
from emdash.core.actors import Actor
from emdash.core.errors import (
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from emdash.core.permissions import ALL_SCOPES, scope_permissions

PREFIX = "ec_pat_"


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created token; ``plaintext`` exists only here, once."""

    token: ApiToken
    plaintext: str


def create_token(
    actor: Actor,
    *,
    name: str,
    scopes: list[str],
    user: User | None = None,
    user_email: str | None = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Create a token. ``user`` binds it to a person (it then acts with scopes ∩
    their role); without one it is an operator token. Anyone signed in may create
    tokens for themselves; other tokens need ``tokens:manage``. ``user_email``
    names the user by address instead."""
    if user_email is not None:
        user = _user_by_email(actor, user_email)
    if not _is_own(actor, user.pk if user else None):
        actor.require("tokens:manage")
    errors: dict[str, str] = {}
    if not name or not name.strip() or len(name) > 100:
        errors["name"] = "must be 1-100 characters"
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if not scopes:
        errors["scope"] = f"give at least one of: {', '.join(sorted(ALL_SCOPES))}"
    elif unknown:
        errors["scope"] = (
            f"unknown scope(s) {', '.join(unknown)}; "
            f"expected {', '.join(sorted(ALL_SCOPES))}"
        )
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "must be in the future"
    if errors:
        raise ValidationFailed("The token request is invalid.", fields=errors)
    granted = scope_permissions(scopes)
    if user is not None:
        granted &= permissions_for_role(user.role)
    if missing := granted - actor.permissions:
        # tokens:manage alone must not mint a token stronger than its holder.
        raise PermissionDenied(
            "The token would hold permissions you lack "
            f"({', '.join(sorted(missing))}); narrow its scopes.",
            code="ROLE_ABOVE_YOURS",
        )
    plaintext = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name.strip(),
            token_hash=hash_secret(plaintext),
            prefix=plaintext[: len(PREFIX) + 4],
            scopes=sorted(set(scopes)),
            user=user,
            expires_at=expires_at,
        )
        audit.record(
            actor,
            "token.create",
            target_type="token",
            target_id=token.pk,
            data={
                "name": token.name,
                "scopes": token.scopes,
                "user": user.pk if user else None,
            },
        )
    return IssuedToken(token=token, plaintext=plaintext)


def list_tokens(actor: Actor, *, user_id: int | None = None) -> list[ApiToken]:
    """Every token (``tokens:manage``), or one user's (their own needs nothing)."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at")
    if user_id is not None:
        tokens = tokens.filter(user_id=user_id)
    if not _is_own(actor, user_id):
        actor.require("tokens:manage")
    return list(tokens)


def revoke_token(actor: Actor, token_id: str) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None or not _is_own(actor, token.user_id):
        # Without tokens:manage, someone else's token and none at all look alike.
        actor.require("tokens:manage")
    if token is None:
        raise NotFound(f"No token '{token_id}'.", code="TOKEN_NOT_FOUND")
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(actor, "token.revoke", target_type="token", target_id=token.pk)
    return token


LAST_USED_RESOLUTION = timedelta(hours=1)


def _note_use(token: ApiToken, now: datetime) -> None:
    """Record when a token was last used, to the hour: one small write per token
    per hour rather than one per request."""
    stale = (
        token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION
    )
    if stale:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def actor_for_token(plaintext: str) -> Actor:
    """Resolve a bearer token to the actor it stands for, or raise Unauthenticated."""
    if not plaintext.startswith(PREFIX):
        raise Unauthenticated(
            "That is not an EmDash token (they start with ec_pat_).",
            code="INVALID_TOKEN",
        )
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_secret(plaintext))
        .first()
    )
    now = timezone.now()
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("The token is unknown or revoked.", code="INVALID_TOKEN")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("The token has expired.", code="TOKEN_EXPIRED")
    _note_use(token, now)
    granted = scope_permissions(token.scopes)
    if token.user is None:
        return Actor(
            kind="token", id=token.pk, label=f"token {token.name}", permissions=granted
        )
    if not token.user.is_active:
        raise Unauthenticated("The token's user is disabled.", code="INVALID_TOKEN")
    return Actor(
        kind="token",
        id=token.pk,
        label=f"{token.user} (token {token.name})",
        permissions=granted & permissions_for_role(token.user.role),
        user_id=token.user.pk,
    )


def _is_own(actor: Actor, user_id: int | None) -> bool:
    """A signed-in person acting on their own tokens (not a token acting: a token
    cannot mint or see its siblings)."""
    return actor.kind == "user" and user_id is not None and user_id == actor.user_id


def _user_by_email(actor: Actor, email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        # Only token managers learn whether an address has an account.
        actor.require("tokens:manage")
        raise ValidationFailed(
            f"No user with the email {email}.",
            fields={"user": "no user has this email address"},
        )
    return user
