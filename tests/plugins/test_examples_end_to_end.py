"""The three example plugins end to end: built from source in this test run,
validated and installed with the grant their consent screen asks for, configured
through the settings service, and seen changing what the REST API does.

After-hooks run once a save commits; the tests run them with
``django_capture_on_commit_callbacks(execute=True)``. Email goes through Django's
default mailer, as in production: the test runner makes it the locmem backend (the
outbox), and one test switches it to the console backend.
"""

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from emdash.accounts.tokens import create_token
from emdash.content.models import Entry, Revision
from emdash.core.actors import SYSTEM
from emdash.plugins import services
from emdash.plugins.models import Plugin
from tests.api.conftest import bearer, send
from tests.factories import make_collection
from tests.plugins.fixtures import site_still_serves
from tests.plugins.local_server import LocalServer, reply
from tests.plugins.toolchain import Builds

pytestmark = pytest.mark.django_db

BEFORE_SAVE = "content:beforeSave"
AFTER_SAVE = "content:afterSave"
AFTER_PUBLISH = "content:afterPublish"
# A title the site does not require, so that seo-guard is what refuses an empty one.
FIELDS = [
    {"slug": "title", "type": "string"},
    {"slug": "body", "type": "markdown"},
]
RECIPIENT = "editor@example.com"
WEBHOOK_HOST = "hooks.example.com"
# Routed to the receiver too, but not among the webhook manifest's allowed_hosts.
UNDECLARED_HOST = "intranet.example.com"


@pytest.fixture
def posts() -> str:
    make_collection("posts", fields=FIELDS)
    return "posts"


@pytest.fixture
def admin() -> dict[str, str]:
    token = create_token(SYSTEM, name="end to end", scopes=["admin"])
    return bearer(token.plaintext)


def install_built(
    builds: Builds,
    plugin_id: str,
    settings: dict[str, Any] | None = None,
) -> Plugin:
    """Install the bundle built from source in this run, as an administrator
    would: validate it, grant what its consent screen lists, then configure it."""
    folder = builds.plugin(plugin_id)
    validated = services.validate_bundle(folder)
    plugin = services.install(SYSTEM, validated, grant=list(validated.capabilities))
    assert plugin.enabled
    assert plugin.granted == sorted(validated.manifest.capabilities)
    built = (folder / "plugin.wasm").read_bytes()
    assert plugin.wasm_sha256 == hashlib.sha256(built).hexdigest()
    if settings is not None:
        services.update_settings(SYSTEM, plugin_id, settings)
    return plugin


def create(
    client: Client, admin: dict[str, str], data: dict[str, Any], **values: Any
) -> Any:
    return send(client, "POST", "/content/posts", {"data": data, **values}, admin)


def call_logs(plugin_id: str) -> list[tuple[str, str, str]]:
    """What the plugin's calls logged, oldest first (the install's own records,
    which name no hook, left out)."""
    records = services.logs(SYSTEM, plugin_id)
    return [(r.level, r.hook, r.message) for r in reversed(records) if r.hook]


# -- installing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plugin_id", "capabilities"),
    [
        ("notify-on-publish", ["content:read", "email:send"]),
        ("webhook", ["network:request"]),
    ],
)
def test_an_example_installs_only_with_the_grant_its_consent_screen_lists(
    builds: Builds,
    plugin_id: str,
    capabilities: list[str],
) -> None:
    validated = services.validate_bundle(builds.plugin(plugin_id))
    assert list(validated.capabilities) == capabilities

    with pytest.raises(services.GrantRequired) as refused:
        services.install(SYSTEM, validated, grant=[])

    assert refused.value.details == {"plugin": plugin_id, "missing": capabilities}
    assert not Plugin.objects.exists()

    plugin = services.install(SYSTEM, validated, grant=capabilities)

    assert (plugin.id, plugin.enabled, plugin.granted) == (
        plugin_id,
        True,
        sorted(capabilities),
    )


# -- seo-guard -------------------------------------------------------------------------

TITLE_REJECTED = {
    "code": "PLUGIN_REJECTED",
    "message": "Plugin 'seo-guard' rejected content:beforeSave: A post needs a title. "
    "(TITLE_REQUIRED)",
    "details": {"plugin": "seo-guard", "hook": BEFORE_SAVE, "code": "TITLE_REQUIRED"},
}
TITLE_REJECTED_LOG = (
    "warning",
    BEFORE_SAVE,
    "rejected content:beforeSave: A post needs a title. (TITLE_REQUIRED)",
)


