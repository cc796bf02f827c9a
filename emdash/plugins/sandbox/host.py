"""Run a plugin's hook in a fresh, limited wasm instance (ABI ``emdash/0``).

A LoadedPlugin links only the host functions its module imports, all of which
check_imports has matched against its grant, and pre-instantiates the module once.
Each call then gets a new Store (fresh memory and globals), with fuel, an epoch
deadline, and caps on memory, host calls and output. Every pointer that crosses the
boundary is masked to 32 bits and bounds-checked before memory is touched, because
``Memory.read`` clamps like a slice and i32s reach Python signed.

Host function callbacks are shared by every Store of a plugin, so what belongs to
one call (its deadline, budget, memory handle, logs) lives in a ContextVar.
"""

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

from wasmtime import (
    Caller,
    Func,
    FuncType,
    Linker,
    Memory,
    Module,
    Store,
    Trap,
    TrapCode,
    ValType,
    WasmtimeError,
)

from emdash.core.errors import EmDashError
from emdash.plugins.capabilities import HOST_FUNCTIONS, IMPORT_MODULE, HostFunction
from emdash.plugins.capabilities import effective as effective_capabilities
from emdash.plugins.sandbox.calls import (
    LOG_LEVELS,
    CallContext,
    CallResult,
    Envelope,
    Limits,
    LogRecord,
    Rejection,
)
from emdash.plugins.sandbox.engine import (
    compile_module,
    deadline_ticks,
    ensure_epoch_ticker,
    get_engine,
    last_line,
)
from emdash.plugins.sandbox.errors import PluginFailed
from emdash.plugins.sandbox.imports import check_exports, check_imports

logger = logging.getLogger(__name__)

# A host function implementation: the call's context and the plugin's JSON request
# in, a JSON-serializable result out. Raise an EmDashError for an ordinary failure
# (not found, refused): the plugin receives it as {"error": {"code", "message"}}.
HostImpl = Callable[[CallContext, dict[str, Any]], Any]

MAX_LOG_MESSAGE_BYTES = 8 * 1024

_U32 = 0xFFFF_FFFF
_U64 = 0xFFFF_FFFF_FFFF_FFFF
_WASM_PAGE_BYTES = 65_536

# define_func registers callbacks in wasmtime-py's process-global slab.
_linker_lock = threading.Lock()


class _Abort(Exception):
    """Raised in a host function to end the wasm call; the call state says why."""


@dataclass
class _Failure:
    reason: str
    message: str


@dataclass(frozen=True)
class _Guest:
    """The instance's exports the host uses during a call."""

    memory: Memory
    alloc: Func


@dataclass
class _CallState:
    plugin_id: str
    limits: Limits
    call_context: CallContext
    guest: _Guest | None = None  # None until instantiation is done
    host_calls: int = 0
    logs: list[LogRecord] = field(default_factory=list)
    failure: _Failure | None = None

    def fail(self, reason: str, message: str) -> _Abort:
        """Record why the call fails (the first reason wins) and return the
        exception that unwinds the wasm stack."""
        if self.failure is None:
            self.failure = _Failure(reason, message)
        return _Abort(message)


_current_call: ContextVar[_CallState | None] = ContextVar(
    "emdash_plugin_call", default=None
)


