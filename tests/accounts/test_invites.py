"""Invites: an administrator invites an address with a role; the link lets that
person create their account with a passkey, once, before it expires."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from emdash.accounts import invites
from emdash.accounts.links import LinkRejected
from emdash.accounts.models import AccessLink, Passkey, User
from emdash.accounts.users import actor_for_user
from emdash.core.actors import Actor
from emdash.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from emdash.core.models import AuditEvent
from emdash.core.permissions import Role, role_permissions
from tests.factories import make_custom_role, make_user
from tests.softauthn import SoftAuthenticator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "http://localhost:8000"
    settings.WEBAUTHN_ORIGINS = []


@pytest.fixture
def admin() -> Actor:
    return actor_for_user(make_user("administrator"))


def accept(
    token: str,
    display_name: str = "Grace",
    authenticator: SoftAuthenticator | None = None,
) -> User:
    options, challenge_id = invites.begin_accept(token, display_name=display_name)
    credential = (authenticator or SoftAuthenticator()).create(json.loads(options))
    return invites.finish_accept(token, challenge_id, credential)


def rejection(token: str) -> str:
    with pytest.raises(LinkRejected) as refused:
        invites.check_token(token)
    return refused.value.code


def test_an_invite_is_emailed_with_its_url_and_audited(admin):
    issued, emailed = invites.create_invite(
        admin, email="grace@example.com", role="author"
    )

    assert emailed
    assert issued.url.startswith("http://localhost:8000/_emdash/admin/invite/")
    [message] = mail.outbox
    assert message.to == ["grace@example.com"]
    assert issued.url in message.body
    assert "author" in message.body
    invite = AccessLink.objects.get()
    assert (invite.purpose, invite.email, invite.role) == (
        "invite",
        "grace@example.com",
        "author",
    )
    assert invite.sent_at is not None
    assert invite.created_by == admin.label
    event = AuditEvent.objects.get(action="invite.create")
    assert event.data == {"email": "grace@example.com", "role": "author"}
    assert invites.check_token(issued.token) == invite


def test_an_invite_need_not_be_emailed(admin):
    issued, emailed = invites.create_invite(
        admin, email="grace@example.com", role="author", send=False
    )

    assert not emailed
    assert mail.outbox == []
    assert AccessLink.objects.get().sent_at is None
    assert invites.check_token(issued.token)


def test_a_mail_failure_still_leaves_a_link_to_copy(admin, monkeypatch):
    def fail(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(invites, "send_account_email", fail)

    issued, emailed = invites.create_invite(
        admin, email="grace@example.com", role="author"
    )

    assert not emailed
    assert invites.check_token(issued.token)


def test_inviting_an_address_again_replaces_the_pending_invite(admin):
    first, _ = invites.create_invite(admin, email="grace@example.com", role="author")
    second, _ = invites.create_invite(admin, email="GRACE@example.com", role="editor")

    assert rejection(first.token) == "LINK_REVOKED"
    assert invites.check_token(second.token).role == "editor"
    assert [i.pk for i in invites.list_invites(admin)] == [second.link.pk]
    assert len(invites.list_invites(admin, pending_only=False)) == 2


def test_an_existing_users_address_cannot_be_invited(admin):
    make_user("author", email="grace@example.com")

    with pytest.raises(Conflict) as refused:
        invites.create_invite(admin, email="Grace@Example.com", role="editor")

    assert refused.value.code == "USER_EXISTS"
    assert not AccessLink.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [
        ("not-an-email", "author", "email"),
        ("", "author", "email"),
        ("grace@example.com", "overlord", "role"),
    ],
)
def test_bad_invites_name_the_field(admin, email, role, field):
    with pytest.raises(ValidationFailed) as refused:
        invites.create_invite(admin, email=email, role=role)

    assert field in refused.value.fields
    assert not AccessLink.objects.exists()


def test_a_non_administrator_cannot_invite():
    editor = actor_for_user(make_user("editor"))

    with pytest.raises(PermissionDenied):
        invites.create_invite(editor, email="grace@example.com", role="author")
    with pytest.raises(PermissionDenied):
        invites.list_invites(editor)
    assert not AccessLink.objects.exists()


def test_nobody_invites_above_their_own_role():
    make_custom_role(
        "manager", role_permissions(Role.EDITOR) | {"users:read", "users:manage"}
    )
    manager = actor_for_user(make_user("manager"))

    with pytest.raises(PermissionDenied) as refused:
        invites.create_invite(manager, email="grace@example.com", role="administrator")

    assert refused.value.code == "ROLE_ABOVE_YOURS"
    issued, _ = invites.create_invite(manager, email="grace@example.com", role="author")
    assert invites.check_token(issued.token)


def test_accepting_creates_the_user_with_the_invited_role_and_email(admin):
    issued, _ = invites.create_invite(admin, email="grace@example.com", role="editor")
    authenticator = SoftAuthenticator()

    user = accept(
        issued.token, display_name=" Grace Hopper ", authenticator=authenticator
    )

    assert (user.email, user.display_name, user.role, user.is_active) == (
        "grace@example.com",
        "Grace Hopper",
        "editor",
        True,
    )
    assert Passkey.objects.filter(user=user).count() == 1
    invite = AccessLink.objects.get()
    assert (invite.user, invite.used_at is not None) == (user, True)
    event = AuditEvent.objects.get(action="invite.accept")
    assert (event.actor_id, event.data) == (
        str(user.pk),
        {"invite": invite.pk, "role": "editor"},
    )
    assert invites.list_invites(admin).count() == 0


def test_an_invite_to_a_custom_role_grants_it(admin):
    make_custom_role("reviewer", ["content:read", "content:publish_any"])
    issued, _ = invites.create_invite(admin, email="grace@example.com", role="reviewer")

    user = accept(issued.token)

    assert actor_for_user(user).permissions == {"content:read", "content:publish_any"}


def test_an_accepted_invite_is_used(admin):
    issued, _ = invites.create_invite(admin, email="grace@example.com", role="author")
    accept(issued.token)

    assert rejection(issued.token) == "LINK_USED"
    with pytest.raises(LinkRejected) as refused:
        accept(issued.token)
    assert refused.value.code == "LINK_USED"
    with pytest.raises(Conflict) as revoking:
        invites.revoke_invite(admin, issued.link.pk)
    assert revoking.value.code == "INVITE_USED"
    with pytest.raises(Conflict) as resending:
        invites.resend_invite(admin, issued.link.pk)
    assert resending.value.code == "INVITE_USED"
    assert User.objects.filter(email="grace@example.com").count() == 1


def test_a_revoked_invite_is_refused_and_audited(admin):
    issued, _ = invites.create_invite(admin, email="grace@example.com", role="author")

    revoked = invites.revoke_invite(admin, issued.link.pk)

    assert revoked.revoked_at is not None
    assert rejection(issued.token) == "LINK_REVOKED"
    with pytest.raises(LinkRejected) as refused:
        invites.begin_accept(issued.token, display_name="Grace")
    assert refused.value.code == "LINK_REVOKED"
    assert AuditEvent.objects.filter(action="invite.revoke").count() == 1
    # Revoking again changes nothing and records nothing.
    invites.revoke_invite(admin, issued.link.pk)
    assert AuditEvent.objects.filter(action="invite.revoke").count() == 1


def test_an_invite_revoked_mid_ceremony_creates_nobody(admin):
    issued, _ = invites.create_invite(admin, email="grace@example.com", role="author")
    options, challenge_id = invites.begin_accept(issued.token, display_name="Grace")
    credential = SoftAuthenticator().create(options)
    invites.revoke_invite(admin, issued.link.pk)

    with pytest.raises(LinkRejected) as refused:
        invites.finish_accept(issued.token, challenge_id, credential)

    assert refused.value.code == "LINK_REVOKED"
    assert not User.objects.filter(email="grace@example.com").exists()


def test_resending_replaces_the_url(admin):
    old, _ = invites.create_invite(admin, email="grace@example.com", role="author")

    new, emailed = invites.resend_invite(admin, old.link.pk)

    assert emailed
    assert new.url != old.url
    assert new.url in mail.outbox[-1].body
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action="invite.resend").count() == 1
    assert rejection(old.token) == "LINK_INVALID"
    assert accept(new.token).role == "author"


def test_resending_revives_a_revoked_or_expired_invite(admin):
    old, _ = invites.create_invite(admin, email="grace@example.com", role="author")
    AccessLink.objects.update(
        revoked_at=timezone.now(), expires_at=timezone.now() - timedelta(days=1)
    )

    new, _ = invites.resend_invite(admin, old.link.pk)

    assert invites.check_token(new.token).pk == old.link.pk
    assert invites.list_invites(admin).count() == 1


def test_an_expired_invite_is_refused(admin):
    issued, _ = invites.create_invite(admin, email="grace@example.com", role="author")
    AccessLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert rejection(issued.token) == "LINK_EXPIRED"
    with pytest.raises(LinkRejected) as refused:
        invites.begin_accept(issued.token, display_name="Grace")
    assert refused.value.code == "LINK_EXPIRED"
    assert invites.list_invites(admin).count() == 0
    assert invites.list_invites(admin, pending_only=False).count() == 1


def test_an_address_that_registered_meanwhile_cannot_accept(admin):
    issued, _ = invites.create_invite(admin, email="grace@example.com", role="author")
    make_user("subscriber", email="grace@example.com")

    with pytest.raises(Conflict) as refused:
        invites.begin_accept(issued.token, display_name="Grace")

    assert refused.value.code == "USER_EXISTS"


def test_accepting_needs_a_display_name(admin):
    issued, _ = invites.create_invite(admin, email="grace@example.com", role="author")

    with pytest.raises(ValidationFailed) as refused:
        invites.begin_accept(issued.token, display_name="  ")

    assert set(refused.value.fields) == {"display_name"}


@pytest.mark.parametrize("action", [invites.revoke_invite, invites.resend_invite])
def test_unknown_invites_are_not_found(admin, action):
    magic = AccessLink.objects.create(
        purpose=AccessLink.MAGIC, secret_hash="x" * 64, expires_at=timezone.now()
    )

    for invite_id in ("nope", magic.pk):
        with pytest.raises(NotFound) as missing:
            action(admin, invite_id)
        assert missing.value.code == "INVITE_NOT_FOUND"
