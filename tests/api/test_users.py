"""Users, roles and invites through /_emdash/api/users, /roles and /invites."""

import pytest
from django.core import mail

from emdash.accounts import invites, roles
from emdash.accounts.models import AccessLink, CustomRole, User
from emdash.core.actors import SYSTEM
from emdash.core.models import AuditEvent
from emdash.core.permissions import Role, role_permissions
from tests.api.conftest import (
    bearer,
    error,
    iso,
    link_token,
    send,
    session_client,
    token_for,
    user_json,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

LAST_ADMIN = (
    "Cannot {} the last administrator: make someone else an administrator first."
)
SIGN_IN = "Sign in or send a bearer token to do this."


@pytest.fixture
def admin_user() -> User:
    return make_user("administrator", email="admin@example.com")


@pytest.fixture
def as_admin(admin_user: User) -> dict[str, str]:
    """Headers of the only administrator's own token."""
    return bearer(token_for("admin", user=admin_user))


@pytest.fixture
def as_editor() -> dict[str, str]:
    return bearer(token_for("admin", user=make_user("editor")))


def editor_lacks(permission: str) -> dict[str, object]:
    return error(
        "FORBIDDEN",
        f"Editor User (token test) lacks the permission {permission}.",
        permission=permission,
    )


# -- users ---------------------------------------------------------------------------


def test_users_are_listed_by_email_and_filtered(client, admin_user, as_admin):
    zed = make_user("editor", email="zed@example.com")
    amy = make_user("author", email="amy@example.com")
    User.objects.filter(pk=zed.pk).update(display_name="Zed Shaw", is_active=False)

    everyone = send(client, "GET", "/users", headers=as_admin)
    editors = send(client, "GET", "/users?role=editor", headers=as_admin)
    active = send(client, "GET", "/users?active=true", headers=as_admin)
    searched = send(client, "GET", "/users?q=shaw", headers=as_admin)

    assert everyone.status_code == 200
    assert everyone.json() == {
        "items": [user_json(admin_user), user_json(amy), user_json(zed)],
        "next_cursor": None,
    }
    assert [u["email"] for u in editors.json()["items"]] == ["zed@example.com"]
    assert [u["email"] for u in active.json()["items"]] == [
        "admin@example.com",
        "amy@example.com",
    ]
    assert [u["email"] for u in searched.json()["items"]] == ["zed@example.com"]


def test_a_user_is_shown_and_an_unknown_one_is_404(client, admin_user, as_admin):
    found = send(client, "GET", f"/users/{admin_user.pk}", headers=as_admin)
    missing = send(client, "GET", "/users/999999", headers=as_admin)

    assert (found.status_code, found.json()) == (200, user_json(admin_user))
    assert missing.status_code == 404
    assert missing.json() == error("USER_NOT_FOUND", "No user '999999'.")


def test_an_administrator_changes_a_role_and_it_is_audited(client, as_admin):
    user = make_user("author")

    response = send(client, "PATCH", f"/users/{user.pk}", {"role": "editor"}, as_admin)

    assert response.status_code == 200
    assert response.json() == {**user_json(user), "role": "editor"}
    [event] = AuditEvent.objects.filter(action="user.role_change")
    assert (event.target_id, event.data) == (
        str(user.pk),
        {"role": ["author", "editor"]},
    )


def test_disabling_a_user_ends_their_sessions(client, as_admin):
    user = make_user("author")
    theirs = session_client(user)

    response = send(
        client, "PATCH", f"/users/{user.pk}", {"is_active": False}, as_admin
    )

    assert (response.status_code, response.json()["is_active"]) == (200, False)
    assert send(theirs, "GET", "/me").status_code == 401


def test_people_rename_themselves_but_change_nothing_else(client):
    user = make_user("author")
    mine = bearer(token_for("admin", user=user))

    renamed = send(
        client, "PATCH", f"/users/{user.pk}", {"display_name": " Ann "}, mine
    )
    promoted = send(client, "PATCH", f"/users/{user.pk}", {"role": "editor"}, mine)

    assert (renamed.status_code, renamed.json()["display_name"]) == (200, "Ann")
    assert promoted.status_code == 403
    assert User.objects.get(pk=user.pk).role == "author"


@pytest.mark.parametrize(
    ("method", "path", "body", "doing"),
    [
        ("PATCH", "/users/{id}", {"role": "editor"}, "demote"),
        ("PATCH", "/users/{id}", {"is_active": False}, "disable"),
        ("DELETE", "/users/{id}", None, "delete"),
    ],
)
def test_the_last_administrator_is_kept(
    client, admin_user, as_admin, method, path, body, doing
):
    response = send(client, method, path.format(id=admin_user.pk), body, as_admin)

    assert response.status_code == 409
    assert response.json() == error("LAST_ADMINISTRATOR", LAST_ADMIN.format(doing))
    admin_user.refresh_from_db()
    assert (admin_user.role, admin_user.is_active) == ("administrator", True)


def test_with_a_second_administrator_one_may_step_down(client, admin_user, as_admin):
    make_user("administrator")

    response = send(
        client, "PATCH", f"/users/{admin_user.pk}", {"role": "editor"}, as_admin
    )

    assert (response.status_code, response.json()["role"]) == (200, "editor")


def test_nobody_assigns_a_role_above_their_own(client):
    roles.create_role(
        SYSTEM,
        slug="people",
        name="People",
        permissions=["users:read", "users:manage"],
    )
    manager = bearer(token_for("admin", user=make_user("people")))
    user = make_user("subscriber")

    response = send(client, "PATCH", f"/users/{user.pk}", {"role": "editor"}, manager)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_ABOVE_YOURS"
    assert User.objects.get(pk=user.pk).role == "subscriber"


def test_an_unknown_role_or_property_is_422_naming_the_field(client, as_admin):
    user = make_user("author")

    unknown_role = send(
        client, "PATCH", f"/users/{user.pk}", {"role": "overlord"}, as_admin
    )
    unknown_property = send(
        client, "PATCH", f"/users/{user.pk}", {"email": "x@example.com"}, as_admin
    )
    wrong_type = send(
        client, "PATCH", f"/users/{user.pk}", {"is_active": "no"}, as_admin
    )

    assert unknown_role.status_code == 422
    assert list(unknown_role.json()["error"]["details"]["fields"]) == ["role"]
    assert unknown_property.json()["error"]["details"] == {
        "fields": {"email": "unknown property"}
    }
    assert list(wrong_type.json()["error"]["details"]["fields"]) == ["is_active"]
    assert user_json(user)["role"] == "author"


def test_deleting_a_user(client, as_admin):
    user = make_user("author")

    response = send(client, "DELETE", f"/users/{user.pk}", headers=as_admin)

    assert (response.status_code, response.content) == (204, b"")
    assert not User.objects.filter(pk=user.pk).exists()


def test_an_administrator_signs_someone_out_everywhere(client, as_admin):
    user = make_user("author")
    theirs = session_client(user)

    response = send(
        client, "POST", f"/users/{user.pk}/sign-out-everywhere", headers=as_admin
    )

    assert response.status_code == 204
    assert send(theirs, "GET", "/me").status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body", "permission"),
    [
        ("GET", "/users", None, "users:read"),
        ("GET", "/users/{id}", None, "users:read"),
        ("PATCH", "/users/{id}", {"role": "subscriber"}, "users:manage"),
        ("DELETE", "/users/{id}", None, "users:manage"),
        ("POST", "/users/{id}/sign-out-everywhere", None, "users:manage"),
        ("GET", "/roles", None, "users:read"),
        (
            "POST",
            "/roles",
            {"slug": "x1", "name": "X", "permissions": []},
            "users:manage",
        ),
        ("GET", "/invites", None, "users:manage"),
        (
            "POST",
            "/invites",
            {"email": "a@example.com", "role": "author"},
            "users:manage",
        ),
    ],
)
def test_editors_and_visitors_cannot_manage_people(
    client, admin_user, as_editor, method, path, body, permission
):
    target = make_user("author")
    url = path.format(id=target.pk)
    before = (user_json(target), CustomRole.objects.count(), AccessLink.objects.count())

    as_editor_response = send(client, method, url, body, as_editor)
    anonymous = send(client, method, url, body)

    assert as_editor_response.status_code == 403
    assert as_editor_response.json() == editor_lacks(permission)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
    after = (user_json(target), CustomRole.objects.count(), AccessLink.objects.count())
    assert after == before
    assert mail.outbox == []


