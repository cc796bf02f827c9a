"""The plugin runtime: hooks wired into the content services, in priority order,
with rejections and failures answered cleanly and nothing half-written."""

from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from emdash.content.models import Entry, Revision
from emdash.content.services import entries
from emdash.core import epoch
from emdash.core.actors import SYSTEM
from emdash.core.models import Epoch
from emdash.plugins import runtime, services
from emdash.plugins.models import Plugin, PluginValue
from tests.api.conftest import bearer, send, token_for
from tests.factories import make_collection
from tests.plugins.fixtures import (
    UPPERCASE_DATA,
    calling,
    host_call_then_loop,
    install,
    logging_then,
    logs_of,
    rejecting,
    site_still_serves,
)
from tests.plugins.sandbox.wat import INFINITE_LOOP, answering

pytestmark = pytest.mark.django_db

BEFORE_SAVE = "content:beforeSave"
AFTER_SAVE = "content:afterSave"
FUEL_MESSAGE = (
    "used all 50000000 units of fuel: wasm trap: all fuel consumed by WebAssembly"
)


@pytest.fixture
def posts() -> str:
    make_collection("posts")
    return "posts"


@pytest.fixture
def admin() -> dict[str, str]:
    return bearer(token_for("admin"))


def create(client: Client, admin: dict[str, str], title: str = "hello world") -> Any:
    return send(client, "POST", "/content/posts", {"data": {"title": title}}, admin)


def error_of(response: Any) -> dict[str, Any]:
    return response.json()["error"]


def saved_titles() -> list[str]:
    return list(Entry.objects.order_by("created_at").values_list("title", flat=True))


# -- before-hooks through the REST API -------------------------------------------------


def test_a_before_hook_changes_what_is_saved(client, posts, admin):
    install("shouty", UPPERCASE_DATA, hooks=[BEFORE_SAVE])

    response = create(client, admin, "hello world")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["data"]["title"]) == ("HELLO WORLD", "HELLO WORLD")
    entry = Entry.objects.get(pk=body["id"])
    assert (entry.title, entry.data, entry.slug) == (
        "HELLO WORLD",
        {"title": "HELLO WORLD"},
        "hello-world",
    )
    assert entry.current_revision.data == {"title": "HELLO WORLD"}


def test_a_rejection_answers_422_naming_plugin_hook_and_reason_and_writes_nothing(
    client, posts, admin
):
    install(
        "gatekeeper", rejecting("NOT_TODAY", "No saving today."), hooks=[BEFORE_SAVE]
    )

    response = create(client, admin)

    assert response.status_code == 422
    assert error_of(response) == {
        "code": "PLUGIN_REJECTED",
        "message": (
            "Plugin 'gatekeeper' rejected content:beforeSave: No saving today. "
            "(NOT_TODAY)"
        ),
        "details": {
            "plugin": "gatekeeper",
            "hook": "content:beforeSave",
            "code": "NOT_TODAY",
        },
    }
    assert Entry.objects.count() == 0
    assert Revision.objects.count() == 0
    assert logs_of("gatekeeper") == [
        (
            "warning",
            BEFORE_SAVE,
            "rejected content:beforeSave: No saving today. (NOT_TODAY)",
            {"code": "NOT_TODAY"},
        )
    ]
    assert site_still_serves(client, admin)


def test_a_rejection_also_undoes_what_earlier_plugins_wrote(client, posts, admin):
    install(
        "note-taker",
        calling("kv_set", '{"key":"saw","value":true}'),
        hooks={BEFORE_SAVE: {"priority": 10}},
    )
    install("gatekeeper", rejecting(), hooks={BEFORE_SAVE: {"priority": 20}})

    response = create(client, admin)

    assert response.status_code == 422
    assert error_of(response)["details"]["plugin"] == "gatekeeper"
    assert PluginValue.objects.count() == 0
    assert Entry.objects.count() == 0


