"""Replay every recorded WebAuthn vector in ../shared/corpora/webauthn through the
pure verification layer (no database).

Each vector carries its own challenge, origin and relying party id and what the
``webauthn`` package made of it. Our verdict is derived from that under our policy,
which is stricter in two ways: user verification is always required, and only
ES256, EdDSA and RS256 are accepted. The test id says which: ``-accept``,
``-policy-user-verification``, ``-policy-algorithm`` or ``-reject-<CODE>``.

A vector rejected for a reason the library checks only after user verification
(signature counter, signature, algorithm, attestation) is refused by the
user-verification policy first when the authenticator did not verify the user.
"""

import datetime as dt
import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from OpenSSL.crypto import X509Store
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_attestation_object,
    parse_authenticator_data,
)

from emdash.accounts import passkeys
from emdash.core.errors import BadRequest, EmDashError, Unauthenticated

CORPUS = Path(__file__).resolve().parents[3] / "shared/corpora/webauthn"
ALLOWED = {-7, -8, -257}
POLICIES = {
    "USER_VERIFICATION_REQUIRED": "user-verification",
    "ALGORITHM_NOT_ALLOWED": "algorithm",
}

# The library's failure messages, and the code our layer must raise for each.
LIBRARY_MESSAGES = {
    "Client data challenge was not expected challenge": "CHALLENGE_MISMATCH",
    "Unexpected client data origin": "WRONG_ORIGIN",
    "Unexpected RP ID hash": "WRONG_RP_ID",
    "User verification is required": "USER_VERIFICATION_REQUIRED",
    "was not greater than current count": "CLONED_AUTHENTICATOR",
    "Could not verify authentication signature": "INVALID_CREDENTIAL",
    "clientDataJSON was malformed": "INVALID_CREDENTIAL",
    "attestationObject was malformed": "INVALID_CREDENTIAL",
    "Unsupported attestation type": "INVALID_CREDENTIAL",
    "Certificate chain could not be validated": "INVALID_CREDENTIAL",
    "Unexpected token_binding status": "INVALID_CREDENTIAL",
}
# Failures the library finds before it looks at the user-verification flag.
BEFORE_UV = {"CHALLENGE_MISMATCH", "WRONG_ORIGIN", "WRONG_RP_ID"}
BEFORE_UV_MESSAGES = (
    "clientDataJSON was malformed",
    "attestationObject was malformed",
    "Unexpected token_binding status",
)


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # "registration" | "authentication"
    credential: dict[str, Any]
    challenge: bytes
    origin: str | list[str]
    rp_id: str
    expected: str  # "accept" or an error code
    public_key: bytes = b""
    sign_count: int = 0
    root_certs: dict[str, list[bytes]] | None = None
    validation_time: str | None = None
    expect_credential_id: str | None = None
    expect_sign_count: int | None = None
    library_code: str | None = None

    @property
    def test_id(self) -> str:
        if self.expected == "accept":
            return f"{self.id}-accept"
        if self.by_policy:
            return f"{self.id}-policy-{POLICIES[self.expected]}"
        return f"{self.id}-reject-{self.expected}"

    @property
    def by_policy(self) -> bool:
        """Refused by our policy where the library, as the vector ran it, did not
        refuse for that reason."""
        return self.expected in POLICIES and self.expected != self.library_code


def _user_verified(kind: str, credential: dict[str, Any]) -> bool | None:
    """The UV flag the authenticator set, read from the raw data (None when the
    data cannot be parsed)."""
    response = credential["response"]
    try:
        if kind == "registration":
            auth_data = parse_attestation_object(
                base64url_to_bytes(response["attestationObject"])
            ).auth_data
        else:
            auth_data = parse_authenticator_data(
                base64url_to_bytes(response["authenticatorData"])
            )
    except Exception:  # noqa: BLE001 - malformed on purpose in some vectors
        return None
    return bool(auth_data.flags.uv)


