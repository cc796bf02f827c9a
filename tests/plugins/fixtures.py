"""Plugins for the runtime, binding and route tests: WAT modules (built with the
sandbox tests' helpers in tests/plugins/sandbox/wat.py) and a factory that stores
them as installed ``Plugin`` rows, as the install service would.

The runtime hands a hook ``{"hook", **payload, "settings"}`` serialised compactly
(``"data":{...}``), which is what UPPERCASE_DATA scans for.
"""

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.test import Client

from emdash.core import epoch
from emdash.plugins.manifest import parse_manifest
from emdash.plugins.models import Plugin, PluginLog
from tests.api.conftest import send
from tests.plugins.sandbox.wat import CONSTANTS_AT, HEAP_START, answering, data, plugin

_DATA_KEY = '"data":'
_OK_DATA = '{"ok":{"data":'

# Answers {"ok": {"data": <the input's data, every string value upper-cased>}}
# (ASCII letters; keys and escapes stay as they are), or nothing when the input
# has no "data".
UPPERCASE_DATA = plugin(
    f"""
    (local.set $at (call $find (local.get $ip) (local.get $il)
                               (i32.const {CONSTANTS_AT}) (i32.const {len(_DATA_KEY)})))
    (if (i32.eq (local.get $at) (i32.const -1)) (then (return (i64.const 0))))
    (local.set $src (i32.add (local.get $at) (i32.const {len(_DATA_KEY)})))
    (local.set $end (i32.add (local.get $ip) (local.get $il)))
    (local.set $out (call $alloc (i32.add (local.get $il) (i32.const 16))))
    (memory.copy (local.get $out) (i32.const {CONSTANTS_AT + 16})
                 (i32.const {len(_OK_DATA)}))
    (local.set $dst (i32.add (local.get $out) (i32.const {len(_OK_DATA)})))
    (block $stop
      (loop $scan
        (br_if $stop (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $src)))
        (if (local.get $in_string)
          (then
            (if (i32.eq (local.get $c) (i32.const 92))
              (then
                (i32.store8 (local.get $dst) (local.get $c))
                (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
                (local.set $src (i32.add (local.get $src) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $src))))
              (else
                (if (i32.eq (local.get $c) (i32.const 34))
                  (then (local.set $in_string (i32.const 0)))
                  (else
                    (if (i32.and (local.get $is_value)
                                 (i32.and (i32.ge_u (local.get $c) (i32.const 97))
                                          (i32.le_u (local.get $c) (i32.const 122))))
                      (then
                        (local.set $c (i32.sub (local.get $c) (i32.const 32))))))))))
          (else
            (if (i32.eq (local.get $c) (i32.const 34))
              (then
                (local.set $in_string (i32.const 1))
                (local.set $is_value (i32.eq (local.get $previous) (i32.const 58)))))
            (if (i32.eq (local.get $c) (i32.const 123))
              (then (local.set $depth (i32.add (local.get $depth) (i32.const 1)))))
            (if (i32.eq (local.get $c) (i32.const 125))
              (then (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))))))
        (i32.store8 (local.get $dst) (local.get $c))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $previous (local.get $c))
        (br_if $scan (i32.gt_s (local.get $depth) (i32.const 0)))))
    (i32.store16 (local.get $dst) (i32.const 0x7d7d))
    (call $pack (local.get $out)
                (i32.sub (i32.add (local.get $dst) (i32.const 2)) (local.get $out)))
    """,
    locals_="""(local $at i32) (local $src i32) (local $end i32) (local $out i32)
    (local $dst i32) (local $c i32) (local $depth i32) (local $in_string i32)
    (local $is_value i32) (local $previous i32)""",
    extra=f"""
    (data (i32.const {CONSTANTS_AT}) {data(_DATA_KEY)})
    (data (i32.const {CONSTANTS_AT + 16}) {data(_OK_DATA)})
    ;; The address of the first match of the needle in the haystack, or -1.
    (func $find (param $hay i32) (param $len i32) (param $needle i32) (param $n i32)
      (result i32)
      (local $i i32) (local $j i32)
      (block $absent
        (loop $outer
          (br_if $absent (i32.gt_u (i32.add (local.get $i) (local.get $n))
                                   (local.get $len)))
          (local.set $j (i32.const 0))
          (block $next
            (loop $inner
              (if (i32.eq (local.get $j) (local.get $n))
                (then (return (i32.add (local.get $hay) (local.get $i)))))
              (br_if $next
                (i32.ne
                  (i32.load8_u (i32.add (i32.add (local.get $hay) (local.get $i))
                                        (local.get $j)))
                  (i32.load8_u (i32.add (local.get $needle) (local.get $j)))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $inner)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $outer)))
      (i32.const -1))
    """,
)