def test_seo_guard_rejects_a_post_with_an_empty_title_and_nothing_is_written(
    client: Client,
    builds: Builds,
    posts: str,
    admin: dict[str, str],
) -> None:
    install_built(builds, "seo-guard")

    response = create(client, admin, {"title": "", "body": "Some text."})

    assert response.status_code == 422
    assert response.json()["error"] == TITLE_REJECTED
    assert (Entry.objects.count(), Revision.objects.count()) == (0, 0)
    assert site_still_serves(client, admin)
    assert call_logs("seo-guard") == [TITLE_REJECTED_LOG]


def test_seo_guard_refuses_an_edit_that_empties_the_title_and_the_entry_stays(
    client: Client,
    builds: Builds,
    posts: str,
    admin: dict[str, str],
) -> None:
    install_built(builds, "seo-guard")
    entry = create(client, admin, {"title": "Kept", "body": "Body."}).json()

    response = send(
        client,
        "PATCH",
        f"/content/posts/{entry['id']}",
        {"data": {"title": ""}, "version": entry["version"]},
        admin,
    )

    assert response.status_code == 422
    assert response.json()["error"] == TITLE_REJECTED
    saved = Entry.objects.get(pk=entry["id"])
    assert (saved.version, saved.title, saved.data) == (
        1,
        "Kept",
        {"title": "Kept", "body": "Body."},
    )
    assert Revision.objects.filter(entry=saved).count() == 1
    assert site_still_serves(client, admin)
    assert call_logs("seo-guard") == [TITLE_REJECTED_LOG]


def test_seo_guard_fills_a_missing_seo_description_from_the_body(
    client: Client,
    builds: Builds,
    posts: str,
    admin: dict[str, str],
) -> None:
    install_built(builds, "seo-guard")
    body = "# Spring\n\nThe *garden* opens in [April](https://example.com/april)."

    response = create(client, admin, {"title": "Spring", "body": body})

    assert response.status_code == 201, response.content
    description = "Spring The garden opens in April."
    assert response.json()["seo"] == {"description": description}
    saved = Entry.objects.get(pk=response.json()["id"])
    assert (saved.data, saved.seo) == (
        {"title": "Spring", "body": body},
        {"description": description},
    )
    assert saved.current_revision.seo == {"description": description}
    assert call_logs("seo-guard") == []


def test_seo_guard_keeps_a_description_written_by_hand(
    client: Client,
    builds: Builds,
    posts: str,
    admin: dict[str, str],
) -> None:
    install_built(builds, "seo-guard")

    response = create(
        client,
        admin,
        {"title": "Spring", "body": "The garden opens."},
        seo={"title": "Spring!", "description": "By hand."},
    )

    assert response.status_code == 201, response.content
    assert response.json()["seo"] == {"title": "Spring!", "description": "By hand."}


# -- notify-on-publish -----------------------------------------------------------------

NOTIFY_TEXT = (
    "A new entry was published on your site.\n\n"
    "Title: Spring news\nCollection: posts\nSlug: spring-news\n"
)


def create_and_publish(
    client: Client,
    admin: dict[str, str],
    capture: Any,
    title: str = "Spring news",
) -> str:
    """Create a draft, then publish it, both through the API with their
    after-hooks run on commit; answers the entry's id."""
    with capture(execute=True):
        created = create(client, admin, {"title": title, "body": "Hello."})
    assert created.status_code == 201, created.content
    entry_id = created.json()["id"]
    with capture(execute=True):
        path = f"/content/posts/{entry_id}/publish"
        published = send(client, "POST", path, {}, admin)
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published"
    return entry_id