def _library_code(message: str | None) -> str | None:
    if message is None:
        return None
    for needle, code in LIBRARY_MESSAGES.items():
        if needle in message:
            return code
    raise AssertionError(f"no expected code for library message {message!r}")


def _expected(
    kind: str, credential: dict[str, Any], alg: int | None, outcome: dict[str, Any]
) -> str:
    uv = _user_verified(kind, credential)
    if kind == "authentication" and alg is not None and alg not in ALLOWED:
        return "ALGORITHM_NOT_ALLOWED"  # checked before anything else
    if outcome["ok"]:
        if alg is not None and alg not in ALLOWED:
            return "ALGORITHM_NOT_ALLOWED"
        return "USER_VERIFICATION_REQUIRED" if uv is False else "accept"
    message = outcome["message"]
    code = _library_code(message) or "?"
    early = code in BEFORE_UV or any(m in message for m in BEFORE_UV_MESSAGES)
    if uv is False and not early:
        return "USER_VERIFICATION_REQUIRED"
    return code


def _alg_of(public_key: bytes) -> int:
    from webauthn.helpers import decode_credential_public_key

    return int(decode_credential_public_key(public_key).alg)


def _root_certs(inputs: dict[str, Any]) -> dict[str, list[bytes]] | None:
    raw = inputs.get("pem_root_certs_bytes_by_fmt")
    if not raw:
        return None
    return {fmt: [base64url_to_bytes(c) for c in certs] for fmt, certs in raw.items()}


def _upstream_cases() -> list[Case]:
    data = json.loads((CORPUS / "py_webauthn_vectors.json").read_text())
    cases = []
    for v in data["vectors"]:
        inputs, outcome = v["inputs"], v["replay_pypi_webauthn"]
        public_key = base64url_to_bytes(inputs.get("credential_public_key") or "")
        alg = v["cose_alg"]
        if v["kind"] == "authentication":
            alg = _alg_of(public_key)
        cases.append(
            Case(
                id=v["id"],
                kind=v["kind"],
                credential=inputs["credential"],
                challenge=base64url_to_bytes(inputs["expected_challenge"]),
                origin=inputs["expected_origin"],
                rp_id=inputs["expected_rp_id"],
                expected=_expected(v["kind"], inputs["credential"], alg, outcome),
                public_key=public_key,
                sign_count=inputs.get("credential_current_sign_count") or 0,
                root_certs=_root_certs(inputs),
                validation_time=v["fixed_validation_time"],
                expect_credential_id=outcome.get("credential_id"),
                expect_sign_count=outcome.get(
                    "new_sign_count", outcome.get("sign_count")
                ),
                library_code=_library_code(outcome.get("message")),
            )
        )
    return cases


def _derived_cases() -> list[Case]:
    upstream = json.loads((CORPUS / "py_webauthn_vectors.json").read_text())
    bases = {v["id"]: v["replay_pypi_webauthn"] for v in upstream["vectors"]}
    data = json.loads(
        (CORPUS / "py_webauthn_derived_negative_vectors.json").read_text()
    )
    cases = []
    for v in data["vectors"]:
        inputs, outcome = v["inputs"], v["result_pypi_webauthn"]
        public_key = base64url_to_bytes(inputs.get("credential_public_key") or "")
        alg = _alg_of(public_key) if v["kind"] == "authentication" else None
        cases.append(
            Case(
                id=v["id"],
                kind=v["kind"],
                credential=inputs["credential"],
                challenge=base64url_to_bytes(inputs["expected_challenge"]),
                origin=inputs["expected_origin"],
                rp_id=inputs["expected_rp_id"],
                expected=_expected(v["kind"], inputs["credential"], alg, outcome),
                public_key=public_key,
                sign_count=inputs.get("credential_current_sign_count") or 0,
                library_code=_library_code(outcome.get("message")),
                expect_credential_id=bases[v["base_vector"]].get("credential_id"),
                expect_sign_count=bases[v["base_vector"]].get(
                    "new_sign_count", bases[v["base_vector"]].get("sign_count")
                ),
            )
        )
    return cases


