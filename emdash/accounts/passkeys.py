"""Passkeys: WebAuthn registration and sign-in with the ``webauthn`` package.

Two layers. The verification layer (``verify_registration``,
``verify_authentication``) is pure: it takes the expected challenge, origin(s) and
relying party id and returns what was verified, or raises a coded error; it never
touches the database, so recorded vectors can be replayed against it. The ceremony
layer (``begin_*`` / ``finish_*``) keeps single-use, expiring challenges in the
database, so any process can finish a ceremony another began.

Policy: user verification is required, only ES256, EdDSA and RS256 are offered and
accepted, and a signature counter that does not move forward (when either side is
non-zero) is refused as a cloned authenticator.
"""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    decode_credential_public_key,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialCreationOptions,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from emdash.accounts.models import (
    AccessLink,
    Passkey,
    User,
    WebAuthnChallenge,
    new_passkey_handle,
)
from emdash.core import site_settings
from emdash.core.errors import BadRequest, Conflict, EmDashError, Unauthenticated

ALLOWED_ALGORITHMS: tuple[COSEAlgorithmIdentifier, ...] = (
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
)
CHALLENGE_TTL = timedelta(minutes=5)
# Expired challenges are kept this long, so a late answer is told "expired" rather
# than "unknown", then deleted.
CHALLENGE_KEPT = timedelta(hours=1)
SWEEP_BATCH = 500
REGISTER = "register"
AUTHENTICATE = "authenticate"

# webauthn reports every failure as one exception type; its messages tell them apart.
_MESSAGE_CODES: tuple[tuple[str, str, str], ...] = (
    (
        "Client data challenge was not expected",
        "CHALLENGE_MISMATCH",
        "The response answers a different challenge.",
    ),
    (
        "Unexpected client data origin",
        "WRONG_ORIGIN",
        "The response comes from an origin this site does not accept.",
    ),
    (
        "Unexpected RP ID hash",
        "WRONG_RP_ID",
        "The passkey belongs to a different site (relying party id).",
    ),
    (
        "User verification is required",
        "USER_VERIFICATION_REQUIRED",
        "The authenticator did not verify the user (PIN or biometric).",
    ),
    (
        "Unsupported credential public key alg",
        "ALGORITHM_NOT_ALLOWED",
        "The passkey uses an algorithm this site does not accept.",
    ),
    (
        "was not greater than current count",
        "CLONED_AUTHENTICATOR",
        "The passkey's signature counter went backwards: it may have been cloned.",
    ),
)


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origins: list[str]


def relying_party(origins: list[str] | None = None) -> RelyingParty:
    """The relying party id is the host of ``SITE_URL``; the accepted origins are
    ``origins``, else ``WEBAUTHN_ORIGINS`` (EMDASH_WEBAUTHN_ORIGINS), else the origin
    of ``SITE_URL``."""
    site = urlsplit(settings.SITE_URL)
    if not site.hostname:
        raise BadRequest("SITE_URL has no host name.", code="SITE_URL_INVALID")
    default_origin = f"{site.scheme}://{site.netloc}"
    return RelyingParty(
        id=site.hostname,
        origins=list(origins or settings.WEBAUTHN_ORIGINS or [default_origin]),
    )


