"""Small builders for test data; each call makes exactly what it says."""

from typing import Any

from emdash.accounts import passkeys
from emdash.accounts.models import CustomRole, User
from emdash.content.models import Collection
from emdash.content.services import collections
from emdash.core.actors import SYSTEM, Actor, user_actor
from emdash.core.permissions import Role
from tests.softauthn import SoftAuthenticator

POST_FIELDS: list[dict[str, Any]] = [
    {"slug": "title", "type": "string", "required": True, "searchable": True},
    {"slug": "excerpt", "type": "text", "searchable": True},
    {"slug": "body", "type": "markdown", "searchable": True},
    {"slug": "featured_image", "type": "image"},
]


def make_user(role: str = "editor", email: str | None = None) -> User:
    email = email or f"{role}-{User.objects.count() + 1}@example.com"
    return User.objects.create_user(
        email, display_name=f"{role.title()} User", role=role
    )


def actor_for(user: User) -> Actor:
    return user_actor(user.pk, str(user), Role.from_slug(user.role))


def make_role_actor(role: str) -> Actor:
    return actor_for(make_user(role))


def make_collection(
    slug: str = "posts",
    fields: list[dict[str, Any]] | None = None,
    supports: list[str] | None = None,
    **extra: Any,
) -> Collection:
    return collections.create_collection(
        SYSTEM,
        {
            "slug": slug,
            "label": slug.title(),
            "fields": POST_FIELDS if fields is None else fields,
            "supports": supports
            or ["drafts", "revisions", "scheduling", "search", "seo"],
            **extra,
        },
    )


def make_custom_role(
    slug: str, permissions: set[str] | frozenset[str] | list[str]
) -> CustomRole:
    return CustomRole.objects.create(
        slug=slug, name=slug.title(), permissions=sorted(permissions)
    )


def add_passkey(
    user: User, authenticator: SoftAuthenticator | None = None, name: str = "Soft"
) -> SoftAuthenticator:
    """Register a passkey for ``user`` through the real ceremony (SITE_URL must be
    the authenticator's origin); returns the authenticator that holds it."""
    authenticator = authenticator or SoftAuthenticator()
    options, challenge_id = passkeys.begin_registration(user)
    passkeys.finish_registration(
        user, challenge_id, authenticator.create(options), name=name
    )
    return authenticator
