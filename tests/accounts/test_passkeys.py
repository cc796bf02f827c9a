"""Passkey ceremonies against the database, driven by ceremonies Chromium's virtual
authenticator recorded (../shared/corpora/webauthn). Their challenges were one-off,
so each test stores the recorded challenge as if ``begin_*`` had issued it."""

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from webauthn.helpers import base64url_to_bytes

from emdash.accounts import passkeys
from emdash.accounts.models import Passkey, User, WebAuthnChallenge
from emdash.core.errors import BadRequest, Conflict, Unauthenticated
from emdash.core.ids import new_id
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[3] / "shared/corpora/webauthn"
RECORDED = {
    v["id"]: v
    for v in json.loads(
        (CORPUS / "chromium_virtual_authenticator_vectors.json").read_text()
    )["vectors"]
}
VERIFIED = [
    "ctap2-internal-ES256-none-uv",
    "ctap2-internal-ES256-packed-uv",
    "ctap2-internal-RS256-none-uv",
    "ctap2-internal-EdDSA-none-uv",
]
ES256 = RECORDED["ctap2-internal-ES256-none-uv"]


@pytest.fixture(autouse=True)
def _site_where_chromium_recorded(settings: Any) -> None:
    settings.SITE_URL = ES256["origin"]  # http://localhost:8125


def issue_registration(user: User, vector: dict[str, Any]) -> str:
    options = vector["registration"]["options"]
    return passkeys.store_challenge(
        base64url_to_bytes(options["challenge"]),
        purpose="register",
        user=user,
        user_handle=base64url_to_bytes(options["user"]["id"]),
    ).pk


def issue_authentication(vector: dict[str, Any], user: User | None = None) -> str:
    challenge = vector["authentication"]["options"]["challenge"]
    return passkeys.store_challenge(
        base64url_to_bytes(challenge), purpose="authenticate", user=user
    ).pk


def register(user: User, vector: dict[str, Any], name: str = "Laptop") -> Passkey:
    return passkeys.finish_registration(
        user,
        issue_registration(user, vector),
        vector["registration"]["credential"],
        name=name,
    )


def sign_in(vector: dict[str, Any], **kwargs: Any) -> User:
    return passkeys.finish_authentication(
        issue_authentication(vector), vector["authentication"]["credential"], **kwargs
    )


@pytest.mark.parametrize("vector_id", VERIFIED)
def test_a_recorded_passkey_registers_and_signs_in(vector_id):
    vector = RECORDED[vector_id]
    expected = vector["registration"]["expected"]
    user = make_user("author")

    passkey = register(user, vector, name="  Work laptop ")

    assert passkey.credential_id == expected["credential_id"]
    assert bytes(passkey.public_key) == base64url_to_bytes(
        expected["credential_public_key"]
    )
    assert passkey.sign_count == 1
    assert passkey.aaguid == expected["aaguid"]
    assert passkey.transports == ["internal"]
    assert passkey.name == "Work laptop"
    assert bytes(passkey.user_handle) == b"user-0001"

    assert sign_in(vector) == user

    passkey.refresh_from_db()
    assert passkey.sign_count == 2
    assert passkey.last_used_at is not None
    assert WebAuthnChallenge.objects.filter(used_at__isnull=True).count() == 0


def test_a_user_holds_several_passkeys_and_is_offered_each():
    user = make_user("editor")
    for vector_id in VERIFIED:
        register(user, RECORDED[vector_id], name=vector_id)

    options, _ = passkeys.begin_authentication(user)

    assert Passkey.objects.filter(user=user).count() == 4
    offered = [c["id"] for c in json.loads(options)["allowCredentials"]]
    assert offered == [
        RECORDED[v]["registration"]["expected"]["credential_id"] for v in VERIFIED
    ]


def test_registration_options_carry_the_policy_and_the_challenge_is_stored_hashed():
    user = make_user("editor")
    before = timezone.now()

    options_json, challenge_id = passkeys.begin_registration(user)

    options = json.loads(options_json)
    assert options["rp"] == {"id": "localhost", "name": "EmDash"}
    assert options["user"]["name"] == user.email
    assert base64url_to_bytes(options["user"]["id"]) == bytes(user.passkey_handle)
    assert len(user.passkey_handle) == 32
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -8, -257]
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    row = WebAuthnChallenge.objects.get()
    assert row.pk == challenge_id
    assert row.purpose == "register"
    assert row.user == user
    challenge = base64url_to_bytes(options["challenge"])
    assert row.challenge_hash == hashlib.sha256(challenge).hexdigest()
    assert options["challenge"] not in str(WebAuthnChallenge.objects.values().get())
    assert before + timedelta(minutes=5) <= row.expires_at
    assert row.expires_at <= timezone.now() + timedelta(minutes=5)


