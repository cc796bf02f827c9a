"""API tokens through /_emdash/api/tokens."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from emdash.accounts.models import ApiToken
from tests.api.conftest import (
    bearer,
    csrf_header,
    error,
    iso,
    send,
    session_client,
    token_for,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_create_shows_the_secret_once_and_it_works(client, admin):
    expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    body = {"name": "ci", "scopes": ["content:read"], "expires_at": expires.isoformat()}

    response = send(client, "POST", "/tokens", body, admin)

    created = ApiToken.objects.get(name="ci")
    payload = response.json()
    assert response.status_code == 201
    assert payload == {
        "token": payload["token"],
        "id": created.pk,
        "name": "ci",
        "prefix": payload["token"][:11],
        "scopes": ["content:read"],
        "user": None,
        "created_at": iso(created.created_at),
        "expires_at": iso(expires),
        "last_used_at": None,
        "revoked_at": None,
    }
    assert payload["token"].startswith("ec_pat_")
    assert (
        send(
            client, "GET", "/content/posts", headers=bearer(payload["token"])
        ).status_code
        == 404
    )


def test_list_never_shows_secrets(client, admin):
    listed = send(client, "GET", "/tokens", headers=admin)

    [only] = listed.json()["items"]
    assert listed.json()["next_cursor"] is None
    assert "token" not in only
    assert (only["name"], only["scopes"]) == ("test", ["admin"])


def test_revoke_stops_a_token_at_once(client, admin):
    doomed = token_for("content:read")
    doomed_id = ApiToken.objects.get(scopes=["content:read"]).pk

    revoked = send(client, "DELETE", f"/tokens/{doomed_id}", headers=admin)
    refused = send(client, "GET", "/content/posts", headers=bearer(doomed))

    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] == iso(
        ApiToken.objects.get(pk=doomed_id).revoked_at
    )
    assert refused.status_code == 401


def test_bad_scopes_are_422_and_no_token_is_made(client, admin):
    response = send(
        client, "POST", "/tokens", {"name": "x", "scopes": ["everything"]}, admin
    )

    assert response.status_code == 422
    assert list(response.json()["error"]["details"]["fields"]) == ["scope"]
    assert ApiToken.objects.count() == 1


def test_only_token_managers_manage_tokens(client):
    writer = bearer(token_for("content:write"))

    listed = send(client, "GET", "/tokens", headers=writer)
    created = send(
        client, "POST", "/tokens", {"name": "x", "scopes": ["admin"]}, writer
    )

    assert (listed.status_code, created.status_code) == (403, 403)
    assert ApiToken.objects.count() == 1


# -- tokens that act for a user -------------------------------------------------------


def test_a_token_for_a_user_acts_for_them_within_their_role(client, admin):
    ann = make_user("contributor", email="ann@example.com")
    body = {"name": "ann's ci", "scopes": ["admin"], "user": "ANN@example.com"}

    created = send(client, "POST", "/tokens", body, admin)
    as_ann = bearer(created.json()["token"])
    me = send(client, "GET", "/me", headers=as_ann)
    people = send(client, "GET", "/users", headers=as_ann)

    assert created.status_code == 201
    assert created.json()["user"] == ann.pk
    assert ApiToken.objects.get(name="ann's ci").user == ann
    assert (me.status_code, me.json()["email"]) == (200, "ann@example.com")
    assert "users:read" not in me.json()["permissions"]
    assert people.status_code == 403


@pytest.mark.parametrize("email", ["nobody@example.com", ""])
def test_a_token_for_an_unknown_user_is_422_naming_user(client, admin, email):
    body = {"name": "x", "scopes": ["content:read"], "user": email}

    response = send(client, "POST", "/tokens", body, admin)

    assert response.status_code == 422
    assert response.json() == error(
        "VALIDATION_ERROR",
        f"No user with the email {email}.",
        fields={"user": "no user has this email address"},
    )
    assert ApiToken.objects.count() == 1


def test_whether_an_address_has_an_account_is_told_only_to_token_managers(client):
    make_user("editor", email="known@example.com")
    writer = bearer(token_for("content:write"))

    known = send(
        client,
        "POST",
        "/tokens",
        {"name": "x", "scopes": ["content:read"], "user": "known@example.com"},
        writer,
    )
    unknown = send(
        client,
        "POST",
        "/tokens",
        {"name": "x", "scopes": ["content:read"], "user": "nobody@example.com"},
        writer,
    )

    assert (known.status_code, unknown.status_code) == (403, 403)
    assert known.json() == unknown.json()
    assert ApiToken.objects.count() == 1


def test_a_signed_in_person_makes_and_revokes_their_own_tokens():
    editor = make_user("editor", email="ed@example.com")
    client = session_client(editor)
    headers = csrf_header(client)

    created = send(
        client,
        "POST",
        "/tokens",
        {"name": "mine", "scopes": ["content:read"], "user": "ed@example.com"},
        headers,
    )
    revoked = send(client, "DELETE", f"/tokens/{created.json()['id']}", headers=headers)

    assert created.status_code == 201
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert ApiToken.objects.get(name="mine").revoked_at is not None


@pytest.mark.parametrize("whose", ["someone else's", "nobody's"])
def test_revoking_a_token_not_ones_own_needs_tokens_manage(whose):
    theirs = token_for("content:read", user=make_user("author"))
    token_id = ApiToken.objects.get().pk if whose == "someone else's" else "nope"
    client = session_client(make_user("editor"))

    response = send(
        client, "DELETE", f"/tokens/{token_id}", headers=csrf_header(client)
    )

    assert response.status_code == 403
    assert response.json() == error(
        "FORBIDDEN",
        "Editor User lacks the permission tokens:manage.",
        permission="tokens:manage",
    )
    assert send(Client(), "GET", "/me", headers=bearer(theirs)).status_code == 200
