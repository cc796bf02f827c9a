"""Creating an account with its first passkey: what first-run setup and invite
acceptance share. The account is made only when the passkey ceremony succeeds,
in one transaction with using up the link, so a failure leaves nothing behind."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from emdash.accounts import links
from emdash.accounts.models import AccessLink, User
from emdash.core.errors import Conflict, ValidationFailed


def email_error(email: str) -> str | None:
    try:
        validate_email(email)
    except ValidationError:
        return "enter a valid email address"
    return None


def check_person(*, email: str, display_name: str) -> dict[str, str]:
    """Field errors for the details a new person types (empty when fine)."""
    errors: dict[str, str] = {}
    if problem := email_error(email):
        errors["email"] = problem
    if not display_name.strip():
        errors["display_name"] = "enter the name to show for you"
    elif len(display_name.strip()) > 150:
        errors["display_name"] = "must be at most 150 characters"
    return errors


def begin(
    link: AccessLink, *, email: str, display_name: str, extra: dict[str, Any]
) -> tuple[str, str]:
    """Start the passkey registration; ``extra`` is kept with the challenge."""
    from emdash.accounts import passkeys  # webauthn loads on first use

    email = User.objects.normalize_email(email.strip())
    errors = check_person(email=email, display_name=display_name)
    if errors:
        raise ValidationFailed("Check the highlighted fields.", fields=errors)
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            "An account with this email exists already; sign in instead.",
            code="USER_EXISTS",
        )
    pending = {"email": email, "display_name": display_name.strip(), **extra}
    return passkeys.begin_enrolment(
        link, email=email, display_name=display_name.strip(), pending=pending
    )


def finish(
    link: AccessLink,
    challenge_id: str,
    credential: str | dict[str, Any],
    *,
    role: str,
) -> tuple[User, dict[str, Any]]:
    """Verify the ceremony, use ``link`` up (as checked by the caller) and create
    the user with its passkey. Returns the user and the pending details. The caller
    runs inside ``transaction.atomic()`` so its own checks share the transaction."""
    from emdash.accounts import passkeys  # webauthn loads on first use

    row, verified = passkeys.verify_enrolment(link, challenge_id, credential)
    pending = dict(row.pending)
    links.claim_link(link)
    try:
        with transaction.atomic():
            user = User.objects.create(
                email=pending["email"],
                display_name=pending["display_name"],
                role=role,
                passkey_handle=bytes(row.user_handle or b""),
            )
    except IntegrityError:
        raise Conflict(
            "An account with this email exists already; sign in instead.",
            code="USER_EXISTS",
        ) from None
    # Unnamed: save_passkey gives it the default name.
    passkeys.save_passkey(user, verified, name="", handle=bytes(row.user_handle or b""))
    link.user = user
    link.save(update_fields=["user"])
    return user, pending
