"""Who may do what through the API: bearer tokens, their scopes, their users' roles."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from emdash.accounts.models import ApiToken, User
from emdash.accounts.tokens import revoke_token
from emdash.content.models import Collection, Entry, Menu, Term
from emdash.content.services import entries, taxonomies
from emdash.core import site_settings
from emdash.core.actors import SYSTEM
from emdash.core.permissions import MINIMUM_ROLE, Role
from tests.api.conftest import bearer, error, send, token_for
from tests.factories import make_collection, make_user

pytestmark = pytest.mark.django_db

BEARER_PLEASE = "Send the token as 'Authorization: Bearer ec_pat_...'."


@pytest.fixture
def posts() -> Collection:
    return make_collection("posts")


def draft(title: str = "Draft", author: User | None = None) -> Entry:
    entry = entries.create_entry(SYSTEM, "posts", {"data": {"title": title}})
    if author is not None:
        Entry.objects.filter(pk=entry.pk).update(author=author)
    return Entry.objects.get(pk=entry.pk)


def test_a_write_without_a_token_is_401_and_writes_nothing(client, posts):
    response = send(client, "POST", "/content/posts", {"data": {"title": "Hi"}})

    assert response.status_code == 401
    assert response.json() == error(
        "UNAUTHENTICATED",
        "Writing needs a bearer token (Authorization: Bearer ec_pat_...) "
        "or a signed-in session.",
    )
    assert Entry.objects.count() == 0


def test_a_revoked_token_is_refused_even_for_a_read(client, posts):
    token = token_for("content:read")
    revoke_token(SYSTEM, ApiToken.objects.get().pk)

    response = send(client, "GET", "/content/posts", headers=bearer(token))

    assert response.status_code == 401
    assert response.json() == error("INVALID_TOKEN", "The token is unknown or revoked.")


def test_an_expired_token_is_refused_with_its_own_code(client, posts):
    token = token_for("content:read")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = send(client, "GET", "/content/posts", headers=bearer(token))

    assert response.status_code == 401
    assert response.json() == error("TOKEN_EXPIRED", "The token has expired.")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic dXNlcjpwYXNz", BEARER_PLEASE),
        ("Bearer ", BEARER_PLEASE),
        ("Bearer abc123", "That is not an EmDash token (they start with ec_pat_)."),
        ("Bearer ec_pat_madeup", "The token is unknown or revoked."),
    ],
)
def test_a_malformed_or_unknown_token_is_401(client, posts, header, message):
    response = send(client, "GET", "/content/posts", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json() == error("INVALID_TOKEN", message)


def test_a_token_whose_scope_is_too_small_is_403_and_writes_nothing(client, posts):
    reader = bearer(token_for("content:read"))

    response = send(client, "POST", "/content/posts", {"data": {"title": "Hi"}}, reader)

    assert response.status_code == 403
    assert response.json() == error(
        "FORBIDDEN",
        "token test lacks the permission content:create.",
        permission="content:create",
    )
    assert Entry.objects.count() == 0


def test_a_users_token_is_limited_by_the_users_role(client, posts):
    contributor = make_user("contributor")
    headers = bearer(token_for("content:write", user=contributor))
    entry = draft("Mine", author=contributor)

    response = send(
        client, "POST", f"/content/posts/{entry.pk}/publish", headers=headers
    )

    assert response.status_code == 403
    assert response.json() == error(
        "FORBIDDEN",
        "Contributor User (token test) lacks the permission "
        "content:publish_any or content:publish_own.",
        permission="content:publish_any or content:publish_own",
    )
    unchanged = Entry.objects.get(pk=entry.pk)
    assert (unchanged.status, unchanged.version, unchanged.live_revision_id) == (
        "draft",
        1,
        None,
    )


# -- the permission table, through the API, for every built-in role -------------------

Attempt = Callable[
    [Client, dict[str, str], User], tuple[HttpResponse, Callable[[], bool]]
]


def create_entry(client: Client, headers: dict[str, str], user: User):
    response = send(
        client, "POST", "/content/posts", {"data": {"title": "Fresh"}}, headers
    )
    return response, lambda: Entry.objects.filter(slug="fresh").exists()


def publish_own(client: Client, headers: dict[str, str], user: User):
    entry = draft(author=user)
    response = send(
        client, "POST", f"/content/posts/{entry.pk}/publish", headers=headers
    )
    return response, lambda: Entry.objects.get(pk=entry.pk).status == "published"


def publish_others(client: Client, headers: dict[str, str], user: User):
    entry = draft(author=make_user("editor"))
    response = send(
        client, "POST", f"/content/posts/{entry.pk}/publish", headers=headers
    )
    return response, lambda: Entry.objects.get(pk=entry.pk).status == "published"


def edit_others(client: Client, headers: dict[str, str], user: User):
    entry = draft(author=make_user("editor"))
    body = {"version": 1, "data": {"title": "Edited"}}
    response = send(client, "PATCH", f"/content/posts/{entry.pk}", body, headers)
    return response, lambda: Entry.objects.get(pk=entry.pk).title == "Edited"


def create_collection(client: Client, headers: dict[str, str], user: User):
    body = {"slug": "books", "label": "Books"}
    response = send(client, "POST", "/schema/collections", body, headers)
    return response, lambda: Collection.objects.filter(slug="books").exists()


def update_settings(client: Client, headers: dict[str, str], user: User):
    response = send(client, "PATCH", "/settings", {"title": "Renamed"}, headers)
    return response, lambda: site_settings.get_all()["title"] == "Renamed"


def create_term(client: Client, headers: dict[str, str], user: User):
    taxonomies.create_taxonomy(SYSTEM, {"slug": "tags", "label": "Tags"})
    response = send(client, "POST", "/taxonomies/tags/terms", {"name": "News"}, headers)
    return response, lambda: Term.objects.filter(slug="news").exists()


def save_menu(client: Client, headers: dict[str, str], user: User):
    body = {"items": [{"label": "Home", "url": "/"}]}
    response = send(client, "PUT", "/menus/main", body, headers)
    return response, lambda: Menu.objects.filter(slug="main").exists()


OPERATIONS: list[tuple[Attempt, str, int]] = [
    (create_entry, "content:create", 201),
    (publish_own, "content:publish_own", 200),
    (publish_others, "content:publish_any", 200),
    (edit_others, "content:edit_any", 200),
    (create_collection, "schema:manage", 201),
    (update_settings, "settings:manage", 200),
    (create_term, "taxonomies:manage", 201),
    (save_menu, "menus:manage", 200),
]


@pytest.mark.parametrize("role", [role.slug for role in Role])
@pytest.mark.parametrize(
    ("attempt", "permission", "success"),
    OPERATIONS,
    ids=[attempt.__name__ for attempt, _, _ in OPERATIONS],
)
def test_each_role_can_do_exactly_what_the_permission_table_says(
    client, posts, role, attempt, permission, success
):
    user = make_user(role)
    headers = bearer(token_for("admin", user=user))
    allowed = Role.from_slug(role) >= MINIMUM_ROLE[permission]

    response, changed = attempt(client, headers, user)

    assert response.status_code == (success if allowed else 403)
    assert changed() is allowed
