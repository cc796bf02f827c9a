"""The roles page: built-in roles read only, custom roles created, edited,
deleted and assigned, and the refusals along the way."""

import pytest

from emdash.accounts.invites import create_invite
from emdash.accounts.models import CustomRole, User
from emdash.accounts.users import actor_for_user
from emdash.core.permissions import ALL_PERMISSIONS, Role, role_permissions
from tests.admin.conftest import ADMIN, elements, error_list, messages_of, signed_in
from tests.factories import make_custom_role, make_user

pytestmark = pytest.mark.django_db

ROLES = ADMIN + "roles/"
MODERATOR = [
    "comments:moderate",
    "comments:read",
    "content:read",
    "content:read_drafts",
]


def role_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "slug": "moderator",
        "name": "Moderator",
        "description": "Keeps the comments civil.",
        "permissions": MODERATOR,
    }
    return form | changes


def checked_permissions(html: bytes) -> list[str]:
    return sorted(
        box["value"]
        for box in elements(html, "input", type="checkbox", name="permissions")
        if "checked" in box
    )


def test_built_in_roles_are_listed_read_only_with_what_they_may_do(admin_client):
    response = admin_client.get(ROLES)

    assert response.status_code == 200
    built_in = response.context["built_in"]
    assert [row["role"].slug for row in built_in] == [
        "subscriber",
        "contributor",
        "author",
        "editor",
        "administrator",
    ]
    assert built_in[0]["summary"] == [
        {"group": "Comments", "actions": "read"},
        {"group": "Content", "actions": "read"},
        {"group": "Media", "actions": "read"},
        {"group": "Menus", "actions": "read"},
        {"group": "Search", "actions": "read"},
        {"group": "Taxonomies", "actions": "read"},
    ]
    assert {"group": "Content", "actions": "all"} in built_in[4]["summary"]
    assert [row["holders"] for row in built_in] == [0, 0, 0, 0, 1]
    assert response.context["custom"] == []
    assert "No custom roles yet." in response.content.decode()
    [nav_link] = elements(response.content, "a", href=ROLES, aria_current="page")
    assert nav_link


def test_the_create_form_groups_permissions_with_readable_labels(admin_client):
    response = admin_client.get(ROLES)

    html = response.content.decode()
    groups = response.context["groups"]
    assert [group["label"] for group in groups] == [
        "Audit",
        "Comments",
        "Content",
        "Cron",
        "Import",
        "Media",
        "Menus",
        "Plugins",
        "Schema",
        "Search",
        "Settings",
        "Taxonomies",
        "Tokens",
        "Users",
    ]
    assert "<legend>Content</legend>" in html
    assert '<label for="permission-content-edit_own">Edit their own</label>' in html
    assert (
        '<label for="permission-content-edit_any">Edit everyone&#x27;s</label>' in html
    )
    assert (
        '<label for="permission-content-delete_permanent">Delete permanently</label>'
        in html
    )
    # One checkbox per permission.
    checkboxes = elements(response.content, "input", name="permissions")
    assert len(checkboxes) == len(ALL_PERMISSIONS)
    assert elements(response.content, "label", **{"for": "role-slug"})
    assert checked_permissions(response.content) == []


def test_an_administrator_creates_a_role_and_it_is_listed(admin_client):
    response = admin_client.post(ROLES, role_form(), follow=True)

    assert response.redirect_chain == [(ROLES, 302)]
    assert messages_of(response) == ["The role “Moderator” is created."]
    [row] = response.context["custom"]
    assert (row["role"].slug, row["role"].name, row["holders"]) == (
        "moderator",
        "Moderator",
        0,
    )
    assert row["summary"] == [
        {"group": "Comments", "actions": "all"},
        {"group": "Content", "actions": "read, read drafts"},
    ]
    assert "Keeps the comments civil." in response.content.decode()
    stored = CustomRole.objects.get()
    assert (stored.slug, stored.permissions) == ("moderator", MODERATOR)


def test_a_new_role_can_start_from_another_roles_permissions(admin_client):
    page = admin_client.get(ROLES + "editor/")
    [start] = elements(page.content, "a", href=ROLES + "?from=editor#create-role")

    response = admin_client.get(ROLES + "?from=editor")

    assert start
    assert checked_permissions(response.content) == sorted(
        role_permissions(Role.EDITOR)
    )
    [slug] = elements(response.content, "input", id="role-slug")
    assert slug["value"] == ""
    assert admin_client.get(ROLES + "?from=wizard").status_code == 404


