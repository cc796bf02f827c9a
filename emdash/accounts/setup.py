"""First run: claiming an empty site.

While no administrator exists, the operator gets a one-time setup URL (``emdash
serve`` prints one; ``emdash setup-url`` prints a fresh one and revokes the earlier
ones). Opening it lets a person name the site and register the first
administrator's passkey. Without the URL there is no way to claim the site, and
two completions racing each other cannot both create an administrator: the second
finds the claim row taken (a primary key insert the database serialises).
"""

from typing import Any

from django.db import IntegrityError, transaction

from emdash.accounts import enrolment, links
from emdash.accounts.models import AccessLink, User
from emdash.accounts.users import ADMINISTRATOR, actor_for_user, administrator_exists
from emdash.core import audit, site_settings
from emdash.core.actors import SYSTEM
from emdash.core.errors import Conflict, ValidationFailed
from emdash.core.models import SiteSetting

CLAIM_KEY = "accounts.claimed_by"


class AlreadySetUp(Conflict):
    code = "ALREADY_SET_UP"

    def __init__(self) -> None:
        super().__init__(
            "This site has an administrator already; sign in instead.",
        )


def needs_setup() -> bool:
    return not administrator_exists()


def setup_link_waiting() -> bool:
    """Whether a setup URL issued earlier can still be used (its token cannot be
    shown again: only its hash is kept)."""
    return links.pending(AccessLink.SETUP).exists()


def issue_setup_url(created_by: str = "operator") -> str:
    """A fresh setup URL; earlier ones stop working. Refused once set up."""
    if not needs_setup():
        raise AlreadySetUp()
    with transaction.atomic():
        links.revoke_unused(AccessLink.SETUP)
        issued = links.issue(AccessLink.SETUP, created_by=created_by)
        audit.record(
            SYSTEM,
            "setup.link_issue",
            target_type="link",
            target_id=issued.link.pk,
            data={"by": created_by},
        )
    return issued.url


def check_token(token: str) -> AccessLink:
    """The setup link behind a token, if it can still be used."""
    if not needs_setup():
        raise AlreadySetUp()
    return links.inspect(token, (AccessLink.SETUP,))


def begin(
    token: str, *, site_title: str, display_name: str, email: str
) -> tuple[str, str]:
    """Registration options for the first administrator's passkey."""
    link = check_token(token)
    title = site_title.strip()
    if not title or len(title) > 200:
        raise ValidationFailed(
            "Check the highlighted fields.",
            fields={"site_title": "enter the site's name (at most 200 characters)"},
        )
    return enrolment.begin(
        link, email=email, display_name=display_name, extra={"site_title": title}
    )


def finish(token: str, challenge_id: str, credential: str | dict[str, Any]) -> User:
    """Verify the passkey and create the administrator; names the site."""
    link = check_token(token)
    with transaction.atomic():
        user, pending = enrolment.finish(
            link, challenge_id, credential, role=ADMINISTRATOR
        )
        try:
            with transaction.atomic():
                SiteSetting.objects.create(key=CLAIM_KEY, value=user.pk)
        except IntegrityError:
            raise AlreadySetUp() from None
        actor = actor_for_user(user)
        site_settings.update(actor, {"title": pending["site_title"]})
        audit.record(
            actor,
            "setup.complete",
            target_type="user",
            target_id=user.pk,
            data={"email": user.email},
        )
    return user
