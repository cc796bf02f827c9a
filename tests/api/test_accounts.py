"""Signing in, first-run setup, accepting invites and one's own account through
/_emdash/api, with full passkey ceremonies from a software authenticator."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from emdash.accounts import account, invites, setup, signin
from emdash.accounts.models import AccessLink, ApiToken, Passkey, User
from emdash.accounts.users import actor_for_user
from emdash.core import site_settings
from emdash.core.actors import SYSTEM
from emdash.core.models import AuditEvent
from emdash.core.permissions import ALL_PERMISSIONS
from tests.api.conftest import (
    bearer,
    csrf_header,
    error,
    iso,
    link_token,
    send,
    session_client,
    token_for,
    user_json,
)
from tests.factories import make_user
from tests.softauthn import SoftAuthenticator

pytestmark = pytest.mark.django_db

SITE = "http://localhost:8000"
HOME = "/_emdash/admin/"
LINK_SENT = {"message": "If that address has an account, a sign-in link is on its way."}
FORGED = (
    "This link is not valid: it is incomplete, was altered, or is not from this site."
)
NOT_A_PERSON = (
    "Sign in, or send a token that belongs to a user: this route is about your own "
    "account."
)
SIGN_IN_LINK = re.compile(r"/_emdash/admin/login/link/([^/\s]+)/")


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = SITE
    settings.WEBAUTHN_ORIGINS = []


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(origin=SITE)


def register_passkey(
    user: User, authenticator: SoftAuthenticator, name: str = "Laptop"
) -> Passkey:
    actor = actor_for_user(user)
    options, challenge_id = account.begin_add_passkey(actor)
    return account.finish_add_passkey(
        actor, challenge_id, authenticator.create(options), name=name
    )


def passkey_sign_in(
    client: Client, authenticator: SoftAuthenticator, **extra: Any
) -> Any:
    begun = send(client, "POST", "/auth/passkey/options").json()
    body = {
        "challenge_id": begun["challenge_id"],
        "credential": authenticator.get(begun["options"]),
        **extra,
    }
    return send(client, "POST", "/auth/passkey/verify", body)


def mailed_sign_in_token(message: mail.EmailMessage) -> str:
    found = SIGN_IN_LINK.search(message.body)
    assert found, message.body
    return found.group(1)


# -- first run -----------------------------------------------------------------------


def test_setup_through_the_api_creates_the_administrator_and_signs_them_in(
    client, authenticator
):
    token = link_token(setup.issue_setup_url())
    before = send(client, "GET", "/setup")

    begun = send(
        client,
        "POST",
        "/setup/options",
        {
            "token": token,
            "site_title": "Ada's notes",
            "display_name": "Ada",
            "email": "ada@example.com",
        },
    )
    options = begun.json()["options"]
    finished = send(
        client,
        "POST",
        "/setup/verify",
        {
            "token": token,
            "challenge_id": begun.json()["challenge_id"],
            "credential": authenticator.create(options),
        },
    )
    me = send(client, "GET", "/me")

    admin = User.objects.get()
    assert (before.status_code, before.json()) == (200, {"needed": True})
    assert begun.status_code == 200
    assert (options["rp"]["id"], options["user"]["name"]) == (
        "localhost",
        "ada@example.com",
    )
    assert finished.status_code == 200
    assert finished.json() == {"user": user_json(admin), "redirect": HOME}
    assert (admin.email, admin.display_name, admin.role) == (
        "ada@example.com",
        "Ada",
        "administrator",
    )
    assert me.status_code == 200
    assert me.json() == {**user_json(admin), "permissions": sorted(ALL_PERMISSIONS)}
    assert site_settings.get_all()["title"] == "Ada's notes"
    assert send(client, "GET", "/setup").json() == {"needed": False}
    assert Passkey.objects.get().user == admin


def forge(case: str) -> str:
    secret, stamp, signature = link_token(setup.issue_setup_url()).split(".")
    if case == "signature altered":
        return f"{secret}.{stamp}.{signature[:-2]}xx"
    if case == "secret altered":
        return f"{secret[:-2]}xx.{stamp}.{signature}"
    if case == "an invite's token":
        issued, _ = invites.create_invite(
            SYSTEM, email="someone@example.com", role="editor", send=False
        )
        return link_token(issued.url)
    return "forged"


@pytest.mark.parametrize(
    "case", ["gibberish", "signature altered", "secret altered", "an invite's token"]
)
def test_a_forged_setup_token_is_refused_and_nothing_is_made(client, case):
    token = forge(case)
    body = {
        "token": token,
        "site_title": "Mine now",
        "display_name": "Mallory",
        "email": "mallory@example.com",
    }

    response = send(client, "POST", "/setup/options", body)

    assert response.status_code == 400
    assert response.json() == error("LINK_INVALID", FORGED)
    assert User.objects.count() == 0
    assert site_settings.get_all()["title"] != "Mine now"


def test_guessing_setup_tokens_is_rate_limited(client, monkeypatch):
    monkeypatch.setattr(signin, "LINK_USES_PER_IP", 3)
    body = {
        "site_title": "Mine now",
        "display_name": "Mallory",
        "email": "mallory@example.com",
    }

    answers = [
        send(client, "POST", "/setup/options", {"token": forge("gibberish"), **body})
        for _ in range(4)
    ]

    assert [a.status_code for a in answers] == [400, 400, 400, 429]
    assert answers[-1].json()["error"]["code"] == "RATE_LIMITED"
    assert User.objects.count() == 0


def test_a_forged_token_cannot_finish_setup_either(client, authenticator):
    token = link_token(setup.issue_setup_url())
    begun = send(
        client,
        "POST",
        "/setup/options",
        {
            "token": token,
            "site_title": "Site",
            "display_name": "Ada",
            "email": "ada@example.com",
        },
    ).json()

    response = send(
        client,
        "POST",
        "/setup/verify",
        {
            "token": token + "x",
            "challenge_id": begun["challenge_id"],
            "credential": authenticator.create(begun["options"]),
        },
    )

    assert response.status_code == 400
    assert response.json() == error("LINK_INVALID", FORGED)
    assert User.objects.count() == 0


def test_setup_is_refused_once_an_administrator_exists(client):
    token = link_token(setup.issue_setup_url())
    make_user("administrator")
    body = {
        "token": token,
        "site_title": "Site",
        "display_name": "Late",
        "email": "late@example.com",
    }

    response = send(client, "POST", "/setup/options", body)

    assert response.status_code == 409
    assert response.json() == error(
        "ALREADY_SET_UP", "This site has an administrator already; sign in instead."
    )


def test_setup_fields_are_checked(client):
    token = link_token(setup.issue_setup_url())
    body = {"token": token, "site_title": " ", "display_name": "Ada", "email": "ada"}

    response = send(client, "POST", "/setup/options", body)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "fields": {"site_title": "enter the site's name (at most 200 characters)"}
    }


# -- invites -------------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["token", "session"])
def test_an_invite_made_through_the_api_is_accepted_by_another_client(
    client, authenticator, caller
):
    admin = make_user("administrator")
    if caller == "token":
        admin_client, headers = client, bearer(token_for("admin", user=admin))
    else:
        admin_client = session_client(admin, enforce_csrf_checks=True)
        headers = csrf_header(admin_client)
    invitee = Client()

    created = send(
        admin_client,
        "POST",
        "/invites",
        {"email": "grace@example.com", "role": "editor"},
        headers,
    )
    token = link_token(created.json()["url"])
    begun = send(
        invitee,
        "POST",
        "/invites/accept/options",
        {"token": token, "display_name": "Grace"},
    ).json()
    accepted = send(
        invitee,
        "POST",
        "/invites/accept/verify",
        {
            "token": token,
            "challenge_id": begun["challenge_id"],
            "credential": authenticator.create(begun["options"]),
        },
    )
    me = send(invitee, "GET", "/me")
    listed = send(admin_client, "GET", "/invites?all=true", headers=headers)

    grace = User.objects.get(email="grace@example.com")
    assert created.status_code == 201
    assert created.json()["emailed"] is True
    assert [m.to for m in mail.outbox] == [["grace@example.com"]]
    assert created.json()["url"] in mail.outbox[0].body
    assert begun["options"]["user"]["name"] == "grace@example.com"
    assert accepted.status_code == 200
    assert accepted.json() == {"user": user_json(grace), "redirect": HOME}
    assert (grace.display_name, grace.role) == ("Grace", "editor")
    assert me.json()["email"] == "grace@example.com"
    assert [(i["email"], i["status"]) for i in listed.json()["items"]] == [
        ("grace@example.com", "used")
    ]


def test_an_accepted_invite_cannot_be_used_again(client, authenticator):
    issued, _ = invites.create_invite(
        SYSTEM, email="grace@example.com", role="editor", send=False
    )
    token = link_token(issued.url)
    begun = send(
        client,
        "POST",
        "/invites/accept/options",
        {"token": token, "display_name": "Grace"},
    ).json()
    send(
        client,
        "POST",
        "/invites/accept/verify",
        {
            "token": token,
            "challenge_id": begun["challenge_id"],
            "credential": authenticator.create(begun["options"]),
        },
    )

    again = send(
        Client(),
        "POST",
        "/invites/accept/options",
        {"token": token, "display_name": "Grace again"},
    )

    assert again.status_code == 400
    assert again.json() == error("LINK_USED", "This link has already been used.")
    assert User.objects.filter(email="grace@example.com").count() == 1


# -- passkey sign-in -----------------------------------------------------------------


def test_a_passkey_signs_in_and_me_answers_who_it_is(client, authenticator):
    user = make_user("author", email="ann@example.com")
    register_passkey(user, authenticator)

    begun = send(client, "POST", "/auth/passkey/options")
    options = begun.json()["options"]
    signed_in = send(
        client,
        "POST",
        "/auth/passkey/verify",
        {
            "challenge_id": begun.json()["challenge_id"],
            "credential": authenticator.get(options),
        },
    )
    me = send(client, "GET", "/me")

    assert begun.status_code == 200
    assert (options["rpId"], options["allowCredentials"]) == ("localhost", [])
    assert options["userVerification"] == "required"
    assert signed_in.status_code == 200
    assert signed_in.json() == {"user": user_json(user), "redirect": HOME}
    assert user.last_login is not None
    assert me.status_code == 200
    assert me.json() == {
        **user_json(user),
        "permissions": sorted(actor_for_user(user).permissions),
    }
    [event] = AuditEvent.objects.filter(action="user.sign_in")
    assert (event.target_id, event.data["method"]) == (str(user.pk), "passkey")


@pytest.mark.parametrize(
    ("next_url", "redirect"),
    [
        ("/_emdash/admin/users/?role=editor", "/_emdash/admin/users/?role=editor"),
        (None, HOME),
        ("/blog/", HOME),
        ("https://evil.example/_emdash/admin/", HOME),
        ("//evil.example/_emdash/admin/", HOME),
        ("http://testserver/_emdash/admin/users/", HOME),
    ],
)
def test_next_is_followed_only_to_the_admin_of_this_site(
    client, authenticator, next_url, redirect
):
    register_passkey(make_user("author"), authenticator)

    response = passkey_sign_in(client, authenticator, next=next_url)

    assert response.status_code == 200
    assert response.json()["redirect"] == redirect


def test_a_replayed_passkey_answer_is_refused_and_starts_no_session(
    client, authenticator
):
    register_passkey(make_user("author"), authenticator)
    begun = send(client, "POST", "/auth/passkey/options").json()
    body = {
        "challenge_id": begun["challenge_id"],
        "credential": authenticator.get(begun["options"]),
    }
    send(client, "POST", "/auth/passkey/verify", body)
    send(client, "POST", "/auth/logout")

    replayed = send(client, "POST", "/auth/passkey/verify", body)

    assert replayed.status_code == 401
    assert replayed.json() == error(
        "CHALLENGE_USED", "This challenge was already used; start again."
    )
    assert send(client, "GET", "/me").status_code == 401
    [failure] = AuditEvent.objects.filter(action="user.sign_in_failed")
    assert (failure.data["method"], failure.data["code"]) == (
        "passkey",
        "CHALLENGE_USED",
    )


def test_a_passkey_answer_must_be_a_credential_object(client):
    response = send(
        client,
        "POST",
        "/auth/passkey/verify",
        {"challenge_id": "x", "credential": "not an object"},
    )

    assert response.status_code == 422
    assert list(response.json()["error"]["details"]["fields"]) == ["credential"]


# -- sign-in links -------------------------------------------------------------------


def test_a_sign_in_link_request_answers_the_same_and_mails_only_known_addresses(
    client,
):
    make_user("editor", email="known@example.com")

    known = send(client, "POST", "/auth/link", {"email": "known@example.com"})
    unknown = send(client, "POST", "/auth/link", {"email": "nobody@example.com"})

    assert (known.status_code, known.json()) == (202, LINK_SENT)
    assert (unknown.status_code, unknown.json()) == (202, LINK_SENT)
    assert [m.to for m in mail.outbox] == [["known@example.com"]]


def test_a_sign_in_link_signs_in_once(client):
    user = make_user("editor", email="known@example.com")
    send(client, "POST", "/auth/link", {"email": "known@example.com"})
    token = mailed_sign_in_token(mail.outbox[0])

    redeemed = send(client, "POST", "/auth/link/redeem", {"token": token})
    me = send(client, "GET", "/me")
    again = send(Client(), "POST", "/auth/link/redeem", {"token": token})

    assert redeemed.status_code == 200
    assert redeemed.json() == {"user": user_json(user), "redirect": HOME}
    assert me.json()["email"] == "known@example.com"
    assert again.status_code == 400
    assert again.json() == error("LINK_USED", "This link has already been used.")
    assert AccessLink.objects.get().used_at is not None


@pytest.mark.parametrize("email", ["known@example.com", "nobody@example.com"])
def test_repeated_sign_in_link_requests_are_rate_limited(client, email):
    make_user("editor", email="known@example.com")

    answers = [send(client, "POST", "/auth/link", {"email": email}) for _ in range(4)]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    refused = answers[-1].json()["error"]
    assert (refused["code"], refused["message"]) == (
        "RATE_LIMITED",
        "Too many attempts; try again later.",
    )
    assert 1 <= refused["details"]["retry_after"] <= 15 * 60
    assert answers[-1]["Retry-After"] == str(refused["details"]["retry_after"])
    assert len(mail.outbox) == (3 if email.startswith("known") else 0)


def test_an_unknown_property_is_refused_by_name(client):
    response = send(
        client, "POST", "/auth/link", {"email": "a@example.com", "remember": True}
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "fields": {"remember": "unknown property"}
    }
    assert mail.outbox == []


# -- signing out ---------------------------------------------------------------------


def test_logout_ends_the_session(authenticator):
    user = make_user("author")
    client = session_client(user)

    response = send(client, "POST", "/auth/logout", headers=csrf_header(client))
    me = send(client, "GET", "/me")

    assert (response.status_code, response.content) == (204, b"")
    assert me.status_code == 401
    assert me.json() == error("UNAUTHENTICATED", NOT_A_PERSON)
    [event] = AuditEvent.objects.filter(action="user.sign_out")
    assert event.target_id == str(user.pk)


def test_sign_out_everywhere_ends_every_session_of_mine():
    user = make_user("author")
    here, elsewhere = session_client(user), session_client(user)

    response = send(here, "POST", "/me/sign-out-everywhere", headers=csrf_header(here))

    assert response.status_code == 204
    assert send(here, "GET", "/me").status_code == 401
    assert send(elsewhere, "GET", "/me").status_code == 401


# -- CSRF: cookies are ambient, so cookie writes carry the token ---------------------


def test_a_session_write_without_the_csrf_header_is_refused_and_writes_nothing():
    admin = make_user("administrator")
    client = session_client(admin, enforce_csrf_checks=True)
    body = {"email": "grace@example.com", "role": "editor"}

    refused = send(client, "POST", "/invites", body)
    wrong = send(client, "POST", "/invites", body, {"X-CSRFToken": "x" * 32})
    accepted = send(client, "POST", "/invites", body, csrf_header(client))

    assert refused.status_code == 403
    assert refused.json() == error(
        "CSRF_FAILED",
        "The CSRF check failed: send the csrftoken cookie's value in the "
        "X-CSRFToken header.",
    )
    assert wrong.status_code == 403
    assert accepted.status_code == 201
    assert AccessLink.objects.filter(purpose="invite").count() == 1
    assert len(mail.outbox) == 1


def test_a_bearer_token_write_needs_no_csrf_token():
    client = Client(enforce_csrf_checks=True)

    response = send(
        client,
        "POST",
        "/invites",
        {"email": "grace@example.com", "role": "editor"},
        bearer(token_for("admin")),
    )

    assert response.status_code == 201


def test_sign_in_endpoints_check_csrf_for_cookie_callers_too():
    make_user("editor", email="known@example.com")
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32

    refused = send(client, "POST", "/auth/link", {"email": "known@example.com"})
    accepted = send(
        client,
        "POST",
        "/auth/link",
        {"email": "known@example.com"},
        csrf_header(client),
    )

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "CSRF_FAILED"
    assert accepted.status_code == 202
    assert len(mail.outbox) == 1


def test_signing_in_rotates_the_csrf_token(authenticator):
    register_passkey(make_user("administrator"), authenticator)
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    headers = csrf_header(client)
    begun = send(client, "POST", "/auth/passkey/options", headers=headers).json()
    body = {
        "challenge_id": begun["challenge_id"],
        "credential": authenticator.get(begun["options"]),
    }
    send(client, "POST", "/auth/passkey/verify", body, headers)
    invite = {"email": "grace@example.com", "role": "editor"}

    stale = send(client, "POST", "/invites", invite, headers)
    fresh = send(client, "POST", "/invites", invite, csrf_header(client))

    assert csrf_header(client) != headers
    assert (stale.status_code, fresh.status_code) == (403, 201)


# -- me ------------------------------------------------------------------------------


def test_me_needs_a_person(client):
    anonymous = send(client, "GET", "/me")
    operator = send(client, "GET", "/me", headers=bearer(token_for("admin")))

    assert anonymous.status_code == operator.status_code == 401
    assert anonymous.json() == operator.json() == error("UNAUTHENTICATED", NOT_A_PERSON)


def test_me_through_a_users_token_shows_scopes_within_the_role(client):
    user = make_user("contributor")
    headers = bearer(token_for("content:write", "settings:manage", user=user))

    response = send(client, "GET", "/me", headers=headers)

    assert response.status_code == 200
    assert response.json()["permissions"] == [
        "content:create",
        "content:edit_own",
        "content:read",
        "content:read_drafts",
        "media:read",
        "menus:read",
        "search:read",
        "taxonomies:read",
    ]


def test_my_passkeys_can_be_added_renamed_and_removed_but_not_the_last(
    authenticator,
):
    user = make_user("author")
    first = register_passkey(user, SoftAuthenticator(origin=SITE), name="Phone")
    client = session_client(user)
    headers = csrf_header(client)

    begun = send(client, "POST", "/me/passkeys/options", headers=headers).json()
    added = send(
        client,
        "POST",
        "/me/passkeys/verify",
        {
            "challenge_id": begun["challenge_id"],
            "credential": authenticator.create(begun["options"]),
            "name": "Laptop",
        },
        headers,
    )
    second = Passkey.objects.get(name="Laptop")
    renamed = send(
        client, "PATCH", f"/me/passkeys/{second.pk}", {"name": "Work laptop"}, headers
    )
    removed = send(client, "DELETE", f"/me/passkeys/{first.pk}", headers=headers)
    last = send(client, "DELETE", f"/me/passkeys/{second.pk}", headers=headers)
    listed = send(client, "GET", "/me/passkeys")

    second.refresh_from_db()
    assert [d["id"] for d in begun["options"]["excludeCredentials"]] == [
        first.credential_id
    ]
    assert added.status_code == 201
    assert added.json() == {
        "id": second.pk,
        "name": "Laptop",
        "created_at": iso(second.created_at),
        "last_used_at": None,
        "transports": ["internal"],
        "aaguid": "00000000-0000-0000-0000-000000000000",
    }
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Work laptop")
    assert removed.status_code == 204
    assert last.status_code == 409
    assert last.json() == error(
        "LAST_PASSKEY",
        "This is the last passkey of the account; add another before removing it.",
    )
    assert listed.json() == {
        "items": [{**added.json(), "name": "Work laptop"}],
        "next_cursor": None,
    }


def test_adding_a_passkey_needs_a_session_not_a_token(client):
    headers = bearer(token_for("admin", user=make_user("administrator")))

    response = send(client, "POST", "/me/passkeys/options", headers=headers)

    assert response.status_code == 401
    assert response.json() == error(
        "SESSION_REQUIRED", "Sign in to manage your passkeys."
    )


def test_someone_elses_passkey_is_not_found(authenticator):
    theirs = register_passkey(make_user("author"), authenticator)
    client = session_client(make_user("editor"))

    response = send(
        client,
        "PATCH",
        f"/me/passkeys/{theirs.pk}",
        {"name": "Mine now"},
        csrf_header(client),
    )

    assert response.status_code == 404
    assert response.json() == error("PASSKEY_NOT_FOUND", f"No passkey '{theirs.pk}'.")
    assert Passkey.objects.get().name == "Laptop"


def test_my_tokens_are_bound_to_me():
    user = make_user("editor")
    client = session_client(user)
    other = token_for("content:read", user=make_user("author"))

    created = send(
        client,
        "POST",
        "/me/tokens",
        {"name": "laptop", "scopes": ["content:write"]},
        csrf_header(client),
    )
    listed = send(client, "GET", "/me/tokens")
    me = send(client, "GET", "/me", headers=bearer(created.json()["token"]))

    mine = ApiToken.objects.get(name="laptop")
    assert created.status_code == 201
    assert (created.json()["id"], created.json()["user"]) == (mine.pk, user.pk)
    assert [t["id"] for t in listed.json()["items"]] == [mine.pk]
    assert me.json()["email"] == user.email
    assert other not in created.content.decode()
