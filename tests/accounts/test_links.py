"""One-time links: signed, stored hashed, usable once, revocable, expiring."""

import hashlib
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from emdash.accounts import links
from emdash.accounts.links import LinkRejected
from emdash.accounts.models import AccessLink
from tests.factories import make_user

pytestmark = pytest.mark.django_db

MAGIC = (AccessLink.MAGIC,)


def issue_magic() -> links.IssuedLink:
    user = make_user("author")
    return links.issue(AccessLink.MAGIC, email=user.email, user=user)


def rejection(token: str, purposes: tuple[str, ...] = MAGIC) -> str:
    with pytest.raises(LinkRejected) as refused:
        links.inspect(token, purposes)
    return refused.value.code


def altered(token: str) -> str:
    """The token with one character of its signature changed."""
    secret, timestamp, signature = token.split(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return ".".join(
        [secret, timestamp, signature[:middle] + swapped + signature[middle + 1 :]]
    )


def test_a_fresh_link_is_usable_and_only_its_hash_is_stored():
    issued = issue_magic()
    secret = issued.token.split(".")[0]

    assert links.inspect(issued.token, MAGIC) == issued.link
    stored = AccessLink.objects.get()
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(AccessLink.objects.values().get())
    assert links.is_pending(stored)


@pytest.mark.parametrize(
    ("purpose", "path"),
    [
        (AccessLink.SETUP, "/_emdash/admin/setup/"),
        (AccessLink.INVITE, "/_emdash/admin/invite/"),
        (AccessLink.MAGIC, "/_emdash/admin/login/link/"),
        (AccessLink.RECOVERY, "/_emdash/admin/login/link/"),
    ],
)
def test_each_purpose_has_its_url(settings, purpose, path):
    settings.SITE_URL = "https://example.com"

    issued = links.issue(purpose)

    assert issued.url == f"https://example.com{path}{issued.token}/"
    lifetime = issued.link.expires_at - issued.link.created_at
    assert abs(lifetime - links.LIFETIMES[purpose]) < timedelta(seconds=5)


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: "not-a-token",
        lambda token: "",
        lambda token: token.split(".")[0],
        altered,
        # A valid signature over a secret this site never stored.
        lambda token: signing.TimestampSigner(
            salt="emdash.accounts.link.magic", sep="."
        ).sign("made-up-secret"),
        # Signed with another key.
        lambda token: signing.TimestampSigner(
            key="someone-else", salt="emdash.accounts.link.magic", sep="."
        ).sign(token.split(".")[0]),
    ],
    ids=["random", "empty", "unsigned", "altered", "unknown-secret", "other-key"],
)
def test_forged_tokens_are_invalid(forge):
    issued = issue_magic()

    assert rejection(forge(issued.token)) == "LINK_INVALID"
    # The genuine link is untouched.
    assert links.inspect(issued.token, MAGIC) == issued.link


def test_a_token_of_another_purpose_is_invalid():
    sign_in = issue_magic()
    invite = links.issue(AccessLink.INVITE, email="new@example.com", role="author")

    assert rejection(sign_in.token, (AccessLink.SETUP,)) == "LINK_INVALID"
    assert rejection(invite.token, MAGIC) == "LINK_INVALID"
    assert rejection(invite.token, links.SIGN_IN_PURPOSES) == "LINK_INVALID"


def test_a_link_past_its_expiry_in_the_database_is_expired():
    issued = issue_magic()
    AccessLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert rejection(issued.token) == "LINK_EXPIRED"
    with pytest.raises(LinkRejected) as refused:
        links.claim(issued.token, MAGIC)
    assert refused.value.code == "LINK_EXPIRED"
    assert AccessLink.objects.get().used_at is None


def test_a_signature_older_than_the_lifetime_is_expired_whatever_the_row_says(
    monkeypatch,
):
    signed_long_ago = int(time.time()) - int(
        links.LIFETIMES[AccessLink.MAGIC].total_seconds() + 60
    )
    with monkeypatch.context() as patch:
        patch.setattr(
            signing.TimestampSigner,
            "timestamp",
            lambda self: signing.b62_encode(signed_long_ago),
        )
        issued = issue_magic()
    AccessLink.objects.update(expires_at=timezone.now() + timedelta(days=1))

    assert rejection(issued.token) == "LINK_EXPIRED"


def test_a_lifetime_shortened_after_issue_applies_to_the_signature(monkeypatch):
    issued = issue_magic()
    monkeypatch.setitem(links.LIFETIMES, AccessLink.MAGIC, timedelta(seconds=-1))

    assert rejection(issued.token) == "LINK_EXPIRED"


def test_a_link_works_once():
    issued = issue_magic()

    claimed = links.claim(issued.token, MAGIC)

    assert claimed.used_at is not None
    assert AccessLink.objects.get().used_at == claimed.used_at
    assert rejection(issued.token) == "LINK_USED"
    with pytest.raises(LinkRejected) as again:
        links.claim(issued.token, MAGIC)
    assert again.value.code == "LINK_USED"
    assert not links.is_pending(AccessLink.objects.get())


def test_a_revoked_link_is_refused():
    issued = issue_magic()

    assert links.revoke_unused(AccessLink.MAGIC) == 1

    assert rejection(issued.token) == "LINK_REVOKED"
    with pytest.raises(LinkRejected) as refused:
        links.claim(issued.token, MAGIC)
    assert refused.value.code == "LINK_REVOKED"


def test_revoking_spares_used_links_and_other_matches():
    used, pending = issue_magic(), issue_magic()
    links.claim(used.token, MAGIC)

    assert links.revoke_unused(AccessLink.MAGIC, user=used.link.user) == 0
    assert links.revoke_unused(AccessLink.SETUP) == 0

    assert rejection(used.token) == "LINK_USED"
    assert links.inspect(pending.token, MAGIC) == pending.link


def test_reissuing_replaces_the_token_and_revives_the_link():
    old = links.issue(AccessLink.INVITE, email="new@example.com", role="author")
    AccessLink.objects.update(
        revoked_at=timezone.now(), expires_at=timezone.now() - timedelta(days=1)
    )

    new = links.reissue(AccessLink.objects.get())

    invite = (AccessLink.INVITE,)
    assert rejection(old.token, invite) == "LINK_INVALID"
    assert links.inspect(new.token, invite).pk == old.link.pk
    assert new.link.expires_at > timezone.now() + timedelta(days=6)


def test_of_two_tokens_only_the_claimed_one_is_used():
    first, second = issue_magic(), issue_magic()

    links.claim(first.token, MAGIC)

    assert links.inspect(second.token, MAGIC) == second.link
