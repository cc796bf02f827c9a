"""A module's import list is its capability list: anything beyond the grant, or
anything the host never provides, is refused before the module is linked."""

import pytest
from wasmtime import wat2wasm

from emdash.plugins.capabilities import CAPABILITIES
from emdash.plugins.sandbox.engine import compile_module
from emdash.plugins.sandbox.errors import (
    ExportsInvalid,
    ImportRefused,
    ModuleInvalid,
)
from emdash.plugins.sandbox.imports import check_exports, check_imports
from tests.plugins.sandbox import wat
from tests.plugins.sandbox.conftest import Load

JSON_CALL = "(param i32 i32) (result i64)"


def _importing(*imports: str) -> bytes:
    return wat.plugin("(i64.const 0)", imports="\n".join(imports))


def _function(module: str, name: str, signature: str = JSON_CALL) -> str:
    return f'(import "{module}" "{name}" (func {signature}))'


def test_ungranted_function_is_refused_naming_the_capability() -> None:
    wasm = _importing(
        _function("emdash", "content_get"), _function("emdash", "email_send")
    )

    with pytest.raises(ImportRefused) as refused:
        check_imports(wasm, frozenset({"content:read"}), "evil")

    assert refused.value.message == (
        "plugin 'evil' imports emdash.email_send, which needs the capability "
        "email:send; its manifest declares: content:read"
    )
    assert refused.value.code == "PLUGIN_IMPORT_REFUSED"
    assert refused.value.status == 422
    assert refused.value.details == {
        "plugin": "evil",
        "import": "emdash.email_send",
        "capability": "email:send",
    }


def test_no_capabilities_declared() -> None:
    with pytest.raises(ImportRefused, match="its manifest declares: none$"):
        check_imports(
            _importing(_function("emdash", "http_fetch")), frozenset(), "evil"
        )


@pytest.mark.parametrize(
    ("granted", "function"),
    [
        (set(), "log"),
        (set(), "kv_get"),
        (set(), "site_info"),
        ({"content:read"}, "content_list"),
        # Implications: write includes read.
        ({"content:write"}, "content_get"),
        ({"media:write"}, "media_get"),
        ({"network:request:unrestricted"}, "http_fetch"),
    ],
)
def test_granted_and_implied_functions_are_allowed(
    granted: set[str], function: str
) -> None:
    signature = "(param i32 i32 i32)" if function == "log" else JSON_CALL
    wasm = _importing(_function("emdash", function, signature))

    check_imports(wasm, frozenset(granted), "fine")


@pytest.mark.parametrize(
    ("imported", "message"),
    [
        (
            _function(
                "wasi_snapshot_preview1",
                "fd_write",
                "(param i32 i32 i32 i32) (result i32)",
            ),
            "plugin 'evil' imports wasi_snapshot_preview1.fd_write, which the EmDash "
            "host never provides (no WASI)",
        ),
        (
            _function("wasi_snapshot_preview1", "path_open", "(param i32)"),
            "plugin 'evil' imports wasi_snapshot_preview1.path_open, which the EmDash "
            "host never provides (no WASI)",
        ),
        (
            _function("env", "abort", "(param i32 i32 i32 i32)"),
            "plugin 'evil' imports env.abort, which the EmDash host never provides "
            '(plugins import only from module "emdash")',
        ),
        (
            _function("emdash", "shell_exec"),
            "plugin 'evil' imports emdash.shell_exec, which is not an EmDash host "
            "function",
        ),
        (
            _function("emdash", "log", "(param i64)"),
            "plugin 'evil' imports emdash.log with signature (i64) -> (), but the "
            "host provides (i32, i32, i32) -> ()",
        ),
        (
            _function("emdash", "kv_get", "(param i32 i32) (result i32)"),
            "plugin 'evil' imports emdash.kv_get with signature (i32, i32) -> (i32), "
            "but the host provides (i32, i32) -> (i64)",
        ),
        (
            '(import "emdash" "heap" (memory 1))',
            "plugin 'evil' imports emdash.heap as a memory; the EmDash host provides "
            "only functions",
        ),
        (
            '(import "emdash" "counter" (global i32))',
            "plugin 'evil' imports emdash.counter as a global; the EmDash host "
            "provides only functions",
        ),
        (
            '(import "emdash" "table" (table 1 funcref))',
            "plugin 'evil' imports emdash.table as a table; the EmDash host provides "
            "only functions",
        ),
    ],
)
def test_what_the_host_never_provides_is_refused(imported: str, message: str) -> None:
    # Every capability is granted: these are refused whatever the grant.
    wasm = wat2wasm(
        f"""(module {imported}
        (func (export "emdash_alloc") (param i32) (result i32) (i32.const 0))
        (func (export "emdash_handle") (param i32 i32 i32 i32) (result i64)
          (i64.const 0)))"""
    )

    with pytest.raises(ImportRefused) as refused:
        check_imports(wasm, frozenset(CAPABILITIES), "evil")

    assert refused.value.message == message