@dataclass(frozen=True)
class VerifiedPasskey:
    """A verified registration: what to store for the new credential."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    aaguid: str
    fmt: str
    user_verified: bool
    transports: list[str]


@dataclass(frozen=True)
class VerifiedAssertion:
    """A verified sign-in: the credential used and its new signature counter."""

    credential_id: bytes
    new_sign_count: int
    user_verified: bool
    user_handle: bytes | None


def _rejection(
    error: type[EmDashError], exc: WebAuthnException | ValueError
) -> EmDashError:
    text = str(exc)
    for needle, code, message in _MESSAGE_CODES:
        if needle in text:
            return error(message, code=code, details={"reason": text})
    return error(
        "The passkey response could not be verified.",
        code="INVALID_CREDENTIAL",
        details={"reason": text},
    )


def _parse_registration(credential: str | dict[str, Any]) -> RegistrationCredential:
    try:
        return parse_registration_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise BadRequest(
            "The passkey response is malformed.", code="INVALID_CREDENTIAL"
        ) from exc


def _parse_authentication(
    credential: str | dict[str, Any],
) -> AuthenticationCredential:
    try:
        return parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise Unauthenticated(
            "The passkey response is malformed.", code="INVALID_CREDENTIAL"
        ) from exc


def verify_registration(
    credential: str | dict[str, Any],
    *,
    expected_challenge: bytes,
    expected_origin: str | list[str],
    expected_rp_id: str,
    require_user_verification: bool = True,
    pem_root_certs_bytes_by_fmt: dict[Any, list[bytes]] | None = None,
) -> VerifiedPasskey:
    """Verify a ``navigator.credentials.create()`` response. Raises BadRequest with
    a policy or failure code."""
    parsed = _parse_registration(credential)
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=expected_challenge,
            expected_origin=expected_origin,
            expected_rp_id=expected_rp_id,
            require_user_presence=True,
            require_user_verification=require_user_verification,
            supported_pub_key_algs=list(ALLOWED_ALGORITHMS),
            pem_root_certs_bytes_by_fmt=pem_root_certs_bytes_by_fmt,
        )
    except (WebAuthnException, ValueError) as exc:
        raise _rejection(BadRequest, exc) from exc
    transports = [
        str(getattr(t, "value", t)) for t in (parsed.response.transports or [])
    ]
    return VerifiedPasskey(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        fmt=str(getattr(verified.fmt, "value", verified.fmt)),
        user_verified=verified.user_verified,
        transports=transports,
    )


def verify_authentication(
    credential: str | dict[str, Any],
    *,
    expected_challenge: bytes,
    expected_origin: str | list[str],
    expected_rp_id: str,
    credential_public_key: bytes,
    current_sign_count: int,
    require_user_verification: bool = True,
) -> VerifiedAssertion:
    """Verify a ``navigator.credentials.get()`` response against a stored public
    key. Raises Unauthenticated with a policy or failure code."""
    parsed = _parse_authentication(credential)
    try:
        alg = decode_credential_public_key(credential_public_key).alg
    except (WebAuthnException, ValueError) as exc:
        raise _rejection(Unauthenticated, exc) from exc
    if alg not in ALLOWED_ALGORITHMS:
        raise Unauthenticated(
            "The passkey uses an algorithm this site does not accept.",
            code="ALGORITHM_NOT_ALLOWED",
            details={"alg": int(alg)},
        )
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=expected_challenge,
            expected_origin=expected_origin,
            expected_rp_id=expected_rp_id,
            credential_public_key=credential_public_key,
            credential_current_sign_count=current_sign_count,
            require_user_verification=require_user_verification,
        )
    except (WebAuthnException, ValueError) as exc:
        raise _rejection(Unauthenticated, exc) from exc
    return VerifiedAssertion(
        credential_id=verified.credential_id,
        new_sign_count=verified.new_sign_count,
        user_verified=verified.user_verified,
        user_handle=parsed.response.user_handle,
    )


# --- Ceremonies -------------------------------------------------------------


def hash_challenge(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def user_handle_for(user: User) -> bytes:
    """The opaque id the authenticator stores for a user (random, no personal data)."""
    return bytes(user.passkey_handle)


def store_challenge(
    challenge: bytes,
    *,
    purpose: str,
    user: User | None = None,
    user_handle: bytes | None = None,
    link: AccessLink | None = None,
    pending: dict[str, Any] | None = None,
) -> WebAuthnChallenge:
    """Record a challenge handed to a browser; it can be answered once, within
    ``CHALLENGE_TTL``. Challenges long past their expiry are swept out here, a
    bounded batch at a time, so the table stays small without a scheduler."""
    now = timezone.now()
    stale = WebAuthnChallenge.objects.filter(expires_at__lt=now - CHALLENGE_KEPT)
    WebAuthnChallenge.objects.filter(
        pk__in=list(stale.values_list("pk", flat=True)[:SWEEP_BATCH])
    ).delete()
    return WebAuthnChallenge.objects.create(
        challenge_hash=hash_challenge(challenge),
        purpose=purpose,
        user=user,
        user_handle=user_handle,
        link=link,
        pending=pending or {},
        expires_at=now + CHALLENGE_TTL,
    )


def _consume_challenge(
    challenge_id: str, *, purpose: str, error: type[EmDashError]
) -> WebAuthnChallenge:
    """Mark a challenge used, atomically: of two concurrent answers only one wins."""
    now = timezone.now()
    claimed = WebAuthnChallenge.objects.filter(
        pk=challenge_id, purpose=purpose, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    row = WebAuthnChallenge.objects.filter(pk=challenge_id, purpose=purpose).first()
    if row is None:
        raise error(
            "This passkey request is unknown; start again.", code="CHALLENGE_UNKNOWN"
        )
    if not claimed:
        if row.used_at is not None:
            raise error(
                "This challenge was already used; start again.", code="CHALLENGE_USED"
            )
        raise error(
            "This challenge has expired; start again.", code="CHALLENGE_EXPIRED"
        )
    return row


def _answered_challenge(
    client_data_json: bytes, row: WebAuthnChallenge, error: type[EmDashError]
) -> bytes:
    """The challenge the browser signed, once checked against the stored hash."""
    try:
        challenge = parse_client_data_json(client_data_json).challenge
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise error(
            "The passkey response is malformed.", code="INVALID_CREDENTIAL"
        ) from exc
    if not secrets.compare_digest(hash_challenge(challenge), row.challenge_hash):
        raise error(
            "The response answers a different challenge.", code="CHALLENGE_MISMATCH"
        )
    return challenge


def _registration_options(
    *,
    handle: bytes,
    email: str,
    display_name: str,
    exclude: list[PublicKeyCredentialDescriptor],
) -> PublicKeyCredentialCreationOptions:
    rp = relying_party()
    return generate_registration_options(
        rp_id=rp.id,
        rp_name=site_settings.get_all()["title"][:64] or "EmDash",
        user_id=handle,
        user_name=email,
        user_display_name=display_name or email,
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=exclude,
        supported_pub_key_algs=list(ALLOWED_ALGORITHMS),
    )


def begin_registration(user: User) -> tuple[str, str]:
    """Options for ``navigator.credentials.create()`` (as JSON) and the id of the
    challenge to finish with, for a signed-in user adding a passkey. Existing
    passkeys are excluded so an authenticator does not register twice."""
    handle = user_handle_for(user)
    options = _registration_options(
        handle=handle,
        email=user.email,
        display_name=user.display_name,
        exclude=_descriptors(user),
    )
    row = store_challenge(
        options.challenge, purpose=REGISTER, user=user, user_handle=handle
    )
    return options_to_json(options), row.pk


def begin_enrolment(
    link: AccessLink, *, email: str, display_name: str, pending: dict[str, Any]
) -> tuple[str, str]:
    """Registration options for someone who has no account yet (first-run setup,
    an invite). The account is created only when the ceremony finishes, from
    ``pending`` (what the person typed), under a fresh random user handle."""
    handle = new_passkey_handle()
    options = _registration_options(
        handle=handle, email=email, display_name=display_name, exclude=[]
    )
    row = store_challenge(
        options.challenge,
        purpose=REGISTER,
        user_handle=handle,
        link=link,
        pending=pending,
    )
    return options_to_json(options), row.pk


def verify_enrolment(
    link: AccessLink,
    challenge_id: str,
    credential_json: str | dict[str, Any],
    *,
    origins: list[str] | None = None,
) -> tuple[WebAuthnChallenge, VerifiedPasskey]:
    """Verify the answer to ``begin_enrolment`` for ``link``: the challenge row
    (with the pending details and user handle) and the verified passkey."""
    return _verify_registration_answer(
        challenge_id,
        credential_json,
        origins=origins,
        issued_to=lambda row: row.link_id == link.pk and row.user_id is None,
        mismatch="This challenge was issued for another link.",
    )


def finish_registration(
    user: User,
    challenge_id: str,
    credential_json: str | dict[str, Any],
    *,
    name: str,
    origins: list[str] | None = None,
) -> Passkey:
    """Verify the browser's answer to ``begin_registration`` and store the passkey."""
    row, verified = _verify_registration_answer(
        challenge_id,
        credential_json,
        origins=origins,
        issued_to=lambda row: row.user_id == user.pk,
        mismatch="This challenge was issued to someone else.",
    )
    return save_passkey(user, verified, name=name, handle=bytes(row.user_handle or b""))