def test_an_infinite_loop_under_abort_is_refused_and_writes_nothing(
    client, posts, admin
):
    install("looper", INFINITE_LOOP, hooks=[BEFORE_SAVE])

    response = create(client, admin)

    assert response.status_code == 422
    assert error_of(response) == {
        "code": "PLUGIN_REJECTED",
        "message": (
            "Plugin 'looper' failed in content:beforeSave (fuel): "
            f"{FUEL_MESSAGE}. Nothing was written (its on_error is abort)."
        ),
        "details": {"plugin": "looper", "hook": BEFORE_SAVE, "reason": "fuel"},
    }
    assert (Entry.objects.count(), Revision.objects.count()) == (0, 0)
    assert logs_of("looper") == [
        (
            "error",
            BEFORE_SAVE,
            f"failed in content:beforeSave (fuel): {FUEL_MESSAGE}",
            {"reason": "fuel", "on_error": "abort"},
        )
    ]
    assert site_still_serves(client, admin)


def test_an_infinite_loop_under_continue_is_logged_and_the_save_goes_on(
    client, posts, admin
):
    install("looper", INFINITE_LOOP, hooks={BEFORE_SAVE: {"on_error": "continue"}})

    response = create(client, admin, "kept")

    assert response.status_code == 201, response.content
    assert saved_titles() == ["kept"]
    assert logs_of("looper") == [
        (
            "error",
            BEFORE_SAVE,
            f"failed in content:beforeSave (fuel): {FUEL_MESSAGE}",
            {"reason": "fuel", "on_error": "continue"},
        )
    ]


def test_a_failed_call_leaves_none_of_its_own_writes(posts):
    install(
        "half-done",
        host_call_then_loop("kv_set", '{"key":"half","value":1}'),
        hooks={BEFORE_SAVE: {"on_error": "continue"}},
    )

    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Saved"}})

    assert saved_titles() == ["Saved"]
    assert PluginValue.objects.count() == 0


def test_an_error_answer_is_a_failure(client, posts, admin):
    install(
        "grumpy",
        answering('{"error":{"code":"BROKEN","message":"It broke."}}'),
        hooks=[BEFORE_SAVE],
    )

    response = create(client, admin)

    assert response.status_code == 422
    assert error_of(response) == {
        "code": "PLUGIN_REJECTED",
        "message": (
            "Plugin 'grumpy' failed in content:beforeSave (error): it answered an "
            "error: It broke. (BROKEN). Nothing was written (its on_error is abort)."
        ),
        "details": {"plugin": "grumpy", "hook": BEFORE_SAVE, "reason": "error"},
    }


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (
            '{"ok":{"status":"published"}}',
            "it returned 'status', which plugins may not change (system columns "
            "are not writable; a before-hook may return data, seo, slug)",
        ),
        (
            '{"ok":{"data":{"title":"x"},"author":1}}',
            "it returned 'author', which plugins may not change (system columns "
            "are not writable; a before-hook may return data, seo, slug)",
        ),
        ('{"ok":{"slug":7}}', "it returned 'slug' as a int, not a string"),
        (
            '{"ok":"published"}',
            "a before-hook's ok value must be an object with any of data, seo, "
            "slug; it answered a str",
        ),
    ],
)
def test_a_before_hook_cannot_write_system_columns(
    client, posts, admin, answer, problem
):
    install("promoter", answering(answer), hooks=[BEFORE_SAVE])

    response = create(client, admin)

    assert response.status_code == 422
    assert error_of(response) == {
        "code": "PLUGIN_REJECTED",
        "message": (
            f"Plugin 'promoter' failed in content:beforeSave (bad_output): {problem}. "
            "Nothing was written (its on_error is abort)."
        ),
        "details": {"plugin": "promoter", "hook": BEFORE_SAVE, "reason": "bad_output"},
    }
    assert Entry.objects.count() == 0


def test_under_continue_a_system_column_write_is_ignored(posts):
    install(
        "promoter",
        answering('{"ok":{"status":"published"}}'),
        hooks={BEFORE_SAVE: {"on_error": "continue"}},
    )

    entry = entries.create_entry(SYSTEM, "posts", {"data": {"title": "Draft"}})

    assert entry.status == "draft"
    assert [level for level, *_ in logs_of("promoter")] == ["error"]


