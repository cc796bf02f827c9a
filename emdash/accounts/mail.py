"""Account email (invites, sign-in links) through Django's email backends."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from emdash.core import site_settings


def send_account_email(template: str, to: str, context: dict[str, object]) -> None:
    """Render ``emdash_accounts/email/<template>_subject.txt`` and ``..._body.txt``
    and send them. Failures propagate: the caller decides whether a link that could
    not be mailed still counts (an invite's link is also shown to the sender)."""
    full = {"site_title": site_settings.get_all()["title"], **context}
    subject = render_to_string(
        f"emdash_accounts/email/{template}_subject.txt", full
    ).strip()
    body = render_to_string(f"emdash_accounts/email/{template}_body.txt", full)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