def test_an_administrator_edits_a_role(admin_client):
    make_custom_role("moderator", MODERATOR)
    page = admin_client.get(ROLES + "moderator/")
    assert page.status_code == 200
    assert checked_permissions(page.content) == MODERATOR
    assert elements(page.content, "input", name="slug") == []

    response = admin_client.post(
        ROLES + "moderator/",
        role_form(
            slug="hijacked",
            name="Comment moderator",
            description="",
            permissions=["comments:moderate", "menus:manage"],
        ),
        follow=True,
    )

    assert response.redirect_chain == [(ROLES, 302)]
    assert messages_of(response) == ["The role “Comment moderator” is saved."]
    stored = CustomRole.objects.get()
    assert (stored.slug, stored.name, stored.description, stored.permissions) == (
        "moderator",
        "Comment moderator",
        "",
        ["comments:moderate", "menus:manage"],
    )


def test_unchecking_every_box_leaves_a_role_that_grants_nothing(admin_client):
    make_custom_role("moderator", MODERATOR)

    admin_client.post(ROLES + "moderator/", role_form(permissions=[]))

    assert CustomRole.objects.get().permissions == []
    [row] = admin_client.get(ROLES).context["custom"]
    assert row["summary"] == []


def test_an_administrator_deletes_a_role(admin_client):
    make_custom_role("moderator", MODERATOR)

    response = admin_client.post(ROLES + "moderator/delete/", follow=True)

    assert response.redirect_chain == [(ROLES, 302)]
    assert messages_of(response) == ["The role “Moderator” is deleted."]
    assert not CustomRole.objects.exists()
    assert response.context["custom"] == []


def test_a_role_someone_holds_cannot_be_deleted(admin_client):
    make_custom_role("moderator", MODERATOR)
    make_user("moderator", "mo@example.com")

    response = admin_client.post(ROLES + "moderator/delete/", follow=True)

    assert response.redirect_chain == [(ROLES + "moderator/", 302)]
    assert messages_of(response) == [
        "1 user(s) hold the role 'moderator'; give them another role first."
    ]
    assert "give them another role first" in response.content.decode()
    assert CustomRole.objects.filter(slug="moderator").exists()
    [row] = admin_client.get(ROLES).context["custom"]
    assert row["holders"] == 1


def test_a_role_a_pending_invite_grants_cannot_be_deleted(admin_client, administrator):
    make_custom_role("moderator", MODERATOR)
    create_invite(
        actor_for_user(administrator), email="mo@example.com", role="moderator"
    )

    response = admin_client.post(ROLES + "moderator/delete/", follow=True)

    assert messages_of(response) == [
        "1 pending invite(s) grant the role 'moderator'; revoke them first."
    ]
    assert CustomRole.objects.filter(slug="moderator").exists()


@pytest.mark.parametrize(
    ("slug", "problem"),
    [
        ("Not OK", "2-32 characters: lowercase letters, digits and -"),
        ("x", "2-32 characters: lowercase letters, digits and -"),
        ("administrator", "Is the name of a built-in role"),
    ],
)
def test_a_bad_slug_is_named_beside_the_field(admin_client, slug, problem):
    response = admin_client.post(ROLES, role_form(slug=slug))

    assert response.status_code == 422
    assert messages_of(response) == ["The role is invalid."]
    assert problem.capitalize() in error_list(response.content, "role-slug-errors")
    [field] = elements(response.content, "input", id="role-slug")
    assert (field["value"], field["aria-invalid"]) == (slug, "true")
    assert field["aria-describedby"] == "role-slug-help role-slug-errors"
    assert checked_permissions(response.content) == MODERATOR
    assert not CustomRole.objects.exists()


def test_every_bad_field_is_named_at_once(admin_client):
    response = admin_client.post(
        ROLES,
        role_form(
            slug="9lives",
            name="  ",
            description="x" * 301,
            permissions=["comments:read", "wizardry:cast"],
        ),
    )

    assert response.status_code == 422
    html = response.content
    assert "2-32 characters" in error_list(html, "role-slug-errors")
    assert "Must be 1-100 characters" in error_list(html, "role-name-errors")
    assert "Must be at most 300 characters" in error_list(
        html, "role-description-errors"
    )
    assert "Unknown permission(s) wizardry:cast" in error_list(
        html, "role-permissions-errors"
    )
    assert not CustomRole.objects.exists()


def test_a_taken_slug_is_refused(admin_client):
    make_custom_role("moderator", ["comments:read"])

    response = admin_client.post(ROLES, role_form(name="Another"))

    assert response.status_code == 409
    assert messages_of(response) == ["A role 'moderator' exists already."]
    assert "Is taken by another role" in error_list(
        response.content, "role-slug-errors"
    )
    assert CustomRole.objects.get().permissions == ["comments:read"]