@pytest.mark.parametrize(
    ("shouty_priority", "fixed_priority", "title"),
    [
        (10, 20, "fixed title"),  # shouty first, then fixed replaces its data
        (20, 10, "FIXED TITLE"),  # fixed first, then shouty upper-cases it
        (100, 100, "FIXED TITLE"),  # a tie: by id, "fixed" before "shouty"
    ],
)
def test_plugins_run_in_priority_order_each_seeing_the_last_ones_changes(
    posts, shouty_priority, fixed_priority, title
):
    install(
        "shouty", UPPERCASE_DATA, hooks={BEFORE_SAVE: {"priority": shouty_priority}}
    )
    install(
        "fixed",
        answering('{"ok":{"data":{"title":"fixed title"}}}'),
        hooks={BEFORE_SAVE: {"priority": fixed_priority}},
    )

    entry = entries.create_entry(SYSTEM, "posts", {"data": {"title": "original"}})

    assert entry.title == title


def test_a_disabled_plugin_does_not_run(posts):
    install("gatekeeper", rejecting(), hooks=[BEFORE_SAVE], enabled=False)

    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Allowed"}})

    assert saved_titles() == ["Allowed"]
    assert logs_of("gatekeeper") == []


def test_every_log_line_of_a_call_is_stored(posts):
    install("chatty", logging_then("saw a save"), hooks=[BEFORE_SAVE])

    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Logged"}})

    assert logs_of("chatty") == [("info", BEFORE_SAVE, "saw a save", {})]


def test_a_plugin_that_cannot_be_loaded_fails_each_call_saying_why(
    client, posts, admin
):
    install(
        "reader",
        calling("content_get", '{"collection":"posts","id":"x"}'),
        hooks=[BEFORE_SAVE],
        capabilities=["content:read"],
    )
    # The grant narrowed after the install (a row edited by hand, say).
    Plugin.objects.filter(pk="reader").update(granted=[])
    epoch.bump("plugins")

    response = create(client, admin)

    assert response.status_code == 422
    assert error_of(response)["details"] == {
        "plugin": "reader",
        "hook": BEFORE_SAVE,
        "reason": "instantiate",
    }
    assert (
        "imports emdash.content_get, which needs the capability content:read"
        in (error_of(response)["message"])
    )
    assert Entry.objects.count() == 0
    assert site_still_serves(client, admin)


# -- the registry follows the plugins epoch --------------------------------------------


def test_the_registry_changes_only_when_the_plugins_epoch_moves(posts):
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Before"}})
    install("gatekeeper", rejecting(), hooks=[BEFORE_SAVE], bump=False)

    # Without the bump this process keeps the plugins it loaded.
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Unseen"}})
    epoch.bump("plugins")
    with pytest.raises(runtime.PluginRejected):
        entries.create_entry(SYSTEM, "posts", {"data": {"title": "Refused"}})
    Plugin.objects.filter(pk="gatekeeper").update(enabled=False)
    epoch.bump("plugins")
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "After"}})

    assert saved_titles() == ["Before", "Unseen", "After"]


def test_a_change_made_by_another_process_takes_effect_when_the_memo_expires(
    posts, settings
):
    settings.EPOCH_MEMO_SECONDS = 60
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Before"}})

    # Another process installs a plugin: its row and its bump; this process's
    # memo of the epoch does not know.
    install("gatekeeper", rejecting(), hooks=[BEFORE_SAVE], bump=False)
    Epoch.objects.get_or_create(name="plugins")
    Epoch.objects.filter(name="plugins").update(value=F("value") + 1)
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Within the memo"}})
    epoch.forget_memo()  # what the memo's time running out does

    with pytest.raises(runtime.PluginRejected):
        entries.create_entry(SYSTEM, "posts", {"data": {"title": "Refused"}})
    assert saved_titles() == ["Before", "Within the memo"]


# -- after-hooks -----------------------------------------------------------------------


