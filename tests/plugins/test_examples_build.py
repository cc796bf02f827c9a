"""The plugin SDKs and the first-party plugins in ``plugins/``.

The committed ``plugin.wasm`` of each example is checked against its manifest and
run on wasmtime directly, with stand-ins for the host functions it imports (the real
host has its own tests). The examples and an SDK probe plugin are also built from
source with npm, once per test run, and must reproduce the committed modules byte
for byte. The C SDK's example is built with clang when clang is installed.
"""

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from emdash_plugins.build import PluginBuildFailed, build_plugin

from emdash.plugins.capabilities import HOST_FUNCTIONS, IMPORT_MODULE, effective
from emdash.plugins.manifest import Manifest, parse_manifest
from tests.plugins.toolchain import PLUGINS, Builds
from tests.services import require_service

C_SDK = PLUGINS / "sdk" / "c"
# Every example and the host functions it should import, no more.
EXAMPLES = {
    "notify-on-publish": {"content_get", "email_send", "log"},
    "seo-guard": set(),
    "webhook": {"http_fetch"},
}
GUEST_EXPORTS = {"memory", "emdash_alloc", "emdash_handle"}
ENGINE = wasmtime.Engine()
VALUE_TYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}

# A host function stand-in: the request in, the envelope the plugin receives out.
Answer = Callable[[Any], dict[str, Any]]


def manifest_of(plugin: str) -> Manifest:
    return parse_manifest(json.loads((PLUGINS / plugin / "manifest.json").read_text()))


def committed_wasm(plugin: str) -> bytes:
    return (PLUGINS / plugin / "plugin.wasm").read_bytes()


@cache
def compiled(wasm: bytes) -> wasmtime.Module:
    return wasmtime.Module(ENGINE, wasm)


def imported_names(wasm: bytes, manifest: Manifest) -> set[str]:
    """The host functions a module imports, after checking that each one is granted
    by the manifest's capabilities and that the module exports the emdash/0 ABI."""
    module = compiled(wasm)
    granted = effective(manifest.capabilities)
    names = set()
    for item in module.imports:
        assert item.module == IMPORT_MODULE, f"imports {item.module}.{item.name}"
        assert item.name in HOST_FUNCTIONS, f"imports unknown emdash.{item.name}"
        function = HOST_FUNCTIONS[item.name]
        assert function.capability is None or function.capability in granted, (
            f"{manifest.id} imports {item.name}, which needs {function.capability}"
        )
        names.add(item.name)
    assert {item.name for item in module.exports} == GUEST_EXPORTS
    return names


@dataclass
class Run:
    """One hook call: the envelope the plugin answered (None for "no change") and
    the host calls it made, as (function, request) pairs in order."""

    output: dict[str, Any] | None
    calls: list[tuple[str, Any]] = field(default_factory=list)


def run_hook(
    wasm: bytes,
    hook: str,
    payload: Any,
    answers: dict[str, Answer] | None = None,
) -> Run:
    """Call ``emdash_handle`` in a fresh instance whose Linker holds only ``answers``
    (``log`` is recorded whenever it is given)."""
    run = Run(None)
    linker = wasmtime.Linker(ENGINE)
    for name, answer in (answers or {}).items():
        function = HOST_FUNCTIONS[name]
        func_type = wasmtime.FuncType(
            [VALUE_TYPES[param]() for param in function.params],
            [VALUE_TYPES[result]() for result in function.results],
        )
        linker.define_func(
            IMPORT_MODULE,
            name,
            func_type,
            _stand_in(name, answer, run.calls),
            access_caller=True,
        )
    store = wasmtime.Store(ENGINE)
    exports = linker.instantiate(store, compiled(wasm)).exports(store)
    memory = exports["memory"]
    assert isinstance(memory, wasmtime.Memory)
    alloc, handle = exports["emdash_alloc"], exports["emdash_handle"]
    assert isinstance(alloc, wasmtime.Func)
    assert isinstance(handle, wasmtime.Func)

    def put(data: bytes) -> int:
        pointer = alloc(store, len(data))
        memory.write(store, data, pointer)
        return pointer

    hook_bytes = hook.encode()
    data = payload if isinstance(payload, bytes) else json_bytes(payload)
    packed = handle(store, put(hook_bytes), len(hook_bytes), put(data), len(data))
    packed &= 0xFFFF_FFFF_FFFF_FFFF
    if packed:
        pointer, length = packed >> 32, packed & 0xFFFF_FFFF
        run.output = json.loads(bytes(memory.read(store, pointer, pointer + length)))
    return run


