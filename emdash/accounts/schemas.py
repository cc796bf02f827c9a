"""Pydantic types for accounts shared by every door."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from emdash.accounts.links import IssuedLink
    from emdash.accounts.models import AccessLink, ApiToken, Passkey, User
    from emdash.accounts.roles import RoleInfo
    from emdash.accounts.tokens import IssuedToken


class TokenOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The first characters, to recognise it")
    scopes: list[str]
    user: int | None = Field(
        description="The user it acts for; null for an operator token"
    )
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret: shown this once, stored only as a hash")


class TokenListOut(BaseModel):
    items: list[TokenOut]
    next_cursor: str | None = None


def token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.pk,
        name=token.name,
        prefix=token.prefix,
        scopes=token.scopes,
        user=token.user_id,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


def token_created_out(issued: IssuedToken) -> TokenCreatedOut:
    """A new token with its secret, which is shown this once."""
    return TokenCreatedOut(
        **token_out(issued.token).model_dump(), token=issued.plaintext
    )


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: str = Field(description="A built-in role or a custom role's slug")
    is_active: bool
    date_joined: datetime
    last_login: datetime | None


class MeOut(UserOut):
    permissions: list[str] = Field(
        description="What the caller may do, sorted (a token's: scopes ∩ role)"
    )


class UserListOut(BaseModel):
    items: list[UserOut]
    next_cursor: str | None = None


class RoleOut(BaseModel):
    slug: str
    name: str
    description: str
    permissions: list[str]
    built_in: bool


class RoleListOut(BaseModel):
    items: list[RoleOut]
    next_cursor: str | None = None


InviteStatus = Literal["pending", "used", "revoked", "expired"]


class InviteOut(BaseModel):
    id: str
    email: str
    role: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    sent_at: datetime | None = Field(description="When it was last emailed")
    status: InviteStatus


class InviteListOut(BaseModel):
    items: list[InviteOut]
    next_cursor: str | None = None


class InviteIssuedOut(BaseModel):
    invite: InviteOut
    url: str = Field(description="The link to accept it: shown this once")
    emailed: bool = Field(description="false if it was not sent or the mail failed")


class PasskeyOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    transports: list[str]
    aaguid: str = Field(description="The authenticator model's id, when it tells")


class PasskeyListOut(BaseModel):
    items: list[PasskeyOut]
    next_cursor: str | None = None


class CeremonyOut(BaseModel):
    """A passkey ceremony begun: hand ``options`` to the browser, send its answer
    back with ``challenge_id``."""

    options: dict[str, Any] = Field(
        description="PublicKeyCredentialCreationOptionsJSON or ...RequestOptionsJSON"
    )
    challenge_id: str


class SignedInOut(BaseModel):
    user: UserOut
    redirect: str = Field(description="Where the admin goes next")


class SignInLinkSentOut(BaseModel):
    message: str


class SetupStatusOut(BaseModel):
    needed: bool = Field(description="true while the site has no administrator")


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.pk,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        is_active=user.is_active,
        date_joined=user.date_joined,
        last_login=user.last_login,
    )


def me_out(user: User, permissions: frozenset[str]) -> MeOut:
    return MeOut(**user_out(user).model_dump(), permissions=sorted(permissions))


def role_out(role: RoleInfo) -> RoleOut:
    return RoleOut(
        slug=role.slug,
        name=role.name,
        description=role.description,
        permissions=sorted(role.permissions),
        built_in=role.built_in,
    )


def invite_status(invite: AccessLink, now: datetime) -> InviteStatus:
    if invite.used_at is not None:
        return "used"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= now:
        return "expired"
    return "pending"


def invite_out(invite: AccessLink) -> InviteOut:
    # Imported here: the CLI reads these models without loading Django.
    from django.utils import timezone

    return InviteOut(
        id=invite.pk,
        email=invite.email,
        role=invite.role,
        created_by=invite.created_by,
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        used_at=invite.used_at,
        revoked_at=invite.revoked_at,
        sent_at=invite.sent_at,
        status=invite_status(invite, timezone.now()),
    )


def invite_issued_out(issued: IssuedLink, emailed: bool) -> InviteIssuedOut:
    """A new or resent invite with its link, which is shown this once."""
    return InviteIssuedOut(
        invite=invite_out(issued.link), url=issued.url, emailed=emailed
    )


def passkey_out(passkey: Passkey) -> PasskeyOut:
    return PasskeyOut(
        id=passkey.pk,
        name=passkey.name,
        created_at=passkey.created_at,
        last_used_at=passkey.last_used_at,
        transports=list(passkey.transports or []),
        aaguid=passkey.aaguid,
    )
