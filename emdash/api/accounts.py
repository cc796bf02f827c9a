"""Signing in and one's own account: /_emdash/api/auth/..., /setup...,
/invites/accept/... and /me/...

The sign-in routes are open to anonymous callers (a cookie caller still needs the
CSRF token); the routes that finish one start a session. The /me routes act on the
caller's own user: a session, or a token bound to a user."""

import json
from typing import Any, ClassVar

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from ninja import Router
from pydantic import AwareDatetime, Field, StrictStr

from emdash.accounts import account, invites, setup, signin
from emdash.accounts.models import User
from emdash.accounts.schemas import (
    CeremonyOut,
    MeOut,
    PasskeyListOut,
    PasskeyOut,
    SetupStatusOut,
    SignedInOut,
    SignInLinkSentOut,
    TokenCreatedOut,
    TokenListOut,
    me_out,
    passkey_out,
    token_created_out,
    token_out,
    user_out,
)
from emdash.accounts.tokens import create_token, list_tokens
from emdash.accounts.users import get_user, sign_out_everywhere
from emdash.api.auth import SignInAuth, actor_of
from emdash.api.bodies import Body
from emdash.core.actors import Actor
from emdash.core.errors import Unauthenticated
from emdash.core.permissions import ALL_SCOPES

router = Router(tags=["accounts"])

ADMIN_HOME = "/_emdash/admin/"
SIGN_IN_LINK_MESSAGE = "If that address has an account, a sign-in link is on its way."

# A credential is the browser's PublicKeyCredential as JSON (RegistrationResponseJSON
# or AuthenticationResponseJSON), passed on to the passkey verification untouched.
Credential = dict[str, Any]


class SignInLinkIn(Body):
    email: StrictStr


class LinkTokenIn(Body):
    token: StrictStr = Field(description="The token from the emailed link's URL")


class PasskeySignInIn(Body):
    nullable: ClassVar[frozenset[str]] = frozenset({"next"})

    challenge_id: StrictStr
    credential: Credential
    next: StrictStr | None = Field(
        None,
        description=f"A path under {ADMIN_HOME} to go to after signing in; "
        "anything else (or null) goes to the dashboard",
    )


class SetupOptionsIn(Body):
    token: StrictStr = Field(description="The token from the one-time setup URL")
    site_title: StrictStr
    display_name: StrictStr
    email: StrictStr


class SetupVerifyIn(Body):
    token: StrictStr
    challenge_id: StrictStr
    credential: Credential


class InviteOptionsIn(Body):
    token: StrictStr = Field(description="The token from the invite URL")
    display_name: StrictStr


class InviteVerifyIn(SetupVerifyIn):
    token: StrictStr = Field(description="The token from the invite URL")


class PasskeyAddIn(Body):
    challenge_id: StrictStr
    credential: Credential
    name: StrictStr | None = Field(None, description='"Passkey N" when left out')


class PasskeyRenameIn(Body):
    name: StrictStr


class MyTokenIn(Body):
    nullable: ClassVar[frozenset[str]] = frozenset({"expires_at"})

    name: StrictStr
    scopes: list[StrictStr] = Field(
        description=f"Any of: {', '.join(sorted(ALL_SCOPES))}; the token never "
        "does more than your role"
    )
    expires_at: AwareDatetime | None = Field(
        None, description="Never expires when left out"
    )


def _ceremony(begun: tuple[str, str]) -> CeremonyOut:
    options_json, challenge_id = begun
    return CeremonyOut(options=json.loads(options_json), challenge_id=challenge_id)


def _signed_in(user: User, redirect: str = ADMIN_HOME) -> SignedInOut:
    return SignedInOut(user=user_out(user), redirect=redirect)


def _redirect_after_sign_in(request: HttpRequest, next_url: str | None) -> str:
    """``next`` when it is a page of the admin on this site; otherwise the
    dashboard (an open redirect would let a link send people anywhere)."""
    if (
        next_url
        and next_url.startswith(ADMIN_HOME)
        and url_has_allowed_host_and_scheme(
            next_url,
            allowed_hosts={request.get_host()},
            require_https=request.is_secure(),
        )
    ):
        return next_url
    return ADMIN_HOME


def _my_user_id(actor: Actor) -> int:
    """The caller's own user; an operator token or a visitor has none."""
    if actor.user_id is None:
        raise Unauthenticated(
            "Sign in, or send a token that belongs to a user: this route is about "
            "your own account."
        )
    return actor.user_id