def _stand_in(
    name: str, answer: Answer, calls: list[tuple[str, Any]]
) -> Callable[..., int | None]:
    def host_function(caller: wasmtime.Caller, *args: int) -> int | None:
        memory = caller["memory"]
        assert isinstance(memory, wasmtime.Memory)
        *level, pointer, length = args
        text = bytes(memory.read(caller, pointer, pointer + length)).decode()
        if name == "log":
            calls.append((name, (level[0], text)))
            return None
        request = json.loads(text)
        calls.append((name, request))
        envelope = json_bytes(answer(request))
        alloc = caller["emdash_alloc"]
        assert isinstance(alloc, wasmtime.Func)
        answer_pointer = alloc(caller, len(envelope))
        memory.write(caller, envelope, answer_pointer)
        return answer_pointer << 32 | len(envelope)

    return host_function


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def ok(value: Any) -> Answer:
    return lambda request: {"ok": value}


def error(code: str, message: str) -> Answer:
    return lambda request: {"error": {"code": code, "message": message}}


def logged(request: Any) -> dict[str, Any]:
    """The stand-in for ``log``: its calls are recorded, and it answers nothing."""
    raise AssertionError("log answers nothing")


# -- the committed modules -----------------------------------------------------------


@pytest.mark.parametrize("plugin", sorted(EXAMPLES))
def test_committed_module_imports_only_what_its_manifest_grants(plugin: str) -> None:
    manifest = manifest_of(plugin)

    assert manifest.id == plugin
    assert imported_names(committed_wasm(plugin), manifest) == EXAMPLES[plugin]


def test_every_example_folder_is_a_bundle_with_source_and_readme() -> None:
    folders = {
        path.name
        for path in PLUGINS.iterdir()
        if path.is_dir() and (path / "manifest.json").exists()
    }

    assert folders == set(EXAMPLES)
    for plugin in EXAMPLES:
        assert (PLUGINS / plugin / "README.md").is_file()
        assert (PLUGINS / plugin / "src" / "package-lock.json").is_file()


# -- seo-guard, which imports nothing --------------------------------------------------


def seo_guard(payload: Any) -> Run:
    return run_hook(committed_wasm("seo-guard"), "content:beforeSave", payload)