def logging_then(message: str, answer: str | None = None) -> bytes:
    """A plugin that logs ``message`` at level info, then answers these bytes
    (or nothing)."""
    raw = message.encode()
    at = CONSTANTS_AT + 512  # the answer, if any, goes below
    finish = "(i64.const 0)"
    constants = f"(data (i32.const {at}) {data(raw)})"
    if answer is not None:
        length = len(answer.encode())
        finish = f"(call $pack (i32.const {CONSTANTS_AT}) (i32.const {length}))"
        constants += f" (data (i32.const {CONSTANTS_AT}) {data(answer)})"
    return plugin(
        f"(call $log (i32.const 1) (i32.const {at}) (i32.const {len(raw)})) {finish}",
        imports='(import "emdash" "log" (func $log (param i32 i32 i32)))',
        extra=constants,
        heap_start=max(HEAP_START, at + len(raw)),
    )


def calling(function: str, request: str, *, then: str = "(i64.const 0)") -> bytes:
    """A plugin that sends ``request`` to ``emdash.<function>``, ignores the
    answer, then runs ``then`` (by default: answers nothing, no change)."""
    raw = request.encode()
    return plugin(
        f"(drop (call $host (i32.const {CONSTANTS_AT}) (i32.const {len(raw)}))) {then}",
        imports=f'(import "emdash" "{function}" '
        "(func $host (param i32 i32) (result i64)))",
        extra=f"(data (i32.const {CONSTANTS_AT}) {data(raw)})",
        heap_start=max(HEAP_START, CONSTANTS_AT + len(raw)),
    )


def host_call_then_loop(function: str, request: str) -> bytes:
    """A plugin that sends ``request`` to ``emdash.<function>``, then loops until
    a limit stops it."""
    return calling(
        function, request, then="(loop $forever (br $forever)) (i64.const 0)"
    )


def rejecting(code: str = "NOT_TODAY", message: str = "No saving today.") -> bytes:
    return answering(f'{{"reject":{{"code":"{code}","message":"{message}"}}}}')


# -- installed plugins ----------------------------------------------------------------


def manifest_for(
    plugin_id: str,
    *,
    hooks: Mapping[str, Mapping[str, Any]] | Iterable[str] = (),
    capabilities: Iterable[str] = (),
    routes: Mapping[str, Mapping[str, Any]] | None = None,
    storage: Mapping[str, Mapping[str, Any]] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    cron: Mapping[str, Mapping[str, Any]] | None = None,
    allowed_hosts: Iterable[str] = (),
) -> dict[str, Any]:
    """A manifest as ``manifest.json`` would have it; ``hooks`` may list names
    only, for the default options."""
    hook_options = hooks if isinstance(hooks, Mapping) else dict.fromkeys(hooks, {})
    document: dict[str, Any] = {
        "id": plugin_id,
        "name": plugin_id.replace("-", " ").title(),
        "version": "1.0.0",
        "license": "MIT",
        "capabilities": list(capabilities),
        "hooks": {name: dict(options) for name, options in hook_options.items()},
    }
    if allowed_hosts:
        document["allowed_hosts"] = list(allowed_hosts)
    declared = {
        "routes": routes,
        "storage": storage,
        "settings": settings,
        "cron": cron,
    }
    for key, value in declared.items():
        if value is not None:
            document[key] = {name: dict(spec) for name, spec in value.items()}
    return document


def install(
    plugin_id: str,
    wasm: bytes,
    *,
    enabled: bool = True,
    values: Mapping[str, Any] | None = None,
    bump: bool = True,
    **manifest: Any,
) -> Plugin:
    """Store a plugin as installed and granted everything its manifest declares,
    and (``bump``) move the plugins epoch as the install service does."""
    checked = parse_manifest(manifest_for(plugin_id, **manifest))
    row = Plugin.objects.create(
        id=plugin_id,
        name=checked.name,
        version=checked.version,
        manifest=checked.to_json(),
        wasm=wasm,
        wasm_sha256=hashlib.sha256(wasm).hexdigest(),
        granted=sorted(checked.capabilities),
        enabled=enabled,
        settings=dict(values or {}),
    )
    if bump:
        epoch.bump("plugins")
    return row


def logs_of(plugin_id: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The plugin's log records, oldest first: (level, hook, message, data)."""
    return [
        (log.level, log.hook, log.message, log.data)
        for log in PluginLog.objects.filter(plugin_id=plugin_id).order_by("at", "id")
    ]


def site_still_serves(client: Client, admin: dict[str, str]) -> bool:
    """Whether the REST API still lists the ``posts`` collection's entries."""
    return send(client, "GET", "/content/posts", headers=admin).status_code == 200
