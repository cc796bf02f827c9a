"""Managing people: /_emdash/api/users, /roles and /invites (administrators, or
tokens whose scopes and user allow users:read / users:manage)."""

from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import Field, StrictBool, StrictStr

from emdash.accounts import invites, roles, users
from emdash.accounts.schemas import (
    InviteIssuedOut,
    InviteListOut,
    InviteOut,
    RoleListOut,
    RoleOut,
    UserListOut,
    UserOut,
    invite_issued_out,
    invite_out,
    role_out,
    user_out,
)
from emdash.api.auth import actor_of
from emdash.api.bodies import Body
from emdash.core.permissions import ALL_PERMISSIONS

router = Router(tags=["users"])

PERMISSIONS_HELP = f"Any of: {', '.join(sorted(ALL_PERMISSIONS))}"


class UserChangesIn(Body):
    display_name: StrictStr | None = None
    role: StrictStr | None = Field(
        None, description="A built-in role or a custom role's slug"
    )
    is_active: StrictBool | None = Field(
        None, description="false disables the account and ends its sessions"
    )


class RoleChangesIn(Body):
    name: StrictStr | None = None
    description: StrictStr | None = None
    permissions: list[StrictStr] | None = Field(None, description=PERMISSIONS_HELP)


class RoleIn(RoleChangesIn):
    slug: StrictStr = Field(
        description="2-32 lowercase letters, digits and -; not a built-in role's"
    )
    name: StrictStr
    permissions: list[StrictStr] = Field(description=PERMISSIONS_HELP)


class InviteIn(Body):
    email: StrictStr
    role: StrictStr
    send_email: StrictBool = Field(
        True, description="Email the link; the answer holds it either way"
    )


# -- users ---------------------------------------------------------------------------


@router.get(
    "/users",
    response=UserListOut,
    operation_id="list_users",
    url_name="list_users",
    summary="List users by email, filtered by role, status or a search",
)
def list_users(
    request: HttpRequest,
    role: str | None = None,
    active: bool | None = None,
    q: Annotated[
        str, Query(description="Part of an email address or display name")
    ] = "",
) -> UserListOut:
    filters = users.UserFilters(role=role, active=active, query=q.strip())
    found = users.list_users(actor_of(request), filters)
    return UserListOut(items=[user_out(u) for u in found])


@router.get(
    "/users/{user_id}",
    response=UserOut,
    operation_id="get_user",
    url_name="get_user",
    summary="Get a user",
)
def get_user(request: HttpRequest, user_id: int) -> UserOut:
    return user_out(users.get_user(actor_of(request), user_id))


@router.patch(
    "/users/{user_id}",
    response=UserOut,
    operation_id="update_user",
    url_name="update_user",
    summary="Rename a user, change their role, or disable or enable them",
    description=(
        "The last active administrator cannot be demoted or disabled "
        "(409 LAST_ADMINISTRATOR); nobody assigns a role with permissions they "
        "lack (403 ROLE_ABOVE_YOURS)."
    ),
)
def update_user(request: HttpRequest, user_id: int, payload: UserChangesIn) -> UserOut:
    return user_out(users.update_user(actor_of(request), user_id, **payload.changes()))


@router.delete(
    "/users/{user_id}",
    response={204: None},
    operation_id="delete_user",
    url_name="delete_user",
    summary="Delete a user; their entries stay, without an author",
)
def delete_user(request: HttpRequest, user_id: int) -> None:
    users.delete_user(actor_of(request), user_id)


@router.post(
    "/users/{user_id}/sign-out-everywhere",
    response={204: None},
    operation_id="sign_user_out_everywhere",
    url_name="sign_user_out_everywhere",
    summary="End every session of a user",
)
def sign_user_out_everywhere(request: HttpRequest, user_id: int) -> None:
    users.sign_out_everywhere(actor_of(request), user_id)


# -- roles ---------------------------------------------------------------------------


@router.get(
    "/roles",
    response=RoleListOut,
    operation_id="list_roles",
    url_name="list_roles",
    summary="List the built-in roles, then the custom ones",
)
def list_roles(request: HttpRequest) -> RoleListOut:
    return RoleListOut(items=[role_out(r) for r in roles.list_roles(actor_of(request))])


@router.post(
    "/roles",
    response={201: RoleOut},
    operation_id="create_role",
    url_name="create_role",
    summary="Create a custom role: a named bundle of permissions",
)
def create_role(request: HttpRequest, payload: RoleIn) -> RoleOut:
    return role_out(roles.create_role(actor_of(request), **payload.changes()))


@router.get(
    "/roles/{slug}",
    response=RoleOut,
    operation_id="get_role",
    url_name="get_role",
    summary="Get a role",
)
def get_role(request: HttpRequest, slug: str) -> RoleOut:
    return role_out(roles.get_role(actor_of(request), slug))


@router.patch(
    "/roles/{slug}",
    response=RoleOut,
    operation_id="update_role",
    url_name="update_role",
    summary="Change a custom role; its users get the new permissions at once",
)
def update_role(request: HttpRequest, slug: str, payload: RoleChangesIn) -> RoleOut:
    return role_out(roles.update_role(actor_of(request), slug, **payload.changes()))


@router.delete(
    "/roles/{slug}",
    response={204: None},
    operation_id="delete_role",
    url_name="delete_role",
    summary="Delete a custom role nobody holds",
)
def delete_role(request: HttpRequest, slug: str) -> None:
    roles.delete_role(actor_of(request), slug)


# -- invites -------------------------------------------------------------------------


@router.get(
    "/invites",
    response=InviteListOut,
    operation_id="list_invites",
    url_name="list_invites",
    summary="List invites, newest first: pending ones, or all with all=true",
)
def list_invites(
    request: HttpRequest,
    include_all: Annotated[
        bool, Query(alias="all", description="Also used, revoked and expired ones")
    ] = False,
) -> InviteListOut:
    found = invites.list_invites(actor_of(request), pending_only=not include_all)
    return InviteListOut(items=[invite_out(i) for i in found])


@router.post(
    "/invites",
    response={201: InviteIssuedOut},
    operation_id="create_invite",
    url_name="create_invite",
    summary="Invite an email address with a role; the answer holds the link, once",
    description=(
        "An earlier pending invite for the same address stops working. The link is "
        "emailed unless send_email is false; `emailed` says whether the mail went out."
    ),
)
def create_invite(request: HttpRequest, payload: InviteIn) -> InviteIssuedOut:
    issued, emailed = invites.create_invite(
        actor_of(request),
        email=payload.email,
        role=payload.role,
        send=payload.send_email,
    )
    return invite_issued_out(issued, emailed)


@router.post(
    "/invites/{invite_id}/resend",
    response=InviteIssuedOut,
    operation_id="resend_invite",
    url_name="resend_invite",
    summary="Email an invite again with a new link; the old link stops working",
)
def resend_invite(request: HttpRequest, invite_id: str) -> InviteIssuedOut:
    issued, emailed = invites.resend_invite(actor_of(request), invite_id)
    return invite_issued_out(issued, emailed)


@router.delete(
    "/invites/{invite_id}",
    response=InviteOut,
    operation_id="revoke_invite",
    url_name="revoke_invite",
    summary="Revoke an invite; its link stops working",
)
def revoke_invite(request: HttpRequest, invite_id: str) -> InviteOut:
    return invite_out(invites.revoke_invite(actor_of(request), invite_id))
