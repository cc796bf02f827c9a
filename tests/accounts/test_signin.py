"""Signing in: passkeys, emailed sign-in links, operator recovery links, and the
session each starts. Failures are audited; nothing tells an anonymous caller
whether an address has an account."""

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from emdash.accounts import signin
from emdash.accounts.links import LinkRejected
from emdash.accounts.models import AccessLink, User, WebAuthnChallenge
from emdash.accounts.users import actor_for_user
from emdash.core.actors import SYSTEM
from emdash.core.errors import NotFound, PermissionDenied, Unauthenticated
from emdash.core.models import AuditEvent
from emdash.core.ratelimit import RateLimited
from tests.factories import add_passkey, make_user
from tests.softauthn import SoftAuthenticator

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "http://localhost:8000"
    settings.WEBAUTHN_ORIGINS = []
    # Counters in the test database roll back with each test.
    settings.RATE_LIMIT_BACKEND = "database"


def make_request(ip: str = IP) -> HttpRequest:
    """A request from ``ip`` with a saved, anonymous session."""
    request = RequestFactory().post("/_emdash/api/auth/", REMOTE_ADDR=ip)
    request.session = SessionStore()
    request.session["visited"] = True
    request.session.save()
    request.user = AnonymousUser()
    return request


def signed_in_user_id(request: HttpRequest) -> str | None:
    return request.session.get(SESSION_KEY)


def passkey_sign_in(
    authenticator: SoftAuthenticator, request: HttpRequest | None = None
) -> User:
    request = request or make_request()
    options, challenge_id = signin.begin_passkey_sign_in(request)
    return signin.finish_passkey_sign_in(
        request, challenge_id, authenticator.get(options)
    )


def failed_sign_in_codes() -> list[str]:
    return [
        event.data["code"]
        for event in AuditEvent.objects.filter(action="user.sign_in_failed")
    ]


def link_token_in(body: str) -> str:
    [token] = re.findall(r"/_emdash/admin/login/link/([^/\s]+)/", body)
    return token


# --- Passkeys -------------------------------------------------------------------


def test_a_passkey_signs_in_and_rotates_the_session():
    user = make_user("author")
    authenticator = add_passkey(user)
    request = make_request()
    anonymous_key = request.session.session_key

    assert passkey_sign_in(authenticator, request) == user

    assert request.session.session_key != anonymous_key
    assert not SessionStore().exists(anonymous_key)
    assert request.session["visited"] is True  # the session's data carries over
    assert signed_in_user_id(request) == str(user.pk)
    assert request.user == user
    event = AuditEvent.objects.get(action="user.sign_in")
    assert (event.target_id, event.data) == (
        str(user.pk),
        {"method": "passkey", "ip": IP},
    )


def test_sign_in_options_offer_every_passkey_of_the_site():
    options, challenge_id = signin.begin_passkey_sign_in(make_request())

    assert json.loads(options)["allowCredentials"] == []
    assert WebAuthnChallenge.objects.get(pk=challenge_id).purpose == "authenticate"


def wrong_origin(authenticator: SoftAuthenticator, request: HttpRequest) -> None:
    authenticator.origin = "https://evil.example"
    passkey_sign_in(authenticator, request)


def wrong_rp_id(authenticator: SoftAuthenticator, request: HttpRequest) -> None:
    authenticator.rp_id_override = "evil.example"
    passkey_sign_in(authenticator, request)


def replayed_challenge(authenticator: SoftAuthenticator, request: HttpRequest) -> None:
    options, challenge_id = signin.begin_passkey_sign_in(make_request())
    answer = authenticator.get(options)
    signin.finish_passkey_sign_in(make_request(), challenge_id, answer)
    signin.finish_passkey_sign_in(request, challenge_id, answer)


