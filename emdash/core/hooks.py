"""The hook bus. Services call it explicitly, so the order of effects is visible.

``before`` hooks run inside the service's transaction (see ``hooked_write``), in
priority order (lower first); each may return a modified payload or raise to
refuse the operation.
``after`` hooks run once the transaction commits; their failures are logged and
never undo the write. The plugin runtime registers its dispatchers here.
"""

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from emdash.core.actors import Actor

logger = logging.getLogger(__name__)

BEFORE_HOOKS = frozenset(
    {
        "content:beforeSave",
        "content:beforePublish",
        "content:beforeDelete",
        "email:beforeSend",
    }
)
AFTER_HOOKS = frozenset(
    {
        "content:afterSave",
        "content:afterPublish",
        "content:afterUnpublish",
        "content:afterDelete",
        "email:afterSend",
    }
)

Payload = dict[str, Any]
Handler = Callable[[str, Payload, Actor], Payload | None]


@dataclass(frozen=True)
class Registration:
    name: str
    handler: Handler
    priority: int
    owner: str


_registry: dict[str, list[Registration]] = {}


def register(
    name: str, handler: Handler, *, priority: int = 100, owner: str = ""
) -> None:
    if name not in BEFORE_HOOKS | AFTER_HOOKS:
        raise ValueError(f"Unknown hook {name!r}")
    entries = [*_registry.get(name, []), Registration(name, handler, priority, owner)]
    # Stable sort: equal priorities keep registration order.
    _registry[name] = sorted(entries, key=lambda r: r.priority)


def unregister(owner: str) -> None:
    for name, entries in list(_registry.items()):
        _registry[name] = [r for r in entries if r.owner != owner]


@contextmanager
def registered(
    name: str, handler: Handler, *, priority: int = 100, owner: str = "test"
) -> Iterator[None]:
    """Register a handler for the duration of a block (tests, one-off scripts)."""
    register(name, handler, priority=priority, owner=owner)
    try:
        yield
    finally:
        _registry[name] = [
            r for r in _registry.get(name, []) if r.handler is not handler
        ]


def run_before(name: str, payload: Payload, actor: Actor) -> Payload:
    """Run before-hooks in order; each sees the previous one's result."""
    for registration in _registry.get(name, []):
        result = registration.handler(name, payload, actor)
        if result is not None:
            payload = result
    return payload


def run_after(name: str, payload: Payload, actor: Actor) -> None:
    """Schedule after-hooks for when the current transaction commits."""
    registrations = list(_registry.get(name, []))
    if not registrations:
        return

    def dispatch() -> None:
        for registration in registrations:
            try:
                registration.handler(name, payload, actor)
            except Exception:
                logger.exception("after-hook %s of %s failed", name, registration.owner)

    transaction.on_commit(dispatch)


# Records to write once the outermost hooked write's transaction is over; None
# outside one.
_kept: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "emdash_hooks_kept", default=None
)


def keep_through_rollback(write: Callable[[], None]) -> None:
    """Write a record that must outlive the write it is about (a plugin's log of
    why it refused a save): now, or inside a hooked write, once its transaction
    is over, however it ended."""
    pending = _kept.get()
    if pending is None:
        write()
    else:
        pending.append(write)


def hooked_write[**P, R](write: Callable[P, R]) -> Callable[P, R]:
    """Run a service write and its before-hooks in one transaction, so whatever
    a hook wrote (a plugin creating an entry) is undone when anything after it
    refuses the write: another hook, or the service's own validation of what the
    hooks handed back."""

    @functools.wraps(write)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        # Nested, the outermost hooked write keeps the records.
        token = _kept.set([]) if _kept.get() is None else None
        try:
            with transaction.atomic():
                return write(*args, **kwargs)
        finally:
            if token is not None:
                pending = _kept.get() or []
                _kept.reset(token)
                for record in pending:
                    record()

    return wrapper
