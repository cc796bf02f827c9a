"""Plugin cron tasks: declared in the manifest, run by ``emdash cron`` when due,
once per turn, with what the plugin needs to know about the turn."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from emdash.core.epoch import bump
from emdash.plugins import cron
from emdash.plugins.models import Plugin, PluginLog, PluginTask
from tests.api.conftest import bearer, send, token_for
from tests.cli.conftest import json_of, ok
from tests.concurrency import run_at_once, skip_on_in_memory_sqlite
from tests.plugins.fixtures import install, rejecting
from tests.plugins.sandbox.wat import INFINITE_LOOP, UNCHANGED, plugin

pytestmark = pytest.mark.django_db

# Logs its input as one info line, then answers "no change".
LOG_INPUT = plugin(
    "(call $log (i32.const 1) (local.get $ip) (local.get $il)) (i64.const 0)",
    imports='(import "emdash" "log" (func $log (param i32 i32 i32)))',
)
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.UTC)


def with_tasks(plugin_id: str, wasm: bytes, **tasks: str) -> Plugin:
    return install(
        plugin_id,
        wasm,
        hooks=["cron"],
        cron={
            name.replace("_", "-"): {"every": every} for name, every in tasks.items()
        },
        values={"greeting": "hi"},
        settings={"greeting": {"type": "string", "label": "Greeting"}},
    )


def inputs_of(plugin_id: str) -> list[dict[str, Any]]:
    logs = PluginLog.objects.filter(plugin_id=plugin_id, level="info")
    return [json.loads(log.message) for log in logs.order_by("at", "id")]


def ran(runs: list[cron.TaskRun]) -> list[tuple[str, str, str]]:
    return [(run.plugin, run.task, run.outcome) for run in runs]


def test_a_task_runs_at_the_first_cron_run_then_every_interval() -> None:
    with_tasks("digest", LOG_INPUT, nightly="1d")

    first = cron.run_due(now=T0)
    again = cron.run_due(now=T0 + timedelta(hours=23))
    next_day = cron.run_due(now=T0 + timedelta(days=1, seconds=5))

    assert ran(first) == [("digest", "nightly", "unchanged")]
    assert again == []
    assert ran(next_day) == [("digest", "nightly", "unchanged")]
    assert inputs_of("digest") == [
        {
            "hook": "cron",
            "task": "nightly",
            "scheduled_at": T0.isoformat(),
            "last_run_at": None,
            "settings": {"greeting": "hi"},
        },
        {
            "hook": "cron",
            "task": "nightly",
            "scheduled_at": (T0 + timedelta(days=1)).isoformat(),
            "last_run_at": T0.isoformat(),
            "settings": {"greeting": "hi"},
        },
    ]


def test_missed_turns_run_once_and_the_next_turn_counts_from_now() -> None:
    with_tasks("digest", UNCHANGED, often="15m")
    cron.run_due(now=T0)

    late = T0 + timedelta(hours=5, minutes=3)
    assert len(cron.run_due(now=late)) == 1
    assert cron.run_due(now=late + timedelta(minutes=14)) == []
    assert len(cron.run_due(now=late + timedelta(minutes=15))) == 1


def test_each_task_of_a_plugin_keeps_its_own_time() -> None:
    with_tasks("digest", UNCHANGED, often="15m", daily="1d")
    cron.run_due(now=T0)

    runs = cron.run_due(now=T0 + timedelta(minutes=15))

    assert ran(runs) == [("digest", "often", "unchanged")]


@pytest.mark.django_db(transaction=True)
def test_cron_runs_at_once_take_each_turn_once() -> None:
    skip_on_in_memory_sqlite()
    with_tasks("digest", UNCHANGED, often="15m")
    runs: list[cron.TaskRun] = []

    outcomes = run_at_once([lambda: runs.extend(cron.run_due(now=T0))] * 4)

    assert outcomes == [None] * 4
    assert ran(runs) == [("digest", "often", "unchanged")]


def test_a_failing_task_is_logged_and_the_other_plugins_tasks_still_run() -> None:
    install(
        "looper",
        INFINITE_LOOP,
        hooks={"cron": {"priority": 1, "timeout_ms": 50}},
        cron={"spin": {"every": "1m"}},
    )
    install(
        "refuser",
        rejecting(),
        hooks={"cron": {"priority": 2}},
        cron={"no": {"every": "1m"}},
    )
    with_tasks("digest", UNCHANGED, often="1m")

    runs = cron.run_due(now=T0)

    assert ran(runs) == [
        ("looper", "spin", "failed"),
        ("refuser", "no", "rejected"),
        ("digest", "often", "unchanged"),
    ]
    failure = PluginLog.objects.get(plugin_id="looper", level="error")
    assert failure.hook == "cron"
    assert "failed in cron" in failure.message
    # The failed turn is spent: the task runs again at its next turn, not at once.
    assert [run.plugin for run in cron.run_due(now=T0 + timedelta(seconds=30))] == []


def test_a_disabled_plugins_tasks_wait_and_an_uninstalled_ones_go() -> None:
    digest = with_tasks("digest", UNCHANGED, often="15m")
    cron.run_due(now=T0)
    Plugin.objects.filter(pk=digest.pk).update(enabled=False)
    bump("plugins")

    assert cron.run_due(now=T0 + timedelta(days=2)) == []
    assert PluginTask.objects.count() == 1

    Plugin.objects.filter(pk=digest.pk).delete()
    assert PluginTask.objects.count() == 0


def test_an_update_drops_the_schedule_of_a_task_it_no_longer_declares() -> None:
    digest = with_tasks("digest", UNCHANGED, old="1h", kept="1h")
    cron.run_due(now=T0)
    manifest = {**digest.manifest, "cron": {"kept": {"every": "1h"}}}
    Plugin.objects.filter(pk=digest.pk).update(manifest=manifest)
    bump("plugins")

    cron.run_due(now=T0 + timedelta(minutes=1))

    assert list(PluginTask.objects.values_list("name", flat=True)) == ["kept"]


def test_a_shorter_interval_after_an_update_brings_the_next_turn_closer() -> None:
    digest = with_tasks("digest", UNCHANGED, report="1d")
    cron.run_due(now=T0)
    manifest = {**digest.manifest, "cron": {"report": {"every": "1h"}}}
    Plugin.objects.filter(pk=digest.pk).update(manifest=manifest)
    bump("plugins")

    assert cron.run_due(now=T0 + timedelta(minutes=10)) == []
    assert len(cron.run_due(now=T0 + timedelta(minutes=70))) == 1


def test_emdash_cron_publishes_what_is_due_and_runs_plugin_tasks() -> None:
    with_tasks("digest", UNCHANGED, often="15m")

    report = json_of("cron")
    nothing = ok("cron")

    assert report["published"] == []
    assert [(t["plugin"], t["task"], t["outcome"]) for t in report["tasks"]] == [
        ("digest", "often", "unchanged")
    ]
    assert nothing == "Nothing is due.\n"


def test_emdash_cron_says_what_ran() -> None:
    install(
        "refuser",
        rejecting("BUSY", "Not now."),
        hooks=["cron"],
        cron={"no": {"every": "1m"}},
    )

    said = ok("cron")

    assert said == "Ran refuser no: rejected (Not now.)\n"


def test_a_schedulers_token_runs_cron_over_http(client: Client) -> None:
    with_tasks("digest", UNCHANGED, often="15m")
    scheduler = bearer(token_for("cron:run"))
    writer = bearer(token_for("content:write"))

    refused = send(client, "POST", "/cron", headers=writer)
    anonymous = send(client, "POST", "/cron")
    ran = send(client, "POST", "/cron", headers=scheduler)

    assert refused.status_code == 403
    assert anonymous.status_code == 401
    assert ran.status_code == 200
    report = ran.json()
    assert report["published"] == []
    assert [(t["plugin"], t["task"], t["outcome"]) for t in report["tasks"]] == [
        ("digest", "often", "unchanged")
    ]