def save(data: dict[str, Any], seo: dict[str, Any] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": "e1", "slug": "hello", "status": "draft"}
    entry["data"] = data
    if seo is not None:
        entry["seo"] = seo
    return {"hook": "content:beforeSave", "collection": "posts", "entry": entry}


@pytest.mark.parametrize(
    "data",
    [{"title": ""}, {"title": " \t\n"}, {"body": "Text"}, {"title": None}],
    ids=["empty", "whitespace", "missing", "null"],
)
def test_seo_guard_rejects_an_entry_without_a_title(data: dict[str, Any]) -> None:
    run = seo_guard(save(data))

    assert run.output == {
        "reject": {"code": "TITLE_REQUIRED", "message": "A post needs a title."}
    }


def test_seo_guard_fills_a_missing_description_from_the_body_as_plain_text() -> None:
    body = (
        "# Spring *news*\n\n"
        "> Read [the plan](https://example.com/plan) and ![a photo](p.png) the "
        "`config` of snake_case _things_.\n\n"
        "```python\nprint('skipped')\n```\n"
        "---\n"
        "1. First <b>bold</b> point\n"
        "- second **point**\n"
    )

    run = seo_guard(save({"title": "Spring", "body": body}, seo={"title": "S"}))

    assert run.output == {
        "ok": {
            "seo": {
                "title": "S",
                "description": "Spring news Read the plan and the config of "
                "snake_case things. First bold point second point",
            }
        }
    }


def test_seo_guard_gives_an_entry_without_seo_a_description() -> None:
    run = seo_guard(save({"title": "T", "body": "Hello **world**."}))

    assert run.output == {"ok": {"seo": {"description": "Hello world."}}}


def test_seo_guard_cuts_a_long_body_at_a_word_within_155_characters() -> None:
    body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 5

    run = seo_guard(save({"title": "Long", "body": body}, seo={"description": " "}))

    assert run.output is not None
    description = run.output["ok"]["seo"]["description"]
    assert description == (
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 2
        + "Lorem ipsum dolor sit amet, consectetur…"
    )
    assert len(description) == 154


def test_seo_guard_reads_an_entry_sent_at_the_top_level() -> None:
    payload = {"collection": "posts", "id": None, "data": {"title": "T", "body": "B"}}

    assert seo_guard(payload).output == {"ok": {"seo": {"description": "B"}}}


@pytest.mark.parametrize(
    ("data", "seo"),
    [
        ({"title": "T", "body": "Body"}, {"description": "Written by hand"}),
        ({"title": "T"}, None),
        ({"title": "T", "body": "```\ncode only\n```"}, {}),
    ],
    ids=["has-description", "no-body", "nothing-to-say"],
)
def test_seo_guard_changes_nothing_otherwise(
    data: dict[str, Any], seo: dict[str, Any] | None
) -> None:
    assert seo_guard(save(data, seo)).output is None


# -- notify-on-publish ----------------------------------------------------------------

PUBLISHED = {
    "hook": "content:afterPublish",
    "collection": "posts",
    "entry": {"id": "e1", "status": "published"},
    "settings": {"recipient": "editor@example.com"},
}


def notify(payload: Any, **answers: Answer) -> Run:
    host = {"log": logged, **answers}
    return run_hook(
        committed_wasm("notify-on-publish"), "content:afterPublish", payload, host
    )


def test_notify_on_publish_reads_the_entry_and_emails_the_recipient() -> None:
    entry = {"id": "e1", "slug": "hello", "data": {"title": " Hello "}}

    run = notify(PUBLISHED, content_get=ok(entry), email_send=ok({"sent": True}))

    assert run.output is None
    assert run.calls == [
        ("content_get", {"collection": "posts", "id": "e1"}),
        (
            "email_send",
            {
                "to": "editor@example.com",
                "subject": "Published: Hello",
                "text": "A new entry was published on your site.\n\n"
                "Title: Hello\nCollection: posts\nSlug: hello\n",
            },
        ),
        ("log", (1, "Told editor@example.com about posts/e1.")),
    ]


def test_notify_on_publish_fails_without_a_recipient_and_sends_nothing() -> None:
    payload = {**PUBLISHED, "settings": {}}

    run = notify(payload, content_get=ok({}), email_send=ok({}))

    assert run.output == {
        "error": {
            "code": "NO_RECIPIENT",
            "message": "Set the recipient in the plugin's settings.",
        }
    }
    assert run.calls == []


def test_notify_on_publish_passes_on_a_host_error() -> None:
    run = notify(
        PUBLISHED,
        content_get=error("NOT_FOUND", "No entry e1."),
        email_send=ok({}),
    )

    assert run.output == {
        "error": {
            "code": "NOT_FOUND",
            "message": "Could not read entry e1: No entry e1.",
        }
    }
    assert [name for name, _ in run.calls] == ["content_get"]


# -- webhook ---------------------------------------------------------------------------

SAVED = {
    "hook": "content:afterSave",
    "collection": "posts",
    "entry": {"id": "e1", "slug": "hello", "status": "draft", "data": {"title": "x"}},
    "settings": {"url": "http://hooks.example.com:8123/in"},
}


def webhook(payload: Any, answer: Answer) -> Run:
    return run_hook(
        committed_wasm("webhook"), "content:afterSave", payload, {"http_fetch": answer}
    )


def test_webhook_posts_the_event_to_the_url_setting() -> None:
    run = webhook(SAVED, ok({"status": 204, "headers": {}, "body": ""}))

    assert run.output is None
    ((name, request),) = run.calls
    assert name == "http_fetch"
    assert json.loads(request.pop("body")) == {
        "event": "content:afterSave",
        "collection": "posts",
        "id": "e1",
        "slug": "hello",
        "status": "draft",
    }
    assert request == {
        "url": "http://hooks.example.com:8123/in",
        "method": "POST",
        "headers": {"content-type": "application/json"},
    }


def test_webhook_uses_the_manifest_default_when_the_setting_is_missing() -> None:
    run = webhook({**SAVED, "settings": {}}, ok({"status": 200}))

    assert run.calls[0][1]["url"] == "https://hooks.example.com/emdash"
    default = manifest_of("webhook").settings["url"].default
    assert default == "https://hooks.example.com/emdash"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            ok({"status": 500, "headers": {}, "body": "down"}),
            {
                "code": "WEBHOOK_STATUS",
                "message": "The webhook at http://hooks.example.com:8123/in "
                "answered 500.",
            },
        ),
        (
            error("HOST_NOT_ALLOWED", "Refused."),
            {
                "code": "HOST_NOT_ALLOWED",
                "message": "The webhook to http://hooks.example.com:8123/in "
                "failed: Refused.",
            },
        ),
    ],
    ids=["bad-status", "refused"],
)
def test_webhook_reports_a_failed_delivery(
    answer: Answer, expected: dict[str, str]
) -> None:
    assert webhook(SAVED, answer).output == {"error": expected}


