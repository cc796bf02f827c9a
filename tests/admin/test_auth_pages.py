"""Signed-out pages: sign-in, sign-in links, first-run setup, invites, sign-out."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from emdash.accounts import links, setup
from emdash.accounts.invites import create_invite
from emdash.accounts.models import AccessLink, User
from emdash.accounts.users import actor_for_user
from tests.admin.conftest import ADMIN, elements, messages_of, signed_in
from tests.api.conftest import link_token
from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOGIN = ADMIN + "login/"
LINK_SENT = "If that address has an account, a sign-in link is on its way."


def test_login_page_has_the_passkey_button_and_the_email_form(administrator):
    response = Client().get(LOGIN)

    assert response.status_code == 200
    html = response.content
    assert elements(
        html,
        "button",
        data_action="sign-in-passkey",
        data_options_url="/_emdash/api/auth/passkey/options",
        data_verify_url="/_emdash/api/auth/passkey/verify",
    )
    [form] = elements(html, "form", action="/_emdash/admin/login/email/")
    assert form["method"] == "post"
    assert elements(html, "input", name="email", type="email")
    assert "not set up yet" not in response.content.decode()


def test_login_page_keeps_a_safe_next_and_drops_another_site():
    make_user("administrator")
    kept = Client().get(LOGIN, {"next": "/_emdash/admin/users/"})
    dropped = Client().get(LOGIN, {"next": "https://evil.example/_emdash/admin/"})

    assert elements(kept.content, "input", name="next", value="/_emdash/admin/users/")
    assert elements(dropped.content, "input", name="next") == []


def test_before_setup_the_login_page_points_to_the_setup_url_and_offers_no_sign_in():
    response = Client().get(LOGIN)

    text = response.content.decode()
    assert "This site is not set up yet." in text
    assert "emdash setup-url" in text
    assert elements(response.content, "button", data_action="sign-in-passkey") == []
    assert elements(response.content, "input", name="email") == []


def test_anonymous_visitors_are_sent_to_sign_in_and_come_back(administrator):
    response = Client().get(ADMIN + "users/?q=ada")

    assert response.status_code == 302
    assert (
        response["Location"] == LOGIN + "?next=%2F_emdash%2Fadmin%2Fusers%2F%3Fq%3Dada"
    )


def test_a_signed_in_visitor_skips_the_login_page(admin_client):
    response = admin_client.get(LOGIN, {"next": "/_emdash/admin/account/"})

    assert response.status_code == 302
    assert response["Location"] == "/_emdash/admin/account/"


@pytest.mark.parametrize("email", ["ada@example.com", "nobody@example.com"])
def test_asking_for_a_link_answers_the_same_whether_or_not_the_address_exists(
    administrator, email
):
    response = Client().post(LOGIN + "email/", {"email": email}, follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    assert messages_of(response) == [LINK_SENT]
    sent = [message.to for message in mail.outbox]
    assert sent == ([["ada@example.com"]] if email == "ada@example.com" else [])


def test_a_malformed_email_address_is_named_as_such(administrator):
    response = Client().post(LOGIN + "email/", {"email": "not an address"})

    assert response.status_code == 400
    [field] = elements(response.content, "input", name="email")
    assert field["aria-invalid"] == "true"
    assert "login-email-errors" in field["aria-describedby"]
    assert "Enter a valid email address" in response.content.decode()
    assert mail.outbox == []


def test_too_many_link_requests_show_the_rate_limit_message(administrator):
    client = Client()
    for _ in range(3):
        client.post(LOGIN + "email/", {"email": "ada@example.com"}, follow=True)

    response = client.post(LOGIN + "email/", {"email": "ada@example.com"})

    assert response.status_code == 429
    [message] = messages_of(response)
    assert message.startswith("Too many")
    assert len(mail.outbox) == 3


def test_the_link_page_asks_to_confirm_and_signing_in_uses_it_up(administrator):
    issued = links.issue(
        AccessLink.MAGIC, email=administrator.email, user=administrator
    )
    path = f"{LOGIN}link/{issued.token}/"
    client = Client()

    page = client.get(path)
    assert page.status_code == 200
    assert "ada@example.com" in page.content.decode()
    assert elements(page.content, "form", method="post")
    assert client.get(ADMIN).status_code == 302  # a GET signs nobody in

    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200

    again = Client().post(path)
    assert again.status_code == 410
    assert "This link has already been used." in again.content.decode()


def test_a_forged_sign_in_link_is_refused():
    response = Client().get(f"{LOGIN}link/forged.token.value/")

    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()


@pytest.fixture
def setup_token(db: None) -> str:
    return link_token(setup.issue_setup_url())


def test_the_setup_page_holds_the_contract_form(setup_token):
    response = Client().get(f"{ADMIN}setup/{setup_token}/")

    assert response.status_code == 200
    html = response.content
    for name in ("site_title", "display_name", "email"):
        [field] = elements(html, "input", name=name)
        assert "required" in field
    assert elements(html, "input", type="hidden", name="token", value=setup_token)
    assert elements(
        html,
        "button",
        data_action="register-passkey",
        data_options_url="/_emdash/api/setup/options",
        data_verify_url="/_emdash/api/setup/verify",
    )
    assert response["Cache-Control"].count("no-store") == 1


def test_a_forged_setup_token_gets_an_error_page_not_a_form(setup_token):
    forged = setup_token[:-4] + ("AAAA" if not setup_token.endswith("AAAA") else "BBBB")

    response = Client().get(f"{ADMIN}setup/{forged}/")

    assert response.status_code == 400
    text = response.content.decode()
    assert "This link is not valid" in text
    assert "emdash setup-url" in text
    assert elements(response.content, "input", name="site_title") == []


def test_a_used_setup_token_is_gone(setup_token):
    AccessLink.objects.filter(purpose=AccessLink.SETUP).update(used_at=timezone.now())

    response = Client().get(f"{ADMIN}setup/{setup_token}/")

    assert response.status_code == 410
    assert "This link has already been used." in response.content.decode()
    assert elements(response.content, "input", name="site_title") == []


def test_an_expired_setup_token_is_gone(setup_token):
    AccessLink.objects.filter(purpose=AccessLink.SETUP).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    response = Client().get(f"{ADMIN}setup/{setup_token}/")

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


def test_a_replaced_setup_token_is_refused(setup_token):
    setup.issue_setup_url()  # a fresh URL revokes the earlier one

    response = Client().get(f"{ADMIN}setup/{setup_token}/")

    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_once_set_up_the_setup_page_is_a_conflict(setup_token):
    make_user("administrator")

    response = Client().get(f"{ADMIN}setup/{setup_token}/")

    assert response.status_code == 409
    text = response.content.decode()
    assert "This site has an administrator already; sign in instead." in text
    assert elements(response.content, "input", name="site_title") == []
    assert elements(response.content, "a", href=LOGIN)


def test_the_invite_page_asks_for_a_name_and_a_passkey(administrator):
    issued, _ = create_invite(
        actor_for_user(administrator), email="grace@example.com", role="editor"
    )

    response = Client().get(f"{ADMIN}invite/{issued.token}/")

    assert response.status_code == 200
    html = response.content
    text = html.decode()
    assert "grace@example.com" in text
    assert "Editor" in text
    assert elements(html, "input", name="display_name")
    assert elements(html, "input", type="hidden", name="token", value=issued.token)
    assert elements(
        html,
        "button",
        data_action="register-passkey",
        data_options_url="/_emdash/api/invites/accept/options",
        data_verify_url="/_emdash/api/invites/accept/verify",
    )


def test_a_revoked_invite_is_refused(administrator):
    issued, _ = create_invite(
        actor_for_user(administrator), email="grace@example.com", role="editor"
    )
    AccessLink.objects.filter(pk=issued.link.pk).update(revoked_at=timezone.now())

    response = Client().get(f"{ADMIN}invite/{issued.token}/")

    assert response.status_code == 410
    assert "This link has been withdrawn." in response.content.decode()
    assert elements(response.content, "input", name="display_name") == []


def test_logout_is_post_only_and_ends_the_session(administrator: User):
    client = signed_in(administrator)

    refused = client.get(ADMIN + "logout/")
    assert refused.status_code == 405
    assert client.get(ADMIN).status_code == 200

    response = client.post(ADMIN + "logout/", follow=True)
    assert response.redirect_chain == [(LOGIN, 302)]
    assert messages_of(response) == ["You are signed out."]
    assert client.get(ADMIN).status_code == 302