# -- signing in and out --------------------------------------------------------------


@router.post(
    "/auth/passkey/options",
    auth=SignInAuth(),
    response=CeremonyOut,
    operation_id="begin_passkey_sign_in",
    url_name="begin_passkey_sign_in",
    summary="Start a passkey sign-in: options for navigator.credentials.get()",
)
def begin_passkey_sign_in(request: HttpRequest) -> CeremonyOut:
    return _ceremony(signin.begin_passkey_sign_in(request))


@router.post(
    "/auth/passkey/verify",
    auth=SignInAuth(),
    response=SignedInOut,
    operation_id="finish_passkey_sign_in",
    url_name="finish_passkey_sign_in",
    summary="Finish a passkey sign-in; starts a session",
)
def finish_passkey_sign_in(
    request: HttpRequest, payload: PasskeySignInIn
) -> SignedInOut:
    user = signin.finish_passkey_sign_in(
        request, payload.challenge_id, payload.credential
    )
    return _signed_in(user, _redirect_after_sign_in(request, payload.next))


@router.post(
    "/auth/link",
    auth=SignInAuth(),
    response={202: SignInLinkSentOut},
    operation_id="request_sign_in_link",
    url_name="request_sign_in_link",
    summary="Email a one-time sign-in link (the answer never says if one was sent)",
)
def request_sign_in_link(
    request: HttpRequest, payload: SignInLinkIn
) -> SignInLinkSentOut:
    signin.request_sign_in_link(request, payload.email)
    return SignInLinkSentOut(message=SIGN_IN_LINK_MESSAGE)


@router.post(
    "/auth/link/redeem",
    auth=SignInAuth(),
    response=SignedInOut,
    operation_id="redeem_sign_in_link",
    url_name="redeem_sign_in_link",
    summary="Use a sign-in link up; starts a session",
)
def redeem_sign_in_link(request: HttpRequest, payload: LinkTokenIn) -> SignedInOut:
    return _signed_in(signin.redeem_sign_in_link(request, payload.token))


@router.post(
    "/auth/logout",
    auth=SignInAuth(),
    response={204: None},
    operation_id="sign_out",
    url_name="sign_out",
    summary="End this session",
)
def sign_out(request: HttpRequest) -> None:
    signin.log_out(request)


# -- first run -----------------------------------------------------------------------


@router.get(
    "/setup",
    auth=SignInAuth(),
    response=SetupStatusOut,
    operation_id="get_setup_status",
    url_name="get_setup_status",
    summary="Whether the site still waits for its first administrator",
)
def get_setup_status(request: HttpRequest) -> SetupStatusOut:
    return SetupStatusOut(needed=setup.needs_setup())


@router.post(
    "/setup/options",
    auth=SignInAuth(),
    response=CeremonyOut,
    operation_id="begin_setup",
    url_name="begin_setup",
    summary="Name the site and start registering the first administrator's passkey",
)
def begin_setup(request: HttpRequest, payload: SetupOptionsIn) -> CeremonyOut:
    signin.limit_link_use(request)
    return _ceremony(
        setup.begin(
            payload.token,
            site_title=payload.site_title,
            display_name=payload.display_name,
            email=payload.email,
        )
    )


@router.post(
    "/setup/verify",
    auth=SignInAuth(),
    response=SignedInOut,
    operation_id="finish_setup",
    url_name="finish_setup",
    summary="Create the first administrator with their passkey; starts a session",
)
def finish_setup(request: HttpRequest, payload: SetupVerifyIn) -> SignedInOut:
    signin.limit_link_use(request)
    user = setup.finish(payload.token, payload.challenge_id, payload.credential)
    signin.log_in(request, user, method="setup")
    return _signed_in(user)


# -- accepting an invite ---------------------------------------------------------------


@router.post(
    "/invites/accept/options",
    auth=SignInAuth(),
    response=CeremonyOut,
    operation_id="begin_invite_acceptance",
    url_name="begin_invite_acceptance",
    summary="Start registering the invited person's passkey",
)
def begin_invite_acceptance(
    request: HttpRequest, payload: InviteOptionsIn
) -> CeremonyOut:
    signin.limit_link_use(request)
    return _ceremony(
        invites.begin_accept(payload.token, display_name=payload.display_name)
    )


