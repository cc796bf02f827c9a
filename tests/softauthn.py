"""A software WebAuthn authenticator for tests: it answers the JSON options the
server sends (``webauthn.options_to_json``) with the JSON a browser would post back,
so a ceremony can be run end to end without a browser.

It makes ES256 (P-256) credentials with "none" attestation and keeps them as
discoverable (resident) credentials. Knobs for negative tests:

- ``origin``: the origin written into clientDataJSON;
- ``user_verified``: whether the UV flag is set (UP is always set);
- ``rp_id_override``: sign for this relying party id instead of the one asked for;
- ``set_sign_count``: move a credential's counter (e.g. backwards, like a clone).

    authenticator = SoftAuthenticator()
    credential = authenticator.create(json.loads(options_json))
    assertion = authenticator.get(json.loads(request_options_json))
"""

import hashlib
import json
import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ES256 = -7
FLAG_UP = 0x01  # user present
FLAG_UV = 0x04  # user verified
FLAG_AT = 0x40  # attested credential data included
ZERO_AAGUID = bytes(16)


class AuthenticatorError(Exception):
    """What a browser would report as NotAllowedError / InvalidStateError."""


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class StoredCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


def _as_dict(options: dict[str, Any] | str) -> dict[str, Any]:
    return json.loads(options) if isinstance(options, str) else options


def _cose_public_key(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    numbers = private_key.public_key().public_numbers()
    return cbor2.dumps(
        {
            1: 2,  # kty: EC2
            3: ES256,  # alg
            -1: 1,  # crv: P-256
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
    )


class SoftAuthenticator:
    def __init__(
        self,
        origin: str = "http://localhost:8000",
        user_verified: bool = True,
        rp_id_override: str | None = None,
    ) -> None:
        self.origin = origin
        self.user_verified = user_verified
        self.rp_id_override = rp_id_override
        self.credentials: dict[bytes, StoredCredential] = {}

    # --- navigator.credentials.create() ------------------------------------

    def create(self, options: dict[str, Any] | str) -> dict[str, Any]:
        """Answer PublicKeyCredentialCreationOptionsJSON (a dict or its JSON) with
        RegistrationResponseJSON."""
        options = _as_dict(options)
        offered = {param["alg"] for param in options.get("pubKeyCredParams", [])}
        if offered and ES256 not in offered:
            raise AuthenticatorError("The server does not accept ES256.")
        rp_id = options["rp"]["id"]
        excluded = {from_b64url(d["id"]) for d in options.get("excludeCredentials", [])}
        if excluded & self._ids_for(rp_id):
            raise AuthenticatorError("This authenticator is already registered.")

        private_key = ec.generate_private_key(ec.SECP256R1())
        stored = StoredCredential(
            credential_id=secrets.token_bytes(16),
            private_key=private_key,
            rp_id=rp_id,
            user_handle=from_b64url(options["user"]["id"]),
        )
        self.credentials[stored.credential_id] = stored

        attested = (
            ZERO_AAGUID
            + len(stored.credential_id).to_bytes(2, "big")
            + stored.credential_id
            + _cose_public_key(private_key)
        )
        auth_data = self._auth_data(stored, FLAG_AT) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"])
        return {
            "id": b64url(stored.credential_id),
            "rawId": b64url(stored.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    # --- navigator.credentials.get() ---------------------------------------

    def get(
        self, options: dict[str, Any] | str, *, credential_id: bytes | None = None
    ) -> dict[str, Any]:
        """Answer PublicKeyCredentialRequestOptionsJSON with AuthenticationResponseJSON,
        using ``credential_id``, else the first allowed credential, else the first
        discoverable one for the relying party."""
        options = _as_dict(options)
        stored = self._pick(options["rpId"], options, credential_id)
        stored.sign_count += 1
        auth_data = self._auth_data(stored, 0)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = stored.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(stored.credential_id),
            "rawId": b64url(stored.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(stored.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    # --- knobs -------------------------------------------------------------

    def set_sign_count(self, credential_id: bytes, count: int) -> None:
        """Set a credential's counter; the next assertion reports ``count + 1``."""
        self.credentials[credential_id].sign_count = count

    @property
    def credential_ids(self) -> list[bytes]:
        return list(self.credentials)

    # --- internals ---------------------------------------------------------

    def _ids_for(self, rp_id: str) -> set[bytes]:
        return {c.credential_id for c in self.credentials.values() if c.rp_id == rp_id}

    def _pick(
        self, rp_id: str, options: dict[str, Any], credential_id: bytes | None
    ) -> StoredCredential:
        if credential_id is not None:
            if credential_id not in self.credentials:
                raise AuthenticatorError("No such credential on this authenticator.")
            return self.credentials[credential_id]
        allowed = [from_b64url(d["id"]) for d in options.get("allowCredentials", [])]
        mine = self._ids_for(rp_id)
        candidates = [i for i in allowed if i in mine] if allowed else list(mine)
        # Dicts keep insertion order, so "first" means first registered.
        for stored_id in self.credentials:
            if stored_id in candidates:
                return self.credentials[stored_id]
        raise AuthenticatorError(f"No credential for {rp_id!r} on this authenticator.")

    def _auth_data(self, stored: StoredCredential, extra_flags: int) -> bytes:
        flags = FLAG_UP | extra_flags | (FLAG_UV if self.user_verified else 0)
        rp_id = self.rp_id_override or stored.rp_id
        return (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + stored.sign_count.to_bytes(4, "big")
        )

    def _client_data(self, ceremony: str, challenge: str) -> bytes:
        return json.dumps(
            {
                "type": ceremony,
                "challenge": challenge,
                "origin": self.origin,
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode()