def _verify_registration_answer(
    challenge_id: str,
    credential_json: str | dict[str, Any],
    *,
    origins: list[str] | None,
    issued_to: Callable[[WebAuthnChallenge], bool],
    mismatch: str,
) -> tuple[WebAuthnChallenge, VerifiedPasskey]:
    """Use up a registration challenge (which must pass ``issued_to``) and verify
    the browser's answer to it."""
    rp = relying_party(origins)
    parsed = _parse_registration(credential_json)
    row = _consume_challenge(challenge_id, purpose=REGISTER, error=BadRequest)
    if not issued_to(row):
        raise BadRequest(mismatch, code="CHALLENGE_UNKNOWN")
    challenge = _answered_challenge(parsed.response.client_data_json, row, BadRequest)
    verified = verify_registration(
        credential_json,
        expected_challenge=challenge,
        expected_origin=rp.origins,
        expected_rp_id=rp.id,
    )
    return row, verified


def save_passkey(
    user: User, verified: VerifiedPasskey, *, name: str, handle: bytes
) -> Passkey:
    """Store a verified passkey with the user handle its authenticator was given
    (discoverable sign-in hands it back and it must match)."""
    label = (name or "").strip()[:100] or "Passkey"
    try:
        with transaction.atomic():
            return Passkey.objects.create(
                credential_id=bytes_to_base64url(verified.credential_id),
                public_key=verified.public_key,
                sign_count=verified.sign_count,
                user=user,
                user_handle=handle or user_handle_for(user),
                name=label,
                transports=verified.transports,
                aaguid=verified.aaguid,
            )
    except IntegrityError:
        raise Conflict(
            "This passkey is already registered.", code="CREDENTIAL_EXISTS"
        ) from None


