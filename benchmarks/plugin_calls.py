"""Per-hook-call overhead of the plugin sandbox, on a fresh instance per call.

    python -m benchmarks.plugin_calls [--calls N] [--rounds R]

Loads the echo WAT plugin from the sandbox tests (it answers {"ok": <input>}) and a
variant that also makes one host call and one log call, then times
``LoadedPlugin.call`` with a 250-byte entry as payload: a new Store, limits, fuel
and deadline, instantiation, one allocation, the handler, and the JSON envelope
both ways. Prints the median and 95th percentile of each round, in µs, and the
median of the round medians. The target is below 1000 µs per call.
"""

import argparse
import os
import statistics
import tempfile
import time

from benchmarks.plugins import time_each

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emdash.settings")
os.environ.setdefault("EMDASH_DATA_DIR", tempfile.mkdtemp(prefix="emdash-bench-"))

PAYLOAD = {
    "id": "01JB8Z4T6Q8W3XK2V9N7M5C1D0",
    "collection": "posts",
    "slug": "hello-world",
    "status": "draft",
    "data": {"title": "Hello, world", "body": "x" * 114},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    from emdash.plugins.sandbox.calls import Envelope
    from emdash.plugins.sandbox.engine import compile_module
    from emdash.plugins.sandbox.host import LoadedPlugin
    from tests.plugins.sandbox import wat

    echo = LoadedPlugin("echo", wat.ECHO, capabilities=frozenset())
    with_host_call = LoadedPlugin(
        "relay",
        wat.plugin(
            """(call $log (i32.const 1) (local.get $hp) (local.get $hl))
            (call $unpacked_ok (call $kv_get (local.get $ip) (local.get $il)))""",
            imports="""(import "emdash" "log" (func $log (param i32 i32 i32)))
            (import "emdash" "kv_get" (func $kv_get (param i32 i32) (result i64)))""",
        ),
        capabilities=frozenset(),
        host_functions={"kv_get": lambda call, request: request["data"]},
    )
    if echo.call("content:beforeSave", PAYLOAD).envelope != Envelope("ok", PAYLOAD):
        raise SystemExit("the echo plugin answered something else")

    started = time.perf_counter()
    compile_module(wat.ECHO)
    cached_ms = (time.perf_counter() - started) * 1000
    print(f"compile_module from the disk cache: {cached_ms:.2f} ms")

    for name, plugin in [("echo", echo), ("echo + log + kv_get", with_host_call)]:
        medians = []
        for round_ in range(options.rounds):
            timings = time_each(
                lambda plugin=plugin: plugin.call("content:beforeSave", PAYLOAD),
                options.calls,
                1e6,
            )
            median = statistics.median(timings)
            p95 = statistics.quantiles(timings, n=20)[-1]
            medians.append(median)
            print(
                f"{name:>20}  round {round_ + 1}: "
                f"median {median:6.1f} µs, p95 {p95:6.1f} µs"
            )
        overall = statistics.median(medians)
        print(f"{name:>20}  median of rounds: {overall:.1f} µs per call")


if __name__ == "__main__":
    main()