def test_usernameless_sign_in_offers_an_empty_allow_list():
    options_json, challenge_id = passkeys.begin_authentication()

    options = json.loads(options_json)
    assert options["allowCredentials"] == []
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    row = WebAuthnChallenge.objects.get(pk=challenge_id)
    assert (row.purpose, row.user) == ("authenticate", None)


def test_a_registration_challenge_is_single_use():
    user = make_user("editor")
    challenge_id = issue_registration(user, ES256)
    credential = ES256["registration"]["credential"]
    passkeys.finish_registration(user, challenge_id, credential, name="Laptop")

    with pytest.raises(BadRequest) as caught:
        passkeys.finish_registration(user, challenge_id, credential, name="Again")

    assert caught.value.code == "CHALLENGE_USED"
    assert Passkey.objects.count() == 1


def test_a_sign_in_challenge_is_single_use():
    user = make_user("editor")
    register(user, ES256)
    challenge_id = issue_authentication(ES256)
    credential = ES256["authentication"]["credential"]
    passkeys.finish_authentication(challenge_id, credential)

    with pytest.raises(Unauthenticated) as caught:
        passkeys.finish_authentication(challenge_id, credential)

    assert caught.value.code == "CHALLENGE_USED"
    assert Passkey.objects.get().sign_count == 2


