"""Account email (invites, sign-in links) through Django's email backends."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from emdash.core import hooks, site_settings
from emdash.core.actors import SYSTEM
from emdash.plugins.runtime import PluginRejected

log = logging.getLogger(__name__)


def send_account_email(template: str, to: str, context: dict[str, object]) -> bool:
    """Render ``emdash_accounts/email/<template>_subject.txt`` and ``..._body.txt``
    and send them, through the ``email:beforeSend`` and ``email:afterSend`` hooks.
    Returns False when a before-hook cancelled the mail: account flows go on
    without it. Mail server failures propagate: the caller decides whether a link
    that could not be mailed still counts (an invite's link is also shown to the
    sender)."""
    full = {"site_title": site_settings.get_all()["title"], **context}
    subject = render_to_string(
        f"emdash_accounts/email/{template}_subject.txt", full
    ).strip()
    body = render_to_string(f"emdash_accounts/email/{template}_body.txt", full)
    payload: hooks.Payload = {
        "to": [to],
        "subject": subject,
        "text": body,
        "source": "accounts",
    }
    try:
        payload = hooks.run_before("email:beforeSend", payload, SYSTEM)
    except PluginRejected as cancelled:
        log.warning("The %s email was not sent: %s", template, cancelled.message)
        return False
    send_mail(
        payload["subject"], payload["text"], settings.DEFAULT_FROM_EMAIL, payload["to"]
    )
    hooks.run_after("email:afterSend", payload, SYSTEM)
    return True