def test_loading_checks_the_grant_too(load: Load) -> None:
    with pytest.raises(ImportRefused, match="needs the capability email:send"):
        load(wat.relay("email_send"), capabilities=frozenset({"content:read"}))


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (
            """(func (export "emdash_alloc") (param i32) (result i32) (i32.const 0))
            (func (export "emdash_handle") (param i32 i32 i32 i32) (result i64)
              (i64.const 0))""",
            "plugin 'p' must export memory as a 32-bit unshared memory; it exports "
            "none",
        ),
        (
            """(memory (export "memory") i64 1)
            (func (export "emdash_alloc") (param i32) (result i32) (i32.const 0))
            (func (export "emdash_handle") (param i32 i32 i32 i32) (result i64)
              (i64.const 0))""",
            "plugin 'p' must export memory as a 32-bit unshared memory; it exports a "
            "64-bit memory",
        ),
        (
            """(func (export "memory"))
            (func (export "emdash_alloc") (param i32) (result i32) (i32.const 0))
            (func (export "emdash_handle") (param i32 i32 i32 i32) (result i64)
              (i64.const 0))""",
            "plugin 'p' must export memory as a 32-bit unshared memory; it exports a "
            "function",
        ),
        (
            """(memory (export "memory") 1)
            (func (export "emdash_handle") (param i32 i32 i32 i32) (result i64)
              (i64.const 0))""",
            "plugin 'p' must export emdash_alloc as a function (i32) -> (i32); it "
            "exports none",
        ),
        (
            """(memory (export "memory") 1)
            (global (export "emdash_alloc") i32 (i32.const 0))
            (func (export "emdash_handle") (param i32 i32 i32 i32) (result i64)
              (i64.const 0))""",
            "plugin 'p' must export emdash_alloc as a function (i32) -> (i32); it "
            "exports a global",
        ),
        (
            """(memory (export "memory") 1)
            (func (export "emdash_alloc") (param i32) (result i32) (i32.const 0))
            (func (export "emdash_handle") (param i32 i32 i32 i32) (result i32)
              (i32.const 0))""",
            "plugin 'p' must export emdash_handle as a function "
            "(i32, i32, i32, i32) -> (i64); it exports (i32, i32, i32, i32) -> (i32)",
        ),
        (
            """(memory (export "memory") 1)
            (func (export "emdash_alloc") (param i32) (result i32) (i32.const 0))
            (func (export "emdash_handle") (param i32 i32 i32 i32) (result i64)
              (i64.const 0))
            (func (export "_initialize") (param i32))""",
            "plugin 'p' must export _initialize as a function () -> (); it exports "
            "(i32) -> ()",
        ),
    ],
)
def test_missing_or_mistyped_exports_are_refused(module: str, message: str) -> None:
    wasm = wat2wasm(f"(module {module})")

    with pytest.raises(ExportsInvalid) as invalid:
        check_exports(wasm, "p")

    assert invalid.value.message == message
    assert invalid.value.code == "PLUGIN_EXPORTS_INVALID"
    assert invalid.value.status == 422


def test_loading_checks_the_exports(load: Load) -> None:
    with pytest.raises(ExportsInvalid, match="must export memory"):
        load(wat2wasm("(module)"))


@pytest.mark.parametrize(
    ("wasm", "message"),
    [
        (b"", "plugin.wasm is not a WebAssembly module"),
        (b"garbage", "plugin.wasm is not a WebAssembly module"),
        # WAT text is not a module, even though wasmtime would compile it.
        (b"(module)", "plugin.wasm is not a WebAssembly module"),
        # No threads: a shared memory would allow atomic waits that block outside
        # the deadline.
        (
            wat2wasm("(module (memory 1 1 shared))"),
            "plugin.wasm is not a valid WebAssembly module: threads must be enabled "
            "for shared memories",
        ),
        (
            b"\0asm\x01\0\0\0\x01\x05",
            "plugin.wasm is not a valid WebAssembly module: unexpected end-of-file "
            "(at offset 0xa)",
        ),
    ],
)
def test_invalid_modules_are_refused(wasm: bytes, message: str) -> None:
    with pytest.raises(ModuleInvalid) as invalid:
        compile_module(wasm)

    assert invalid.value.message.startswith(message)
    assert invalid.value.code == "PLUGIN_MODULE_INVALID"
