"""Custom roles: named bundles of permissions beside the built-in ladder."""

import pytest

from emdash.accounts import invites, roles
from emdash.accounts.models import CustomRole
from emdash.accounts.users import actor_for_user
from emdash.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from emdash.core.models import AuditEvent
from emdash.core.permissions import ALL_PERMISSIONS, Role, role_permissions
from tests.factories import actor_for, make_custom_role, make_user

pytestmark = pytest.mark.django_db

REVIEWER = ["content:read", "content:read_drafts", "content:publish_any"]


@pytest.fixture
def admin():
    return actor_for(make_user("administrator"))


def test_an_administrator_creates_a_role_and_it_is_audited(admin):
    info = roles.create_role(
        admin,
        slug="reviewer",
        name=" Reviewer ",
        description=" Publishes what others write ",
        permissions=[*REVIEWER, "content:read"],
    )

    assert info == roles.RoleInfo(
        slug="reviewer",
        name="Reviewer",
        description="Publishes what others write",
        permissions=frozenset(REVIEWER),
        built_in=False,
    )
    assert CustomRole.objects.get().permissions == sorted(REVIEWER)
    event = AuditEvent.objects.get(action="role.create")
    assert (event.actor_id, event.target_type, event.target_id) == (
        admin.id,
        "role",
        "reviewer",
    )
    assert event.data == {"permissions": sorted(REVIEWER)}


def test_updating_a_role_changes_what_it_grants_and_records_before_and_after(admin):
    make_custom_role("reviewer", REVIEWER)

    info = roles.update_role(
        admin, "reviewer", name="Proofreader", permissions=["content:read"]
    )

    assert (info.name, info.permissions) == ("Proofreader", {"content:read"})
    assert roles.permissions_for_role("reviewer") == {"content:read"}
    event = AuditEvent.objects.get(action="role.update")
    assert event.data == {
        "permissions_before": sorted(REVIEWER),
        "permissions": ["content:read"],
    }


def test_an_update_without_permissions_keeps_them(admin):
    make_custom_role("reviewer", REVIEWER)

    info = roles.update_role(admin, "reviewer", description="Checks drafts")

    assert info.permissions == frozenset(REVIEWER)
    assert info.description == "Checks drafts"


def test_deleting_an_unused_role_is_audited(admin):
    make_custom_role("reviewer", REVIEWER)

    roles.delete_role(admin, "reviewer")

    assert not CustomRole.objects.exists()
    assert AuditEvent.objects.filter(
        action="role.delete", target_id="reviewer"
    ).exists()


def test_a_role_in_use_cannot_be_deleted_until_nobody_holds_it(admin):
    make_custom_role("reviewer", REVIEWER)
    holder = make_user("reviewer")

    with pytest.raises(Conflict) as refused:
        roles.delete_role(admin, "reviewer")

    assert refused.value.code == "ROLE_IN_USE"
    assert "1 user(s)" in refused.value.message
    assert CustomRole.objects.filter(slug="reviewer").exists()
    holder.role = "author"
    holder.save()
    roles.delete_role(admin, "reviewer")
    assert not CustomRole.objects.exists()


@pytest.mark.parametrize(
    ("slug", "problem"),
    [
        ("editor", "built-in"),
        ("administrator", "built-in"),
        ("Editor", "lowercase"),
        ("a", "2-32 characters"),
        ("has space", "lowercase"),
        ("under_score", "lowercase"),
        ("1st", "lowercase"),
        ("-lead", "lowercase"),
        ("x" * 33, "2-32 characters"),
        ("", "2-32 characters"),
    ],
)
def test_refused_slugs_name_the_problem(admin, slug, problem):
    with pytest.raises(ValidationFailed) as refused:
        roles.create_role(admin, slug=slug, name="Role", permissions=REVIEWER)

    assert problem in refused.value.fields["slug"]
    assert not CustomRole.objects.exists()


def test_unknown_permissions_are_named(admin):
    with pytest.raises(ValidationFailed) as refused:
        roles.create_role(
            admin,
            slug="reviewer",
            name="Reviewer",
            permissions=["content:read", "root:everything", "fly"],
        )

    problem = refused.value.fields["permissions"]
    assert "fly, root:everything" in problem
    assert "content:read," in problem  # the expected list follows
    assert not CustomRole.objects.exists()


def test_every_bad_field_is_reported_at_once(admin):
    with pytest.raises(ValidationFailed) as refused:
        roles.create_role(
            admin, slug="ok-slug", name=" ", description="d" * 301, permissions=["x"]
        )

    assert set(refused.value.fields) == {"name", "description", "permissions"}


