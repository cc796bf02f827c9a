"""The email hooks: ``email:beforeSend`` may change an email's subject and text
or cancel it, ``email:afterSend`` hears of it once sent; for account email
(invites, sign-in links) and for plugins' ``email_send`` alike."""

from typing import Any

import pytest
from django.core import mail
from django.http import HttpRequest
from django.test import RequestFactory

from emdash.accounts import invites, signin
from emdash.accounts.models import AccessLink
from emdash.accounts.users import actor_for_user
from emdash.core.actors import Actor
from emdash.plugins import runtime
from emdash.plugins.models import PluginLog
from tests.factories import make_user
from tests.plugins.fixtures import install, logging_then, rejecting
from tests.plugins.sandbox.wat import answering, host_call

pytestmark = pytest.mark.django_db

BEFORE_SEND = "email:beforeSend"
AFTER_SEND = "email:afterSend"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "http://localhost:8000"
    settings.WEBAUTHN_ORIGINS = []
    settings.RATE_LIMIT_BACKEND = "database"


@pytest.fixture
def admin() -> Actor:
    return actor_for_user(make_user("administrator"))


def sign_in_request() -> HttpRequest:
    return RequestFactory().post("/_emdash/api/auth/", REMOTE_ADDR="203.0.113.7")


def logs_of(plugin_id: str) -> list[tuple[str, str]]:
    return [
        (log.level, log.message)
        for log in PluginLog.objects.filter(plugin_id=plugin_id).order_by("at", "id")
    ]


def test_a_before_hook_rewrites_the_subject_of_an_invite(admin):
    install(
        "subject-rewriter",
        answering('{"ok":{"subject":"You are invited!"}}'),
        hooks=[BEFORE_SEND],
    )

    issued, emailed = invites.create_invite(
        admin, email="grace@example.com", role="author"
    )

    assert emailed
    [message] = mail.outbox
    assert message.subject == "You are invited!"
    assert message.to == ["grace@example.com"]
    assert issued.url in message.body


def test_a_rejecting_before_hook_cancels_a_sign_in_link_quietly():
    make_user("author", email="ada@example.com")
    install("gate", rejecting("NO_MAIL", "No mail today."), hooks=[BEFORE_SEND])

    assert signin.request_sign_in_link(sign_in_request(), "ada@example.com") is None

    assert mail.outbox == []
    assert logs_of("gate") == [
        ("warning", f"rejected {BEFORE_SEND}: No mail today. (NO_MAIL)")
    ]


def test_a_cancelled_invite_is_reported_not_emailed(admin):
    install("gate", rejecting("NO_MAIL", "No mail today."), hooks=[BEFORE_SEND])

    issued, emailed = invites.create_invite(
        admin, email="grace@example.com", role="author"
    )

    assert not emailed
    assert mail.outbox == []
    assert AccessLink.objects.get().sent_at is None
    assert invites.check_token(issued.token)


def test_an_after_hook_runs_once_the_mail_went(
    admin, django_capture_on_commit_callbacks
):
    install("listener", logging_then("heard of a mail"), hooks=[AFTER_SEND])

    with django_capture_on_commit_callbacks(execute=True):
        invites.create_invite(admin, email="grace@example.com", role="author")

    assert len(mail.outbox) == 1
    assert logs_of("listener") == [("info", "heard of a mail")]


def test_an_after_hook_does_not_run_for_a_cancelled_mail(
    admin, django_capture_on_commit_callbacks
):
    install("gate", rejecting(), hooks=[BEFORE_SEND])
    install("listener", logging_then("heard of a mail"), hooks=[AFTER_SEND])

    with django_capture_on_commit_callbacks(execute=True):
        invites.create_invite(admin, email="grace@example.com", role="author")

    assert logs_of("listener") == []


@pytest.mark.parametrize(("on_error", "sent"), [("continue", True), ("abort", False)])
def test_a_before_hook_may_not_change_the_recipients(admin, on_error, sent):
    install(
        "redirector",
        answering('{"ok":{"to":["mallory@example.com"]}}'),
        hooks={BEFORE_SEND: {"on_error": on_error}},
    )

    _, emailed = invites.create_invite(admin, email="grace@example.com", role="author")

    assert emailed is sent
    assert [message.to for message in mail.outbox] == (
        [["grace@example.com"]] if sent else []
    )
    [(level, message)] = logs_of("redirector")
    assert level == "error"
    assert message.startswith(
        f"failed in {BEFORE_SEND} (bad_output): it returned 'to', which plugins "
        "may not change"
    )
    assert "may return subject, text" in message


def test_a_before_hook_may_not_make_the_subject_span_lines(admin):
    install(
        "injector",
        answering('{"ok":{"subject":"Hi\\nBcc: mallory@example.com"}}'),
        hooks=[BEFORE_SEND],
    )

    _, emailed = invites.create_invite(admin, email="grace@example.com", role="author")

    assert not emailed  # before-hooks abort by default
    assert mail.outbox == []
    assert logs_of("injector") == [
        (
            "error",
            f"failed in {BEFORE_SEND} (bad_output): it returned a 'subject' of "
            "more than one line",
        )
    ]


# -- plugins' email_send ---------------------------------------------------------------

SEND = '{"to":"a@example.com","subject":"Published","text":"A post went live."}'


def send_from_plugin() -> Any:
    """Run the route of plugin ``sender`` that calls email_send; its answer is
    the envelope the host function gave it."""
    install(
        "sender",
        host_call("email_send", SEND),
        capabilities=["email:send"],
        routes={"send": {}},
    )
    plugin, _ = runtime.find_route("sender", "send")
    answer = runtime.call_route(
        plugin, "send", method="POST", query={}, body=None, user=None
    )
    return answer.value


def test_another_plugins_before_hook_rewrites_a_plugins_mail():
    install(
        "subject-rewriter",
        answering('{"ok":{"subject":"[Site] Published","text":"Rewritten."}}'),
        hooks=[BEFORE_SEND],
    )

    assert send_from_plugin() == {"ok": {"recipients": 1}}

    [message] = mail.outbox
    assert (message.to, message.subject, message.body) == (
        ["a@example.com"],
        "[Site] Published",
        "Rewritten.",
    )


def test_a_rejecting_before_hook_cancels_a_plugins_mail():
    install("gate", rejecting("NO_MAIL", "No mail today."), hooks=[BEFORE_SEND])

    answer = send_from_plugin()

    assert answer == {
        "error": {
            "code": "EMAIL_CANCELLED",
            "message": "email_send: the mail was cancelled: Plugin 'gate' rejected "
            f"{BEFORE_SEND}: No mail today. (NO_MAIL)",
        }
    }
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_plugins_mail_runs_the_after_hooks():
    """As a route runs: its call's transaction is the outermost, and its commit
    runs the after-hooks while the sender's call is still known."""
    install("listener", logging_then("heard of a mail"), hooks=[AFTER_SEND])

    send_from_plugin()

    assert len(mail.outbox) == 1
    assert logs_of("listener") == [("info", "heard of a mail")]


def test_a_plugins_own_hooks_do_not_see_its_mail():
    install(
        "sender",
        host_call("email_send", SEND),
        capabilities=["email:send"],
        routes={"send": {}},
        hooks=[BEFORE_SEND],
    )
    plugin, _ = runtime.find_route("sender", "send")

    runtime.call_route(plugin, "send", method="POST", query={}, body=None, user=None)

    assert mail.outbox[0].subject == "Published"
