"""Pydantic types for accounts shared by every door."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from emdash.accounts.models import ApiToken


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
