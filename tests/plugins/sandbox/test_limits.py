"""Every limit of a hook call holds, fails that call alone with a reason that says
which limit, and leaves the process serving."""

import time

import pytest

from emdash.plugins.sandbox.calls import Envelope, Limits
from emdash.plugins.sandbox.errors import PluginFailed
from tests.plugins.sandbox import wat
from tests.plugins.sandbox.conftest import Load

MiB = 1024 * 1024


def _fail(
    load: Load, wasm: bytes, limits: Limits, payload: object = None
) -> PluginFailed:
    plugin = load(wasm)
    with pytest.raises(PluginFailed) as failed:
        plugin.call("content:beforeSave", payload or {}, limits=limits)
    return failed.value


def test_infinite_loop_stopped_by_fuel(load: Load) -> None:
    started = time.monotonic()

    failed = _fail(load, wat.INFINITE_LOOP, Limits(fuel=100_000, timeout_ms=30_000))

    assert failed.reason == "fuel"
    assert failed.message == (
        "plugin 'test-plugin' failed in content:beforeSave (fuel): used all 100000 "
        "units of fuel: wasm trap: all fuel consumed by WebAssembly"
    )
    assert time.monotonic() - started < 5


def test_infinite_loop_stopped_by_the_deadline(load: Load) -> None:
    started = time.monotonic()

    failed = _fail(load, wat.INFINITE_LOOP, Limits(fuel=10**15, timeout_ms=50))

    elapsed = time.monotonic() - started
    assert failed.reason == "timeout"
    assert failed.message == (
        "plugin 'test-plugin' failed in content:beforeSave (timeout): ran past its "
        "50 ms deadline: wasm trap: interrupt"
    )
    assert 0.03 < elapsed < 2


def test_memory_growth_stops_at_the_cap(load: Load) -> None:
    failed = _fail(load, wat.GROW_UNTIL_REFUSED, Limits(memory_bytes=2 * MiB))

    assert failed.reason == "memory"
    assert "trapped with its memory at the 2097152-byte cap" in failed.message
    assert "unreachable" in failed.message


def test_refused_growth_is_not_a_trap(load: Load) -> None:
    plugin = load(wat.GROW_THEN_ANSWER)

    result = plugin.call("cron", {}, limits=Limits(memory_bytes=2 * MiB))

    assert result.envelope == Envelope("ok", "refused")


def test_initial_memory_above_the_cap_is_refused(load: Load) -> None:
    failed = _fail(
        load, wat.plugin("(i64.const 0)", memory="64"), Limits(memory_bytes=2 * MiB)
    )

    assert failed.reason == "memory"
    assert failed.message.endswith(
        "memory minimum size of 64 pages exceeds memory limits"
    )


def test_input_too_large_for_the_guest_memory(load: Load) -> None:
    # The guest's allocator cannot grow memory to hold the input, and traps.
    payload = {"body": "x" * (3 * MiB)}

    failed = _fail(
        load, wat.ECHO, Limits(memory_bytes=2 * MiB, max_input_bytes=8 * MiB), payload
    )

    assert failed.reason in {"memory", "trap"}


def test_input_over_the_input_limit_is_not_sent(load: Load) -> None:
    failed = _fail(load, wat.ECHO, Limits(max_input_bytes=100), {"body": "x" * 200})

    assert failed.reason == "input_too_large"
    assert failed.message.endswith("its input is 211 bytes, over the 100-byte limit")


def test_deep_recursion_overflows_the_stack(load: Load) -> None:
    started = time.monotonic()

    failed = _fail(load, wat.DEEP_RECURSION, Limits(fuel=10**12))

    assert failed.reason == "stack"
    assert failed.message.endswith("wasm trap: call stack exhausted")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("packed", "reason", "detail"),
    [
        # A length over the output limit is refused before any bounds check.
        (2 * MiB, "output_too_large", "its answer is 2097152 bytes, over the"),
        ((16 << 32) | 0xFFFF_FFFF, "output_too_large", "4294967295 bytes"),
        # Pointers with the high bit set (negative as i32) or past the end.
        (
            (0xFFFF_FFF0 << 32) | 16,
            "bad_pointer",
            "its answer (16 bytes at 0xfffffff0) lies outside its 65536-byte memory",
        ),
        ((0x8000_0000 << 32) | 1, "bad_pointer", "1 bytes at 0x80000000"),
        ((65_530 << 32) | 100, "bad_pointer", "100 bytes at 0xfffa"),
        ((65_536 << 32) | 1, "bad_pointer", "1 bytes at 0x10000"),
        # In bounds but empty: not an envelope.
        ((65_536 << 32) | 0, "bad_output", "not valid JSON"),
    ],
)
def test_bad_answer_pointers_are_refused_before_reading(
    load: Load, packed: int, reason: str, detail: str
) -> None:
    signed = packed - (1 << 64) if packed >= 1 << 63 else packed
    plugin = wat.plugin(f"(i64.const {signed})")

    failed = _fail(load, plugin, Limits(max_output_bytes=1 * MiB))

    assert failed.reason == reason
    assert detail in failed.message


def test_output_limit_is_configurable(load: Load) -> None:
    plugin = load(wat.ECHO)
    payload = {"body": "x" * 1000}

    assert plugin.call("cron", payload).envelope == Envelope("ok", payload)
    with pytest.raises(PluginFailed) as failed:
        plugin.call("cron", payload, limits=Limits(max_output_bytes=500))
    assert failed.value.reason == "output_too_large"


def test_other_traps_name_the_trap(load: Load) -> None:
    failed = _fail(
        load,
        wat.plugin("(i32.div_u (i32.const 1) (i32.const 0)) drop (i64.const 0)"),
        Limits(),
    )

    assert failed.reason == "trap"
    assert failed.message.endswith("wasm trap: integer divide by zero")


def test_the_site_keeps_serving_after_every_failure(load: Load) -> None:
    hostile = [
        (wat.INFINITE_LOOP, Limits(fuel=100_000)),
        (wat.INFINITE_LOOP, Limits(fuel=10**15, timeout_ms=20)),
        (wat.GROW_UNTIL_REFUSED, Limits(memory_bytes=2 * MiB)),
        (wat.DEEP_RECURSION, Limits()),
        (wat.plugin("(i64.const -1)"), Limits()),
        (wat.answering("{}"), Limits()),
    ]
    for wasm, limits in hostile * 3:
        with pytest.raises(PluginFailed):
            load(wasm).call("content:beforeSave", {}, limits=limits)

    payload = {"title": "still here"}
    assert load(wat.ECHO).call("content:beforeSave", payload).envelope == Envelope(
        "ok", payload
    )
