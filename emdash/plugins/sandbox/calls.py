"""What goes into a hook call and what comes out of it. Importing this module does
not import wasmtime."""

import time
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

# The host's ceiling on a hook's wall-clock timeout, whatever its manifest asks.
MAX_TIMEOUT_MS = 30_000

MiB = 1024 * 1024

LogLevel = Literal["debug", "info", "warning", "error"]
# From the least to the most severe.
LOG_LEVELS: tuple[LogLevel, ...] = get_args(LogLevel)


@dataclass(frozen=True)
class Limits:
    """What one hook call may use. ``timeout_ms`` comes from the hook's options and
    is capped at MAX_TIMEOUT_MS; ``max_input_bytes`` bounds everything the host
    writes into the guest (the hook payload and each host function's answer)."""

    timeout_ms: int = 1000
    fuel: int = 50_000_000
    memory_bytes: int = 32 * MiB
    table_elements: int = 10_000
    max_host_calls: int = 1000
    max_output_bytes: int = 1 * MiB
    max_input_bytes: int = 1 * MiB

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive integer")
        object.__setattr__(self, "timeout_ms", min(self.timeout_ms, MAX_TIMEOUT_MS))


@dataclass(frozen=True)
class CallContext:
    """Handed to every host function implementation during a hook call."""

    plugin_id: str
    hook: str
    capabilities: frozenset[str]
    deadline: float  # time.monotonic() when the hook's time is up
    context: Any  # what the caller passed to LoadedPlugin.call

    def remaining_seconds(self) -> float:
        """Time left before the deadline. A host function that blocks (a fetch, an
        email) must not wait longer: blocking outside wasm escapes the epoch."""
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True)
class Rejection:
    code: str
    message: str


@dataclass(frozen=True)
class Envelope:
    """A hook's answer. ``unchanged``: the guest returned 0. ``ok``: ``value`` is
    its result. ``reject``: a deliberate refusal. ``error``: the guest reported a
    failure; ``value`` is whatever it said."""

    kind: Literal["unchanged", "ok", "reject", "error"]
    value: Any = None
    rejection: Rejection | None = None


@dataclass(frozen=True)
class LogRecord:
    level: LogLevel
    message: str


@dataclass(frozen=True)
class CallResult:
    envelope: Envelope
    logs: list[LogRecord] = field(default_factory=list)
    fuel_used: int = 0
    duration_ms: float = 0.0
