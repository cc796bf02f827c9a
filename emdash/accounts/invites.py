"""Invites: an administrator invites an email address with a role; the link
(emailed, and shown to the administrator to copy) lets that person register a
passkey and so create their account. Invites expire, can be revoked and resent
(which replaces the link), and work once."""

import logging
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from emdash.accounts import enrolment, links
from emdash.accounts.links import IssuedLink
from emdash.accounts.mail import send_account_email
from emdash.accounts.models import AccessLink, User
from emdash.accounts.roles import check_role
from emdash.accounts.users import actor_for_user, require_holds
from emdash.core import audit
from emdash.core.actors import Actor
from emdash.core.errors import Conflict, NotFound, ValidationFailed

log = logging.getLogger(__name__)


def create_invite(
    actor: Actor, *, email: str, role: str, send: bool = True
) -> tuple[IssuedLink, bool]:
    """Invite ``email`` as ``role``. Returns the link and whether it was emailed
    (a mail failure is logged, not fatal: the sender can still copy the link).
    An earlier pending invite for the same address is replaced."""
    actor.require("users:manage")
    email = User.objects.normalize_email((email or "").strip())
    if problem := enrolment.email_error(email):
        raise ValidationFailed("The invite is invalid.", fields={"email": problem})
    check_role(role)
    require_holds(actor, role, "invite someone as")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(f"{email} has an account already.", code="USER_EXISTS")
    with transaction.atomic():
        links.revoke_unused(AccessLink.INVITE, email__iexact=email)
        issued = links.issue(
            AccessLink.INVITE, email=email, role=role, created_by=actor.label
        )
        audit.record(
            actor,
            "invite.create",
            target_type="invite",
            target_id=issued.link.pk,
            data={"email": email, "role": role},
        )
    sent = send and _send(issued, actor)
    return issued, sent


def list_invites(actor: Actor, *, pending_only: bool = True) -> QuerySet[AccessLink]:
    actor.require("users:manage")
    if pending_only:
        invites = links.pending(AccessLink.INVITE)
    else:
        invites = AccessLink.objects.filter(purpose=AccessLink.INVITE)
    return invites.order_by("-created_at")


def revoke_invite(actor: Actor, invite_id: str) -> AccessLink:
    actor.require("users:manage")
    with transaction.atomic():
        invite = _load(invite_id)
        if invite.used_at is not None:
            raise Conflict("This invite has been accepted already.", code="INVITE_USED")
        if invite.revoked_at is None:
            invite.revoked_at = timezone.now()
            invite.save(update_fields=["revoked_at"])
            audit.record(
                actor,
                "invite.revoke",
                target_type="invite",
                target_id=invite.pk,
                data={"email": invite.email},
            )
    return invite


def resend_invite(actor: Actor, invite_id: str) -> tuple[IssuedLink, bool]:
    """A new link (the old one stops working) with a fresh lifetime, emailed again."""
    actor.require("users:manage")
    with transaction.atomic():
        invite = _load(invite_id)
        if invite.used_at is not None:
            raise Conflict("This invite has been accepted already.", code="INVITE_USED")
        require_holds(actor, invite.role, "invite someone as")
        if User.objects.filter(email__iexact=invite.email).exists():
            raise Conflict(
                f"{invite.email} has an account already.", code="USER_EXISTS"
            )
        # Resending (even a revoked invite) makes it the address's one live invite:
        # the others are withdrawn, and reissuing revives this one.
        links.revoke_unused(AccessLink.INVITE, email__iexact=invite.email)
        issued = links.reissue(invite)
        audit.record(
            actor,
            "invite.resend",
            target_type="invite",
            target_id=invite.pk,
            data={"email": invite.email},
        )
    return issued, _send(issued, actor)


def check_token(token: str) -> AccessLink:
    """The invite behind a token, if it can still be accepted."""
    return links.inspect(token, (AccessLink.INVITE,))


def begin_accept(token: str, *, display_name: str) -> tuple[str, str]:
    invite = check_token(token)
    return enrolment.begin(
        invite, email=invite.email, display_name=display_name, extra={}
    )


def finish_accept(
    token: str, challenge_id: str, credential: str | dict[str, Any]
) -> User:
    invite = check_token(token)
    with transaction.atomic():
        user, _ = enrolment.finish(invite, challenge_id, credential, role=invite.role)
        audit.record(
            actor_for_user(user),
            "invite.accept",
            target_type="user",
            target_id=user.pk,
            data={"invite": invite.pk, "role": invite.role},
        )
    return user


def _load(invite_id: str) -> AccessLink:
    invite = (
        AccessLink.objects.select_for_update()
        .filter(pk=invite_id, purpose=AccessLink.INVITE)
        .first()
    )
    if invite is None:
        raise NotFound(f"No invite '{invite_id}'.", code="INVITE_NOT_FOUND")
    return invite


def _send(issued: IssuedLink, actor: Actor) -> bool:
    invite = issued.link
    try:
        sent = send_account_email(
            "invite",
            invite.email,
            {
                "inviter": actor.label,
                "role": invite.role,
                "url": issued.url,
                "expires_at": invite.expires_at,
            },
        )
    except OSError:
        log.exception("Could not email the invite %s", invite.pk)
        return False
    if not sent:  # a plugin cancelled it
        return False
    # Set on the object too, so the answer that shows the invite has it.
    invite.sent_at = timezone.now()
    AccessLink.objects.filter(pk=invite.pk).update(sent_at=invite.sent_at)
    return True
