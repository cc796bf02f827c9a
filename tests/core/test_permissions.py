"""The permission table: every role × permission, own vs any, every token scope."""

import pytest

from emdash.core.actors import ANONYMOUS, SYSTEM, Actor, user_actor
from emdash.core.errors import PermissionDenied, Unauthenticated
from emdash.core.permissions import (
    ALL_PERMISSIONS,
    ALL_SCOPES,
    MINIMUM_ROLE,
    OWN_ANY_STEMS,
    SCOPE_PERMISSIONS,
    Role,
    role_permissions,
    scope_permissions,
)

# The table written out longhand, so a change to MINIMUM_ROLE has to be made twice.
EXPECTED: dict[str, set[str]] = {
    "subscriber": {
        "content:read",
        "media:read",
        "taxonomies:read",
        "menus:read",
        "comments:read",
        "search:read",
    },
}
EXPECTED["contributor"] = EXPECTED["subscriber"] | {
    "content:read_drafts",
    "content:create",
    "content:edit_own",
    "media:upload",
}
EXPECTED["author"] = EXPECTED["contributor"] | {
    "content:delete_own",
    "content:publish_own",
    "media:edit_own",
    "media:delete_own",
}
EXPECTED["editor"] = EXPECTED["author"] | {
    "content:edit_any",
    "content:delete_any",
    "content:publish_any",
    "media:edit_any",
    "media:delete_any",
    "taxonomies:manage",
    "menus:manage",
    "comments:moderate",
    "settings:read",
    "schema:read",
    "plugins:read",
}
EXPECTED["administrator"] = set(ALL_PERMISSIONS)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", sorted(ALL_PERMISSIONS))
def test_role_holds_exactly_the_expected_permissions(
    role: Role, permission: str
) -> None:
    actor = user_actor(1, role.slug, role)

    assert actor.has(permission) is (permission in EXPECTED[role.slug])


def test_roles_are_cumulative() -> None:
    ordered = sorted(Role)
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        assert role_permissions(lower) < role_permissions(higher)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("stem", sorted(OWN_ANY_STEMS))
def test_own_versus_any(role: Role, stem: str) -> None:
    me = user_actor(7, role.slug, role)
    holds_own = f"{stem}_own" in EXPECTED[role.slug]
    holds_any = f"{stem}_any" in EXPECTED[role.slug]

    assert me.can(stem, owner_id=7) is (holds_own or holds_any)
    assert me.can(stem, owner_id=8) is holds_any
    assert me.can(stem, owner_id=None) is holds_any


def test_require_names_the_missing_permission() -> None:
    contributor = user_actor(3, "Cora", Role.CONTRIBUTOR)

    with pytest.raises(PermissionDenied) as denied:
        contributor.require("content:publish", owner_id=3)

    assert denied.value.code == "FORBIDDEN"
    assert denied.value.details == {
        "permission": "content:publish_any or content:publish_own"
    }


def test_anonymous_is_told_to_authenticate() -> None:
    with pytest.raises(Unauthenticated) as denied:
        ANONYMOUS.require("content:create")

    assert denied.value.status == 401


def test_system_holds_everything() -> None:
    assert SYSTEM.permissions == ALL_PERMISSIONS
    assert role_permissions(Role.ADMINISTRATOR) == SYSTEM.permissions


EXPECTED_SCOPES: dict[str, set[str]] = {
    "content:read": {
        "content:read",
        "content:read_drafts",
        "media:read",
        "taxonomies:read",
        "menus:read",
        "search:read",
        "comments:read",
    },
    "content:write": {
        "content:read",
        "content:read_drafts",
        "content:create",
        "content:edit_own",
        "content:edit_any",
        "content:delete_own",
        "content:delete_any",
        "content:publish_own",
        "content:publish_any",
        "media:read",
        "taxonomies:read",
        "menus:read",
        "search:read",
    },
    "media:read": {"media:read"},
    "media:write": {
        "media:read",
        "media:upload",
        "media:edit_own",
        "media:edit_any",
        "media:delete_own",
        "media:delete_any",
    },
    "schema:read": {"schema:read"},
    "schema:write": {"schema:read", "schema:manage"},
    "taxonomies:manage": {"taxonomies:read", "taxonomies:manage"},
    "menus:manage": {"menus:read", "menus:manage"},
    "settings:read": {"settings:read"},
    "settings:manage": {"settings:read", "settings:manage"},
    "plugins:read": {"plugins:read"},
    "plugins:manage": {"plugins:read", "plugins:manage"},
    "cron:run": {"cron:run"},
    "admin": set(ALL_PERMISSIONS),
}


@pytest.mark.parametrize("scope", sorted(ALL_SCOPES))
def test_every_scope_maps_to_its_permissions(scope: str) -> None:
    assert set(scope_permissions([scope])) == EXPECTED_SCOPES[scope]


def test_scope_table_covers_every_scope() -> None:
    assert set(SCOPE_PERMISSIONS) == set(EXPECTED_SCOPES)


def test_scopes_combine_and_unknown_scopes_are_refused() -> None:
    assert scope_permissions(["schema:read", "settings:read"]) == {
        "schema:read",
        "settings:read",
    }
    with pytest.raises(ValueError, match="Unknown scope 'root'"):
        scope_permissions(["root"])


def test_a_token_actor_can_do_only_what_its_scopes_give() -> None:
    token = Actor(kind="token", id="t", permissions=scope_permissions(["content:read"]))

    assert token.can("content:edit", owner_id=None) is False
    assert token.has("content:read_drafts") is True


def test_every_permission_has_a_minimum_role() -> None:
    assert set(MINIMUM_ROLE) == ALL_PERMISSIONS


def test_anonymous_may_read_public_content_and_nothing_more() -> None:
    assert ANONYMOUS.permissions == {
        "content:read",
        "media:read",
        "taxonomies:read",
        "menus:read",
        "search:read",
    }
    assert not ANONYMOUS.has("content:read_drafts")
