"""Signing in and out: passkeys, emailed sign-in links, operator recovery links,
and the session they start.

Sessions are Django's (database-backed, so any process serves any request); a
sign-in rotates the session key, and a user's ``session_salt`` keys the session
hash, so renewing it signs them out everywhere. Every attempt is rate limited per
client address (and per email address for sign-in links), failures are audited,
and nothing said to an anonymous caller reveals whether an address has an account.
"""

import logging
from typing import Any

from django.contrib import auth
from django.db import transaction
from django.http import HttpRequest

from emdash.accounts import links
from emdash.accounts.links import IssuedLink
from emdash.accounts.mail import send_account_email
from emdash.accounts.models import AccessLink, User
from emdash.accounts.users import actor_for_user
from emdash.core import audit, ratelimit
from emdash.core.actors import ANONYMOUS, Actor
from emdash.core.client_ip import client_ip
from emdash.core.errors import EmDashError, NotFound

log = logging.getLogger(__name__)

BACKEND = "django.contrib.auth.backends.ModelBackend"
WINDOW = 15 * 60
# Passkey ceremonies a client address may start, and answers it may send, per window.
PASSKEY_STARTS_PER_IP = 60
PASSKEY_ANSWERS_PER_IP = 30
# Sign-in links: per address asked for, and per client address.
LINKS_PER_EMAIL = 3
LINKS_PER_IP = 10
# Uses of any one-time link (sign-in, setup, invite) per client address.
LINK_USES_PER_IP = 30


def begin_passkey_sign_in(request: HttpRequest) -> tuple[str, str]:
    """Options for a usernameless (discoverable) passkey sign-in."""
    from emdash.accounts import passkeys  # webauthn loads on first use

    ratelimit.check_and_hit(
        "passkey-start",
        client_ip(request),
        limit=PASSKEY_STARTS_PER_IP,
        window_seconds=WINDOW,
    )
    return passkeys.begin_authentication()


def finish_passkey_sign_in(
    request: HttpRequest, challenge_id: str, credential: str | dict[str, Any]
) -> User:
    from emdash.accounts import passkeys  # webauthn loads on first use

    ip = client_ip(request)
    ratelimit.check_and_hit(
        "passkey-answer", ip, limit=PASSKEY_ANSWERS_PER_IP, window_seconds=WINDOW
    )
    try:
        user = passkeys.finish_authentication(challenge_id, credential)
    except EmDashError as error:
        audit.record(
            ANONYMOUS,
            "user.sign_in_failed",
            data={"method": "passkey", "code": error.code, "ip": ip},
        )
        raise
    log_in(request, user, method="passkey")
    return user


def log_in(request: HttpRequest, user: User, *, method: str) -> Actor:
    """Start a session for ``user`` (rotating the session key) and audit it."""
    auth.login(request, user, backend=BACKEND)
    actor = actor_for_user(user)
    audit.record(
        actor,
        "user.sign_in",
        target_type="user",
        target_id=user.pk,
        data={"method": method, "ip": client_ip(request)},
    )
    return actor


def log_out(request: HttpRequest) -> None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        audit.record(
            actor_for_user(user), "user.sign_out", target_type="user", target_id=user.pk
        )
    auth.logout(request)


def request_sign_in_link(request: HttpRequest, email: str) -> None:
    """Email a sign-in link if ``email`` belongs to an active account. Says nothing
    either way: the caller answers the same whether or not a mail went out."""
    address = User.objects.normalize_email((email or "").strip()).lower()
    ip = client_ip(request)
    ratelimit.check_and_hit(
        "sign-in-link-ip", ip, limit=LINKS_PER_IP, window_seconds=WINDOW
    )
    ratelimit.check_and_hit(
        "sign-in-link-email", address, limit=LINKS_PER_EMAIL, window_seconds=WINDOW
    )
    user = User.objects.filter(email__iexact=address, is_active=True).first()
    if user is None:
        audit.record(
            ANONYMOUS,
            "user.sign_in_link_unknown",
            data={"ip": ip},
        )
        return
    with transaction.atomic():
        # One live link at a time: asking again replaces the previous one.
        links.revoke_unused(AccessLink.MAGIC, user=user)
        issued = links.issue(AccessLink.MAGIC, email=user.email, user=user)
        audit.record(
            ANONYMOUS,
            "user.sign_in_link_sent",
            target_type="user",
            target_id=user.pk,
            data={"ip": ip},
        )
    try:
        send_account_email(
            "sign_in", user.email, {"name": str(user), "url": issued.url}
        )
    except OSError:
        log.exception("Could not email a sign-in link to user %s", user.pk)


def limit_link_use(request: HttpRequest) -> None:
    """Count one use of a one-time link (redeeming a sign-in link, starting or
    finishing setup or an invite) against the client's address."""
    ratelimit.check_and_hit(
        "one-time-link",
        client_ip(request),
        limit=LINK_USES_PER_IP,
        window_seconds=WINDOW,
    )


def check_sign_in_link(token: str) -> AccessLink:
    """The sign-in link behind a token, if it can still be used (for the page
    that asks the person to confirm; email scanners only ever GET it)."""
    return links.inspect(token, links.SIGN_IN_PURPOSES)


def redeem_sign_in_link(request: HttpRequest, token: str) -> User:
    """Use a sign-in link up and sign its user in."""
    ip = client_ip(request)
    limit_link_use(request)
    try:
        with transaction.atomic():
            link = links.claim(token, links.SIGN_IN_PURPOSES)
            user = link.user
            if user is None or not user.is_active:
                raise links.LinkRejected(
                    "This account is disabled.", code="USER_DISABLED"
                )
    except EmDashError as error:
        audit.record(
            ANONYMOUS,
            "user.sign_in_failed",
            data={"method": "link", "code": error.code, "ip": ip},
        )
        raise
    log_in(request, user, method=link.purpose)
    return user


def issue_recovery_link(actor: Actor, email: str) -> IssuedLink:
    """A one-time sign-in link for an operator to hand over (an administrator who
    lost every passkey on a site without email)."""
    actor.require("users:manage")
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise NotFound(f"No user with the email {email}.", code="USER_NOT_FOUND")
    if not user.is_active:
        raise links.LinkRejected(
            f"{user.email} is disabled; enable the account first.",
            code="USER_DISABLED",
        )
    with transaction.atomic():
        links.revoke_unused(AccessLink.RECOVERY, user=user)
        issued = links.issue(
            AccessLink.RECOVERY, email=user.email, user=user, created_by=actor.label
        )
        audit.record(
            actor,
            "user.recovery_link",
            target_type="user",
            target_id=user.pk,
            data={"link": issued.link.pk},
        )
    return issued