# -- built from source -----------------------------------------------------------------


@pytest.mark.parametrize("plugin", sorted(EXAMPLES))
def test_example_builds_from_source_into_its_committed_module(
    builds: Builds, plugin: str
) -> None:
    built = (builds.plugin(plugin) / "plugin.wasm").read_bytes()

    assert imported_names(built, manifest_of(plugin)) == EXAMPLES[plugin]
    assert built == committed_wasm(plugin), (
        f"plugins/{plugin}/plugin.wasm is stale: run `npm run build` in "
        f"plugins/{plugin}/src and commit the module"
    )


def test_build_reports_the_compiler_error_and_keeps_the_old_module(
    builds: Builds, tmp_path: Path
) -> None:
    built = builds.plugin("seo-guard")
    folder = tmp_path / "seo-guard"
    shutil.copytree(built, folder, ignore=shutil.ignore_patterns("node_modules"))
    (folder / "src" / "node_modules").symlink_to(built / "src" / "node_modules")
    (folder / "src" / "assembly" / "index.ts").write_text(
        'export function emdash_handle(): i64 { return "no"; }\n'
    )
    before = (folder / "plugin.wasm").read_bytes()

    with pytest.raises(PluginBuildFailed) as failed:
        build_plugin(folder)

    assert failed.value.code == "PLUGIN_BUILD_FAILED"
    assert (
        f"`npm run build` in {folder / 'src'} failed (exit 1)" in failed.value.message
    )
    assert "Type '~lib/string/String' is not assignable to type 'i64'" in (
        failed.value.message
    )
    assert (folder / "plugin.wasm").read_bytes() == before


def test_build_refuses_a_folder_without_source(tmp_path: Path) -> None:
    with pytest.raises(PluginBuildFailed) as failed:
        build_plugin(tmp_path)

    assert failed.value.message == (
        f"{tmp_path} has no src/package.json: nothing to build."
    )


def test_build_names_npm_when_it_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "package.json").write_text("{}")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(PluginBuildFailed) as failed:
        build_plugin(tmp_path)

    assert failed.value.message.startswith("npm is not on PATH")


# -- the AssemblyScript SDK, through its probe plugin ----------------------------------


def echo_answers() -> dict[str, Answer]:
    """Every host function, answering {"ok": {"fn", "request"}} (kv_delete fails)."""
    answers: dict[str, Answer] = {"log": logged}
    for name in HOST_FUNCTIONS:
        if name != "log":
            answers[name] = lambda request, name=name: {
                "ok": {"fn": name, "request": request}
            }
    answers["kv_delete"] = error("NOT_FOUND", "No key k.")
    return answers