def test_an_edit_with_errors_keeps_what_was_typed(admin_client):
    make_custom_role("moderator", MODERATOR)

    response = admin_client.post(
        ROLES + "moderator/", role_form(name="", permissions=["menus:read"])
    )

    assert response.status_code == 422
    assert "Must be 1-100 characters" in error_list(
        response.content, "role-name-errors"
    )
    assert checked_permissions(response.content) == ["menus:read"]
    assert CustomRole.objects.get().permissions == MODERATOR


def test_a_built_in_role_page_is_read_only(admin_client):
    page = admin_client.get(ROLES + "editor/")
    forged = admin_client.post(ROLES + "editor/", role_form(name="Boss"))
    deleted = admin_client.post(ROLES + "editor/delete/", follow=True)

    assert page.status_code == 200
    assert elements(page.content, "input", name="permissions") == []
    assert elements(page.content, "form", action=ROLES + "editor/delete/") == []
    assert "<dt>Content</dt>" in page.content.decode()
    assert forged.status_code == 422
    assert messages_of(forged) == [
        "Built-in roles cannot be changed; create a custom role instead."
    ]
    assert messages_of(deleted) == ["Built-in roles cannot be deleted."]


def test_an_unknown_role_is_not_found(admin_client):
    response = admin_client.get(ROLES + "wizard/")

    assert response.status_code == 404
    assert "No role &#x27;wizard&#x27;." in response.content.decode()
    assert admin_client.post(ROLES + "wizard/delete/").status_code == 404


def test_an_editor_may_not_open_the_roles_pages(administrator):
    make_custom_role("moderator", MODERATOR)
    editor = signed_in(make_user("editor"))

    listed = editor.get(ROLES)
    one = editor.get(ROLES + "moderator/")
    created = editor.post(ROLES, role_form(slug="sneaky"))
    deleted = editor.post(ROLES + "moderator/delete/")

    for response in (listed, one, created, deleted):
        assert response.status_code == 403
        assert "lacks the permission users:read" in response.content.decode()
    assert list(CustomRole.objects.values_list("slug", flat=True)) == ["moderator"]
    assert elements(editor.get(ADMIN).content, "a", href=ROLES) == []


def test_someone_who_may_read_people_but_not_manage_them_sees_no_forms(
    administrator,
):
    make_custom_role("auditor", ["content:read", "content:read_drafts", "users:read"])
    make_custom_role("moderator", MODERATOR)
    auditor = signed_in(make_user("auditor"))

    listed = auditor.get(ROLES)
    one = auditor.get(ROLES + "moderator/")
    forged = auditor.post(ROLES + "moderator/", role_form(name="Changed"))

    assert listed.status_code == 200
    assert elements(listed.content, "a", href=ROLES)
    assert elements(listed.content, "form", method="post", action=ROLES) == []
    assert elements(one.content, "input", name="name") == []
    assert elements(one.content, "a", href=ROLES + "?from=moderator#create-role") == []
    assert elements(one.content, "form", action=ROLES + "moderator/delete/") == []
    assert "<dt>Comments</dt>" in one.content.decode()
    assert forged.status_code == 403
    assert messages_of(forged) == ["Auditor User lacks the permission users:manage."]
    assert CustomRole.objects.get(slug="moderator").name == "Moderator"


def test_a_role_cannot_grant_what_its_creator_lacks(administrator):
    make_custom_role(
        "people-manager",
        ["content:read", "content:read_drafts", "users:read", "users:manage"],
    )
    manager = signed_in(make_user("people-manager"))

    response = manager.post(
        ROLES, role_form(slug="root", permissions=["plugins:manage"])
    )

    assert response.status_code == 403
    assert messages_of(response) == [
        "A role cannot hold permissions you lack (plugins:manage)."
    ]
    assert not CustomRole.objects.filter(slug="root").exists()


def test_a_custom_role_is_assigned_on_the_users_page_and_grants_exactly_it(
    admin_client,
):
    admin_client.post(ROLES, role_form())
    member = make_user("contributor", "mo@example.com")
    users_page = admin_client.get(ADMIN + "users/")
    assert elements(users_page.content, "option", value="moderator")
    assert elements(users_page.content, "a", href=ROLES)

    response = admin_client.post(
        ADMIN + f"users/{member.pk}/role/", {"role": "moderator"}, follow=True
    )

    assert messages_of(response) == ["Contributor User is now Moderator."]
    member = User.objects.get(pk=member.pk)
    assert member.role == "moderator"
    assert actor_for_user(member).permissions == frozenset(MODERATOR)
    assert signed_in(member).get(ADMIN).status_code == 200
