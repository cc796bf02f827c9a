"""API tokens through /_emdash/api/tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from emdash.accounts.models import ApiToken
from tests.api.conftest import bearer, iso, send, token_for

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
