"""The account page: name, passkeys, tokens, signing out everywhere."""

import pytest
from django.test import Client

from emdash.accounts.models import ApiToken, Passkey
from emdash.accounts.tokens import actor_for_token
from tests.admin.conftest import (
    ADMIN,
    elements,
    error_list,
    make_passkey,
    messages_of,
    signed_in,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ACCOUNT = ADMIN + "account/"


def test_the_account_page_lists_passkeys_and_offers_to_add_one(
    admin_client, administrator
):
    make_passkey(administrator, "Laptop")

    response = admin_client.get(ACCOUNT)

    assert response.status_code == 200
    [name] = elements(response.content, "input", name="name", value="Laptop")
    assert elements(response.content, "label", **{"for": name["id"]})
    assert elements(
        response.content,
        "button",
        data_action="register-passkey",
        data_options_url="/_emdash/api/me/passkeys/options",
        data_verify_url="/_emdash/api/me/passkeys/verify",
    )
    assert elements(response.content, "input", id="new-passkey-name", name="name")


def test_renaming_a_passkey(admin_client, administrator):
    passkey = make_passkey(administrator, "Laptop")

    response = admin_client.post(
        ACCOUNT + f"passkeys/{passkey.pk}/rename/",
        {"name": "  Work laptop "},
        follow=True,
    )

    assert messages_of(response) == ["Passkey renamed to “Work laptop”."]
    passkey.refresh_from_db()
    assert passkey.name == "Work laptop"


def test_an_empty_passkey_name_is_refused(admin_client, administrator):
    passkey = make_passkey(administrator, "Laptop")

    response = admin_client.post(
        ACCOUNT + f"passkeys/{passkey.pk}/rename/", {"name": " "}, follow=True
    )

    assert messages_of(response) == [
        "The passkey name is invalid. (name: must be 1-100 characters)"
    ]
    passkey.refresh_from_db()
    assert passkey.name == "Laptop"


def test_removing_a_passkey_but_never_the_last(admin_client, administrator):
    laptop = make_passkey(administrator, "Laptop")
    phone = make_passkey(administrator, "Phone")

    removed = admin_client.post(ACCOUNT + f"passkeys/{laptop.pk}/remove/", follow=True)
    refused = admin_client.post(ACCOUNT + f"passkeys/{phone.pk}/remove/", follow=True)

    assert messages_of(removed) == ["Passkey removed."]
    assert messages_of(refused) == [
        "This is the last passkey of the account; add another before removing it."
    ]
    assert list(Passkey.objects.values_list("name", flat=True)) == ["Phone"]


def test_someone_elses_passkey_cannot_be_touched(administrator):
    theirs = make_passkey(administrator, "Laptop")
    make_passkey(administrator, "Phone")
    editor = signed_in(make_user("editor"))

    response = editor.post(ACCOUNT + f"passkeys/{theirs.pk}/remove/", follow=True)

    assert messages_of(response) == [f"No passkey '{theirs.pk}'."]
    assert Passkey.objects.filter(pk=theirs.pk).exists()


def test_renaming_yourself(admin_client, administrator):
    response = admin_client.post(
        ACCOUNT + "profile/", {"display_name": "Ada King"}, follow=True
    )

    assert messages_of(response) == ["Your name is saved."]
    administrator.refresh_from_db()
    assert administrator.display_name == "Ada King"


def test_an_empty_display_name_is_refused(admin_client, administrator):
    response = admin_client.post(ACCOUNT + "profile/", {"display_name": "  "})

    assert response.status_code == 422
    [field] = elements(response.content, "input", name="display_name")
    assert field["aria-invalid"] == "true"
    assert "profile-display-name-errors" in field["aria-describedby"]
    assert "Enter the name to show for you" in response.content.decode()
    administrator.refresh_from_db()
    assert administrator.display_name == "Ada Lovelace"


def test_a_new_token_is_shown_once_and_works(admin_client, administrator):
    response = admin_client.post(
        ACCOUNT + "tokens/",
        {"name": "Laptop CLI", "scopes": ["content:read", "media:read"]},
        follow=True,
    )

    [shown] = elements(response.content, "input", id="new-token")
    plaintext = shown["value"]
    assert plaintext.startswith("ec_pat_")
    assert shown["type"] == "text"
    actor = actor_for_token(plaintext)
    assert actor.user_id == administrator.pk
    token = ApiToken.objects.get()
    assert (token.name, token.scopes, token.expires_at) == (
        "Laptop CLI",
        ["content:read", "media:read"],
        None,
    )

    again = admin_client.get(ACCOUNT)
    assert plaintext not in again.content.decode()
    assert "Laptop CLI" in again.content.decode()


def test_a_token_with_an_expiry(admin_client):
    admin_client.post(
        ACCOUNT + "tokens/",
        {"name": "Short", "scopes": ["content:read"], "expires_in_days": "7"},
    )

    token = ApiToken.objects.get()
    assert token.expires_at is not None
    assert 6 < (token.expires_at - token.created_at).total_seconds() / 86400 <= 7


@pytest.mark.parametrize(
    ("form", "errors_id", "problem"),
    [
        (
            {"name": "", "scopes": ["content:read"]},
            "token-name-errors",
            "Must be 1-100 characters",
        ),
        ({"name": "No scopes"}, "token-scopes-errors", "Give at least one of: admin,"),
        (
            {"name": "Odd", "scopes": ["content:read"], "expires_in_days": "soon"},
            "token-expiry-errors",
            "Enter a whole number of days from 1 to 3650",
        ),
    ],
)
def test_a_bad_token_request_names_the_field(admin_client, form, errors_id, problem):
    response = admin_client.post(ACCOUNT + "tokens/", form)

    assert response.status_code == 422
    assert problem in error_list(response.content, errors_id)
    assert messages_of(response) == ["The token request is invalid."]
    assert not ApiToken.objects.exists()


def test_revoking_a_token(admin_client):
    admin_client.post(ACCOUNT + "tokens/", {"name": "Old", "scopes": ["content:read"]})
    token = ApiToken.objects.get()

    response = admin_client.post(ACCOUNT + f"tokens/{token.pk}/revoke/", follow=True)

    assert messages_of(response) == ["The token “Old” is revoked."]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert '<span class="badge badge--status-revoked">Revoked</span>' in (
        response.content.decode()
    )


def test_sign_out_everywhere_ends_every_session(administrator):
    here = signed_in(administrator)
    elsewhere = signed_in(administrator)
    assert elsewhere.get(ADMIN).status_code == 200

    response = here.post(ACCOUNT + "sign-out-everywhere/", follow=True)

    assert response.redirect_chain == [(ADMIN + "login/", 302)]
    assert messages_of(response) == ["You are signed out on every device."]
    for client in (here, elsewhere):
        redirected = client.get(ADMIN)
        assert redirected.status_code == 302
        assert redirected["Location"].startswith(ADMIN + "login/")


def test_a_subscriber_manages_their_account(administrator):
    subscriber = make_user("subscriber")
    client = signed_in(subscriber)

    response = client.post(
        ACCOUNT + "tokens/", {"name": "Reader", "scopes": ["content:read"]}
    )

    assert response.status_code == 302
    assert ApiToken.objects.get().user_id == subscriber.pk


def test_anonymous_posts_go_to_sign_in():
    response = Client().post(ACCOUNT + "tokens/", {"name": "x"})

    assert response.status_code == 302
    assert response["Location"] == ADMIN + "login/"
