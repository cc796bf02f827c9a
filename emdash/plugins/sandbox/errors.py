"""The sandbox's errors. Importing this module does not import wasmtime."""

from emdash.core.errors import EmDashError


class ModuleInvalid(EmDashError):
    """``plugin.wasm`` is not a WebAssembly module this host can compile."""

    code = "PLUGIN_MODULE_INVALID"
    status = 422


class ImportRefused(EmDashError):
    """The module imports something its capabilities do not allow (or that the host
    never provides). Raised at install and again when the plugin is loaded."""

    code = "PLUGIN_IMPORT_REFUSED"
    status = 422


class ExportsInvalid(EmDashError):
    """The module lacks an export the ``emdash/0`` ABI requires, or has it with the
    wrong type."""

    code = "PLUGIN_EXPORTS_INVALID"
    status = 422


# Why a call failed (PluginFailed.reason), in words an administrator reads.
FAILURE_REASONS: dict[str, str] = {
    "fuel": "used up its CPU budget",
    "timeout": "ran past its deadline",
    "memory": "hit its memory cap",
    "stack": "exhausted its call stack",
    "trap": "trapped",
    "instantiate": "could not be instantiated",
    "bad_pointer": "passed a pointer outside its memory",
    "bad_output": "answered something that is not an emdash/0 envelope",
    "output_too_large": "answered more than its output limit",
    "input_too_large": "was given more input than its input limit",
    "host_call_limit": "made more host calls than allowed",
    "capability": "called a host function it was not granted",
    "host_error": "broke a host function",
}


class PluginFailed(EmDashError):
    """One hook call failed: a trap, a limit, a bad pointer or envelope, or an
    exception in a host function. ``reason`` is a key of FAILURE_REASONS; ``logs``
    holds what the plugin logged before it failed."""

    code = "PLUGIN_FAILED"
    status = 422

    def __init__(
        self,
        *,
        plugin_id: str,
        hook: str,
        reason: str,
        message: str,
        logs: list | None = None,
    ) -> None:
        if reason not in FAILURE_REASONS:
            raise ValueError(f"unknown plugin failure reason {reason!r}")
        super().__init__(
            f"plugin '{plugin_id}' failed in {hook} ({reason}): {message}",
            details={"plugin": plugin_id, "hook": hook, "reason": reason},
        )
        self.plugin_id = plugin_id
        self.hook = hook
        self.reason = reason
        self.logs = logs or []
