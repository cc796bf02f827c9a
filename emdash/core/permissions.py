"""Roles, permissions and token scopes: the one table everything checks against.

A role holds every permission whose minimum role is at or below it. ``*_own``
permissions apply to objects the actor authored; ``*_any`` to everyone's. Token
scopes map to permissions through ``SCOPE_PERMISSIONS``; a user's token gets
``scopes ∩ role``, an operator token gets what its scopes give.
"""

from enum import IntEnum


class Role(IntEnum):
    SUBSCRIBER = 10
    CONTRIBUTOR = 20
    AUTHOR = 30
    EDITOR = 40
    ADMINISTRATOR = 50

    @property
    def slug(self) -> str:
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug: str) -> "Role":
        try:
            return cls[slug.upper()]
        except KeyError:
            names = ", ".join(role.slug for role in cls)
            raise ValueError(
                f"Unknown role {slug!r}; expected one of {names}"
            ) from None


# permission -> the lowest role that holds it
MINIMUM_ROLE: dict[str, Role] = {
    "content:read": Role.SUBSCRIBER,
    "content:read_drafts": Role.CONTRIBUTOR,
    "content:create": Role.CONTRIBUTOR,
    "content:edit_own": Role.CONTRIBUTOR,
    "content:edit_any": Role.EDITOR,
    "content:delete_own": Role.AUTHOR,
    "content:delete_any": Role.EDITOR,
    "content:delete_permanent": Role.ADMINISTRATOR,
    "content:publish_own": Role.AUTHOR,
    "content:publish_any": Role.EDITOR,
    "media:read": Role.SUBSCRIBER,
    "media:upload": Role.CONTRIBUTOR,
    "media:edit_own": Role.AUTHOR,
    "media:edit_any": Role.EDITOR,
    "media:delete_own": Role.AUTHOR,
    "media:delete_any": Role.EDITOR,
    "taxonomies:read": Role.SUBSCRIBER,
    "taxonomies:manage": Role.EDITOR,
    "menus:read": Role.SUBSCRIBER,
    "menus:manage": Role.EDITOR,
    "comments:read": Role.SUBSCRIBER,
    "comments:moderate": Role.EDITOR,
    "search:read": Role.SUBSCRIBER,
    "settings:read": Role.EDITOR,
    "settings:manage": Role.ADMINISTRATOR,
    "schema:read": Role.EDITOR,
    "schema:manage": Role.ADMINISTRATOR,
    "users:read": Role.ADMINISTRATOR,
    "users:manage": Role.ADMINISTRATOR,
    "tokens:manage": Role.ADMINISTRATOR,
    "plugins:read": Role.EDITOR,
    "plugins:manage": Role.ADMINISTRATOR,
    "import:execute": Role.ADMINISTRATOR,
    "cron:run": Role.ADMINISTRATOR,
    "audit:read": Role.ADMINISTRATOR,
}

ALL_PERMISSIONS: frozenset[str] = frozenset(MINIMUM_ROLE)

# Permissions that come in an own/any pair, keyed by the stem ("content:edit").
OWN_ANY_STEMS: frozenset[str] = frozenset(
    name.removesuffix("_own") for name in MINIMUM_ROLE if name.endswith("_own")
)


# What a visitor without credentials may do: read live public content.
PUBLIC_PERMISSIONS: frozenset[str] = frozenset(
    {"content:read", "media:read", "taxonomies:read", "menus:read", "search:read"}
)


def role_permissions(role: Role) -> frozenset[str]:
    return frozenset(name for name, minimum in MINIMUM_ROLE.items() if role >= minimum)


_READ = {"content:read", "media:read", "taxonomies:read", "menus:read", "search:read"}

# token scope -> the permissions it can confer
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "content:read": frozenset(_READ | {"content:read_drafts", "comments:read"}),
    "content:write": frozenset(
        _READ
        | {
            "content:read_drafts",
            "content:create",
            "content:edit_own",
            "content:edit_any",
            "content:delete_own",
            "content:delete_any",
            "content:publish_own",
            "content:publish_any",
        }
    ),
    "media:read": frozenset({"media:read"}),
    "media:write": frozenset(
        {
            "media:read",
            "media:upload",
            "media:edit_own",
            "media:edit_any",
            "media:delete_own",
            "media:delete_any",
        }
    ),
    "schema:read": frozenset({"schema:read"}),
    "schema:write": frozenset({"schema:read", "schema:manage"}),
    "taxonomies:manage": frozenset({"taxonomies:read", "taxonomies:manage"}),
    "menus:manage": frozenset({"menus:read", "menus:manage"}),
    "settings:read": frozenset({"settings:read"}),
    "settings:manage": frozenset({"settings:read", "settings:manage"}),
    "plugins:read": frozenset({"plugins:read"}),
    "plugins:manage": frozenset({"plugins:read", "plugins:manage"}),
    # For a scheduler's token: run what is due, nothing else.
    "cron:run": frozenset({"cron:run"}),
    "admin": ALL_PERMISSIONS,
}

ALL_SCOPES: frozenset[str] = frozenset(SCOPE_PERMISSIONS)


def scope_permissions(
    scopes: list[str] | tuple[str, ...] | frozenset[str],
) -> frozenset[str]:
    granted: set[str] = set()
    for scope in scopes:
        if scope not in SCOPE_PERMISSIONS:
            raise ValueError(
                f"Unknown scope {scope!r}; "
                f"expected one of {', '.join(sorted(ALL_SCOPES))}"
            )
        granted |= SCOPE_PERMISSIONS[scope]
    return frozenset(granted)
