"""Host functions as a plugin sees them: JSON in and out, ordinary failures as
error envelopes, and everything else (bad pointers, budget, deadline, host bugs)
ending the call."""

import time
from typing import Any

import pytest

from emdash.core.errors import NotFound
from emdash.plugins.sandbox.calls import CallContext, Envelope, Limits, LogRecord
from emdash.plugins.sandbox.errors import PluginFailed
from emdash.plugins.sandbox.host import LoadedPlugin
from tests.plugins.sandbox import wat
from tests.plugins.sandbox.conftest import Load


def _import_json_function(name: str) -> str:
    return f'(import "emdash" "{name}" (func $host (param i32 i32) (result i64)))'


def _site_info(call: CallContext, request: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Demo", "request": request, "plugin": call.plugin_id}


def test_host_answer_reaches_the_guest(load: Load) -> None:
    seen: list[CallContext] = []

    def site_info(call: CallContext, request: dict[str, Any]) -> dict[str, Any]:
        seen.append(call)
        return _site_info(call, request)

    plugin = load(wat.relay("site_info"), host_functions={"site_info": site_info})

    result = plugin.call("cron", {"fields": ["name"]}, context={"actor": "system"})

    assert result.envelope == Envelope(
        "ok",
        {
            "ok": {
                "name": "Demo",
                "request": {"fields": ["name"]},
                "plugin": "test-plugin",
            }
        },
    )
    [call] = seen
    assert call.hook == "cron"
    assert call.context == {"actor": "system"}
    assert call.capabilities == frozenset()


def test_remaining_time_is_what_is_left_of_the_deadline(load: Load) -> None:
    plugin = load(
        wat.relay("kv_get"),
        host_functions={"kv_get": lambda call, request: call.remaining_seconds()},
    )

    result = plugin.call("cron", {}, limits=Limits(timeout_ms=2000))

    remaining = result.envelope.value["ok"]
    assert 1.5 < remaining <= 2.0


def test_ordinary_failure_is_an_error_envelope_for_the_guest(load: Load) -> None:
    def content_get(call: CallContext, request: dict[str, Any]) -> dict[str, Any]:
        raise NotFound(f"no entry {request['id']}")

    plugin = load(
        wat.relay("content_get"),
        capabilities=frozenset({"content:read"}),
        host_functions={"content_get": content_get},
    )

    result = plugin.call("cron", {"id": "01ABC"})

    # The guest got the envelope and chose to answer it as its result.
    assert result.envelope == Envelope(
        "ok", {"error": {"code": "NOT_FOUND", "message": "no entry 01ABC"}}
    )


def test_host_bug_fails_the_call(load: Load, caplog: pytest.LogCaptureFixture) -> None:
    def kv_get(call: CallContext, request: dict[str, Any]) -> None:
        raise RuntimeError("password=hunter2 rejected by the database")

    plugin = load(wat.relay("kv_get"), host_functions={"kv_get": kv_get})

    with pytest.raises(PluginFailed) as failed:
        plugin.call("cron", {})

    # The plugin error names the type only; the details go to the server log.
    assert failed.value.reason == "host_error"
    assert failed.value.message == (
        "plugin 'test-plugin' failed in cron (host_error): "
        "emdash.kv_get raised RuntimeError"
    )
    [record] = caplog.records
    assert record.getMessage() == (
        "host function emdash.kv_get failed for plugin 'test-plugin'"
    )
    assert "password=hunter2" in caplog.text


def test_unserializable_host_result_fails_the_call(load: Load) -> None:
    plugin = load(wat.relay("kv_get"), host_functions={"kv_get": lambda c, r: {1, 2}})

    with pytest.raises(PluginFailed) as failed:
        plugin.call("cron", {})

    assert failed.value.reason == "host_error"
    assert "emdash.kv_get raised TypeError" in failed.value.message


@pytest.mark.parametrize(
    ("request_text", "message"),
    [
        ("not json", "the request to emdash.kv_get is not valid JSON"),
        ("[1, 2]", "the request to emdash.kv_get must be a JSON object"),
        ('{"a":1,"a":2}', "duplicate key"),
    ],
)
def test_bad_request_is_an_error_envelope(
    load: Load, request_text: str, message: str
) -> None:
    plugin = load(
        wat.host_call("kv_get", request_text),
        host_functions={"kv_get": lambda c, r: pytest.fail("must not be called")},
    )

    envelope = plugin.call("cron", {}).envelope

    assert envelope.value["error"]["code"] == "BAD_REQUEST"
    assert message in envelope.value["error"]["message"]


def test_unimplemented_host_function_answers_unavailable(load: Load) -> None:
    plugin = load(wat.relay("media_list"), capabilities=frozenset({"media:read"}))

    envelope = plugin.call("cron", {}).envelope

    assert envelope == Envelope(
        "ok",
        {
            "error": {
                "code": "UNAVAILABLE",
                "message": "emdash.media_list is not available on this site",
            }
        },
    )


def test_answer_too_large_for_the_guest_is_an_error_envelope(load: Load) -> None:
    plugin = load(
        wat.relay("kv_get"), host_functions={"kv_get": lambda c, r: "x" * 5000}
    )

    envelope = plugin.call("cron", {}, limits=Limits(max_input_bytes=1000)).envelope

    assert envelope.value["error"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "message": (
            "the answer of emdash.kv_get is 5009 bytes, over the 1000-byte limit"
        ),
    }


@pytest.mark.parametrize(
    ("ptr", "length", "reason", "detail"),
    [
        (-16, 8, "bad_pointer", "(8 bytes at 0xfffffff0) lies outside its 65536-byte"),
        (65_530, 100, "bad_pointer", "(100 bytes at 0xfffa) lies outside"),
        (0, 65_537, "bad_pointer", "(65537 bytes at 0x0) lies outside"),
        (0, -1, "output_too_large", "is 4294967295 bytes, over the"),
    ],
)
def test_out_of_bounds_request_fails_the_call(
    load: Load, ptr: int, length: int, reason: str, detail: str
) -> None:
    calls: list[object] = []
    plugin = load(
        wat.plugin(
            f"(call $host (i32.const {ptr}) (i32.const {length}))",
            imports=_import_json_function("kv_get"),
        ),
        host_functions={"kv_get": lambda c, r: calls.append(r)},
    )

    with pytest.raises(PluginFailed) as failed:
        plugin.call("cron", {})

    assert failed.value.reason == reason
    assert f"its request to emdash.kv_get {detail}" in failed.value.message
    assert calls == []


def test_out_of_bounds_log_message_fails_the_call(load: Load) -> None:
    plugin = load(
        wat.plugin(
            "(call $log (i32.const 1) (i32.const -4) (i32.const 8)) (i64.const 0)",
            imports='(import "emdash" "log" (func $log (param i32 i32 i32)))',
        )
    )

    with pytest.raises(PluginFailed) as failed:
        plugin.call("cron", {})

    assert failed.value.reason == "bad_pointer"
    assert "its log message (8 bytes at 0xfffffffc)" in failed.value.message


def _logging_plugin(load: Load, then: str = "(i64.const 0)") -> LoadedPlugin:
    return load(
        wat.plugin(
            f"""(call $log (i32.const 1) (i32.const 1024) (i32.const 5))
            (call $log (i32.const 3) (i32.const 1029) (i32.const 4))
            (call $log (i32.const 99) (i32.const 1033) (i32.const 7))
            (call $log (i32.const -5) (i32.const 1040) (i32.const 2))
            (call $log (i32.const 2) (i32.const 0) (i32.const 20000))
            {then}""",
            imports='(import "emdash" "log" (func $log (param i32 i32 i32)))',
            extra=f"(data (i32.const 1024) {wat.data('hellooopsclampedé')})",
        )
    )


def test_log_records_are_collected(load: Load) -> None:
    result = _logging_plugin(load).call("cron", {})

    assert result.logs[:4] == [
        LogRecord("info", "hello"),
        LogRecord("error", "oops"),
        LogRecord("error", "clamped"),
        LogRecord("debug", "é"),
    ]
    # Long messages are cut at 8 KiB.
    assert result.logs[4].level == "warning"
    assert len(result.logs[4].message.encode()) == 8192


def test_logs_survive_a_failed_call(load: Load) -> None:
    plugin = _logging_plugin(load, then="unreachable")

    with pytest.raises(PluginFailed) as failed:
        plugin.call("cron", {})

    assert failed.value.reason == "trap"
    assert failed.value.logs[0] == LogRecord("info", "hello")


def _calling_site_info(times: int) -> bytes:
    return wat.plugin(
        f"""(local.set $i (i32.const {times}))
        (loop $again
          (drop (call $host (i32.const 1024) (i32.const 2)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br_if $again (local.get $i)))
        (i64.const 0)""",
        imports=_import_json_function("site_info"),
        extra=f"(data (i32.const 1024) {wat.data('{}')})",
        locals_="(local $i i32)",
    )


def test_host_call_budget(load: Load) -> None:
    calls: list[object] = []
    plugin = load(
        _calling_site_info(10),
        host_functions={"site_info": lambda c, r: calls.append(r)},
    )

    assert plugin.call("cron", {}, limits=Limits(max_host_calls=10)).envelope == (
        Envelope("unchanged")
    )
    calls.clear()
    with pytest.raises(PluginFailed) as failed:
        plugin.call("cron", {}, limits=Limits(max_host_calls=3))

    assert failed.value.reason == "host_call_limit"
    assert failed.value.message.endswith(
        "called the host more than 3 times (the last call: emdash.site_info)"
    )
    assert len(calls) == 3


def test_host_call_after_the_deadline_is_refused(load: Load) -> None:
    calls: list[float] = []

    def site_info(call: CallContext, request: dict[str, Any]) -> None:
        # A host function that ignores remaining_seconds() and blocks too long.
        calls.append(call.remaining_seconds())
        time.sleep(call.remaining_seconds() + 0.05)

    plugin = load(_calling_site_info(5), host_functions={"site_info": site_info})

    # Room enough that a loaded machine still reaches the first call in time.
    with pytest.raises(PluginFailed) as failed:
        plugin.call("cron", {}, limits=Limits(timeout_ms=300))

    assert failed.value.reason == "timeout"
    assert len(calls) == 1


def test_host_functions_check_the_capability_again(load: Load) -> None:
    plugin = load(
        wat.relay("content_get"),
        capabilities=frozenset({"content:write"}),
        host_functions={"content_get": lambda c, r: {"id": r["id"]}},
    )
    assert plugin.call("cron", {"id": "1"}).envelope == Envelope(
        "ok", {"ok": {"id": "1"}}
    )

    plugin.capabilities = frozenset()
    with pytest.raises(PluginFailed) as failed:
        plugin.call("cron", {"id": "1"})

    assert failed.value.reason == "capability"
    assert failed.value.message.endswith(
        "emdash.content_get needs the capability content:read"
    )


def test_host_function_from_a_start_function_fails_cleanly(load: Load) -> None:
    plugin = load(
        wat.plugin(
            "(i64.const 0)",
            imports='(import "emdash" "log" (func $log (param i32 i32 i32)))',
            extra="""(func $start (call $log (i32.const 1) (i32.const 0) (i32.const 1)))
            (start $start)""",
        )
    )

    with pytest.raises(PluginFailed) as failed:
        plugin.call("cron", {})

    assert failed.value.reason == "instantiate"
    assert "emdash.log while being instantiated" in failed.value.message


def test_only_sandbox_host_functions_can_be_implemented() -> None:
    with pytest.raises(ValueError, match=r"\['log', 'shell_exec'\]"):
        LoadedPlugin(
            "p",
            wat.ECHO,
            capabilities=frozenset(),
            host_functions={"shell_exec": _site_info, "log": _site_info},
        )