@router.post(
    "/invites/accept/verify",
    auth=SignInAuth(),
    response=SignedInOut,
    operation_id="finish_invite_acceptance",
    url_name="finish_invite_acceptance",
    summary="Create the invited account with its passkey; starts a session",
)
def finish_invite_acceptance(
    request: HttpRequest, payload: InviteVerifyIn
) -> SignedInOut:
    signin.limit_link_use(request)
    user = invites.finish_accept(
        payload.token, payload.challenge_id, payload.credential
    )
    signin.log_in(request, user, method="invite")
    return _signed_in(user)


# -- my account ----------------------------------------------------------------------


@router.get(
    "/me",
    response=MeOut,
    operation_id="get_me",
    url_name="get_me",
    summary="Who you are and what you may do",
)
def get_me(request: HttpRequest) -> MeOut:
    actor = actor_of(request)
    return me_out(get_user(actor, _my_user_id(actor)), actor.permissions)


@router.post(
    "/me/sign-out-everywhere",
    response={204: None},
    operation_id="sign_me_out_everywhere",
    url_name="sign_me_out_everywhere",
    summary="End every session of yours, this one included",
)
def sign_me_out_everywhere(request: HttpRequest) -> None:
    actor = actor_of(request)
    sign_out_everywhere(actor, _my_user_id(actor))


@router.get(
    "/me/passkeys",
    response=PasskeyListOut,
    operation_id="list_my_passkeys",
    url_name="list_my_passkeys",
    summary="List your passkeys, oldest first",
)
def list_my_passkeys(request: HttpRequest) -> PasskeyListOut:
    found = account.list_passkeys(actor_of(request))
    return PasskeyListOut(items=[passkey_out(p) for p in found])


@router.post(
    "/me/passkeys/options",
    response=CeremonyOut,
    operation_id="begin_add_passkey",
    url_name="begin_add_passkey",
    summary="Start adding a passkey: options for navigator.credentials.create()",
)
def begin_add_passkey(request: HttpRequest) -> CeremonyOut:
    return _ceremony(account.begin_add_passkey(actor_of(request)))


@router.post(
    "/me/passkeys/verify",
    response={201: PasskeyOut},
    operation_id="finish_add_passkey",
    url_name="finish_add_passkey",
    summary="Finish adding a passkey",
)
def finish_add_passkey(request: HttpRequest, payload: PasskeyAddIn) -> PasskeyOut:
    passkey = account.finish_add_passkey(
        actor_of(request),
        payload.challenge_id,
        payload.credential,
        name=payload.name or "",
    )
    return passkey_out(passkey)


@router.patch(
    "/me/passkeys/{passkey_id}",
    response=PasskeyOut,
    operation_id="rename_passkey",
    url_name="rename_passkey",
    summary="Rename one of your passkeys",
)
def rename_passkey(
    request: HttpRequest, passkey_id: int, payload: PasskeyRenameIn
) -> PasskeyOut:
    return passkey_out(
        account.rename_passkey(actor_of(request), passkey_id, payload.name)
    )


@router.delete(
    "/me/passkeys/{passkey_id}",
    response={204: None},
    operation_id="remove_passkey",
    url_name="remove_passkey",
    summary="Remove one of your passkeys (never the last one)",
)
def remove_passkey(request: HttpRequest, passkey_id: int) -> None:
    account.remove_passkey(actor_of(request), passkey_id)


@router.get(
    "/me/tokens",
    response=TokenListOut,
    operation_id="list_my_tokens",
    url_name="list_my_tokens",
    summary="List your tokens, newest first (never their secrets)",
)
def list_my_tokens(request: HttpRequest) -> TokenListOut:
    actor = actor_of(request)
    found = list_tokens(actor, user_id=_my_user_id(actor))
    return TokenListOut(items=[token_out(t) for t in found])


@router.post(
    "/me/tokens",
    response={201: TokenCreatedOut},
    operation_id="create_my_token",
    url_name="create_my_token",
    summary="Create a token that acts for you; the answer holds its secret, once",
)
def create_my_token(request: HttpRequest, payload: MyTokenIn) -> TokenCreatedOut:
    actor = actor_of(request)
    issued = create_token(
        actor,
        name=payload.name,
        scopes=payload.scopes,
        user=get_user(actor, _my_user_id(actor)),
        expires_at=payload.expires_at,
    )
    return token_created_out(issued)