def test_an_after_hook_runs_only_once_the_write_committed(
    posts, django_capture_on_commit_callbacks
):
    install(
        "recorder",
        calling("kv_set", '{"key":"saw","value":true}'),
        hooks=[AFTER_SAVE],
    )

    with django_capture_on_commit_callbacks(execute=True):
        entries.create_entry(SYSTEM, "posts", {"data": {"title": "Committed"}})
        before_commit = PluginValue.objects.count()

    assert before_commit == 0
    assert PluginValue.objects.get(plugin_id="recorder", key="saw").value is True


def test_an_after_hook_failure_does_not_undo_the_save(
    posts, django_capture_on_commit_callbacks
):
    install(
        "looper",
        host_call_then_loop("kv_set", '{"key":"half","value":1}'),
        hooks=[AFTER_SAVE],
    )

    with django_capture_on_commit_callbacks(execute=True):
        entries.create_entry(SYSTEM, "posts", {"data": {"title": "Kept"}})

    assert saved_titles() == ["Kept"]
    assert PluginValue.objects.count() == 0
    assert logs_of("looper") == [
        (
            "error",
            AFTER_SAVE,
            f"failed in content:afterSave (fuel): {FUEL_MESSAGE}",
            {"reason": "fuel", "on_error": "continue"},
        )
    ]


def test_an_after_hook_cannot_reject(posts, django_capture_on_commit_callbacks):
    install("late", rejecting(), hooks=[AFTER_SAVE])

    with django_capture_on_commit_callbacks(execute=True):
        entries.create_entry(SYSTEM, "posts", {"data": {"title": "Kept"}})

    assert saved_titles() == ["Kept"]
    assert [level for level, *_ in logs_of("late")] == ["warning"]


# -- plugins that write content --------------------------------------------------------


def test_a_plugins_own_write_does_not_run_its_hooks_again(posts):
    install(
        "echo-writer",
        calling("content_create", '{"collection":"posts","data":{"title":"Echo"}}'),
        hooks=[BEFORE_SAVE],
        capabilities=["content:write"],
    )

    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Original"}})

    assert saved_titles() == ["Echo", "Original"]
    echo = Entry.objects.get(title="Echo")
    assert (echo.status, echo.author_id) == ("draft", None)


def ping_pong() -> None:
    """Two plugins, each creating an entry in content:afterSave."""
    for plugin_id in ("ping", "pong"):
        install(
            plugin_id,
            calling(
                "content_create",
                f'{{"collection":"posts","data":{{"title":"{plugin_id}"}}}}',
            ),
            hooks=[AFTER_SAVE],
            capabilities=["content:write"],
        )


def test_the_hooks_of_a_plugins_write_deferred_past_its_call_do_not_run(
    posts, django_capture_on_commit_callbacks
):
    ping_pong()

    # The test's transaction defers every after-hook past the calls that wrote.
    with django_capture_on_commit_callbacks(execute=True):
        entries.create_entry(SYSTEM, "posts", {"data": {"title": "Start"}})

    assert saved_titles() == ["Start", "ping", "pong"]


@pytest.mark.django_db(transaction=True)
def test_plugins_writing_in_each_others_after_hooks_do_not_loop(posts):
    ping_pong()

    # Autocommit, as a request runs: each call's writes commit as it ends, and
    # their hooks run the other plugin, never one already in the chain.
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Start"}})

    assert saved_titles() == ["Start", "ping", "pong", "pong", "ping"]


def test_an_seo_object_from_a_hook_is_validated_like_one_from_the_editor(client, admin):
    make_collection("posts", supports=["seo"])
    answer = '{"ok": {"seo": {"description": "' + "x" * 600 + '", "bogus": 42}}}'
    install("seo-stuffer", answering(answer), hooks=[BEFORE_SAVE])

    response = create(client, admin)

    assert response.status_code == 422
    assert error_of(response)["details"]["fields"] == {
        "seo.bogus": "unknown property",
        "seo.description": "must be at most 500 characters",
    }
    assert Entry.objects.count() == 0