def test_updates_are_validated_too(admin):
    make_custom_role("reviewer", REVIEWER)

    with pytest.raises(ValidationFailed) as refused:
        roles.update_role(admin, "reviewer", name="", permissions=["nope"])

    assert set(refused.value.fields) == {"name", "permissions"}
    assert CustomRole.objects.get().permissions == sorted(REVIEWER)
    assert not AuditEvent.objects.filter(action="role.update").exists()


def test_a_slug_is_taken_once(admin):
    make_custom_role("reviewer", REVIEWER)

    with pytest.raises(Conflict) as refused:
        roles.create_role(admin, slug="reviewer", name="Again", permissions=[])

    assert refused.value.code == "ROLE_EXISTS"


@pytest.mark.parametrize("change", [roles.update_role, roles.delete_role])
def test_built_in_roles_cannot_be_changed_or_deleted(admin, change):
    with pytest.raises(ValidationFailed) as refused:
        change(admin, "editor")

    assert refused.value.code == "ROLE_BUILT_IN"


@pytest.mark.parametrize("change", [roles.update_role, roles.delete_role])
def test_unknown_roles_are_not_found(admin, change):
    with pytest.raises(NotFound) as refused:
        change(admin, "ghost")

    assert refused.value.code == "ROLE_NOT_FOUND"


def test_only_users_managers_change_roles():
    editor = actor_for(make_user("editor"))
    make_custom_role("reviewer", REVIEWER)

    with pytest.raises(PermissionDenied):
        roles.create_role(editor, slug="mine", name="Mine", permissions=[])
    with pytest.raises(PermissionDenied):
        roles.update_role(editor, "reviewer", name="Mine")
    with pytest.raises(PermissionDenied):
        roles.delete_role(editor, "reviewer")
    with pytest.raises(PermissionDenied):
        roles.list_roles(editor)


def test_a_user_with_a_custom_role_gets_exactly_its_permissions():
    make_custom_role("reviewer", REVIEWER)
    user = make_user("reviewer")

    actor = actor_for_user(user)

    assert actor.permissions == frozenset(REVIEWER)
    assert actor.can("content:publish", owner_id=None)
    assert not actor.can("content:create")


def test_a_user_whose_role_vanished_gets_nothing():
    user = make_user("ghost")

    assert actor_for_user(user).permissions == frozenset()


def test_built_in_roles_resolve_to_the_ladder():
    for role in Role:
        assert roles.permissions_for_role(role.slug) == role_permissions(role)


def test_listing_shows_built_in_roles_then_custom_ones(admin):
    make_custom_role("reviewer", REVIEWER)
    make_custom_role("moderator", ["comments:moderate"])

    listed = roles.list_roles(admin)

    assert [info.slug for info in listed] == [
        "subscriber",
        "contributor",
        "author",
        "editor",
        "administrator",
        "moderator",
        "reviewer",
    ]
    assert [info.built_in for info in listed].count(True) == 5
    assert roles.role_slugs() == [info.slug for info in listed]
    assert roles.get_role(admin, "moderator").permissions == {"comments:moderate"}
    assert roles.get_role(admin, "editor").permissions == role_permissions(Role.EDITOR)
    with pytest.raises(NotFound) as missing:
        roles.get_role(admin, "ghost")
    assert missing.value.code == "ROLE_NOT_FOUND"


def test_check_role_lists_the_choices():
    make_custom_role("reviewer", REVIEWER)

    with pytest.raises(ValidationFailed) as refused:
        roles.check_role("ghost")

    assert "reviewer" in refused.value.fields["role"]
    assert "administrator" in refused.value.fields["role"]


# Editing a role checks the editor holds what it will grant, so a manager cannot
# grant itself every permission by editing its own role.
def test_a_manager_cannot_raise_its_own_role_above_what_it_holds():
    manager_permissions = role_permissions(Role.EDITOR) | {"users:read", "users:manage"}
    make_custom_role("manager", manager_permissions)
    manager = actor_for_user(make_user("manager"))

    with pytest.raises(PermissionDenied) as refused:
        roles.update_role(manager, "manager", permissions=sorted(ALL_PERMISSIONS))

    assert refused.value.code == "ROLE_ABOVE_YOURS"
    assert roles.permissions_for_role("manager") == manager_permissions


# A pending invite promising the role keeps it too: accepted later, it would make
# a user whose role no longer exists.
def test_a_role_promised_by_a_pending_invite_cannot_be_deleted(admin):
    make_custom_role("reviewer", REVIEWER)
    invites.create_invite(admin, email="grace@example.com", role="reviewer")

    with pytest.raises(Conflict) as refused:
        roles.delete_role(admin, "reviewer")

    assert refused.value.code == "ROLE_IN_USE"
    assert CustomRole.objects.filter(slug="reviewer").exists()