def probe(builds: Builds, hook: str, payload: Any) -> Run:
    """A hook call into the probe plugin, which imports every host function."""
    return run_hook(builds.probe, hook, payload, echo_answers())


def test_sdk_has_one_binding_per_host_function_with_its_signature(
    builds: Builds,
) -> None:
    module = compiled(builds.probe)

    signatures = {
        item.name: (
            tuple(str(param) for param in item.type.params),
            tuple(str(result) for result in item.type.results),
        )
        for item in module.imports
        if item.module == IMPORT_MODULE
    }

    assert len(module.imports) == len(HOST_FUNCTIONS)
    assert signatures == {
        name: (function.params, function.results)
        for name, function in HOST_FUNCTIONS.items()
    }


def test_sdk_bindings_send_json_requests_and_read_envelopes(builds: Builds) -> None:
    run = probe(builds, "host:all", {})

    assert run.output is not None
    requests = [request for _, request in run.calls]
    assert [name for name, _ in run.calls] == list(HOST_FUNCTIONS)
    assert requests == [
        (1, "calling every binding"),
        {},
        {"key": "k"},
        {"key": "k", "value": 1},
        {"key": "k"},
        {"prefix": "pre"},
        {"collection": "docs", "id": "1"},
        {"collection": "docs", "id": "1", "data": {"title": "T"}},
        {"collection": "docs", "id": "1"},
        {"collection": "docs", "limit": 5},
        {"collection": "posts", "id": "e1"},
        {"collection": "posts", "limit": 5},
        {"collection": "posts", "data": {"title": "T"}},
        {"collection": "posts", "id": "e1", "data": {"title": "T"}},
        {"collection": "posts", "id": "e1"},
        {"taxonomy": "tags"},
        {"id": "m1"},
        {},
        {"filename": "a.txt", "content_type": "text/plain", "data_base64": "aGk="},
        {"id": "m1"},
        {"id": "u1"},
        {},
        {"to": "a@example.com", "subject": "S", "text": "T"},
        {"url": "https://hooks.example.com/x", "method": "POST", "body": "{}"},
    ]
    results = run.output["ok"]
    assert results[3] == {
        "ok": False,
        "value": {"code": "NOT_FOUND", "message": "No key k."},
        "code": "NOT_FOUND",
        "message": "No key k.",
    }
    assert results[0] == {
        "ok": True,
        "value": {"fn": "site_info", "request": {}},
        "code": "",
        "message": "",
    }


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, -3e-07, 1e21, True, False, None], "b": {}, "c": []},
        {"text": 'é 😀 "quoted" \\ / \n\t\u0001 \u2028', "": "empty key"},
        {"nested": [[[{"deep": [{}]}]]], "order": {"z": 1, "a": 2, "m": 3}},
        {"int": 9007199254740991, "neg": -42, "zero": 0, "small": 5e-324},
    ],
    ids=["scalars", "strings", "nesting", "numbers"],
)
def test_sdk_json_round_trips(builds: Builds, value: dict[str, Any]) -> None:
    assert probe(builds, "json:echo", value).output == {"ok": value}


@pytest.mark.parametrize(
    "text",
    ["", "[1,]", '{"a" 1}', "01", "1.", '"\x01"', '"\\x"', "tru", "[1] 2", "[" * 600],
)
def test_sdk_json_refuses_invalid_text(builds: Builds, text: str) -> None:
    run = probe(builds, "json:parse", {"text": text})

    assert run.output == {"ok": {"valid": False, "value": None}}


def test_sdk_json_reads_escapes_and_surrogate_pairs(builds: Builds) -> None:
    text = '{"s": "\\u00e9\\ud83d\\ude00\\"\\\\\\/\\b\\f\\n\\r\\t", "n": -0.5e+3}'

    run = probe(builds, "json:parse", {"text": text})

    assert run.output == {
        "ok": {"valid": True, "value": {"s": 'é😀"\\/\b\f\n\r\t', "n": -500}}
    }