def expired_challenge(authenticator: SoftAuthenticator, request: HttpRequest) -> None:
    options, challenge_id = signin.begin_passkey_sign_in(request)
    WebAuthnChallenge.objects.filter(pk=challenge_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    signin.finish_passkey_sign_in(request, challenge_id, authenticator.get(options))


def cloned_authenticator(
    authenticator: SoftAuthenticator, request: HttpRequest
) -> None:
    passkey_sign_in(authenticator)
    passkey_sign_in(authenticator)
    # A copy of the key that never saw those two sign-ins.
    authenticator.set_sign_count(authenticator.credential_ids[0], 0)
    passkey_sign_in(authenticator, request)


def unverified_user(authenticator: SoftAuthenticator, request: HttpRequest) -> None:
    authenticator.user_verified = False
    passkey_sign_in(authenticator, request)


def unknown_challenge(authenticator: SoftAuthenticator, request: HttpRequest) -> None:
    options, _ = signin.begin_passkey_sign_in(request)
    signin.finish_passkey_sign_in(
        request, "no-such-challenge", authenticator.get(options)
    )


@pytest.mark.parametrize(
    ("attempt", "code"),
    [
        (wrong_origin, "WRONG_ORIGIN"),
        (wrong_rp_id, "WRONG_RP_ID"),
        (replayed_challenge, "CHALLENGE_USED"),
        (expired_challenge, "CHALLENGE_EXPIRED"),
        (cloned_authenticator, "CLONED_AUTHENTICATOR"),
        (unverified_user, "USER_VERIFICATION_REQUIRED"),
        (unknown_challenge, "CHALLENGE_UNKNOWN"),
    ],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
def test_a_refused_passkey_is_audited_and_signs_nobody_in(attempt, code):
    authenticator = add_passkey(make_user("author"))
    request = make_request()

    with pytest.raises(Unauthenticated) as refused:
        attempt(authenticator, request)

    assert refused.value.code == code
    assert refused.value.status == 401
    assert failed_sign_in_codes() == [code]
    failure = AuditEvent.objects.get(action="user.sign_in_failed")
    assert (failure.actor_kind, failure.data["method"], failure.data["ip"]) == (
        "anonymous",
        "passkey",
        IP,
    )
    assert signed_in_user_id(request) is None


def test_a_disabled_users_passkey_is_refused():
    user = make_user("author")
    authenticator = add_passkey(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    request = make_request()

    with pytest.raises(Unauthenticated) as refused:
        passkey_sign_in(authenticator, request)

    assert refused.value.code == "USER_DISABLED"
    assert failed_sign_in_codes() == ["USER_DISABLED"]
    assert signed_in_user_id(request) is None


def test_a_passkey_from_another_site_is_unknown():
    add_passkey(make_user("author"))
    stranger = SoftAuthenticator()
    stranger.create(
        {
            "rp": {"id": "localhost", "name": "Elsewhere"},
            "user": {"id": "AAAA", "name": "x", "displayName": "x"},
            "challenge": "AAAA",
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        }
    )

    with pytest.raises(Unauthenticated) as refused:
        passkey_sign_in(stranger)

    assert refused.value.code == "UNKNOWN_CREDENTIAL"


def test_starting_passkey_sign_ins_is_rate_limited_per_address(monkeypatch):
    monkeypatch.setattr(signin, "PASSKEY_STARTS_PER_IP", 2)
    signin.begin_passkey_sign_in(make_request())
    signin.begin_passkey_sign_in(make_request())

    with pytest.raises(RateLimited) as limited:
        signin.begin_passkey_sign_in(make_request())

    assert limited.value.status == 429
    assert limited.value.retry_after > 0
    signin.begin_passkey_sign_in(make_request("198.51.100.1"))


def test_answering_passkey_sign_ins_is_rate_limited_per_address(monkeypatch):
    monkeypatch.setattr(signin, "PASSKEY_ANSWERS_PER_IP", 1)
    authenticator = add_passkey(make_user("author"))
    passkey_sign_in(authenticator)

    with pytest.raises(RateLimited):
        passkey_sign_in(authenticator)


def test_signing_out_ends_the_session_and_is_audited():
    user = make_user("author")
    request = make_request()
    passkey_sign_in(add_passkey(user), request)
    signed_in_key = request.session.session_key

    signin.log_out(request)

    assert signed_in_user_id(request) is None
    assert not SessionStore().exists(signed_in_key)
    assert AuditEvent.objects.filter(
        action="user.sign_out", target_id=str(user.pk)
    ).exists()


# --- Sign-in links ----------------------------------------------------------------


def test_a_known_address_gets_exactly_one_mail_with_a_link():
    user = make_user("author", email="ada@example.com")

    assert signin.request_sign_in_link(make_request(), " ADA@example.com ") is None

    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert "http://localhost:8000/_emdash/admin/login/link/" in message.body
    link = signin.check_sign_in_link(link_token_in(message.body))
    assert (link.purpose, link.user) == ("magic", user)
    assert AuditEvent.objects.filter(action="user.sign_in_link_sent").count() == 1


@pytest.mark.parametrize("email", ["nobody@example.com", "", "not an address"])
def test_an_unknown_address_gets_nothing_and_is_told_nothing(email):
    make_user("author", email="ada@example.com")

    assert signin.request_sign_in_link(make_request(), email) is None

    assert mail.outbox == []
    assert not AccessLink.objects.exists()
    assert AuditEvent.objects.filter(action="user.sign_in_link_unknown").count() == 1


def test_a_disabled_address_gets_nothing():
    user = make_user("author", email="ada@example.com")
    User.objects.filter(pk=user.pk).update(is_active=False)

    signin.request_sign_in_link(make_request(), "ada@example.com")

    assert mail.outbox == []


def test_asking_again_replaces_the_earlier_link():
    make_user("author", email="ada@example.com")
    signin.request_sign_in_link(make_request(), "ada@example.com")
    signin.request_sign_in_link(make_request(), "ada@example.com")

    first, second = (link_token_in(m.body) for m in mail.outbox)

    with pytest.raises(LinkRejected) as refused:
        signin.check_sign_in_link(first)
    assert refused.value.code == "LINK_REVOKED"
    assert signin.check_sign_in_link(second)


def test_links_per_address_are_limited_from_any_client():
    make_user("author", email="ada@example.com")
    for n in range(signin.LINKS_PER_EMAIL):
        signin.request_sign_in_link(make_request(f"198.51.100.{n}"), "ada@example.com")

    with pytest.raises(RateLimited):
        signin.request_sign_in_link(make_request("198.51.100.99"), "Ada@Example.com")

    assert len(mail.outbox) == signin.LINKS_PER_EMAIL


def test_links_per_address_are_limited_for_unknown_addresses_too():
    for _ in range(signin.LINKS_PER_EMAIL):
        signin.request_sign_in_link(make_request(), "nobody@example.com")

    with pytest.raises(RateLimited):
        signin.request_sign_in_link(make_request(), "nobody@example.com")


def test_links_per_client_address_are_limited():
    make_user("author", email="ada@example.com")
    for n in range(signin.LINKS_PER_IP):
        signin.request_sign_in_link(make_request(), f"person{n}@example.com")

    with pytest.raises(RateLimited):
        signin.request_sign_in_link(make_request(), "ada@example.com")

    assert mail.outbox == []
    signin.request_sign_in_link(make_request("198.51.100.1"), "ada@example.com")
    assert len(mail.outbox) == 1


def request_link_token(email: str) -> str:
    signin.request_sign_in_link(make_request(), email)
    return link_token_in(mail.outbox[-1].body)


def test_a_sign_in_link_signs_in_once():
    user = make_user("author", email="ada@example.com")
    token = request_link_token("ada@example.com")
    request = make_request()
    anonymous_key = request.session.session_key

    assert signin.redeem_sign_in_link(request, token) == user

    assert signed_in_user_id(request) == str(user.pk)
    assert request.session.session_key != anonymous_key
    event = AuditEvent.objects.get(action="user.sign_in")
    assert event.data == {"method": "magic", "ip": IP}
    again = make_request()
    with pytest.raises(LinkRejected) as refused:
        signin.redeem_sign_in_link(again, token)
    assert refused.value.code == "LINK_USED"
    assert signed_in_user_id(again) is None
    assert failed_sign_in_codes() == ["LINK_USED"]


def test_checking_a_sign_in_link_does_not_use_it():
    user = make_user("author", email="ada@example.com")
    token = request_link_token("ada@example.com")

    signin.check_sign_in_link(token)
    signin.check_sign_in_link(token)

    assert signin.redeem_sign_in_link(make_request(), token) == user


def test_an_expired_sign_in_link_is_refused():
    make_user("author", email="ada@example.com")
    token = request_link_token("ada@example.com")
    AccessLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    request = make_request()

    with pytest.raises(LinkRejected) as refused:
        signin.redeem_sign_in_link(request, token)

    assert refused.value.code == "LINK_EXPIRED"
    assert signed_in_user_id(request) is None
    assert failed_sign_in_codes() == ["LINK_EXPIRED"]


def test_a_disabled_users_link_is_refused():
    user = make_user("author", email="ada@example.com")
    token = request_link_token("ada@example.com")
    User.objects.filter(pk=user.pk).update(is_active=False)
    request = make_request()

    with pytest.raises(LinkRejected) as refused:
        signin.redeem_sign_in_link(request, token)

    assert refused.value.code == "USER_DISABLED"
    assert signed_in_user_id(request) is None
    assert failed_sign_in_codes() == ["USER_DISABLED"]


@pytest.mark.parametrize("token", ["", "forged", "a.b.c"])
def test_a_forged_sign_in_link_is_refused(token):
    with pytest.raises(LinkRejected) as refused:
        signin.redeem_sign_in_link(make_request(), token)

    assert refused.value.code == "LINK_INVALID"
    assert failed_sign_in_codes() == ["LINK_INVALID"]


def test_redeeming_is_rate_limited_per_client_address(monkeypatch):
    monkeypatch.setattr(signin, "LINK_USES_PER_IP", 1)
    with pytest.raises(LinkRejected):
        signin.redeem_sign_in_link(make_request(), "forged")

    with pytest.raises(RateLimited):
        signin.redeem_sign_in_link(make_request(), "forged")


# --- Recovery links ---------------------------------------------------------------


def test_a_recovery_link_is_audited_and_signs_in_once():
    admin = actor_for_user(make_user("administrator"))
    user = make_user("author", email="ada@example.com")

    issued = signin.issue_recovery_link(admin, "Ada@example.com")

    assert issued.url.startswith("http://localhost:8000/_emdash/admin/login/link/")
    event = AuditEvent.objects.get(action="user.recovery_link")
    assert (event.actor_id, event.target_id, event.data) == (
        admin.id,
        str(user.pk),
        {"link": issued.link.pk},
    )
    request = make_request()
    assert signin.redeem_sign_in_link(request, issued.token) == user
    assert AuditEvent.objects.get(action="user.sign_in").data["method"] == "recovery"
    with pytest.raises(LinkRejected) as refused:
        signin.redeem_sign_in_link(make_request(), issued.token)
    assert refused.value.code == "LINK_USED"


def test_a_new_recovery_link_revokes_the_older_one():
    make_user("author", email="ada@example.com")
    first = signin.issue_recovery_link(SYSTEM, "ada@example.com")
    second = signin.issue_recovery_link(SYSTEM, "ada@example.com")

    with pytest.raises(LinkRejected) as refused:
        signin.check_sign_in_link(first.token)

    assert refused.value.code == "LINK_REVOKED"
    assert signin.check_sign_in_link(second.token)


def test_a_recovery_link_for_an_unknown_email_is_not_found():
    with pytest.raises(NotFound) as missing:
        signin.issue_recovery_link(SYSTEM, "nobody@example.com")

    assert missing.value.code == "USER_NOT_FOUND"
    assert not AccessLink.objects.exists()


def test_a_recovery_link_for_a_disabled_user_is_refused():
    user = make_user("author", email="ada@example.com")
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(LinkRejected) as refused:
        signin.issue_recovery_link(SYSTEM, "ada@example.com")

    assert refused.value.code == "USER_DISABLED"


def test_only_users_managers_issue_recovery_links():
    editor = actor_for_user(make_user("editor"))
    make_user("author", email="ada@example.com")

    with pytest.raises(PermissionDenied):
        signin.issue_recovery_link(editor, "ada@example.com")