class LoadedPlugin:
    """A plugin's module, checked and linked, ready for hook calls.

    ``capabilities`` is what the plugin was granted; ``host_functions`` maps host
    function names (capabilities.HOST_FUNCTIONS, except ``log``, which the sandbox
    implements) to their implementations. An imported function without an
    implementation answers an ``UNAVAILABLE`` error envelope.
    """

    def __init__(
        self,
        plugin_id: str,
        wasm: bytes | Module,
        *,
        capabilities: frozenset[str],
        host_functions: Mapping[str, HostImpl] | None = None,
    ) -> None:
        implementations = dict(host_functions or {})
        unknown = sorted(set(implementations) - (set(HOST_FUNCTIONS) - {"log"}))
        if unknown:
            raise ValueError(f"not host functions the sandbox links: {unknown}")
        module = wasm if isinstance(wasm, Module) else compile_module(wasm)
        check_imports(module, capabilities, plugin_id)
        check_exports(module, plugin_id)
        self.plugin_id = plugin_id
        self.capabilities = effective_capabilities(capabilities)
        self.may_write = any(
            HOST_FUNCTIONS[imported.name].writes for imported in module.imports
        )
        # Only the functions the module imports, each of them granted (checked above).
        linker = Linker(get_engine())
        with _linker_lock:
            for imported in module.imports:
                function = HOST_FUNCTIONS[imported.name]
                callback = (
                    _log_function(plugin_id)
                    if function.name == "log"
                    else _json_function(
                        plugin_id, function, implementations.get(function.name)
                    )
                )
                linker.define_func(
                    IMPORT_MODULE,
                    function.name,
                    _func_type(function),
                    callback,
                    access_caller=True,
                )
            self._instance_pre = linker.instantiate_pre(module)

    def call(
        self,
        hook: str,
        payload: Any,
        *,
        limits: Limits | None = None,
        context: Any = None,
    ) -> CallResult:
        """Run ``hook`` with ``payload`` (JSON-serializable) in a fresh instance.
        ``context`` reaches host function implementations as
        ``CallContext.context``. Raises PluginFailed for any failure of the
        plugin; a reject or error envelope is an answer, not a failure."""
        limits = limits or Limits()
        ensure_epoch_ticker()
        started = time.perf_counter()
        state = _CallState(
            plugin_id=self.plugin_id,
            limits=limits,
            call_context=CallContext(
                plugin_id=self.plugin_id,
                hook=hook,
                capabilities=self.capabilities,
                deadline=time.monotonic() + limits.timeout_ms / 1000,
                context=context,
            ),
        )
        hook_bytes = hook.encode()
        input_bytes = _dumps(payload)
        if len(input_bytes) > limits.max_input_bytes:
            raise self._failed(
                hook,
                state,
                _Failure(
                    "input_too_large",
                    f"its input is {len(input_bytes)} bytes, over the "
                    f"{limits.max_input_bytes}-byte limit",
                ),
            )
        store = Store(get_engine())
        store.set_limits(
            memory_size=limits.memory_bytes,
            table_elements=limits.table_elements,
            instances=1,
            tables=1,
            memories=1,
        )
        store.set_fuel(limits.fuel)
        store.set_epoch_deadline(deadline_ticks(limits.timeout_ms))
        token = _current_call.set(state)
        try:
            envelope = self._run(store, state, hook_bytes, input_bytes)
        except (Trap, WasmtimeError, _Abort) as exc:
            failure = state.failure or _classify(exc, state, store)
            raise self._failed(hook, state, failure) from exc
        finally:
            _current_call.reset(token)
        return CallResult(
            envelope=envelope,
            logs=state.logs,
            fuel_used=limits.fuel - store.get_fuel(),
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    def _run(
        self, store: Store, state: _CallState, hook_bytes: bytes, input_bytes: bytes
    ) -> Envelope:
        limits = state.limits
        try:
            instance = self._instance_pre.instantiate(store)
        except WasmtimeError as exc:
            detail = last_line(str(exc))
            reason = "memory" if "exceeds memory limits" in detail else "instantiate"
            raise state.fail(reason, detail) from exc
        # check_exports made sure of these types.
        exports = instance.exports(store)
        memory = cast(Memory, exports["memory"])
        handle = cast(Func, exports["emdash_handle"])
        guest = state.guest = _Guest(memory, cast(Func, exports["emdash_alloc"]))
        initialize = exports.get("_initialize")
        if isinstance(initialize, Func):
            initialize(store)
        # One allocation for hook name and input: each crossing into wasm costs ~20 µs.
        hook_ptr = _write_into_guest(
            state, guest, store, hook_bytes + input_bytes, "input"
        )
        packed = handle(
            store,
            hook_ptr,
            len(hook_bytes),
            hook_ptr + len(hook_bytes),
            len(input_bytes),
        )
        packed &= _U64
        if packed == 0:
            return Envelope("unchanged")
        out_ptr, out_len = packed >> 32, packed & _U32
        if out_len > limits.max_output_bytes:
            raise state.fail(
                "output_too_large",
                f"its answer is {out_len} bytes, over the "
                f"{limits.max_output_bytes}-byte limit",
            )
        _check_range(state, guest, store, out_ptr, out_len, "its answer")
        return _parse_envelope(
            state, bytes(memory.read(store, out_ptr, out_ptr + out_len))
        )

    def _failed(self, hook: str, state: _CallState, failure: _Failure) -> PluginFailed:
        return PluginFailed(
            plugin_id=self.plugin_id,
            hook=hook,
            reason=failure.reason,
            message=failure.message,
            logs=state.logs,
        )


def _classify(exc: Exception, state: _CallState, store: Store) -> _Failure:
    """Why the wasm call ended, when no host function recorded a reason."""
    limits = state.limits
    if isinstance(exc, Trap):
        detail = last_line(exc.message)
        code = exc.trap_code
        if code == TrapCode.OUT_OF_FUEL:
            return _Failure("fuel", f"used all {limits.fuel} units of fuel: {detail}")
        if code == TrapCode.INTERRUPT:
            return _Failure(
                "timeout", f"ran past its {limits.timeout_ms} ms deadline: {detail}"
            )
        if code == TrapCode.STACK_OVERFLOW:
            return _Failure("stack", detail)
        # A failed memory.grow answers -1 and the guest then traps on its own.
        if (
            state.guest is not None
            and state.guest.memory.data_len(store) + _WASM_PAGE_BYTES
            > limits.memory_bytes
        ):
            return _Failure(
                "memory",
                f"trapped with its memory at the {limits.memory_bytes}-byte cap: "
                f"{detail}",
            )
        return _Failure("trap", detail)
    if isinstance(exc, WasmtimeError):
        return _Failure("trap", last_line(str(exc)))
    # An _Abort whose reason was recorded by another call's state: wasmtime-py
    # hands host exceptions back through one process-global slot.
    return _Failure("host_error", str(exc))


def _json_function(
    plugin_id: str, function: HostFunction, implementation: HostImpl | None
) -> Callable[[Caller, int, int], int]:
    """The callback for a JSON host function. It closes over plain values only:
    wasmtime-py keeps callbacks in a process-global slab."""
    name = f"{IMPORT_MODULE}.{function.name}"

    def host_function(caller: Caller, request_ptr: int, request_len: int) -> int:
        state, guest = _enter_host_call(plugin_id, function)
        request_ptr, request_len = request_ptr & _U32, request_len & _U32
        if request_len > state.limits.max_output_bytes:
            raise state.fail(
                "output_too_large",
                f"its request to {name} is {request_len} bytes, over the "
                f"{state.limits.max_output_bytes}-byte limit",
            )
        _check_range(
            state, guest, caller, request_ptr, request_len, f"its request to {name}"
        )
        raw = bytes(guest.memory.read(caller, request_ptr, request_ptr + request_len))
        answer = _answer(state, name, implementation, raw)
        if len(answer) > state.limits.max_input_bytes:
            answer = _dumps(
                _error(
                    "PAYLOAD_TOO_LARGE",
                    f"the answer of {name} is {len(answer)} bytes, over the "
                    f"{state.limits.max_input_bytes}-byte limit",
                )
            )
        answer_ptr = _write_into_guest(
            state, guest, caller, answer, f"the answer of {name}"
        )
        return _pack(answer_ptr, len(answer))

    return host_function


def _answer(
    state: _CallState, name: str, implementation: HostImpl | None, raw: bytes
) -> bytes:
    try:
        request = _strict_loads(raw)
    except (ValueError, RecursionError) as exc:
        return _dumps(
            _error("BAD_REQUEST", f"the request to {name} is not valid JSON: {exc}")
        )
    if not isinstance(request, dict):
        return _dumps(
            _error("BAD_REQUEST", f"the request to {name} must be a JSON object")
        )
    if implementation is None:
        return _dumps(_error("UNAVAILABLE", f"{name} is not available on this site"))
    try:
        return _dumps({"ok": implementation(state.call_context, request)})
    except EmDashError as exc:
        return _dumps(_error(exc.code, exc.message))
    except Exception as exc:
        # A host bug: its text may hold internals, so it goes to the server log and
        # the plugin error names only its type.
        logger.exception(
            "host function %s failed for plugin '%s'", name, state.plugin_id
        )
        raise state.fail("host_error", f"{name} raised {type(exc).__name__}") from exc


def _log_function(plugin_id: str) -> Callable[[Caller, int, int, int], None]:
    function = HOST_FUNCTIONS["log"]

    def log(caller: Caller, level: int, message_ptr: int, message_len: int) -> None:
        state, guest = _enter_host_call(plugin_id, function)
        message_ptr, message_len = message_ptr & _U32, message_len & _U32
        _check_range(state, guest, caller, message_ptr, message_len, "its log message")
        end = message_ptr + min(message_len, MAX_LOG_MESSAGE_BYTES)
        message = guest.memory.read(caller, message_ptr, end).decode("utf-8", "replace")
        # Levels outside 0..3 are clamped: a log line is never worth failing a call.
        level_name = LOG_LEVELS[min(max(level, 0), len(LOG_LEVELS) - 1)]
        state.logs.append(LogRecord(level_name, message))

    return log


def _enter_host_call(
    plugin_id: str, function: HostFunction
) -> tuple[_CallState, _Guest]:
    """The current call's state and guest, after the checks every host call
    passes: the host-call budget, the capability (again), and the deadline."""
    name = f"{IMPORT_MODULE}.{function.name}"
    state = _current_call.get()
    if state is None or state.plugin_id != plugin_id:
        raise _Abort(f"{name} called outside a hook call of plugin '{plugin_id}'")
    state.host_calls += 1
    limits = state.limits
    if state.host_calls > limits.max_host_calls:
        raise state.fail(
            "host_call_limit",
            f"called the host more than {limits.max_host_calls} times "
            f"(the last call: {name})",
        )
    if (
        function.capability is not None
        and function.capability not in state.call_context.capabilities
    ):
        raise state.fail(
            "capability", f"{name} needs the capability {function.capability}"
        )
    if state.call_context.remaining_seconds() <= 0:
        raise state.fail(
            "timeout", f"called {name} after its {limits.timeout_ms} ms deadline"
        )
    if state.guest is None:
        raise state.fail(
            "instantiate",
            f"called {name} while being instantiated (from a start function); "
            "host functions are available from _initialize on",
        )
    return state, state.guest


def _check_range(
    state: _CallState,
    guest: _Guest,
    store: Store | Caller,
    ptr: int,
    length: int,
    what: str,
) -> None:
    """Refuse a (u32 ptr, u32 len) range that is not inside the guest's memory."""
    size = guest.memory.data_len(store)
    if ptr + length > size:
        raise state.fail(
            "bad_pointer",
            f"{what} ({length} bytes at {ptr:#x}) lies outside its {size}-byte memory",
        )


def _write_into_guest(
    state: _CallState, guest: _Guest, store: Store | Caller, data: bytes, what: str
) -> int:
    """Copy ``data`` into a buffer from the guest's emdash_alloc; its address."""
    ptr = guest.alloc(store, len(data)) & _U32
    _check_range(
        state, guest, store, ptr, len(data), f"emdash_alloc's buffer for {what}"
    )
    if data:
        guest.memory.write(store, data, ptr)
    return ptr


def _parse_envelope(state: _CallState, raw: bytes) -> Envelope:
    """``{"ok": value}`` | ``{"reject": {"code", "message"}}`` | ``{"error": any}``,
    nothing else."""
    try:
        document = _strict_loads(raw)
    except (ValueError, RecursionError) as exc:
        raise state.fail("bad_output", f"its answer is not valid JSON: {exc}") from exc
    if isinstance(document, dict) and len(document) == 1:
        [(kind, value)] = document.items()
        if kind == "ok":
            return Envelope("ok", value)
        if kind == "error":
            return Envelope("error", value)
        if (
            kind == "reject"
            and isinstance(value, dict)
            and set(value) == {"code", "message"}
            and isinstance(value["code"], str)
            and value["code"]
            and isinstance(value["message"], str)
        ):
            return Envelope(
                "reject", rejection=Rejection(value["code"], value["message"])
            )
    preview = raw[:120].decode("utf-8", "replace")
    raise state.fail(
        "bad_output",
        'its answer must be {"ok": value}, {"reject": {"code": string, '
        f'"message": string}} or {{"error": value}}; it answered {preview}',
    )


def _strict_loads(raw: bytes) -> Any:
    """JSON in UTF-8, with no duplicate keys and no NaN or Infinity."""
    return json.loads(
        raw.decode("utf-8"),
        object_pairs_hook=_unique_keys,
        parse_constant=_refuse_constant,
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("duplicate key in a JSON object")
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _dumps(value: Any) -> bytes:
    return json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode()


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _pack(ptr: int, length: int) -> int:
    """``ptr << 32 | len`` as the signed i64 wasm receives."""
    packed = (ptr << 32) | length
    return packed - (1 << 64) if packed >= 1 << 63 else packed


_VALUE_TYPES = {"i32": ValType.i32, "i64": ValType.i64}


def _func_type(function: HostFunction) -> FuncType:
    return FuncType(
        [_VALUE_TYPES[name]() for name in function.params],
        [_VALUE_TYPES[name]() for name in function.results],
    )