def test_sdk_json_builds_values_of_every_kind(builds: Builds) -> None:
    run = probe(builds, "json:build", {"entry": {"data": {"title": "Hi"}}})

    value = {
        "string": 'é "q" \\ \n\t\u0001 😀',
        "int": 43,
        "negative": -7,
        "float": 0.1,
        "big": 1e21,
        "nan": None,
        "yes": True,
        "nothing": None,
        "list": [1, 2, 3],
        "words": ["a", "b"],
    }
    assert run.output == {
        "ok": {
            "value": value,
            "title": "Hi",
            "missing": True,
            "keys": list(value),
            "clone_equal": True,
        }
    }


@pytest.mark.parametrize(
    ("hook", "payload", "expected"),
    [
        (
            "result:reject",
            {},
            {"reject": {"code": "NOPE", "message": "Refused: result:reject"}},
        ),
        ("result:fail", {}, {"error": {"code": "BROKEN", "message": "It broke."}}),
        ("result:none", {}, None),
        (
            "content:afterDelete",
            {},
            {
                "error": {
                    "code": "NO_HANDLER",
                    "message": "This plugin has no handler for content:afterDelete.",
                }
            },
        ),
        (
            "json:echo",
            b"{not json",
            {
                "error": {
                    "code": "BAD_INPUT",
                    "message": "The input of json:echo is not valid JSON.",
                }
            },
        ),
    ],
    ids=["reject", "fail", "no-change", "no-handler", "bad-input"],
)
def test_sdk_answers_every_envelope(
    builds: Builds, hook: str, payload: Any, expected: dict[str, Any] | None
) -> None:
    assert probe(builds, hook, payload).output == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {
                "hook": "event:fields",
                "collection": "posts",
                "entry": {"id": "e1"},
                "settings": {"recipient": "a@example.com"},
            },
            {
                "collection": "posts",
                "entry": {"id": "e1"},
                "recipient": "a@example.com",
            },
        ),
        (
            {"collection": "pages", "id": "e2", "data": {}},
            {
                "collection": "pages",
                "entry": {"collection": "pages", "id": "e2", "data": {}},
                "recipient": None,
            },
        ),
    ],
    ids=["nested-entry", "top-level-entry"],
)
def test_sdk_event_reads_the_entry_and_settings(
    builds: Builds, payload: dict[str, Any], expected: dict[str, Any]
) -> None:
    run = probe(builds, "event:fields", payload)

    assert run.output == {"ok": {"hook": "event:fields", **expected}}


# -- the C SDK ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hello_wasm(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    require_service("clang")
    require_service("wasm-ld")
    clang = shutil.which("clang")
    output = tmp_path_factory.mktemp("c") / "hello.wasm"
    subprocess.run(  # noqa: S603 - clang from PATH, fixed arguments
        [
            clang, "--target=wasm32", "-mbulk-memory", "-O2", "-nostdlib",
            "-Wall", "-Wextra", "-Werror",
            "-Wl,--no-entry", "-Wl,--strip-all",
            "-o", str(output), str(C_SDK / "example" / "hello.c"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    return output.read_bytes()


def test_c_example_imports_only_emdash_functions(hello_wasm: bytes) -> None:
    module = compiled(hello_wasm)

    assert sorted((i.module, i.name) for i in module.imports) == [
        ("emdash", "log"),
        ("emdash", "site_info"),
    ]
    assert {item.name for item in module.exports} == GUEST_EXPORTS


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "  ",
            {"reject": {"code": "TITLE_REQUIRED", "message": "A post needs a title."}},
        ),
        ('Café 😀 "q"', None),
    ],
)
def test_c_example_reads_json_calls_the_host_and_answers(
    hello_wasm: bytes, title: str, expected: dict[str, Any] | None
) -> None:
    payload = {
        "entry": {"seo": {"title": "other"}, "data": {"x": [{}], "title": title}}
    }
    answers = {"log": logged, "site_info": ok({"name": 'Ünï "site"'})}

    run = run_hook(hello_wasm, "content:beforeSave", payload, answers)

    assert run.output == expected
    quoted = json.dumps(title, ensure_ascii=False)
    assert run.calls == [
        ("site_info", {}),
        ("log", (1, f'hello from C on Ünï "site": saving {quoted}')),
    ]
