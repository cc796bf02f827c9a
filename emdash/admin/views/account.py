"""The signed-in person's account: their name, passkeys, API tokens and sessions.
Every signed-in person reaches it, subscribers included."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from emdash.accounts import account as own_account
from emdash.accounts import signin, tokens, users
from emdash.accounts.models import ApiToken
from emdash.admin.access import (
    ADMIN_ROOT,
    LOGIN_URL,
    actor_of,
    describe,
    field_errors,
    signed_in_required,
    stash,
    take,
)
from emdash.core.errors import EmDashError, ValidationFailed
from emdash.core.permissions import ALL_SCOPES

ACCOUNT_URL = ADMIN_ROOT + "account/"
# Where the new token waits (in the session) for the page after the redirect.
REVEALED = "new_token"
MAX_TOKEN_DAYS = 3650
# What each scope lets a token do, in the words the form shows.
SCOPE_HELP = {
    "admin": "everything your role allows",
    "content:read": "read content, drafts included",
    "content:write": "create, edit, publish and delete content",
    "media:read": "read the media library",
    "media:write": "upload, edit and delete media",
    "schema:read": "read collections and fields",
    "schema:write": "change collections and fields",
    "taxonomies:manage": "manage categories, tags and other terms",
    "menus:manage": "manage menus",
    "settings:read": "read site settings",
    "settings:manage": "change site settings",
    "plugins:read": "list plugins and read their logs",
    "plugins:manage": "install, configure and remove plugins",
    "cron:run": "run scheduled publications and plugin tasks that are due",
}
# The token service names its fields after its arguments; the form after its inputs.
TOKEN_FIELDS = {"scope": "scopes", "expires_at": "expires_in_days"}


@signed_in_required
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request, new_token=take(request, REVEALED))


def _account_page(
    request: HttpRequest,
    *,
    new_token: dict[str, Any] | None = None,
    profile: dict[str, Any] | None = None,
    token_form: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = actor_of(request)
    me = request.user
    context = {
        "passkeys": own_account.list_passkeys(actor),
        "tokens": [
            _token_row(token) for token in tokens.list_tokens(actor, user_id=me.pk)
        ],
        "scopes": [(scope, SCOPE_HELP.get(scope, "")) for scope in sorted(ALL_SCOPES)],
        "new_token": new_token,
        "profile": profile or {"display_name": me.display_name, "errors": {}},
        "token_form": token_form
        or {"name": "", "scopes": [], "expires_in_days": "", "errors": {}},
    }
    return render(request, "emdash_admin/account.html", context, status=status)


def _token_row(token: ApiToken) -> dict[str, Any]:
    if token.revoked_at is not None:
        state = "revoked"
    elif token.expires_at is not None and token.expires_at <= timezone.now():
        state = "expired"
    else:
        state = "active"
    return {"token": token, "state": state}


@signed_in_required
@require_POST
def update_profile(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("display_name", "").strip()
    if not name:
        errors = {"display_name": ["enter the name to show for you"]}
        return _account_page(
            request, profile={"display_name": name, "errors": errors}, status=422
        )
    try:
        users.update_user(actor_of(request), request.user.pk, display_name=name)
    except EmDashError as error:
        profile = {"display_name": name, "errors": field_errors(error)}
        messages.error(request, error.message)
        return _account_page(request, profile=profile, status=error.status)
    messages.success(request, "Your name is saved.")
    return redirect(ACCOUNT_URL)


@signed_in_required
@require_POST
def rename_passkey(request: HttpRequest, passkey_id: int) -> HttpResponse:
    name = request.POST.get("name", "")
    try:
        own_account.rename_passkey(actor_of(request), passkey_id, name)
    except EmDashError as error:
        messages.error(request, describe(error))
    else:
        messages.success(request, f"Passkey renamed to “{name.strip()}”.")
    return redirect(ACCOUNT_URL)


@signed_in_required
@require_POST
def remove_passkey(request: HttpRequest, passkey_id: int) -> HttpResponse:
    try:
        own_account.remove_passkey(actor_of(request), passkey_id)
    except EmDashError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Passkey removed.")
    return redirect(ACCOUNT_URL)


@signed_in_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    """Create a token bound to the signed-in person; its plaintext is shown on
    the next page only."""
    form = {
        "name": request.POST.get("name", "").strip(),
        "scopes": request.POST.getlist("scopes"),
        "expires_in_days": request.POST.get("expires_in_days", "").strip(),
        "errors": {},
    }
    try:
        expires_at = _expiry(form["expires_in_days"])
        issued = tokens.create_token(
            actor_of(request),
            name=form["name"],
            scopes=form["scopes"],
            user=request.user,  # type: ignore[arg-type]
            expires_at=expires_at,
        )
    except EmDashError as error:
        form["errors"] = {
            TOKEN_FIELDS.get(name, name): problems
            for name, problems in field_errors(error).items()
        }
        messages.error(request, error.message)
        return _account_page(request, token_form=form, status=error.status)
    stash(
        request,
        REVEALED,
        {"name": issued.token.name, "plaintext": issued.plaintext},
    )
    return redirect(ACCOUNT_URL + "#new-token")


def _expiry(days: str) -> datetime | None:
    if not days:
        return None
    if not days.isdigit() or not 1 <= int(days) <= MAX_TOKEN_DAYS:
        raise ValidationFailed(
            "The token request is invalid.",
            fields={
                "expires_at": f"enter a whole number of days from 1 to {MAX_TOKEN_DAYS}"
            },
        )
    return timezone.now() + timedelta(days=int(days))


@signed_in_required
@require_POST
def revoke_token(request: HttpRequest, token_id: str) -> HttpResponse:
    try:
        token = tokens.revoke_token(actor_of(request), token_id)
    except EmDashError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The token “{token.name}” is revoked.")
    return redirect(ACCOUNT_URL)


@signed_in_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of the signed-in person, this one included."""
    users.sign_out_everywhere(actor_of(request), request.user.pk)
    signin.log_out(request)
    messages.success(request, "You are signed out on every device.")
    return redirect(LOGIN_URL)