# -- roles ---------------------------------------------------------------------------


def test_roles_list_the_built_in_ladder_then_custom_roles(client, as_admin):
    roles.create_role(
        SYSTEM, slug="reviewer", name="Reviewer", permissions=["content:read"]
    )

    response = send(client, "GET", "/roles", headers=as_admin)

    items = response.json()["items"]
    assert response.status_code == 200
    assert [r["slug"] for r in items] == [
        "subscriber",
        "contributor",
        "author",
        "editor",
        "administrator",
        "reviewer",
    ]
    assert items[3] == {
        "slug": "editor",
        "name": "Editor",
        "description": "Built-in role",
        "permissions": sorted(role_permissions(Role.EDITOR)),
        "built_in": True,
    }
    assert response.json()["next_cursor"] is None


def test_a_custom_role_is_created_changed_and_deleted(client, as_admin):
    created = send(
        client,
        "POST",
        "/roles",
        {
            "slug": "reviewer",
            "name": "Reviewer",
            "permissions": ["content:read_drafts", "content:read"],
        },
        as_admin,
    )
    changed = send(
        client,
        "PATCH",
        "/roles/reviewer",
        {"description": "Reads drafts", "permissions": ["content:read"]},
        as_admin,
    )
    shown = send(client, "GET", "/roles/reviewer", headers=as_admin)
    deleted = send(client, "DELETE", "/roles/reviewer", headers=as_admin)
    gone = send(client, "GET", "/roles/reviewer", headers=as_admin)

    assert created.status_code == 201
    assert created.json() == {
        "slug": "reviewer",
        "name": "Reviewer",
        "description": "",
        "permissions": ["content:read", "content:read_drafts"],
        "built_in": False,
    }
    assert changed.status_code == 200
    assert shown.json() == {
        **created.json(),
        "description": "Reads drafts",
        "permissions": ["content:read"],
    }
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert gone.json() == error("ROLE_NOT_FOUND", "No role 'reviewer'.")


