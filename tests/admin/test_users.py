"""The users page: list, invites, roles and status, and its refusals."""

import pytest
from django.core import mail

from emdash.accounts.models import AccessLink, User
from tests.admin.conftest import ADMIN, elements, messages_of, signed_in
from tests.factories import make_user

pytestmark = pytest.mark.django_db

USERS = ADMIN + "users/"


def test_people_are_listed_with_role_and_status(admin_client):
    editor = make_user("editor", "eve@example.com")
    editor.is_active = False
    editor.save()

    response = admin_client.get(USERS)

    assert response.status_code == 200
    html = response.content.decode()
    assert [u.email for u in response.context["members"]] == [
        "ada@example.com",
        "eve@example.com",
    ]
    assert '<span class="badge badge--status-disabled">Disabled</span>' in html
    [select] = elements(response.content, "select", id=f"role-{editor.pk}")
    assert select["name"] == "role"
    assert elements(response.content, "label", **{"for": f"role-{editor.pk}"})


def test_an_administrator_invites_and_sees_the_link_once(admin_client):
    response = admin_client.post(
        USERS + "invite/", {"email": "grace@example.com", "role": "editor"}, follow=True
    )

    assert response.redirect_chain == [(USERS + "#new-invite", 302)]
    [link] = elements(response.content, "input", id="invite-link")
    assert link["value"].startswith("http://localhost:8000/_emdash/admin/invite/")
    assert "The invite was emailed to grace@example.com." in response.content.decode()
    assert [m.to for m in mail.outbox] == [["grace@example.com"]]
    assert link["value"] in mail.outbox[0].body
    assert elements(response.content, "button", data_action="copy")
    invite = AccessLink.objects.get(purpose=AccessLink.INVITE)
    assert (invite.email, invite.role) == ("grace@example.com", "editor")
    assert "grace@example.com" in response.content.decode().split("Pending invites")[1]

    reloaded = admin_client.get(USERS)
    assert elements(reloaded.content, "input", id="invite-link") == []


def test_a_bad_invite_names_the_field_and_keeps_what_was_typed(admin_client):
    response = admin_client.post(
        USERS + "invite/", {"email": "not-an-address", "role": "editor"}
    )

    assert response.status_code == 422
    [field] = elements(response.content, "input", name="email", id="invite-email")
    assert field["value"] == "not-an-address"
    assert field["aria-invalid"] == "true"
    assert field["aria-describedby"] == "invite-email-errors"
    assert "Enter a valid email address" in response.content.decode()
    assert not AccessLink.objects.filter(purpose=AccessLink.INVITE).exists()


def test_inviting_someone_who_has_an_account_is_refused(admin_client):
    response = admin_client.post(
        USERS + "invite/", {"email": "ada@example.com", "role": "editor"}
    )

    assert response.status_code == 409
    assert messages_of(response) == ["ada@example.com has an account already."]


def test_resending_shows_a_new_link_and_revoking_withdraws_it(admin_client):
    admin_client.post(USERS + "invite/", {"email": "g@example.com", "role": "author"})
    invite = AccessLink.objects.get(purpose=AccessLink.INVITE)
    first_url = mail.outbox[0].body

    resent = admin_client.post(USERS + f"invites/{invite.pk}/resend/", follow=True)
    [link] = elements(resent.content, "input", id="invite-link")
    assert link["value"] not in first_url
    assert len(mail.outbox) == 2

    revoked = admin_client.post(USERS + f"invites/{invite.pk}/revoke/", follow=True)
    assert messages_of(revoked) == ["The invite for g@example.com is revoked."]
    assert list(revoked.context["invites"]) == []


def test_an_administrator_changes_a_role(admin_client):
    editor = make_user("editor", "eve@example.com")

    response = admin_client.post(
        USERS + f"{editor.pk}/role/", {"role": "author"}, follow=True
    )

    assert messages_of(response) == ["Editor User is now Author."]
    editor.refresh_from_db()
    assert editor.role == "author"


def test_the_last_administrator_cannot_be_demoted(admin_client, administrator):
    response = admin_client.post(
        USERS + f"{administrator.pk}/role/", {"role": "editor"}, follow=True
    )

    assert response.status_code == 200
    assert messages_of(response) == [
        "Cannot demote the last administrator: make someone else an administrator "
        "first."
    ]
    administrator.refresh_from_db()
    assert administrator.role == "administrator"


def test_an_unknown_role_is_refused_with_the_reason(admin_client):
    editor = make_user("editor")

    response = admin_client.post(
        USERS + f"{editor.pk}/role/", {"role": "wizard"}, follow=True
    )

    [message] = messages_of(response)
    assert message.startswith("There is no role 'wizard'. (role: unknown role;")
    editor.refresh_from_db()
    assert editor.role == "editor"


def test_disabling_ends_the_users_sessions_and_enabling_lets_them_back(
    admin_client,
):
    editor = make_user("editor", "eve@example.com")
    their_client = signed_in(editor)
    assert their_client.get(ADMIN).status_code == 200

    response = admin_client.post(
        USERS + f"{editor.pk}/status/", {"is_active": "false"}, follow=True
    )

    assert messages_of(response) == [
        "Editor User is disabled and signed out everywhere."
    ]
    assert their_client.get(ADMIN).status_code == 302
    admin_client.post(USERS + f"{editor.pk}/status/", {"is_active": "true"})
    assert User.objects.get(pk=editor.pk).is_active


def test_an_editor_may_not_open_the_users_page(administrator):
    editor = signed_in(make_user("editor"))

    response = editor.get(USERS)
    forged = editor.post(
        USERS + "invite/", {"email": "x@example.com", "role": "editor"}
    )

    assert response.status_code == 403
    assert "lacks the permission users:read" in response.content.decode()
    assert forged.status_code == 403
    assert not AccessLink.objects.filter(purpose=AccessLink.INVITE).exists()
