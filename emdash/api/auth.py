"""Who is calling: the one place the API turns a request into an actor.

Three ways in: ``Authorization: Bearer ec_pat_...`` (scripts, agents, the CLI); the
session cookie of someone signed in to the admin (its JavaScript), whose unsafe
requests must carry the CSRF token, as cookie-authenticated requests can be forged
by other sites; or nothing, which is the anonymous visitor."""

from typing import cast

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from emdash.accounts.tokens import actor_for_token
from emdash.accounts.users import actor_for_user
from emdash.core.actors import ANONYMOUS, Actor
from emdash.core.errors import PermissionDenied, Unauthenticated

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerOrAnonymous(HttpBearer):
    """A bearer token acts as the token's actor; a session as its user; no
    credentials read as the anonymous visitor, who may read live public content
    and nothing else. A bad, expired or revoked token is refused even on a read, so
    a client never mistakes a broken token for an empty site."""

    # Sign-in endpoints take anonymous writes (still CSRF-checked).
    anonymous_writes = False

    def __call__(self, request: HttpRequest) -> Actor:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated(
                    "Send the token as 'Authorization: Bearer ec_pat_...'.",
                    code="INVALID_TOKEN",
                )
            return self.authenticate(request, token.strip())
        user = getattr(request, "user", None)
        actor = (
            actor_for_user(user)
            if user is not None and user.is_authenticated
            else ANONYMOUS
        )
        if request.method in SAFE_METHODS:
            return actor
        if actor.is_anonymous and not self.anonymous_writes:
            raise Unauthenticated(
                "Writing needs a bearer token (Authorization: Bearer ec_pat_...) "
                "or a signed-in session."
            )
        if check_csrf(request) is not None:
            raise PermissionDenied(
                "The CSRF check failed: send the csrftoken cookie's value in the "
                "X-CSRFToken header.",
                code="CSRF_FAILED",
            )
        return actor

    def authenticate(self, request: HttpRequest, token: str) -> Actor:
        return actor_for_token(token)


class SignInAuth(BearerOrAnonymous):
    """For endpoints that sign people in: open to anonymous callers."""

    anonymous_writes = True


def actor_of(request: HttpRequest) -> Actor:
    """The actor the authentication above put on the request."""
    return cast(Actor, request.auth)  # type: ignore[attr-defined]
