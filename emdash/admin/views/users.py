"""People: the list, roles and status, invites. The services enforce who may do
what (``users:read`` to see, ``users:manage`` to change, never the last
administrator away); these pages show their refusals as messages."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from emdash.accounts import invites, roles, users
from emdash.accounts.links import IssuedLink
from emdash.admin.access import (
    ADMIN_ROOT,
    actor_of,
    admin_required,
    describe,
    field_errors,
    stash,
    take,
)
from emdash.admin.templatetags.emdash_admin import role_label
from emdash.core.errors import EmDashError

USERS_URL = ADMIN_ROOT + "users/"
NEW_INVITE = "new_invite"
DEFAULT_INVITE_ROLE = "contributor"


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    return _users_page(request, new_invite=take(request, NEW_INVITE))


def _users_page(
    request: HttpRequest,
    *,
    new_invite: dict[str, Any] | None = None,
    invite_form: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = actor_of(request)
    query = request.GET.get("q", "").strip()
    can_manage = actor.has("users:manage")
    members = users.list_users(actor, users.UserFilters(query=query))
    # Read once: the page names a role for every person and invite.
    all_roles = roles.list_roles(actor)
    context = {
        "members": members,
        "query": query,
        "can_manage": can_manage,
        "roles": all_roles,
        "role_names": {role.slug: role.name for role in all_roles},
        "invites": invites.list_invites(actor) if can_manage else [],
        "new_invite": new_invite,
        "invite_form": invite_form
        or {"email": "", "role": DEFAULT_INVITE_ROLE, "errors": {}},
    }
    return render(request, "emdash_admin/users.html", context, status=status)


def _reveal(request: HttpRequest, issued: IssuedLink, emailed: bool) -> None:
    stash(
        request,
        NEW_INVITE,
        {"email": issued.link.email, "url": issued.url, "emailed": emailed},
    )


@admin_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    form = {
        "email": request.POST.get("email", "").strip(),
        "role": request.POST.get("role", ""),
        "errors": {},
    }
    try:
        issued, emailed = invites.create_invite(
            actor_of(request), email=form["email"], role=form["role"]
        )
    except EmDashError as error:
        form["errors"] = field_errors(error)
        messages.error(request, error.message)
        return _users_page(request, invite_form=form, status=error.status)
    _reveal(request, issued, emailed)
    return redirect(USERS_URL + "#new-invite")


@admin_required
@require_POST
def change_role(request: HttpRequest, user_id: int) -> HttpResponse:
    role = request.POST.get("role", "")
    try:
        user = users.update_user(actor_of(request), user_id, role=role)
    except EmDashError as error:
        messages.error(request, describe(error))
    else:
        messages.success(request, f"{user} is now {role_label(user.role)}.")
    return redirect(USERS_URL)


@admin_required
@require_POST
def change_status(request: HttpRequest, user_id: int) -> HttpResponse:
    active = request.POST.get("is_active") == "true"
    try:
        user = users.update_user(actor_of(request), user_id, is_active=active)
    except EmDashError as error:
        messages.error(request, describe(error))
    else:
        done = "is enabled" if active else "is disabled and signed out everywhere"
        messages.success(request, f"{user} {done}.")
    return redirect(USERS_URL)


@admin_required
@require_POST
def resend_invite(request: HttpRequest, invite_id: str) -> HttpResponse:
    try:
        issued, emailed = invites.resend_invite(actor_of(request), invite_id)
    except EmDashError as error:
        messages.error(request, error.message)
        return redirect(USERS_URL)
    _reveal(request, issued, emailed)
    return redirect(USERS_URL + "#new-invite")


@admin_required
@require_POST
def revoke_invite(request: HttpRequest, invite_id: str) -> HttpResponse:
    try:
        revoked = invites.revoke_invite(actor_of(request), invite_id)
    except EmDashError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The invite for {revoked.email} is revoked.")
    return redirect(USERS_URL)
