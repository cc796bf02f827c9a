"""One-time links: first-run setup, invites, emailed sign-in links, recovery links.

A link's token is ``<secret>.<timestamp>.<signature>``: a random secret, signed with
the site's secret key and a salt per purpose. The signature lets a forged or
altered token be refused before any lookup, and the timestamp bounds its age even
if the database row lingers. The database keeps only the SHA-256 of the secret,
with the expiry, and marks the row used, revoked or replaced; so a link works once,
can be withdrawn, and leaks nothing if the database does.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from emdash.accounts.models import AccessLink, User
from emdash.core.errors import BadRequest

LIFETIMES: dict[str, timedelta] = {
    AccessLink.SETUP: timedelta(hours=24),
    AccessLink.INVITE: timedelta(days=7),
    AccessLink.MAGIC: timedelta(minutes=15),
    AccessLink.RECOVERY: timedelta(minutes=30),
}

PATHS: dict[str, str] = {
    AccessLink.SETUP: "/_emdash/admin/setup/{token}/",
    AccessLink.INVITE: "/_emdash/admin/invite/{token}/",
    AccessLink.MAGIC: "/_emdash/admin/login/link/{token}/",
    AccessLink.RECOVERY: "/_emdash/admin/login/link/{token}/",
}

SIGN_IN_PURPOSES = (AccessLink.MAGIC, AccessLink.RECOVERY)


REPLACED = "This link is no longer valid: it was replaced by a newer one or withdrawn."


class LinkRejected(BadRequest):
    code = "LINK_INVALID"


@dataclass(frozen=True)
class IssuedLink:
    """A new link; ``token`` (and so ``url``) exists only here."""

    link: AccessLink
    token: str

    @property
    def url(self) -> str:
        return link_url(self.link.purpose, self.token)


def link_url(purpose: str, token: str) -> str:
    return settings.SITE_URL + PATHS[purpose].format(token=token)


def issue(
    purpose: str,
    *,
    email: str = "",
    role: str = "",
    user: User | None = None,
    created_by: str = "",
) -> IssuedLink:
    secret = secrets.token_urlsafe(32)
    link = AccessLink.objects.create(
        purpose=purpose,
        secret_hash=hash_secret(secret),
        email=email,
        role=role,
        user=user,
        created_by=created_by[:200],
        expires_at=timezone.now() + LIFETIMES[purpose],
    )
    return IssuedLink(link=link, token=_signer(purpose).sign(secret))


def reissue(link: AccessLink) -> IssuedLink:
    """A fresh secret and lifetime for a link (resending an invite): the old URL
    stops working."""
    secret = secrets.token_urlsafe(32)
    link.secret_hash = hash_secret(secret)
    link.expires_at = timezone.now() + LIFETIMES[link.purpose]
    link.revoked_at = None
    link.save(update_fields=["secret_hash", "expires_at", "revoked_at"])
    return IssuedLink(link=link, token=_signer(link.purpose).sign(secret))


def inspect(token: str, purposes: tuple[str, ...]) -> AccessLink:
    """The link a token names, if it can still be used; raises LinkRejected with
    the reason otherwise. Does not use it up."""
    link = _find(token, purposes)
    _check_usable(link)
    return link


def claim(token: str, purposes: tuple[str, ...]) -> AccessLink:
    """Use up the link a token names; see ``claim_link``."""
    return claim_link(_find(token, purposes))


def claim_link(link: AccessLink) -> AccessLink:
    """Use a link up, atomically: of two concurrent claims exactly one wins. Call
    inside the transaction that does what the link grants, so a failure after the
    claim gives the link back."""
    now = timezone.now()
    won = pending(link.purpose, pk=link.pk, secret_hash=link.secret_hash).update(
        used_at=now
    )
    if not won:
        read_hash = link.secret_hash
        link.refresh_from_db()
        if link.secret_hash != read_hash:
            raise LinkRejected(REPLACED)
        _check_usable(link)
        raise LinkRejected("This link was just used.", code="LINK_USED")
    link.used_at = now
    return link


def revoke_unused(purpose: str, **match: object) -> int:
    """Withdraw every unused, unrevoked link of a purpose (e.g. older setup links)."""
    with transaction.atomic():
        return AccessLink.objects.filter(
            purpose=purpose, used_at__isnull=True, revoked_at__isnull=True, **match
        ).update(revoked_at=timezone.now())


def pending(purpose: str, **match: object) -> QuerySet[AccessLink]:
    """The links of a purpose that can still be used (not used, withdrawn or
    expired), narrowed by ``match``."""
    return AccessLink.objects.filter(
        purpose=purpose,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
        **match,
    )


def is_pending(link: AccessLink) -> bool:
    return (
        link.used_at is None
        and link.revoked_at is None
        and link.expires_at > timezone.now()
    )


def _find(token: str, purposes: tuple[str, ...]) -> AccessLink:
    secret = None
    for purpose in purposes:
        try:
            secret = _signer(purpose).unsign(
                token, max_age=LIFETIMES[purpose].total_seconds()
            )
        except signing.SignatureExpired:
            raise LinkRejected(
                "This link has expired; ask for a new one.", code="LINK_EXPIRED"
            ) from None
        except signing.BadSignature:
            continue
        break
    if secret is None:
        raise LinkRejected(
            "This link is not valid: it is incomplete, was altered, or is not from "
            "this site."
        )
    link = AccessLink.objects.filter(
        secret_hash=hash_secret(secret), purpose__in=purposes
    ).first()
    if link is None:
        raise LinkRejected(
            "This link is no longer valid: it was replaced by a newer one or withdrawn."
        )
    return link


def _check_usable(link: AccessLink) -> None:
    if link.used_at is not None:
        raise LinkRejected("This link has already been used.", code="LINK_USED")
    if link.revoked_at is not None:
        raise LinkRejected("This link has been withdrawn.", code="LINK_REVOKED")
    if link.expires_at <= timezone.now():
        raise LinkRejected(
            "This link has expired; ask for a new one.", code="LINK_EXPIRED"
        )


def _signer(purpose: str) -> signing.TimestampSigner:
    # "." cannot occur in a URL-safe secret, so it separates the parts cleanly.
    return signing.TimestampSigner(salt=f"emdash.accounts.link.{purpose}", sep=".")


def hash_secret(secret: str) -> str:
    """What is stored in place of a secret (a link's, an API token): its unkeyed
    SHA-256, which survives a secret-key rotation."""
    return hashlib.sha256(secret.encode()).hexdigest()
