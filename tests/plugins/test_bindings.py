"""The host functions, called from inside a real plugin: a module that forwards
its input to one host function and answers the envelope it got back."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from emdash.content.schemas import entry_out, taxonomy_out, term_out
from emdash.content.services import entries, taxonomies
from emdash.core.actors import SYSTEM
from emdash.plugins import bindings
from emdash.plugins.capabilities import HOST_FUNCTIONS, effective
from emdash.plugins.manifest import parse_manifest
from emdash.plugins.models import PluginDocument, PluginValue
from emdash.plugins.sandbox.calls import CallContext
from emdash.plugins.sandbox.host import LoadedPlugin
from tests.factories import make_collection, make_user
from tests.plugins.fixtures import manifest_for
from tests.plugins.local_server import LocalServer, reply
from tests.plugins.sandbox.wat import relay

pytestmark = pytest.mark.django_db

ORDERS = {"orders": {"indexes": ["status", "count", "paid", "contains"]}}


def ask(
    function: str,
    request: Any,
    *,
    plugin_id: str = "plugin-a",
    capabilities: tuple[str, ...] = (),
    **manifest: Any,
) -> Any:
    """What ``emdash.<function>`` answers ``request`` from inside plugin
    ``plugin_id``: ``{"ok": value}`` or ``{"error": {"code", "message"}}``."""
    checked = parse_manifest(
        manifest_for(plugin_id, capabilities=capabilities, **manifest)
    )
    granted = effective(checked.capabilities)
    plugin = LoadedPlugin(
        plugin_id,
        relay(function),
        capabilities=granted,
        host_functions=bindings.host_functions(
            bindings.PluginIdentity(plugin_id, checked, granted)
        ),
    )
    return plugin.call("test", request, context=bindings.CallBudget()).envelope.value


def ok(value: Any) -> dict[str, Any]:
    return {"ok": value}


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def test_every_host_function_but_log_has_a_binding():
    assert set(bindings.BINDINGS) == set(HOST_FUNCTIONS) - {"log"}


def test_the_abi_reference_lists_every_host_function_with_its_capability():
    reference = (Path(settings.BASE_DIR).parent / "docs/plugins/abi.md").read_text()

    rows = {
        line.split("|")[1].strip(" `"): line.split("|")[2].strip(" `")
        for line in reference.splitlines()
        if line.startswith("| `") and line.count("|") == 5
    }

    assert {
        name: function.capability or "always"
        for name, function in HOST_FUNCTIONS.items()
        if name != "log"
    } == {name: rows.get(name) for name in HOST_FUNCTIONS if name != "log"}


def test_a_plugins_actor_may_write_content_but_never_publish():
    assert bindings.permissions_for(effective({"content:write"})) == {
        "content:read",
        "content:read_drafts",
        "content:create",
        "content:edit_any",
        "content:delete_any",
    }
    assert bindings.permissions_for(frozenset({"email:send"})) == frozenset()


# -- site_info -------------------------------------------------------------------------


def test_site_info_tells_the_sites_name_url_and_language():
    assert ask("site_info", {}) == ok(
        {
            "title": "EmDash",
            "tagline": "",
            "url": settings.SITE_URL,
            "language": "en",
        }
    )


def test_a_request_with_unknown_properties_is_refused_naming_them():
    assert ask("site_info", {"verbose": True}) == error(
        "BAD_REQUEST", "site_info: unknown property 'verbose' (it takes nothing)"
    )
    assert ask("kv_get", {"key": "k", "plugin_id": "plugin-b"}) == error(
        "BAD_REQUEST", "kv_get: unknown property 'plugin_id' (it takes key)"
    )


# -- kv --------------------------------------------------------------------------------


def test_kv_stores_reads_lists_and_deletes_values():
    assert ask("kv_set", {"key": "count", "value": 1}) == ok(None)
    assert ask("kv_set", {"key": "config", "value": {"on": [True]}}) == ok(None)
    assert ask("kv_set", {"key": "count", "value": 2}) == ok(None)

    assert ask("kv_get", {"key": "count"}) == ok(2)
    assert ask("kv_list", {}) == ok(
        {
            "items": [
                {"key": "config", "value": {"on": [True]}},
                {"key": "count", "value": 2},
            ],
            "next_cursor": None,
        }
    )
    assert ask("kv_delete", {"key": "count"}) == ok({"deleted": True})
    assert ask("kv_delete", {"key": "count"}) == ok({"deleted": False})
    assert ask("kv_get", {"key": "count"}) == ok(None)


def test_kv_lists_by_prefix_a_page_at_a_time():
    for key in ("job:1", "job:2", "job:3", "other"):
        ask("kv_set", {"key": key, "value": key})

    first = ask("kv_list", {"prefix": "job:", "limit": 2})
    rest = ask("kv_list", {"prefix": "job:", "limit": 2, "cursor": "job:2"})

    assert first == ok(
        {
            "items": [
                {"key": "job:1", "value": "job:1"},
                {"key": "job:2", "value": "job:2"},
            ],
            "next_cursor": "job:2",
        }
    )
    assert rest == ok(
        {"items": [{"key": "job:3", "value": "job:3"}], "next_cursor": None}
    )


def test_one_plugin_cannot_reach_another_plugins_kv():
    ask("kv_set", {"key": "secret", "value": "a's"}, plugin_id="plugin-a")

    assert ask("kv_get", {"key": "secret"}, plugin_id="plugin-b") == ok(None)
    assert ask("kv_list", {}, plugin_id="plugin-b") == ok(
        {"items": [], "next_cursor": None}
    )
    assert ask("kv_delete", {"key": "secret"}, plugin_id="plugin-b") == ok(
        {"deleted": False}
    )
    ask("kv_set", {"key": "secret", "value": "b's"}, plugin_id="plugin-b")
    assert ask("kv_get", {"key": "secret"}, plugin_id="plugin-a") == ok("a's")
    assert sorted(PluginValue.objects.values_list("plugin_id", "value")) == [
        ("plugin-a", "a's"),
        ("plugin-b", "b's"),
    ]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"value": 1}, "kv_set: 'key' is required"),
        ({"key": "", "value": 1}, "kv_set: 'key' must not be empty"),
        ({"key": 7, "value": 1}, "kv_set: 'key' must be a string"),
        (
            {"key": "k" * 201, "value": 1},
            "kv_set: 'key' must be at most 200 characters",
        ),
        ({"key": "k"}, "kv_set: 'value' is required"),
    ],
)
def test_kv_refuses_bad_keys_and_missing_values(request_, message):
    assert ask("kv_set", request_) == error("BAD_REQUEST", message)
    assert PluginValue.objects.count() == 0


def test_kv_refuses_a_value_over_its_size_cap():
    answer = ask("kv_set", {"key": "big", "value": "x" * (64 * 1024)})

    assert answer == error(
        "PAYLOAD_TOO_LARGE",
        "kv_set: the value of 'big' is 65538 bytes as JSON, over the 65536-byte limit",
    )
    assert PluginValue.objects.count() == 0


def test_kv_refuses_a_key_over_the_plugins_key_cap(monkeypatch):
    monkeypatch.setattr(bindings, "MAX_KEYS_PER_PLUGIN", 2)
    ask("kv_set", {"key": "one", "value": 1})
    ask("kv_set", {"key": "two", "value": 2})

    refused = ask("kv_set", {"key": "three", "value": 3})
    replaced = ask("kv_set", {"key": "one", "value": 11})

    assert refused == error(
        "QUOTA_EXCEEDED",
        "kv_set: the plugin already keeps 2 keys, the most it may; delete some "
        "before adding 'three'",
    )
    assert replaced == ok(None)
    assert dict(PluginValue.objects.values_list("key", "value")) == {
        "one": 11,
        "two": 2,
    }


# -- storage ---------------------------------------------------------------------------


def put(document_id: str, data: Any, plugin_id: str = "plugin-a") -> Any:
    return ask(
        "storage_put",
        {"collection": "orders", "id": document_id, "data": data},
        plugin_id=plugin_id,
        storage=ORDERS,
    )


def query(request: dict[str, Any], plugin_id: str = "plugin-a") -> Any:
    return ask(
        "storage_query",
        {"collection": "orders", **request},
        plugin_id=plugin_id,
        storage=ORDERS,
    )


def test_storage_keeps_documents_by_id():
    assert put("o1", {"status": "paid", "count": 2}) == ok({"id": "o1"})
    assert put("o1", {"status": "shipped", "count": 2}) == ok({"id": "o1"})

    found = ask("storage_get", {"collection": "orders", "id": "o1"}, storage=ORDERS)
    missing = ask("storage_get", {"collection": "orders", "id": "o2"}, storage=ORDERS)

    assert found == ok({"id": "o1", "data": {"status": "shipped", "count": 2}})
    assert missing == ok(None)
    assert ask(
        "storage_delete", {"collection": "orders", "id": "o1"}, storage=ORDERS
    ) == ok({"deleted": True})
    assert PluginDocument.objects.count() == 0


def test_storage_queries_match_declared_indexes_exactly():
    put("o1", {"status": "paid", "count": 2, "paid": True, "contains": "gift"})
    put("o2", {"status": "paid", "count": 3, "paid": False})
    put("o3", {"status": "open", "count": 2, "paid": True})

    def ids(where: dict[str, Any]) -> list[str]:
        answer = query({"where": where})
        return [item["id"] for item in answer["ok"]["items"]]

    assert ids({"status": "paid"}) == ["o1", "o2"]
    assert ids({"count": 2}) == ["o1", "o3"]
    assert ids({"paid": True, "count": 2}) == ["o1", "o3"]
    assert ids({"status": "paid", "count": 3}) == ["o2"]
    # An index named like a lookup still means the document's field.
    assert ids({"contains": "gift"}) == ["o1"]
    assert ids({}) == ["o1", "o2", "o3"]


def test_storage_queries_a_page_at_a_time():
    for number in range(3):
        put(f"o{number}", {"status": "paid"})

    first = query({"limit": 2})
    rest = query({"limit": 2, "cursor": "o1"})

    assert [item["id"] for item in first["ok"]["items"]] == ["o0", "o1"]
    assert first["ok"]["next_cursor"] == "o1"
    assert rest == ok(
        {"items": [{"id": "o2", "data": {"status": "paid"}}], "next_cursor": None}
    )


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            {"total": 3},
            "storage_query: 'where.total' is not an index of collection 'orders' "
            "(its indexes: status, count, paid, contains)",
        ),
        (
            {"status": ["paid"]},
            "storage_query: 'where.status' must be a string, a number or a boolean",
        ),
    ],
)
def test_storage_queries_refuse_fields_that_are_not_indexes(where, message):
    assert query({"where": where}) == error("BAD_REQUEST", message)


def test_storage_reaches_only_the_collections_the_manifest_declares():
    answer = ask(
        "storage_put",
        {"collection": "customers", "id": "c1", "data": {}},
        storage=ORDERS,
    )

    assert answer == error(
        "COLLECTION_NOT_DECLARED",
        "storage_put: collection 'customers' is not declared in the manifest's "
        "storage (declared: orders)",
    )
    assert PluginDocument.objects.count() == 0


def test_one_plugin_cannot_reach_another_plugins_documents():
    put("o1", {"status": "paid"}, plugin_id="plugin-a")

    assert query({}, plugin_id="plugin-b") == ok({"items": [], "next_cursor": None})
    assert ask(
        "storage_get",
        {"collection": "orders", "id": "o1"},
        plugin_id="plugin-b",
        storage=ORDERS,
    ) == ok(None)


def test_storage_refuses_documents_that_are_not_objects_or_too_large():
    assert put("o1", ["paid"]) == error(
        "BAD_REQUEST", "storage_put: 'data' must be an object"
    )
    assert put("o1", {"notes": "x" * (256 * 1024)}) == error(
        "PAYLOAD_TOO_LARGE",
        "storage_put: document 'o1' is 262156 bytes as JSON, over the "
        "262144-byte limit",
    )
    assert PluginDocument.objects.count() == 0


# -- content ---------------------------------------------------------------------------

READER = ("content:read",)
WRITER = ("content:write",)


@pytest.fixture
def posts() -> str:
    make_collection("posts")
    return "posts"


def test_content_get_answers_the_entry_as_the_api_shows_it(posts):
    entry = entries.create_entry(SYSTEM, "posts", {"data": {"title": "A draft"}})
    expected = ok(entry_out(entry).model_dump(mode="json"))

    by_id = ask(
        "content_get", {"collection": "posts", "id": entry.pk}, capabilities=READER
    )
    by_slug = ask(
        "content_get", {"collection": "posts", "id": "a-draft"}, capabilities=READER
    )

    assert by_id == expected
    assert by_slug == expected
    assert by_id["ok"]["status"] == "draft"


def test_content_get_says_when_there_is_no_such_entry(posts):
    answer = ask(
        "content_get", {"collection": "posts", "id": "nope"}, capabilities=READER
    )

    assert answer == error("ENTRY_NOT_FOUND", "No entry 'nope' in 'posts'.")


def test_content_list_pages_through_entries(posts):
    for title in ("One", "Two", "Three"):
        entries.create_entry(SYSTEM, "posts", {"data": {"title": title}})

    answer = ask(
        "content_list", {"collection": "posts", "limit": 2}, capabilities=READER
    )

    assert [item["title"] for item in answer["ok"]["items"]] == ["Three", "Two"]
    assert answer["ok"]["next_cursor"] is not None


def test_content_create_makes_a_draft_by_nobody(posts):
    answer = ask(
        "content_create",
        {"collection": "posts", "data": {"title": "By a plugin"}, "slug": "bot"},
        capabilities=WRITER,
    )

    entry = entries.get_entry(SYSTEM, "posts", "bot")
    assert answer == ok(entry_out(entry).model_dump(mode="json"))
    assert (entry.title, entry.status, entry.author_id) == (
        "By a plugin",
        "draft",
        None,
    )
    assert entry.current_revision.actor_label == "plugin plugin-a"


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (
            {"status": "published"},
            "NOT_WRITABLE",
            "content_create: 'status' is kept by the site and plugins cannot write "
            "it (send only collection, data, seo, slug)",
        ),
        (
            {"author": {"id": 1}},
            "NOT_WRITABLE",
            "content_create: 'author' is kept by the site and plugins cannot write "
            "it (send only collection, data, seo, slug)",
        ),
        (
            {"published_at": "2020-01-01T00:00:00Z"},
            "NOT_WRITABLE",
            "content_create: 'published_at' is kept by the site and plugins cannot "
            "write it (send only collection, data, seo, slug)",
        ),
        (
            {"id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
            "NOT_WRITABLE",
            "content_create: 'id' is kept by the site and plugins cannot write it "
            "(send only collection, data, seo, slug)",
        ),
        (
            {"colour": "red"},
            "BAD_REQUEST",
            "content_create: unknown property 'colour' (it takes collection, data, "
            "seo, slug)",
        ),
    ],
)
def test_content_create_refuses_system_columns_naming_them(posts, extra, code, message):
    request = {"collection": "posts", "data": {"title": "T"}, **extra}

    assert ask("content_create", request, capabilities=WRITER) == error(code, message)
    assert entries.Entry.objects.count() == 0


def test_content_create_puts_each_fields_problem_in_the_message(posts):
    answer = ask(
        "content_create", {"collection": "posts", "data": {}}, capabilities=WRITER
    )

    assert answer["error"]["code"] == "VALIDATION_ERROR"
    assert "(title: " in answer["error"]["message"]


def test_content_update_merges_data_into_a_draft(posts):
    entry = entries.create_entry(
        SYSTEM, "posts", {"data": {"title": "Old", "excerpt": "Kept"}}
    )

    answer = ask(
        "content_update",
        {"collection": "posts", "id": entry.pk, "data": {"title": "New"}},
        capabilities=WRITER,
    )

    assert answer["ok"]["data"] == {"title": "New", "excerpt": "Kept"}
    assert answer["ok"]["version"] == entry.version + 1


def test_content_update_with_a_stale_version_is_a_conflict(posts):
    entry = entries.create_entry(SYSTEM, "posts", {"data": {"title": "Old"}})
    entries.update_entry(
        SYSTEM, "posts", entry.pk, {"version": entry.version, "data": {"title": "Mid"}}
    )

    answer = ask(
        "content_update",
        {"collection": "posts", "id": entry.pk, "version": entry.version},
        capabilities=WRITER,
    )

    assert answer["error"]["code"] == "VERSION_CONFLICT"
    assert entries.get_entry(SYSTEM, "posts", entry.pk).title == "Mid"


def test_content_update_cannot_change_what_is_live(posts):
    entry = entries.create_entry(
        SYSTEM, "posts", {"data": {"title": "Live"}, "status": "published"}
    )

    answer = ask(
        "content_update",
        {"collection": "posts", "id": entry.pk, "data": {"title": "Defaced"}},
        capabilities=WRITER,
    )

    assert answer == error(
        "FORBIDDEN",
        "plugin plugin-a lacks the permission content:publish_any or "
        "content:publish_own.",
    )
    assert entries.get_entry(SYSTEM, "posts", entry.pk).title == "Live"


def test_content_delete_moves_an_entry_to_the_trash(posts):
    entry = entries.create_entry(SYSTEM, "posts", {"data": {"title": "Going"}})

    answer = ask(
        "content_delete", {"collection": "posts", "id": entry.pk}, capabilities=WRITER
    )

    assert answer["ok"]["status"] == "trash"


# -- taxonomies, users, media ----------------------------------------------------------


def test_taxonomy_list_answers_taxonomies_or_one_taxonomys_terms():
    tags = taxonomies.create_taxonomy(SYSTEM, {"slug": "tags", "label": "Tags"})
    news = taxonomies.create_term(SYSTEM, "tags", {"name": "News"})

    everything = ask("taxonomy_list", {}, capabilities=("taxonomies:read",))
    terms = ask(
        "taxonomy_list", {"taxonomy": "tags"}, capabilities=("taxonomies:read",)
    )

    assert everything == ok({"items": [taxonomy_out(tags).model_dump(mode="json")]})
    assert terms == ok({"items": [term_out(news).model_dump(mode="json")]})


def test_user_get_and_user_list_answer_names_roles_and_emails():
    editor = make_user("editor", email="ed@example.com")
    author = make_user("author", email="au@example.com")
    readers = ("users:read",)

    one = ask("user_get", {"id": str(editor.pk)}, capabilities=readers)
    first = ask("user_list", {"limit": 1}, capabilities=readers)
    rest = ask("user_list", {"limit": 1, "cursor": editor.pk}, capabilities=readers)

    assert one == ok(
        {
            "id": editor.pk,
            "display_name": "Editor User",
            "role": "editor",
            "email": "ed@example.com",
        }
    )
    assert [item["id"] for item in first["ok"]["items"]] == [editor.pk]
    assert first["ok"]["next_cursor"] == editor.pk
    assert rest == ok(
        {
            "items": [
                {
                    "id": author.pk,
                    "display_name": "Author User",
                    "role": "author",
                    "email": "au@example.com",
                }
            ],
            "next_cursor": None,
        }
    )


def test_user_get_refuses_what_is_not_a_user_id():
    assert ask("user_get", {"id": "me"}, capabilities=("users:read",)) == error(
        "BAD_REQUEST", "user_get: 'id' must be an integer"
    )
    assert ask("user_get", {"id": 999}, capabilities=("users:read",)) == error(
        "USER_NOT_FOUND", "No user '999'."
    )


def test_media_functions_say_they_are_not_there_yet():
    assert ask("media_get", {"id": "m1"}, capabilities=("media:read",)) == error(
        "UNAVAILABLE",
        "the media host functions are not available yet: the media library "
        "arrives with the media issue",
    )


# -- email -----------------------------------------------------------------------------

MAILER = ("email:send",)


def test_email_send_mails_through_the_sites_mailer():
    answer = ask(
        "email_send",
        {
            "to": ["a@example.com", "b@example.com"],
            "subject": "Published",
            "text": "A post went live.",
            "html": "<p>A post went live.</p>",
        },
        capabilities=MAILER,
    )

    assert answer == ok({"recipients": 2})
    [message] = mail.outbox
    assert (message.to, message.subject, message.body, message.from_email) == (
        ["a@example.com", "b@example.com"],
        "Published",
        "A post went live.",
        settings.DEFAULT_FROM_EMAIL,
    )
    assert message.alternatives[0].content == "<p>A post went live.</p>"
    assert message.extra_headers["X-EmDash-Plugin"] == "plugin-a"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            {
                "to": [f"r{n}@example.com" for n in range(11)],
                "subject": "s",
                "text": "t",
            },
            "email_send: 'to' may name at most 10 recipients",
        ),
        (
            {"to": "not an address", "subject": "s", "text": "t"},
            "email_send: 'to' holds 'not an address', not an email address",
        ),
        (
            {"to": [], "subject": "s", "text": "t"},
            "email_send: 'to' must be an address or a non-empty list of them",
        ),
        (
            {"to": "a@example.com", "subject": "s\nBcc: x@example.com", "text": "t"},
            "email_send: 'subject' must be one line",
        ),
        (
            {"to": "a@example.com", "subject": "s"},
            "email_send: 'text' is required (or html), and must not be empty",
        ),
    ],
)
def test_email_send_refuses_bad_requests(request_, message):
    assert ask("email_send", request_, capabilities=MAILER) == error(
        "BAD_REQUEST", message
    )
    assert mail.outbox == []


def context(*, seconds_left: float, budget: Any = None) -> CallContext:
    return CallContext(
        plugin_id="plugin-a",
        hook="test",
        capabilities=frozenset(MAILER),
        deadline=time.monotonic() + seconds_left,
        context=budget or bindings.CallBudget(),
    )


def identity() -> bindings.PluginIdentity:
    checked = parse_manifest(manifest_for("plugin-a", capabilities=MAILER))
    return bindings.PluginIdentity("plugin-a", checked, frozenset(MAILER))


EMAIL = {"to": "a@example.com", "subject": "s", "text": "t"}


def test_email_send_refuses_once_the_hooks_time_is_up():
    with pytest.raises(bindings.DeadlinePassed, match="the hook's time is up"):
        bindings.email_send(identity(), context(seconds_left=-1), dict(EMAIL))

    assert mail.outbox == []


def test_email_send_caps_the_emails_of_one_call():
    budget = bindings.CallBudget()
    for _ in range(bindings.MAX_EMAILS_PER_CALL):
        bindings.email_send(
            identity(), context(seconds_left=5, budget=budget), dict(EMAIL)
        )

    with pytest.raises(bindings.QuotaExceeded, match="at most 10 emails"):
        bindings.email_send(
            identity(), context(seconds_left=5, budget=budget), dict(EMAIL)
        )
    assert len(mail.outbox) == bindings.MAX_EMAILS_PER_CALL


# -- http_fetch ------------------------------------------------------------------------

HOOKS_HOST = ("hooks.example.com",)
NETWORK = ("network:request",)


@pytest.fixture
def local_server() -> Iterator[int]:
    """The port of a local server whose /ping answers "pong"."""
    server = LocalServer()
    server.routes["/ping"] = lambda handler: reply(
        handler, 200, b"pong", [("Content-Type", "text/plain; charset=utf-8")]
    )
    yield server.port
    server.stop()


def test_http_fetch_reaches_an_allowed_host(settings, local_server):
    # The operator maps the plugin's host to a local server.
    settings.PLUGIN_HOST_MAP = {"hooks.example.com": "127.0.0.1"}

    answer = ask(
        "http_fetch",
        {"url": f"http://hooks.example.com:{local_server}/ping"},
        capabilities=NETWORK,
        allowed_hosts=HOOKS_HOST,
    )

    assert answer["ok"]["status"] == 200
    assert answer["ok"]["body"] == "pong"


def test_http_fetch_refuses_a_host_the_manifest_does_not_allow():
    answer = ask(
        "http_fetch",
        {"url": "https://elsewhere.example.org/"},
        capabilities=NETWORK,
        allowed_hosts=HOOKS_HOST,
    )

    assert answer == error(
        "HOST_NOT_ALLOWED",
        "'https://elsewhere.example.org/': elsewhere.example.org is not in the "
        "plugin's allowed_hosts",
    )


@pytest.mark.parametrize(
    ("url", "allowed", "code"),
    [
        ("http://127.0.0.1/", (), "ADDRESS_NOT_ALLOWED"),
        ("http://localhost/", ("localhost",), "ADDRESS_NOT_ALLOWED"),
        ("http://10.1.2.3/", (), "ADDRESS_NOT_ALLOWED"),
        ("http://192.168.0.10/", (), "ADDRESS_NOT_ALLOWED"),
        ("http://169.254.169.254/latest/meta-data/", (), "ADDRESS_NOT_ALLOWED"),
        ("http://0.0.0.0/", (), "ADDRESS_NOT_ALLOWED"),
        ("http://[::ffff:127.0.0.1]/", (), "ADDRESS_NOT_ALLOWED"),
        ("http://2130706433/", (), "ADDRESS_NOT_ALLOWED"),
        ("http://0177.0.0.1/", (), "ADDRESS_NOT_ALLOWED"),
        ("https://elsewhere.example.org/", ("hooks.example.com",), "HOST_NOT_ALLOWED"),
    ],
)
def test_a_plugin_cannot_reach_inside_and_no_connection_is_attempted(
    monkeypatch, url, allowed, code
):
    """From inside a plugin, through the host function: refused before any
    socket connects, and the host goes on serving."""
    attempts: list[object] = []

    def refuse_to_connect(sock: object, address: object) -> None:
        attempts.append(address)
        raise OSError("no connection may be attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse_to_connect)
    capabilities = NETWORK if allowed else ("network:request:unrestricted",)

    answer = ask(
        "http_fetch",
        {"url": url},
        capabilities=capabilities,
        **({"allowed_hosts": allowed} if allowed else {}),
    )

    assert answer["error"]["code"] == code
    assert attempts == []
    assert ask("site_info", {})["ok"]["title"]


def test_http_fetch_unrestricted_still_refuses_private_addresses():
    answer = ask(
        "http_fetch",
        {"url": "http://127.0.0.1/"},
        capabilities=("network:request:unrestricted",),
    )

    assert answer["error"]["code"] == "ADDRESS_NOT_ALLOWED"
