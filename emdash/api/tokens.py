"""API tokens: /_emdash/api/tokens (administrators, or tokens with tokens:manage;
anyone signed in may revoke their own)."""

from typing import ClassVar

from django.http import HttpRequest
from ninja import Router
from pydantic import AwareDatetime, Field, StrictStr

from emdash.accounts.schemas import (
    TokenCreatedOut,
    TokenListOut,
    TokenOut,
    token_created_out,
    token_out,
)
from emdash.accounts.tokens import create_token, list_tokens, revoke_token
from emdash.api.auth import actor_of
from emdash.api.bodies import Body
from emdash.core.permissions import ALL_SCOPES

router = Router(tags=["tokens"])


class TokenIn(Body):
    nullable: ClassVar[frozenset[str]] = frozenset({"expires_at"})

    name: StrictStr
    scopes: list[StrictStr] = Field(
        description=f"Any of: {', '.join(sorted(ALL_SCOPES))}"
    )
    expires_at: AwareDatetime | None = Field(
        None, description="Never expires when left out"
    )
    user: StrictStr | None = Field(
        None,
        description="A user's email: the token acts for them, with its scopes ∩ "
        "their role. Left out, it is an operator token.",
    )


@router.get(
    "",
    response=TokenListOut,
    operation_id="list_tokens",
    url_name="list_tokens",
    summary="List tokens, newest first (never their secrets)",
)
def list_tokens_view(request: HttpRequest) -> TokenListOut:
    return TokenListOut(items=[token_out(t) for t in list_tokens(actor_of(request))])


@router.post(
    "",
    response={201: TokenCreatedOut},
    operation_id="create_token",
    url_name="create_token",
    summary="Create a token, for a user or the operator; the answer holds its "
    "secret, once",
)
def create_token_view(request: HttpRequest, payload: TokenIn) -> TokenCreatedOut:
    actor = actor_of(request)
    issued = create_token(
        actor,
        name=payload.name,
        scopes=payload.scopes,
        user_email=payload.user,
        expires_at=payload.expires_at,
    )
    return token_created_out(issued)


@router.delete(
    "/{token_id}",
    response=TokenOut,
    operation_id="revoke_token",
    url_name="revoke_token",
    summary="Revoke a token; it stops working at once",
)
def revoke_token_view(request: HttpRequest, token_id: str) -> TokenOut:
    return token_out(revoke_token(actor_of(request), token_id))
