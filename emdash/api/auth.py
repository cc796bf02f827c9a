"""Who is calling: the one place the API turns a request into an actor."""

from typing import cast

from django.http import HttpRequest
from ninja.security import HttpBearer

from emdash.accounts.tokens import actor_for_token
from emdash.core.actors import ANONYMOUS, Actor
from emdash.core.errors import Unauthenticated

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerOrAnonymous(HttpBearer):
    """``Authorization: Bearer ec_pat_...`` acts as the token's actor; no header
    reads as the anonymous visitor, who may read live public content and nothing
    else. A bad, expired or revoked token is refused even on a read, so a client
    never mistakes a broken token for an empty site."""

    def __call__(self, request: HttpRequest) -> Actor:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated(
                    "Send the token as 'Authorization: Bearer ec_pat_...'.",
                    code="INVALID_TOKEN",
                )
            actor = self.authenticate(request, token.strip())
        else:
            # The accounts issue resolves the session cookie (with its CSRF check) here.
            actor = ANONYMOUS
        if actor.is_anonymous and request.method not in SAFE_METHODS:
            raise Unauthenticated(
                "Writing needs a bearer token: Authorization: Bearer ec_pat_..."
            )
        return actor

    def authenticate(self, request: HttpRequest, token: str) -> Actor:
        return actor_for_token(token)


def actor_of(request: HttpRequest) -> Actor:
    """The actor the authentication above put on the request."""
    return cast(Actor, request.auth)  # type: ignore[attr-defined]
