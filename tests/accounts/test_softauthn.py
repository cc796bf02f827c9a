"""The software authenticator runs real ceremonies against emdash.accounts.passkeys,
and each negative-test knob produces the refusal a real misbehaving browser would."""

import json
from typing import Any

import cbor2
import pytest
from webauthn.helpers import base64url_to_bytes

from emdash.accounts import passkeys
from emdash.accounts.models import Passkey
from emdash.core.errors import BadRequest, Unauthenticated
from tests.factories import make_user
from tests.softauthn import AuthenticatorError, SoftAuthenticator, b64url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "http://localhost:8000"
    settings.WEBAUTHN_ORIGINS = []


def register(authenticator: SoftAuthenticator, user: Any) -> Passkey:
    options, challenge_id = passkeys.begin_registration(user)
    credential = authenticator.create(json.loads(options))
    return passkeys.finish_registration(user, challenge_id, credential, name="Soft")


def sign_in(authenticator: SoftAuthenticator, user: Any = None, **kwargs: Any) -> Any:
    options, challenge_id = passkeys.begin_authentication(user)
    return passkeys.finish_authentication(
        challenge_id, authenticator.get(options, **kwargs)
    )


def test_a_soft_passkey_registers_and_signs_in_with_and_without_a_user():
    user = make_user("author")
    authenticator = SoftAuthenticator()

    passkey = register(authenticator, user)

    assert passkey.credential_id == b64url(authenticator.credential_ids[0])
    assert passkey.aaguid == "00000000-0000-0000-0000-000000000000"
    assert passkey.transports == ["internal"]
    assert bytes(passkey.user_handle) == bytes(user.passkey_handle)
    assert sign_in(authenticator) == user
    assert sign_in(authenticator, user) == user
    passkey.refresh_from_db()
    assert passkey.sign_count == 2


def test_the_responses_have_the_browser_json_shape():
    user = make_user("author")
    authenticator = SoftAuthenticator()
    options, _ = passkeys.begin_registration(user)

    created = authenticator.create(options)

    assert created["type"] == "public-key"
    assert created["authenticatorAttachment"] == "platform"
    assert "=" not in created["response"]["attestationObject"]
    client_data = json.loads(base64url_to_bytes(created["response"]["clientDataJSON"]))
    assert client_data == {
        "type": "webauthn.create",
        "challenge": json.loads(options)["challenge"],
        "origin": "http://localhost:8000",
        "crossOrigin": False,
    }
    attestation = cbor2.loads(
        base64url_to_bytes(created["response"]["attestationObject"])
    )
    assert (attestation["fmt"], attestation["attStmt"]) == ("none", {})
    assert attestation["authData"][32] == 0x45  # UP | UV | AT


def test_each_user_gets_its_own_credential_from_an_allow_list():
    first, second = make_user("author"), make_user("editor")
    authenticator = SoftAuthenticator()
    register(authenticator, first)
    register(authenticator, second)

    assert sign_in(authenticator, second) == second
    assert sign_in(authenticator, first) == first
    assert (
        sign_in(authenticator, credential_id=authenticator.credential_ids[1]) == second
    )


def test_an_authenticator_refuses_to_register_twice_for_the_same_user():
    user = make_user("author")
    authenticator = SoftAuthenticator()
    register(authenticator, user)
    options, _ = passkeys.begin_registration(user)

    with pytest.raises(AuthenticatorError):
        authenticator.create(options)


def test_a_wrong_origin_is_refused():
    user = make_user("author")
    authenticator = SoftAuthenticator()
    register(authenticator, user)
    authenticator.origin = "https://evil.example"

    with pytest.raises(Unauthenticated) as caught:
        sign_in(authenticator)

    assert caught.value.code == "WRONG_ORIGIN"


def test_a_registration_from_a_wrong_origin_is_refused():
    authenticator = SoftAuthenticator(origin="https://evil.example")

    with pytest.raises(BadRequest) as caught:
        register(authenticator, make_user("author"))

    assert caught.value.code == "WRONG_ORIGIN"
    assert Passkey.objects.count() == 0


def test_a_wrong_rp_id_is_refused():
    user = make_user("author")
    authenticator = SoftAuthenticator()
    register(authenticator, user)
    authenticator.rp_id_override = "evil.example"

    with pytest.raises(Unauthenticated) as caught:
        sign_in(authenticator)

    assert caught.value.code == "WRONG_RP_ID"


def test_an_unverified_user_is_refused():
    with pytest.raises(BadRequest) as caught:
        register(SoftAuthenticator(user_verified=False), make_user("author"))

    assert caught.value.code == "USER_VERIFICATION_REQUIRED"


def test_an_unverified_sign_in_is_refused():
    authenticator = SoftAuthenticator()
    register(authenticator, make_user("author"))
    authenticator.user_verified = False

    with pytest.raises(Unauthenticated) as caught:
        sign_in(authenticator)

    assert caught.value.code == "USER_VERIFICATION_REQUIRED"


def test_a_counter_moved_back_looks_like_a_clone():
    user = make_user("author")
    authenticator = SoftAuthenticator()
    register(authenticator, user)
    sign_in(authenticator)
    sign_in(authenticator)
    authenticator.set_sign_count(authenticator.credential_ids[0], 0)

    with pytest.raises(Unauthenticated) as caught:
        sign_in(authenticator)

    assert caught.value.code == "CLONED_AUTHENTICATOR"


def test_an_authenticator_without_a_credential_for_the_site_says_so():
    options, _ = passkeys.begin_authentication()

    with pytest.raises(AuthenticatorError):
        SoftAuthenticator().get(options)