def test_notify_on_publish_emails_the_recipient_once_when_an_entry_is_published(
    client: Client,
    builds: Builds,
    posts: str,
    admin: dict[str, str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    install_built(builds, "notify-on-publish", {"recipient": RECIPIENT})

    entry_id = create_and_publish(client, admin, django_capture_on_commit_callbacks)

    (message,) = mail.outbox
    assert message.to == [RECIPIENT]
    assert message.subject == "Published: Spring news"
    assert message.body == NOTIFY_TEXT
    assert message.extra_headers["X-EmDash-Plugin"] == "notify-on-publish"
    assert site_still_serves(client, admin)
    assert call_logs("notify-on-publish") == [
        ("info", AFTER_PUBLISH, f"Told {RECIPIENT} about posts/{entry_id}.")
    ]


def test_notify_on_publish_prints_its_email_with_the_console_backend(
    client: Client,
    builds: Builds,
    posts: str,
    admin: dict[str, str],
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    }
    install_built(builds, "notify-on-publish", {"recipient": RECIPIENT})

    create_and_publish(client, admin, django_capture_on_commit_callbacks)

    printed = capsys.readouterr().out
    assert printed.count(f"To: {RECIPIENT}\n") == 1
    assert "Subject: Published: Spring news\n" in printed
    assert NOTIFY_TEXT in printed
    assert mail.outbox == []


def test_notify_on_publish_waits_for_its_recipient_and_publishing_goes_on(
    client: Client,
    builds: Builds,
    posts: str,
    admin: dict[str, str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    install_built(builds, "notify-on-publish")  # its required setting left unset

    entry_id = create_and_publish(client, admin, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert Entry.objects.get(pk=entry_id).status == "published"
    assert site_still_serves(client, admin)
    # Its hooks wait for the required setting: no call, so no failure either.
    assert call_logs("notify-on-publish") == []


# -- webhook ---------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[LocalServer]:
    """A web server on 127.0.0.1 that records every request; /emdash answers 204
    with an empty body."""
    server = LocalServer()
    server.routes["/emdash"] = lambda handler: reply(handler, 204)
    yield server
    server.stop()


@pytest.fixture
def webhook_url(receiver: LocalServer, settings: Any) -> str:
    """The webhook's URL, its host routed to the receiver by the operator's host
    map (which no manifest can ask for)."""
    settings.PLUGIN_HOST_MAP = {WEBHOOK_HOST: "127.0.0.1", UNDECLARED_HOST: "127.0.0.1"}
    return f"http://{WEBHOOK_HOST}:{receiver.port}/emdash"


def save_through_the_api(
    client: Client, admin: dict[str, str], capture: Any
) -> dict[str, Any]:
    """Create an entry through the API, its after-hooks run on commit."""
    with capture(execute=True):
        response = create(client, admin, {"title": "Hello webhook"})
    assert response.status_code == 201, response.content
    return response.json()


def test_webhook_posts_the_saved_entry_to_its_url(
    client: Client,
    builds: Builds,
    posts: str,
    admin: dict[str, str],
    receiver: LocalServer,
    webhook_url: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    install_built(builds, "webhook", {"url": webhook_url})

    entry = save_through_the_api(client, admin, django_capture_on_commit_callbacks)

    (received,) = receiver.received
    assert (received.method, received.path) == ("POST", "/emdash")
    assert received.headers["host"] == f"{WEBHOOK_HOST}:{receiver.port}"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"] == "EmDash-Plugin/webhook"
    assert json.loads(received.body) == {
        "event": AFTER_SAVE,
        "collection": "posts",
        "id": entry["id"],
        "slug": "hello-webhook",
        "status": "draft",
    }
    assert site_still_serves(client, admin)
    assert call_logs("webhook") == []


def test_webhook_logs_an_error_status_and_the_save_stands(
    client: Client,
    builds: Builds,
    posts: str,
    admin: dict[str, str],
    receiver: LocalServer,
    webhook_url: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    install_built(builds, "webhook", {"url": webhook_url})
    receiver.routes["/emdash"] = lambda handler: reply(handler, 500)

    entry = save_through_the_api(client, admin, django_capture_on_commit_callbacks)

    assert Entry.objects.filter(pk=entry["id"]).exists()
    assert len(receiver.received) == 1
    assert site_still_serves(client, admin)
    assert call_logs("webhook") == [
        (
            "error",
            AFTER_SAVE,
            "failed in content:afterSave (error): it answered an error: The webhook "
            f"at {webhook_url} answered 500. (WEBHOOK_STATUS)",
        )
    ]


def test_webhook_to_a_host_it_did_not_declare_is_refused_before_connecting(
    client: Client,
    builds: Builds,
    posts: str,
    admin: dict[str, str],
    receiver: LocalServer,
    webhook_url: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The operator's map routes this name to the receiver too; the manifest's
    # allowed_hosts still decide whether the plugin may reach it.
    undeclared = f"http://{UNDECLARED_HOST}:{receiver.port}/emdash"
    install_built(builds, "webhook", {"url": undeclared})

    save_through_the_api(client, admin, django_capture_on_commit_callbacks)

    assert receiver.received == []
    assert site_still_serves(client, admin)
    assert call_logs("webhook") == [
        (
            "error",
            AFTER_SAVE,
            "failed in content:afterSave (error): it answered an error: The webhook "
            f"to {undeclared} failed: '{undeclared}': {UNDECLARED_HOST} is mapped to "
            "an internal address by the operator; only a plugin that lists it in "
            "allowed_hosts reaches it (HOST_NOT_ALLOWED)",
        )
    ]
