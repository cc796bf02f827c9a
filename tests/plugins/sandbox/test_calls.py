"""A hook call's input and answer: the envelope, fresh instances, initialisation."""

import threading

import pytest

from emdash.plugins.sandbox.calls import (
    MAX_TIMEOUT_MS,
    Envelope,
    Limits,
    Rejection,
)
from emdash.plugins.sandbox.errors import PluginFailed
from tests.plugins.sandbox import wat
from tests.plugins.sandbox.conftest import Load


def test_echo_plugin_answers_its_input(load: Load) -> None:
    plugin = load(wat.ECHO)
    payload = {"title": "Olá, mundo", "tags": ["a", "b"], "n": 3, "draft": None}

    result = plugin.call("content:beforeSave", payload)

    assert result.envelope == Envelope("ok", payload)
    assert result.logs == []
    assert result.fuel_used > 0
    assert result.duration_ms > 0


def test_zero_answer_means_no_change(load: Load) -> None:
    result = load(wat.UNCHANGED).call("content:afterSave", {"id": "1"})

    assert result.envelope == Envelope("unchanged")


def test_reject_envelope(load: Load) -> None:
    plugin = load(
        wat.answering(
            '{"reject":{"code":"EMPTY_TITLE","message":"A post needs a title"}}'
        )
    )

    result = plugin.call("content:beforeSave", {})

    assert result.envelope == Envelope(
        "reject", rejection=Rejection("EMPTY_TITLE", "A post needs a title")
    )


def test_error_envelope_is_an_answer(load: Load) -> None:
    plugin = load(wat.answering('{"error":{"why":"no recipient configured"}}'))

    result = plugin.call("content:afterPublish", {})

    assert result.envelope == Envelope("error", {"why": "no recipient configured"})


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("not json", "its answer is not valid JSON"),
        ("", "its answer is not valid JSON"),
        (b"\xff\xfe{}", "its answer is not valid JSON"),
        ('{"ok":NaN}', "its answer is not valid JSON: NaN is not JSON"),
        ('{"ok":1,"ok":2}', "duplicate key"),
        ("[1]", "it answered [1]"),
        ("{}", "it answered {}"),
        ('{"value":1}', 'it answered {"value":1}'),
        ('{"ok":1,"error":2}', "it answered"),
        ('{"reject":"no"}', "it answered"),
        ('{"reject":{"code":"X"}}', "it answered"),
        ('{"reject":{"code":"","message":"m"}}', "it answered"),
        ('{"reject":{"code":"X","message":"m","extra":1}}', "it answered"),
        ('{"reject":{"code":1,"message":"m"}}', "it answered"),
        ("[" * 100_000 + "]" * 100_000, "its answer is not valid JSON"),
    ],
)
def test_anything_but_an_envelope_fails_the_call(
    load: Load, answer: str | bytes, problem: str
) -> None:
    plugin = load(wat.answering(answer, memory="4"))

    with pytest.raises(PluginFailed) as failed:
        plugin.call("content:beforeSave", {})

    assert failed.value.reason == "bad_output"
    assert failed.value.code == "PLUGIN_FAILED"
    assert failed.value.status == 422
    assert failed.value.details == {
        "plugin": "test-plugin",
        "hook": "content:beforeSave",
        "reason": "bad_output",
    }
    assert failed.value.message.startswith(
        "plugin 'test-plugin' failed in content:beforeSave (bad_output): "
    )
    assert problem in failed.value.message


def test_each_call_gets_a_fresh_instance(load: Load) -> None:
    # The guest counts its calls in a global and answers "first" on the first one.
    plugin = load(
        wat.plugin(
            f"""(global.set $calls (i32.add (global.get $calls) (i32.const 1)))
            (if (result i64) (i32.eq (global.get $calls) (i32.const 1))
              (then (call $pack (i32.const {wat.CONSTANTS_AT}) (i32.const 14)))
              (else (call $pack (i32.const 1100) (i32.const 14))))""",
            extra=f"""(global $calls (mut i32) (i32.const 0))
            (data (i32.const {wat.CONSTANTS_AT}) {wat.data('{"ok":"first"}')})
            (data (i32.const 1100) {wat.data('{"ok":"again"}')})""",
        )
    )

    answers = [plugin.call("cron", {}).envelope for _ in range(3)]

    assert answers == [Envelope("ok", "first")] * 3


def test_initialize_runs_before_the_handler(load: Load) -> None:
    plugin = load(
        wat.plugin(
            f"""(if (result i64) (global.get $ready)
              (then (call $pack (i32.const {wat.CONSTANTS_AT}) (i32.const 14)))
              (else (call $pack (i32.const 1100) (i32.const 18))))""",
            extra=f"""(global $ready (mut i32) (i32.const 0))
            (func (export "_initialize") (global.set $ready (i32.const 1)))
            (data (i32.const {wat.CONSTANTS_AT}) {wat.data('{"ok":"ready"}')})
            (data (i32.const 1100) {wat.data('{"ok":"not ready"}')})""",
        )
    )

    assert plugin.call("cron", {}).envelope == Envelope("ok", "ready")


def test_the_hook_name_reaches_the_guest(load: Load) -> None:
    # The guest quotes the hook name (the bytes around it are its own) and answers
    # it as a JSON string.
    plugin = load(
        wat.plugin(
            """(i32.store8 (i32.sub (local.get $hp) (i32.const 1)) (i32.const 34))
            (i32.store8 (i32.add (local.get $hp) (local.get $hl)) (i32.const 34))
            (call $wrap_ok (i32.sub (local.get $hp) (i32.const 1))
                           (i32.add (local.get $hl) (i32.const 2)))"""
        )
    )

    assert plugin.call("route:stats", {}).envelope == Envelope("ok", "route:stats")


def test_concurrent_calls_keep_their_own_state(load: Load) -> None:
    plugin = load(wat.ECHO)
    mismatches: list[tuple[int, object]] = []

    def worker(number: int) -> None:
        for round_ in range(25):
            payload = {"worker": number, "round": round_}
            envelope = plugin.call("cron", payload).envelope
            if envelope != Envelope("ok", payload):
                mismatches.append((number, envelope))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert mismatches == []


@pytest.mark.parametrize(
    "field", ["timeout_ms", "fuel", "memory_bytes", "max_host_calls"]
)
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=f"Limits.{field} must be a positive integer"):
        Limits(**{field: 0})


def test_timeout_is_capped_by_the_host() -> None:
    assert Limits(timeout_ms=10 * 60_000).timeout_ms == MAX_TIMEOUT_MS == 30_000
    assert Limits(timeout_ms=5000).timeout_ms == 5000