def test_a_custom_role_gives_its_users_exactly_its_permissions(client, as_admin):
    send(
        client,
        "POST",
        "/roles",
        {"slug": "auditor", "name": "Auditor", "permissions": ["audit:read"]},
        as_admin,
    )
    auditor = bearer(token_for("admin", user=make_user("auditor")))

    audit = send(client, "GET", "/audit", headers=auditor)
    people = send(client, "GET", "/users", headers=auditor)

    assert (audit.status_code, people.status_code) == (200, 403)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"slug": "Bad Slug", "name": "X", "permissions": []},
            {"slug": "2-32 characters: lowercase letters, digits and -"},
        ),
        (
            {"slug": "editor", "name": "X", "permissions": []},
            {"slug": "is the name of a built-in role"},
        ),
        (
            {"slug": "ok-role", "name": " ", "permissions": []},
            {"name": "must be 1-100 characters"},
        ),
        ({"slug": "ok-role", "name": "X"}, {"permissions": "is required"}),
        (
            {"slug": "ok-role", "name": "X", "permissions": [], "level": 3},
            {"level": "unknown property"},
        ),
    ],
)
def test_a_bad_role_is_422_naming_the_field(client, as_admin, body, fields):
    response = send(client, "POST", "/roles", body, as_admin)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"fields": fields}
    assert CustomRole.objects.count() == 0


def test_unknown_permissions_are_named(client, as_admin):
    body = {"slug": "ok-role", "name": "X", "permissions": ["content:read", "fly"]}

    response = send(client, "POST", "/roles", body, as_admin)

    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"]["permissions"].startswith(
        "unknown permission(s) fly; expected some of "
    )


def test_role_conflicts(client, as_admin):
    roles.create_role(SYSTEM, slug="reviewer", name="Reviewer", permissions=[])
    make_user("reviewer")

    exists = send(
        client,
        "POST",
        "/roles",
        {"slug": "reviewer", "name": "Again", "permissions": []},
        as_admin,
    )
    in_use = send(client, "DELETE", "/roles/reviewer", headers=as_admin)
    built_in = send(client, "PATCH", "/roles/editor", {"name": "Boss"}, as_admin)

    assert (exists.status_code, exists.json()["error"]["code"]) == (409, "ROLE_EXISTS")
    assert in_use.status_code == 409
    assert in_use.json() == error(
        "ROLE_IN_USE",
        "1 user(s) hold the role 'reviewer'; give them another role first.",
    )
    assert built_in.status_code == 422
    assert built_in.json() == error(
        "ROLE_BUILT_IN",
        "Built-in roles cannot be changed; create a custom role instead.",
    )
    assert CustomRole.objects.get().name == "Reviewer"