def test_an_expired_challenge_is_refused():
    user = make_user("editor")
    challenge_id = issue_registration(user, ES256)
    WebAuthnChallenge.objects.filter(pk=challenge_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises(BadRequest) as caught:
        passkeys.finish_registration(
            user, challenge_id, ES256["registration"]["credential"], name="Laptop"
        )

    assert caught.value.code == "CHALLENGE_EXPIRED"
    assert Passkey.objects.count() == 0


def test_an_expired_sign_in_challenge_is_refused():
    register(make_user("editor"), ES256)
    challenge_id = issue_authentication(ES256)
    WebAuthnChallenge.objects.filter(pk=challenge_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises(Unauthenticated) as caught:
        passkeys.finish_authentication(
            challenge_id, ES256["authentication"]["credential"]
        )

    assert caught.value.code == "CHALLENGE_EXPIRED"
    assert Passkey.objects.get().sign_count == 1


def test_an_unknown_challenge_is_refused():
    with pytest.raises(Unauthenticated) as caught:
        passkeys.finish_authentication(new_id(), ES256["authentication"]["credential"])

    assert caught.value.code == "CHALLENGE_UNKNOWN"


def test_a_challenge_issued_for_sign_in_cannot_finish_a_registration():
    user = make_user("editor")
    challenge_id = issue_authentication(ES256)

    with pytest.raises(BadRequest) as caught:
        passkeys.finish_registration(
            user, challenge_id, ES256["registration"]["credential"], name="Laptop"
        )

    assert caught.value.code == "CHALLENGE_UNKNOWN"


def test_a_challenge_issued_to_another_user_is_refused():
    alice, mallory = make_user("editor"), make_user("editor")
    challenge_id = issue_registration(alice, ES256)

    with pytest.raises(BadRequest) as caught:
        passkeys.finish_registration(
            mallory, challenge_id, ES256["registration"]["credential"], name="Mine"
        )

    assert caught.value.code == "CHALLENGE_UNKNOWN"
    assert Passkey.objects.count() == 0


def test_a_response_to_a_different_challenge_is_refused():
    user = make_user("editor")
    other = RECORDED["ctap2-internal-RS256-none-uv"]
    challenge_id = issue_registration(user, other)

    with pytest.raises(BadRequest) as caught:
        passkeys.finish_registration(
            user, challenge_id, ES256["registration"]["credential"], name="Laptop"
        )

    assert caught.value.code == "CHALLENGE_MISMATCH"
    assert Passkey.objects.count() == 0


def test_a_wrong_origin_is_refused_at_registration():
    user = make_user("editor")

    with pytest.raises(BadRequest) as caught:
        passkeys.finish_registration(
            user,
            issue_registration(user, ES256),
            ES256["registration"]["credential"],
            name="Laptop",
            origins=["http://localhost:8000", "https://localhost:8125"],
        )

    assert caught.value.code == "WRONG_ORIGIN"
    assert Passkey.objects.count() == 0


def test_a_wrong_origin_is_refused_at_sign_in():
    register(make_user("editor"), ES256)

    with pytest.raises(Unauthenticated) as caught:
        sign_in(ES256, origins=["http://localhost:8000"])

    assert caught.value.code == "WRONG_ORIGIN"
    assert Passkey.objects.get().sign_count == 1


def test_a_wrong_relying_party_id_is_refused(settings):
    user = make_user("editor")
    settings.SITE_URL = "http://example.com:8125"

    with pytest.raises(BadRequest) as caught:
        passkeys.finish_registration(
            user,
            issue_registration(user, ES256),
            ES256["registration"]["credential"],
            name="Laptop",
            origins=[ES256["origin"]],
        )

    assert caught.value.code == "WRONG_RP_ID"
    assert Passkey.objects.count() == 0


def test_a_wrong_relying_party_id_is_refused_at_sign_in(settings):
    register(make_user("editor"), ES256)
    settings.SITE_URL = "http://example.com:8125"

    with pytest.raises(Unauthenticated) as caught:
        sign_in(ES256, origins=[ES256["origin"]])

    assert caught.value.code == "WRONG_RP_ID"


def test_a_signature_counter_going_backwards_is_a_cloned_authenticator():
    user = make_user("editor")
    register(user, ES256)
    Passkey.objects.update(sign_count=5)  # we saw 5; the authenticator now says 2

    with pytest.raises(Unauthenticated) as caught:
        sign_in(ES256)

    assert caught.value.code == "CLONED_AUTHENTICATOR"
    passkey = Passkey.objects.get()
    assert (passkey.sign_count, passkey.last_used_at) == (5, None)


def test_a_signature_counter_standing_still_is_a_cloned_authenticator():
    register(make_user("editor"), ES256)
    Passkey.objects.update(sign_count=2)

    with pytest.raises(Unauthenticated) as caught:
        sign_in(ES256)

    assert caught.value.code == "CLONED_AUTHENTICATOR"


def test_an_authenticator_without_user_verification_is_refused():
    user = make_user("editor")

    with pytest.raises(BadRequest) as caught:
        register(user, RECORDED["ctap2-usb-ES256-packed-noUV"])

    assert caught.value.code == "USER_VERIFICATION_REQUIRED"
    assert Passkey.objects.count() == 0


def test_an_unregistered_passkey_cannot_sign_in():
    with pytest.raises(Unauthenticated) as caught:
        sign_in(ES256)

    assert caught.value.code == "UNKNOWN_CREDENTIAL"


def test_a_passkey_of_another_user_cannot_answer_a_challenge_for_this_user():
    alice, bob = make_user("editor"), make_user("editor")
    register(alice, ES256)
    challenge_id = issue_authentication(ES256, user=bob)

    with pytest.raises(Unauthenticated) as caught:
        passkeys.finish_authentication(
            challenge_id, ES256["authentication"]["credential"]
        )

    assert caught.value.code == "UNKNOWN_CREDENTIAL"


def test_a_user_handle_that_does_not_match_the_passkey_is_refused():
    register(make_user("editor"), ES256)
    Passkey.objects.update(user_handle=b"someone-else")

    with pytest.raises(Unauthenticated) as caught:
        sign_in(ES256)

    assert caught.value.code == "UNKNOWN_CREDENTIAL"


def test_the_same_passkey_cannot_be_registered_twice():
    user = make_user("editor")
    register(user, ES256)

    with pytest.raises(Conflict) as caught:
        register(user, ES256)

    assert caught.value.code == "CREDENTIAL_EXISTS"
    assert Passkey.objects.count() == 1


def test_a_disabled_user_cannot_sign_in():
    user = make_user("editor")
    register(user, ES256)
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(Unauthenticated) as caught:
        sign_in(ES256)

    assert caught.value.code == "USER_DISABLED"


def test_challenges_long_expired_are_swept_when_a_new_one_is_stored():
    user = make_user("editor")
    old = passkeys.store_challenge(b"old", purpose="register", user=user)
    recent = passkeys.store_challenge(b"recent", purpose="register", user=user)
    now = timezone.now()
    WebAuthnChallenge.objects.filter(pk=old.pk).update(
        expires_at=now - passkeys.CHALLENGE_KEPT - timedelta(seconds=1)
    )
    WebAuthnChallenge.objects.filter(pk=recent.pk).update(
        expires_at=now - timedelta(minutes=1)
    )

    passkeys.store_challenge(b"new", purpose="register", user=user)

    assert not WebAuthnChallenge.objects.filter(pk=old.pk).exists()
    # A recently expired one stays, so its late answer is told it expired.
    assert WebAuthnChallenge.objects.filter(pk=recent.pk).exists()