def _chromium_cases() -> list[Case]:
    data = json.loads(
        (CORPUS / "chromium_virtual_authenticator_vectors.json").read_text()
    )
    cases = []
    for v in data["vectors"]:
        reg, auth = v["registration"], v["authentication"]
        registered = reg["expected"]
        cases.append(
            Case(
                id=f"chromium-{v['id']}-registration",
                kind="registration",
                credential=reg["credential"],
                challenge=base64url_to_bytes(reg["options"]["challenge"]),
                origin=v["origin"],
                rp_id=v["rp_id"],
                expected=_expected(
                    "registration",
                    reg["credential"],
                    registered["cose_alg"],
                    {"ok": True},
                ),
                expect_credential_id=registered["credential_id"],
                expect_sign_count=registered["sign_count"],
            )
        )
        public_key = base64url_to_bytes(registered["credential_public_key"])
        cases.append(
            Case(
                id=f"chromium-{v['id']}-authentication",
                kind="authentication",
                credential=auth["credential"],
                challenge=base64url_to_bytes(auth["options"]["challenge"]),
                origin=v["origin"],
                rp_id=v["rp_id"],
                expected=_expected(
                    "authentication",
                    auth["credential"],
                    registered["cose_alg"],
                    {"ok": True},
                ),
                public_key=public_key,
                sign_count=auth["credential_current_sign_count"],
                expect_credential_id=auth["expected"]["credential_id"],
                expect_sign_count=auth["expected"]["new_sign_count"],
            )
        )
    return cases


CASES = _upstream_cases() + _derived_cases() + _chromium_cases()


@pytest.fixture
def validation_time(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Pin certificate validation to the vector's time. webauthn builds its
    certificate store in ``_generate_new_cert_store``, a hook its own tests patch
    for exactly this; the library has no parameter for it."""
    case: Case = request.param
    if case.validation_time:
        at = dt.datetime.fromisoformat(case.validation_time).replace(tzinfo=dt.UTC)

        def store_at_time() -> X509Store:
            store = X509Store()
            store.set_time(at)
            return store

        # (``webauthn.helpers.validate_certificate_chain`` names the function once
        # the package is imported, so patch the module object itself.)
        module = importlib.import_module("webauthn.helpers.validate_certificate_chain")
        monkeypatch.setattr(module, "_generate_new_cert_store", store_at_time)
    return case


def _verify(case: Case) -> passkeys.VerifiedPasskey | passkeys.VerifiedAssertion:
    if case.kind == "registration":
        return passkeys.verify_registration(
            case.credential,
            expected_challenge=case.challenge,
            expected_origin=case.origin,
            expected_rp_id=case.rp_id,
            pem_root_certs_bytes_by_fmt=case.root_certs,
        )
    return passkeys.verify_authentication(
        case.credential,
        expected_challenge=case.challenge,
        expected_origin=case.origin,
        expected_rp_id=case.rp_id,
        credential_public_key=case.public_key,
        current_sign_count=case.sign_count,
    )


@pytest.mark.parametrize(
    "validation_time", CASES, ids=[c.test_id for c in CASES], indirect=True
)
def test_vector(validation_time: Case) -> None:
    case = validation_time
    if case.expected == "accept":
        verified = _verify(case)
        assert bytes_to_base64url(verified.credential_id) == case.expect_credential_id
        assert verified.user_verified is True
        if isinstance(verified, passkeys.VerifiedAssertion):
            assert verified.new_sign_count == case.expect_sign_count
        else:
            assert verified.sign_count == case.expect_sign_count
        return
    error_type = BadRequest if case.kind == "registration" else Unauthenticated
    with pytest.raises(EmDashError) as caught:
        _verify(case)
    assert type(caught.value) is error_type
    assert caught.value.code == case.expected


def test_corpus_is_all_replayed() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.json"))
    assert files == [
        "chromium_virtual_authenticator_vectors.json",
        "py_webauthn_derived_negative_vectors.json",
        "py_webauthn_vectors.json",
    ]
    assert len(CASES) == 37 + 41 + 2 * 6