# -- invites -------------------------------------------------------------------------


def test_an_invite_is_created_emailed_and_listed(client, admin_user, as_admin):
    created = send(
        client,
        "POST",
        "/invites",
        {"email": "Grace@Example.com", "role": "editor"},
        as_admin,
    )
    listed = send(client, "GET", "/invites", headers=as_admin)

    invite = AccessLink.objects.get(purpose="invite")
    body = created.json()
    assert created.status_code == 201
    assert body == {
        "invite": {
            "id": invite.pk,
            "email": "Grace@example.com",
            "role": "editor",
            "created_by": "Administrator User (token test)",
            "created_at": iso(invite.created_at),
            "expires_at": iso(invite.expires_at),
            "used_at": None,
            "revoked_at": None,
            "sent_at": iso(invite.sent_at),
            "status": "pending",
        },
        "url": body["url"],
        "emailed": True,
    }
    assert body["url"].startswith("http://localhost:8000/_emdash/admin/invite/")
    assert invite.sent_at is not None
    assert [m.to for m in mail.outbox] == [["Grace@example.com"]]
    assert body["url"] in mail.outbox[0].body
    assert listed.json() == {"items": [body["invite"]], "next_cursor": None}


def test_an_invite_can_be_made_without_email(client, as_admin):
    response = send(
        client,
        "POST",
        "/invites",
        {"email": "grace@example.com", "role": "author", "send_email": False},
        as_admin,
    )

    assert response.status_code == 201
    assert (response.json()["emailed"], response.json()["invite"]["sent_at"]) == (
        False,
        None,
    )
    assert mail.outbox == []


def test_resending_replaces_the_link(client, as_admin):
    issued, _ = invites.create_invite(
        SYSTEM, email="grace@example.com", role="author", send=False
    )

    response = send(
        client, "POST", f"/invites/{issued.link.pk}/resend", headers=as_admin
    )
    old = send(
        client,
        "POST",
        "/invites/accept/options",
        {"token": link_token(issued.url), "display_name": "Grace"},
    )
    new = send(
        client,
        "POST",
        "/invites/accept/options",
        {"token": link_token(response.json()["url"]), "display_name": "Grace"},
    )

    assert response.status_code == 200
    assert response.json()["url"] != issued.url
    assert (response.json()["emailed"], response.json()["invite"]["status"]) == (
        True,
        "pending",
    )
    assert len(mail.outbox) == 1
    assert old.status_code == 400
    assert old.json()["error"]["code"] == "LINK_INVALID"
    assert new.status_code == 200


def test_a_revoked_invite_is_listed_only_with_all(client, as_admin):
    issued, _ = invites.create_invite(
        SYSTEM, email="grace@example.com", role="author", send=False
    )

    revoked = send(client, "DELETE", f"/invites/{issued.link.pk}", headers=as_admin)
    pending = send(client, "GET", "/invites", headers=as_admin)
    everything = send(client, "GET", "/invites?all=true", headers=as_admin)
    accept = send(
        client,
        "POST",
        "/invites/accept/options",
        {"token": link_token(issued.url), "display_name": "Grace"},
    )

    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked_at"] is not None
    assert pending.json()["items"] == []
    assert [i["status"] for i in everything.json()["items"]] == ["revoked"]
    assert accept.json() == error("LINK_REVOKED", "This link has been withdrawn.")


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"email": "not an address", "role": "author"},
            422,
            {"fields": {"email": "enter a valid email address"}},
        ),
        ({"email": "grace@example.com"}, 422, {"fields": {"role": "is required"}}),
        (
            {"email": "admin@example.com", "role": "author"},
            409,
            {},
        ),
    ],
)
def test_a_bad_invite_is_refused(client, as_admin, body, status, expected):
    response = send(client, "POST", "/invites", body, as_admin)

    assert response.status_code == status
    assert response.json()["error"]["details"] == expected
    assert AccessLink.objects.count() == 0
    assert mail.outbox == []


def test_an_unknown_invite_is_404(client, as_admin):
    response = send(client, "DELETE", "/invites/nope", headers=as_admin)

    assert response.status_code == 404
    assert response.json() == error("INVITE_NOT_FOUND", "No invite 'nope'.")