def test_a_plugins_write_is_undone_when_the_save_then_fails_validation(client, admin):
    make_collection("posts", supports=["seo"])
    # Notes keep no SEO object, so the stuffer's answer leaves the echo's save be.
    make_collection("notes", supports=["drafts", "revisions"])
    install(
        "echo-writer",
        calling("content_create", '{"collection":"notes","data":{"title":"Echo"}}'),
        hooks={BEFORE_SAVE: {"priority": 1}},
        capabilities=["content:write"],
    )
    install(
        "seo-stuffer",
        answering('{"ok": {"seo": {"bogus": 42}}}'),
        hooks={BEFORE_SAVE: {"priority": 2}},
    )

    response = create(client, admin)

    assert response.status_code == 422
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert saved_titles() == []


@pytest.mark.django_db(transaction=True)
def test_a_rejection_is_logged_though_the_write_it_refused_is_rolled_back(
    client, admin
):
    make_collection("posts")
    install(
        "echo-writer",
        calling("content_create", '{"collection":"posts","data":{"title":"Echo"}}'),
        hooks={BEFORE_SAVE: {"priority": 1}},
        capabilities=["content:write"],
    )
    install("refuser", rejecting(), hooks={BEFORE_SAVE: {"priority": 2}})

    response = create(client, admin)

    assert response.status_code == 422
    assert saved_titles() == []
    # It refused the echo's nested save too; each refusal is on record.
    refusals = logs_of("refuser")
    assert refusals
    assert {level for level, *_ in refusals} == {"warning"}


def test_an_seo_object_from_a_hook_is_left_out_where_the_collection_has_none(
    client, admin
):
    make_collection("notes", supports=["drafts", "revisions"])
    install(
        "seo-filler",
        answering('{"ok": {"seo": {"description": "Filled in"}}}'),
        hooks=[BEFORE_SAVE],
    )

    response = send(
        client, "POST", "/content/notes", {"data": {"title": "A note"}}, admin
    )

    assert response.status_code == 201
    assert Entry.objects.get().seo == {}


def test_the_site_caps_how_long_a_hook_may_run(client, posts, admin, settings):
    settings.PLUGIN_MAX_TIMEOUT_MS = 1
    install(
        "patient",
        INFINITE_LOOP,
        hooks={BEFORE_SAVE: {"on_error": "continue", "timeout_ms": 20000}},
    )

    response = create(client, admin, "kept")

    assert response.status_code == 201, response.content
    [(level, hook, message, data)] = logs_of("patient")
    assert (level, hook, data["reason"]) == ("error", BEFORE_SAVE, "timeout")


def queries_of_a_save() -> int:
    with CaptureQueriesContext(connection) as queries:
        entries.create_entry(SYSTEM, "posts", {"data": {"title": "Counted"}})
    return len(queries)


def test_a_plugin_that_cannot_write_adds_no_queries_to_a_save(posts):
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "Warm-up"}})
    runtime.registry()
    without = queries_of_a_save()
    install("reader", answering('{"ok":{"slug":"read-only"}}'), hooks=[BEFORE_SAVE])
    runtime.registry()

    with_reader = queries_of_a_save()

    assert with_reader == without
    assert saved_titles()[-1] == "Counted"
    assert Entry.objects.filter(slug="read-only").exists()


def test_a_plugin_that_can_write_runs_in_a_savepoint(posts):
    install("writer", calling("kv_set", '{"key":"k","value":1}'), hooks=[BEFORE_SAVE])
    runtime.registry()

    with CaptureQueriesContext(connection) as queries:
        entries.create_entry(SYSTEM, "posts", {"data": {"title": "Counted"}})

    assert any("SAVEPOINT" in query["sql"] for query in queries)
    assert PluginValue.objects.filter(plugin_id="writer", key="k").exists()


def test_a_plugin_runs_no_hooks_until_its_required_settings_have_values(posts):
    install(
        "stamper",
        UPPERCASE_DATA,
        hooks=[BEFORE_SAVE],
        settings={"token": {"type": "secret", "label": "Token", "required": True}},
    )

    entries.create_entry(SYSTEM, "posts", {"data": {"title": "waiting"}})
    services.update_settings(SYSTEM, "stamper", {"token": "s3cret"})
    entries.create_entry(SYSTEM, "posts", {"data": {"title": "ready"}})

    assert saved_titles() == ["waiting", "READY"]
    assert logs_of("stamper") == []