def begin_authentication(user: User | None = None) -> tuple[str, str]:
    """Options for ``navigator.credentials.get()`` (as JSON) and the challenge id.
    Without a user the allow list is empty: the browser offers its discoverable
    passkeys for this site (usernameless sign-in and autofill)."""
    rp = relying_party()
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        allow_credentials=_descriptors(user) if user is not None else [],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    row = store_challenge(options.challenge, purpose=AUTHENTICATE, user=user)
    return options_to_json(options), row.pk


def finish_authentication(
    challenge_id: str,
    credential_json: str | dict[str, Any],
    *,
    origins: list[str] | None = None,
) -> User:
    """Verify the browser's answer to ``begin_authentication``; return the user
    signed in and move the passkey's counter forward."""
    rp = relying_party(origins)
    parsed = _parse_authentication(credential_json)
    row = _consume_challenge(challenge_id, purpose=AUTHENTICATE, error=Unauthenticated)
    challenge = _answered_challenge(
        parsed.response.client_data_json, row, Unauthenticated
    )
    passkey = (
        Passkey.objects.select_related("user")
        .filter(credential_id=bytes_to_base64url(parsed.raw_id))
        .first()
    )
    if passkey is None or (row.user_id is not None and passkey.user_id != row.user_id):
        raise Unauthenticated(
            "This passkey is not registered here.", code="UNKNOWN_CREDENTIAL"
        )
    handle = parsed.response.user_handle
    if handle and handle != bytes(passkey.user_handle):
        raise Unauthenticated(
            "This passkey is not registered here.", code="UNKNOWN_CREDENTIAL"
        )
    verified = verify_authentication(
        credential_json,
        expected_challenge=challenge,
        expected_origin=rp.origins,
        expected_rp_id=rp.id,
        credential_public_key=bytes(passkey.public_key),
        current_sign_count=passkey.sign_count,
    )
    # Conditional on the counter read above: of two assertions racing with the same
    # counter, the second finds it moved and is refused like a clone.
    moved = Passkey.objects.filter(pk=passkey.pk, sign_count=passkey.sign_count).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    if not moved:
        raise Unauthenticated(
            "The passkey's signature counter went backwards: it may have been cloned.",
            code="CLONED_AUTHENTICATOR",
        )
    if not passkey.user.is_active:
        raise Unauthenticated("This account is disabled.", code="USER_DISABLED")
    return passkey.user


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for passkey in Passkey.objects.filter(user=user).order_by("created_at"):
        transports = []
        for value in passkey.transports or []:
            try:
                transports.append(AuthenticatorTransport(value))
            except ValueError:
                continue
        descriptors.append(
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(passkey.credential_id),
                transports=transports or None,
            )
        )
    return descriptors
