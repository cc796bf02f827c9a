"""What a module may import and must export under ABI ``emdash/0``.

A module's import list is its capability list: each import must be a host function
of module ``emdash`` whose capability the plugin holds, with the signature the host
gives it. Checked at install (against the manifest) and again at load (against the
grant), before anything is linked or run.
"""

from typing import NoReturn

from wasmtime import FuncType, GlobalType, MemoryType, Module, TableType

from emdash.plugins import capabilities
from emdash.plugins.sandbox.engine import compile_module
from emdash.plugins.sandbox.errors import ExportsInvalid, ImportRefused

# export -> (params, results) of the function the host calls; "memory" is a memory.
REQUIRED_FUNCTION_EXPORTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "emdash_alloc": (("i32",), ("i32",)),
    "emdash_handle": (("i32", "i32", "i32", "i32"), ("i64",)),
}
OPTIONAL_FUNCTION_EXPORTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "_initialize": ((), ()),
}


def check_imports(
    module_or_wasm: Module | bytes, granted: frozenset[str], plugin_id: str
) -> None:
    """Refuse the module unless every import is a host function its capabilities
    (with what they imply) allow, imported with the host's signature."""
    module = _module(module_or_wasm)
    allowed = capabilities.effective(granted)
    declared = ", ".join(sorted(granted)) or "none"
    for imported in module.imports:
        name = f"{imported.module}.{imported.name}"
        imported_type = imported.type
        if imported.module != capabilities.IMPORT_MODULE:
            if imported.module.startswith("wasi"):
                why = "which the EmDash host never provides (no WASI)"
            else:
                why = (
                    "which the EmDash host never provides (plugins import only "
                    f'from module "{capabilities.IMPORT_MODULE}")'
                )
            _refuse(plugin_id, name, f"plugin '{plugin_id}' imports {name}, {why}")
        if not isinstance(imported_type, FuncType):
            _refuse(
                plugin_id,
                name,
                f"plugin '{plugin_id}' imports {name} as a {_kind(imported_type)}; "
                "the EmDash host provides only functions",
            )
        function = capabilities.HOST_FUNCTIONS.get(imported.name)
        if function is None:
            _refuse(
                plugin_id,
                name,
                f"plugin '{plugin_id}' imports {name}, "
                "which is not an EmDash host function",
            )
        if function.capability is not None and function.capability not in allowed:
            raise ImportRefused(
                f"plugin '{plugin_id}' imports {name}, which needs the capability "
                f"{function.capability}; its manifest declares: {declared}",
                details={
                    "plugin": plugin_id,
                    "import": name,
                    "capability": function.capability,
                },
            )
        found = _signature(imported_type)
        expected = (function.params, function.results)
        if found != expected:
            _refuse(
                plugin_id,
                name,
                f"plugin '{plugin_id}' imports {name} with signature "
                f"{_describe(found)}, but the host provides {_describe(expected)}",
            )


def check_exports(module_or_wasm: Module | bytes, plugin_id: str) -> None:
    """Refuse the module unless it exports what the host calls, with the right
    types: a 32-bit ``memory``, ``emdash_alloc`` and ``emdash_handle``."""
    module = _module(module_or_wasm)
    exports = {exported.name: exported.type for exported in module.exports}
    memory = exports.get("memory")
    if not isinstance(memory, MemoryType) or memory.is_64 or memory.is_shared:
        found = "none" if memory is None else f"a {_kind(memory)}"
        if isinstance(memory, MemoryType):
            found = "a 64-bit memory" if memory.is_64 else "a shared memory"
        _invalid(plugin_id, "memory", f"a 32-bit unshared memory; it exports {found}")
    for name, expected in REQUIRED_FUNCTION_EXPORTS.items():
        _check_function_export(plugin_id, name, exports.get(name), expected)
    for name, expected in OPTIONAL_FUNCTION_EXPORTS.items():
        if name in exports:
            _check_function_export(plugin_id, name, exports[name], expected)


def _check_function_export(
    plugin_id: str,
    name: str,
    found: object,
    expected: tuple[tuple[str, ...], tuple[str, ...]],
) -> None:
    if isinstance(found, FuncType) and _signature(found) == expected:
        return
    if found is None:
        what = "none"
    elif isinstance(found, FuncType):
        what = _describe(_signature(found))
    else:
        what = f"a {_kind(found)}"
    _invalid(plugin_id, name, f"a function {_describe(expected)}; it exports {what}")


def _module(module_or_wasm: Module | bytes) -> Module:
    if isinstance(module_or_wasm, Module):
        return module_or_wasm
    return compile_module(module_or_wasm)


def _kind(extern_type: object) -> str:
    if isinstance(extern_type, FuncType):
        return "function"
    if isinstance(extern_type, MemoryType):
        return "memory"
    if isinstance(extern_type, TableType):
        return "table"
    if isinstance(extern_type, GlobalType):
        return "global"
    return "tag"


def _signature(function_type: FuncType) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (
        tuple(str(value) for value in function_type.params),
        tuple(str(value) for value in function_type.results),
    )


def _describe(signature: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    params, results = signature
    return f"({', '.join(params)}) -> ({', '.join(results)})"


def _refuse(plugin_id: str, name: str, message: str) -> NoReturn:
    raise ImportRefused(message, details={"plugin": plugin_id, "import": name})


def _invalid(plugin_id: str, name: str, expected: str) -> NoReturn:
    raise ExportsInvalid(
        f"plugin '{plugin_id}' must export {name} as {expected}",
        details={"plugin": plugin_id, "export": name},
    )
