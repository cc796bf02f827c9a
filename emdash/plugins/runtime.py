"""The plugin runtime: which plugins run, in what order, and what their answers do.

Each process keeps a registry of the enabled plugins, loaded (checked, linked and
pre-instantiated) on first use and rebuilt when the ``plugins`` epoch moves, so an
install, enable, disable or settings change made by any process takes effect in
every process within the epoch memo (at most a second), without a restart.

The hook bus calls ``dispatch`` for before-hooks and ``notify`` for after-hooks
(``PluginsConfig.ready`` registers them). Plugins that declare the hook run one
after the other, by manifest priority and then id:

- a before-hook's ``{"ok": value}`` replaces the keys of the payload it names,
  among those its hook lets plugins change (``WRITABLE_BY_HOOK``: an entry's
  ``data``, ``seo`` and ``slug``; an email's ``subject`` and ``text``); any other
  key fails the plugin (system columns are not writable). ``{"reject": ...}``
  refuses the operation with PluginRejected (422).
  A failure (a trap, a limit, an ``{"error"}`` answer, a bad answer) refuses it
  too under ``on_error: abort``, and is logged and skipped under ``continue``;
- after-hooks run once the write committed; their answers and failures change
  nothing and are logged.

The lifecycle hooks (``run_lifecycle``) go to the one plugin installed, enabled,
disabled or uninstalled, never to the others declaring them.

Every call that can write runs in a savepoint: a call that fails or rejects
leaves none of its writes (kv, storage, content) behind. The hooks of a plugin's
writes run the other plugins, never the writer again, and plugin calls nest at
most MAX_NESTING deep, so plugins writing in each other's hooks cannot loop (see
``_runnable``).

Importing this module does not import wasmtime; building the registry does.
"""

import atexit
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.db import transaction

from emdash.core import epoch, hooks
from emdash.core.actors import Actor
from emdash.core.errors import EmDashError, NotFound
from emdash.plugins import services
from emdash.plugins.capabilities import effective
from emdash.plugins.manifest import Manifest, RouteSpec, parse_manifest
from emdash.plugins.models import Plugin
from emdash.plugins.sandbox.calls import (
    CallResult,
    Limits,
    LogRecord,
)
from emdash.plugins.sandbox.errors import FAILURE_REASONS, PluginFailed

if TYPE_CHECKING:
    from emdash.plugins.sandbox.host import LoadedPlugin

logger = logging.getLogger(__name__)

HOOK_OWNER = "plugins"
ROUTE_HOOK_PREFIX = "route:"
# What plugins may write of an entry, with each key's type: in a content
# before-hook's answer, and through content_create and content_update (bindings).
CONTENT_WRITABLE: dict[str, type] = {"data": dict, "seo": dict, "slug": str}
# What a before-hook's {"ok": value} may replace, per hook, with each key's type;
# everything else the payload has belongs to the site (an entry's status, author,
# dates, version and id; an email's recipients and source).
WRITABLE_BY_HOOK: dict[str, dict[str, type]] = {
    "content:beforeSave": CONTENT_WRITABLE,
    "content:beforePublish": CONTENT_WRITABLE,
    "content:beforeDelete": CONTENT_WRITABLE,
    "email:beforeSend": {"subject": str, "text": str},
}
TYPE_WORDS: dict[type, str] = {str: "a string", dict: "an object"}
# Plugin calls inside plugin calls (a hook run by a plugin's own write).
MAX_NESTING = 3
# How much of a plugin's odd error value a message quotes.
MAX_QUOTED_CHARS = 200

# Why a call failed: the sandbox's reasons, and the runtime's own.
REASONS: dict[str, str] = {
    **FAILURE_REASONS,
    "error": "answered an error",
    "host_bug": "met a bug in the host",
}

Payload = dict[str, Any]


class PluginRejected(EmDashError):
    """A plugin refused the operation (its hook answered ``reject``), or failed
    in a hook whose ``on_error`` is ``abort``. Nothing was written."""

    code = "PLUGIN_REJECTED"
    status = 422


class PluginCallFailed(EmDashError):
    """A plugin route's handler failed (a trap, a limit, an error answer)."""

    code = "PLUGIN_FAILED"
    status = 422


class PluginRouteNotFound(NotFound):
    code = "PLUGIN_ROUTE_NOT_FOUND"


# -- the registry ----------------------------------------------------------------------


@dataclass(frozen=True)
class ActivePlugin:
    """An enabled plugin as this process runs it. ``loaded`` is None when its
    module could not be loaded; ``load_error`` says why, and every call of it
    fails with that reason."""

    id: str
    manifest: Manifest
    capabilities: frozenset[str]  # declared and granted, with what they imply
    settings: Mapping[str, Any]
    loaded: "LoadedPlugin | None"
    load_error: str = ""
    # Required settings without a value: its hooks wait for them.
    missing_settings: tuple[str, ...] = ()
    # What the loaded module depends on: reused across rebuilds while unchanged.
    fingerprint: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Registry:
    epoch: int
    plugins: Mapping[str, ActivePlugin]
    # hook -> the plugins that declare it, in the order they run
    by_hook: Mapping[str, tuple[ActivePlugin, ...]]


_lock = threading.Lock()
_registry: Registry | None = None


def registry() -> Registry:
    """The enabled plugins, current as of the ``plugins`` epoch (memoised for
    EPOCH_MEMO_SECONDS)."""
    current = epoch.current(services.REGISTRY_EPOCH).value
    built = _registry
    if built is not None and built.epoch == current:
        return built
    with _lock:
        if _registry is None or _registry.epoch != current:
            _build(current)
        assert _registry is not None  # noqa: S101 - _build just set it
        return _registry


def forget() -> None:
    """Drop this process's registry; the next call rebuilds it. For tests, whose
    rolled-back databases can repeat an epoch value with other plugins."""
    global _registry
    with _lock:
        _registry = None


def _limits(timeout_ms: int) -> Limits:
    """A call's limits: the hook's own timeout, within the site's policy."""
    return Limits(timeout_ms=min(timeout_ms, settings.PLUGIN_MAX_TIMEOUT_MS))


# Release the loaded modules while wasmtime is still importable: left to interpreter
# shutdown, their finalisers print errors.
atexit.register(forget)


def _build(epoch_value: int) -> None:
    global _registry
    previous = _registry.plugins if _registry is not None else {}
    plugins: dict[str, ActivePlugin] = {}
    for row in Plugin.objects.filter(enabled=True).order_by("id"):
        try:
            plugins[row.id] = _activate(
                row, parse_manifest(row.manifest), previous.get(row.id)
            )
        except EmDashError:
            # A stored manifest this version cannot read: the plugin cannot say
            # which hooks it has, so it runs none, and the rest of the site works.
            logger.exception(
                "plugin '%s' skipped: its stored manifest is unreadable", row.id
            )
    by_hook: dict[str, list[ActivePlugin]] = {}
    for plugin in plugins.values():
        if plugin.missing_settings:
            # Its routes still answer (one may be where it is set up).
            logger.info(
                "plugin '%s' runs no hooks until it has its settings: %s",
                plugin.id,
                ", ".join(plugin.missing_settings),
            )
            continue
        for hook in plugin.manifest.hooks:
            by_hook.setdefault(hook, []).append(plugin)
    _registry = Registry(
        epoch=epoch_value,
        plugins=plugins,
        by_hook={
            hook: tuple(
                sorted(found, key=lambda p: (p.manifest.hooks[hook].priority, p.id))
            )
            for hook, found in by_hook.items()
        },
    )
    logger.debug("plugin registry at epoch %s: %s", epoch_value, ", ".join(plugins))


def _activate(
    row: Plugin, manifest: Manifest, previous: ActivePlugin | None
) -> ActivePlugin:
    """The plugin of ``row`` as this process runs it; ``manifest`` is its stored
    manifest, parsed."""
    # What runs is what was both declared and granted.
    capabilities = effective(frozenset(manifest.capabilities) & frozenset(row.granted))
    fingerprint = (row.wasm_sha256, capabilities, repr(manifest))
    if previous is not None and previous.fingerprint == fingerprint:
        loaded, load_error = previous.loaded, previous.load_error
    else:
        loaded, load_error = _load(row.id, bytes(row.wasm), manifest, capabilities)
    return ActivePlugin(
        id=row.id,
        manifest=manifest,
        capabilities=capabilities,
        settings=services.settings_for_runtime(row, manifest),
        loaded=loaded,
        load_error=load_error,
        missing_settings=tuple(services.missing_settings(row, manifest)),
        fingerprint=fingerprint,
    )


def _load(
    plugin_id: str, wasm: bytes, manifest: Manifest, capabilities: frozenset[str]
) -> tuple["LoadedPlugin | None", str]:
    from emdash.plugins import bindings
    from emdash.plugins.sandbox.host import LoadedPlugin

    try:
        loaded = LoadedPlugin(
            plugin_id,
            wasm,
            capabilities=capabilities,
            host_functions=bindings.host_functions(
                bindings.PluginIdentity(plugin_id, manifest, capabilities)
            ),
        )
    except EmDashError as error:
        # A module this host no longer accepts (say, a grant narrowed since the
        # install): the plugin stays listed, and each of its calls fails saying why.
        logger.warning("plugin '%s' could not be loaded: %s", plugin_id, error)
        return None, error.message
    return loaded, ""


# -- running plugins -------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """How one plugin call ended: ``value`` is an ``ok`` value (as the caller's
    check returned it); a rejection has ``code`` and ``message``; a failure has
    ``reason`` (a key of REASONS) and ``message``."""

    kind: Literal["unchanged", "ok", "rejected", "failed"]
    value: Any = None
    code: str = ""
    reason: str = ""
    message: str = ""


def _failed(reason: str, message: str) -> Outcome:
    if reason not in REASONS:
        raise ValueError(f"unknown plugin failure reason {reason!r}")
    return Outcome("failed", reason=reason, message=message)


# Checks a plugin's ok value and returns what to use, or raises BadAnswer.
Accept = Callable[[Any], Any]


def accept_as_is(value: Any) -> Any:
    """An Accept for callers that take any ok value."""
    return value


class BadAnswer(Exception):
    """An ok value the caller cannot use; the call fails as ``bad_output``."""


class _Discard(Exception):
    """Leaves the call's savepoint, rolling back what the plugin wrote."""

    def __init__(self, outcome: Outcome, logs: list[LogRecord]) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome
        self.logs = logs


@dataclass
class _Journal:
    """The log lines, failures and rejections of plugin calls, stored together
    once the calls' transaction is over: the rollback of a rejected write must not
    take its record along."""

    entries: list["services.LogEntry"] = field(default_factory=list)

    def add(
        self,
        plugin_id: str,
        hook: str,
        records: list[LogRecord],
        outcome: Outcome,
        on_error: str,
    ) -> None:
        lines: list[tuple[str, str, dict[str, Any]]] = [
            (record.level, record.message, {}) for record in records
        ]
        if outcome.kind == "failed":
            lines.append(
                (
                    "error",
                    f"failed in {hook} ({outcome.reason}): {outcome.message}",
                    {"reason": outcome.reason, "on_error": on_error},
                )
            )
        elif outcome.kind == "rejected":
            lines.append(
                (
                    "warning",
                    f"rejected {hook}: {outcome.message} ({outcome.code})",
                    {"code": outcome.code},
                )
            )
        self.entries += [
            services.LogEntry(plugin_id, level, message, hook=hook, data=data)
            for level, message, data in lines
        ]

    def store(self) -> None:
        """One insert for every record (each plugin's oldest past the cap then go,
        so a noisy plugin cannot fill the disk)."""
        if self.entries:
            hooks.keep_through_rollback(
                partial(services.record_logs, list(self.entries))
            )
            self.entries = []

    def __enter__(self) -> "_Journal":
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Also when the calls raised: a rejection stays logged.
        self.store()


# The ids of the plugins whose calls are running, outermost first.
_running: ContextVar[tuple[str, ...]] = ContextVar("emdash_plugins_running", default=())


@contextmanager
def _running_as(plugin_id: str) -> Iterator[None]:
    token = _running.set((*_running.get(), plugin_id))
    try:
        yield
    finally:
        _running.reset(token)


def _runnable(hook: str, actor: Actor) -> tuple[ActivePlugin, ...]:
    """The plugins that handle ``hook`` now: none already running (no re-entry,
    so a plugin's own writes never run its hooks), none past MAX_NESTING, and
    none for a plugin's write whose call is over: its after-hooks were deferred
    to an outer transaction's commit, where the chain of calls that led to the
    write is no longer known."""
    candidates = registry().by_hook.get(hook, ())
    if not candidates:
        return ()
    running = _running.get()
    if actor.kind == "plugin" and actor.id not in running:
        logger.debug("%s after a write by plugin '%s': not run", hook, actor.id)
        return ()
    if len(running) >= MAX_NESTING:
        logger.warning(
            "%s not run for plugins: plugin calls already nest %d deep (%s)",
            hook,
            len(running),
            " > ".join(running),
        )
        return ()
    return tuple(p for p in candidates if p.id not in running)


def dispatch(hook: str, payload: Payload, actor: Actor) -> Payload:
    """Run a before-hook's plugins in order, each seeing the previous one's
    changes; the payload as they left it. Raises PluginRejected when one rejects,
    or fails under ``on_error: abort``; then what the earlier plugins wrote is
    rolled back too."""
    plugins = _runnable(hook, actor)
    if not plugins:
        return payload
    writes = any(_may_write(plugin) for plugin in plugins)
    with _Journal() as journal, _undoable(writes):
        for plugin in plugins:
            payload = _run_before(plugin, hook, payload, journal)
    return payload


def _run_before(
    plugin: ActivePlugin, hook: str, payload: Payload, journal: _Journal
) -> Payload:
    options = plugin.manifest.hooks[hook]
    outcome = _call(
        plugin,
        hook,
        payload,
        limits=_limits(options.timeout_ms),
        accept=partial(writable_changes, hook),
        on_error=options.on_error,
        journal=journal,
    )
    if outcome.kind == "rejected":
        raise _rejected(plugin.id, hook, outcome)
    if outcome.kind == "failed" and options.on_error == "abort":
        raise PluginRejected(
            f"Plugin '{plugin.id}' failed in {hook} ({outcome.reason}): "
            f"{outcome.message}. Nothing was written (its on_error is abort).",
            details={"plugin": plugin.id, "hook": hook, "reason": outcome.reason},
        )
    if outcome.kind == "ok":
        return {**payload, **outcome.value}
    return payload


def notify(hook: str, payload: Payload, actor: Actor) -> None:
    """Run an after-hook's plugins in order. Nothing they answer changes the
    write, which has committed; failures are logged."""
    run_each(hook, payload, actor, accept_as_is)


def gather(
    hook: str,
    payload: Payload,
    actor: Actor,
    *,
    accept: Accept,
) -> list[tuple[str, Any]]:
    """Run a hook whose plugins each contribute something of their own
    (``page:metadata``): every plugin's ``ok`` value that ``accept`` takes, with
    the plugin's id, in priority order. A failure leaves that plugin out and is
    logged."""
    return [
        (plugin_id, outcome.value)
        for plugin_id, outcome in run_each(hook, payload, actor, accept)
        if outcome.kind == "ok"
    ]


def run_each(
    hook: str,
    payload: Payload,
    actor: Actor,
    accept: Accept,
    *,
    only: str | None = None,
) -> list[tuple[str, Outcome]]:
    """Call each plugin that handles ``hook`` (or just ``only``) in priority
    order, none able to change what the next one sees: how each call ended.
    Failures and refusals are logged, and never raise."""
    outcomes: list[tuple[str, Outcome]] = []
    with _Journal() as journal:
        for plugin in _runnable(hook, actor):
            if only is not None and plugin.id != only:
                continue
            outcome = _call(
                plugin,
                hook,
                payload,
                limits=_limits(plugin.manifest.hooks[hook].timeout_ms),
                accept=accept,
                on_error="continue",
                journal=journal,
            )
            outcomes.append((plugin.id, outcome))
    return outcomes


def writable_changes(hook: str, value: Any) -> Payload:
    """A before-hook's ok value: an object of the keys ``hook`` lets plugins
    change only (WRITABLE_BY_HOOK), each of the right type."""
    writable = WRITABLE_BY_HOOK.get(hook, {})
    names = ", ".join(writable) or "nothing"
    if not isinstance(value, dict):
        raise BadAnswer(
            f"a before-hook's ok value must be an object with any of "
            f"{names}; it answered a {type(value).__name__}"
        )
    for key, item in value.items():
        if key not in writable:
            raise BadAnswer(
                f"it returned '{key}', which plugins may not change (system "
                f"columns are not writable; a before-hook may return {names})"
            )
        expected = writable[key]
        if not isinstance(item, expected):
            raise BadAnswer(
                f"it returned '{key}' as a {type(item).__name__}, "
                f"not {TYPE_WORDS[expected]}"
            )
    if "\n" in value.get("subject", "") or "\r" in value.get("subject", ""):
        raise BadAnswer("it returned a 'subject' of more than one line")
    return value


def _rejected(plugin_id: str, hook: str, outcome: Outcome) -> PluginRejected:
    return PluginRejected(
        f"Plugin '{plugin_id}' rejected {hook}: {outcome.message} ({outcome.code})",
        details={"plugin": plugin_id, "hook": hook, "code": outcome.code},
    )


def _call(
    plugin: ActivePlugin,
    hook: str,
    payload: Payload,
    *,
    limits: Limits,
    accept: Accept,
    on_error: str,
    journal: _Journal,
) -> Outcome:
    """One call of a plugin with ``payload``, to which the hook's name and the
    plugin's settings are added, in a savepoint (if it can write) that keeps its
    writes only when it succeeds; its log lines and any failure or rejection go
    to ``journal``."""
    given = {"hook": hook, **payload, "settings": dict(plugin.settings)}
    with _running_as(plugin.id):
        try:
            with _undoable(_may_write(plugin)):
                outcome, logs = _invoke(plugin, hook, given, limits, accept)
                if outcome.kind in ("rejected", "failed"):
                    raise _Discard(outcome, logs)
        except _Discard as discarded:
            outcome, logs = discarded.outcome, discarded.logs
    journal.add(plugin.id, hook, logs, outcome, on_error)
    return outcome


def _may_write(plugin: ActivePlugin) -> bool:
    return plugin.loaded is not None and plugin.loaded.may_write


def _undoable(writes: bool) -> AbstractContextManager[object]:
    """A savepoint for calls that can write; none (a few queries saved per
    call) for plugins whose module imports no host function that writes."""
    return transaction.atomic() if writes else nullcontext()


def _invoke(
    plugin: ActivePlugin,
    hook: str,
    payload: Payload,
    limits: Limits,
    accept: Accept,
) -> tuple[Outcome, list[LogRecord]]:
    """Run the call; how it ended, and what the plugin logged."""
    from emdash.plugins.bindings import CallBudget

    if plugin.loaded is None:
        return _failed("instantiate", plugin.load_error), []
    try:
        result: CallResult = plugin.loaded.call(
            hook, payload, limits=limits, context=CallBudget()
        )
    except PluginFailed as failure:
        # Its message repeats plugin, hook and reason; keep what follows them.
        said = f"plugin '{plugin.id}' failed in {hook} ({failure.reason}): "
        message = failure.message.removeprefix(said)
        return _failed(failure.reason, message), list(failure.logs)
    except Exception as exc:  # noqa: BLE001 - a host bug must not take the site down
        logger.exception("plugin '%s' call of %s broke the host", plugin.id, hook)
        return _failed("host_bug", f"the host raised {type(exc).__name__}"), []
    envelope = result.envelope
    match envelope.kind:
        case "unchanged":
            outcome = Outcome("unchanged")
        case "reject":
            rejection = envelope.rejection
            assert rejection is not None  # noqa: S101 - the sandbox sets it
            outcome = Outcome(
                "rejected", code=rejection.code, message=rejection.message
            )
        case "error":
            outcome = _failed("error", _describe_error(envelope.value))
        case _:
            try:
                outcome = Outcome("ok", value=accept(envelope.value))
            except BadAnswer as bad:
                outcome = _failed("bad_output", str(bad))
    return outcome, result.logs


def _describe_error(value: Any) -> str:
    """A plugin's ``{"error": ...}`` in words: ``message (CODE)`` for the usual
    shape, otherwise the value itself, shortened."""
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        code = value.get("code")
        suffix = f" ({code})" if isinstance(code, str) and code else ""
        return f"it answered an error: {value['message']}{suffix}"
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > MAX_QUOTED_CHARS:
        text = text[: MAX_QUOTED_CHARS - 1] + "…"
    return f"it answered an error: {text}"


# -- lifecycle -------------------------------------------------------------------------


LIFECYCLE_HOOKS = (
    "plugin:install",
    "plugin:activate",
    "plugin:deactivate",
    "plugin:uninstall",
)


def run_lifecycle(row: Plugin, hook: str) -> None:
    """Tell one plugin about a change to itself (``hook`` is one of
    LIFECYCLE_HOOKS), if its manifest declares the hook. Only that plugin is
    called, from its stored row rather than the enabled-only registry, so a plugin
    just disabled can still clean up. Its answer changes nothing; a failure or
    rejection is logged (also to the server's log, since an uninstall may delete
    the plugin's own records) and never undoes the change."""
    if hook not in LIFECYCLE_HOOKS:
        raise ValueError(
            f"unknown lifecycle hook {hook!r}; expected one of "
            f"{', '.join(LIFECYCLE_HOOKS)}"
        )
    try:
        manifest = parse_manifest(row.manifest)
    except EmDashError:
        logger.exception(
            "plugin '%s' not told of %s: unreadable manifest", row.id, hook
        )
        return
    options = manifest.hooks.get(hook)
    if options is None:
        return
    # The registry's loaded module, when it is this very one, saves a compile.
    cached = _registry.plugins.get(row.id) if _registry is not None else None
    plugin = _activate(row, manifest, cached)
    with _Journal() as journal:
        outcome = _call(
            plugin,
            hook,
            {"plugin": {"id": row.id, "version": row.version}},
            limits=_limits(options.timeout_ms),
            accept=accept_as_is,
            on_error="continue",
            journal=journal,
        )
    if outcome.kind in ("failed", "rejected"):
        logger.warning(
            "plugin '%s' %s %s: %s",
            row.id,
            "failed in" if outcome.kind == "failed" else "rejected",
            hook,
            outcome.message,
        )


# -- routes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteAnswer:
    """A route handler's answer: its ``ok`` value, or ``unchanged`` when it
    returned 0."""

    unchanged: bool
    value: Any = None


def find_route(plugin_id: str, route: str) -> tuple[ActivePlugin, RouteSpec]:
    """An enabled plugin's declared route, or PluginRouteNotFound."""
    plugin = registry().plugins.get(plugin_id)
    spec = plugin.manifest.routes.get(route) if plugin is not None else None
    if plugin is None or spec is None:
        raise PluginRouteNotFound(
            f"No plugin route '{route}' of plugin '{plugin_id}': the plugin is not "
            "installed, is disabled, or does not declare that route.",
            details={"plugin": plugin_id, "route": route},
        )
    return plugin, spec


def call_route(
    plugin: ActivePlugin,
    route: str,
    *,
    method: str,
    query: Mapping[str, str],
    body: Any,
    user: Mapping[str, Any] | None,
) -> RouteAnswer:
    """Run a plugin route's handler (hook ``route:<name>``). The caller checks the
    route's permission first. Raises PluginRejected or PluginCallFailed."""
    hook = f"{ROUTE_HOOK_PREFIX}{route}"
    with _Journal() as journal:
        outcome = _call(
            plugin,
            hook,
            {
                "method": method,
                "query": dict(query),
                "body": body,
                "user": dict(user) if user is not None else None,
            },
            limits=Limits(),
            accept=accept_as_is,
            on_error="abort",
            journal=journal,
        )
    if outcome.kind == "rejected":
        raise _rejected(plugin.id, hook, outcome)
    if outcome.kind == "failed":
        raise PluginCallFailed(
            f"Plugin '{plugin.id}' failed in {hook} ({outcome.reason}): "
            f"{outcome.message}",
            details={"plugin": plugin.id, "hook": hook, "reason": outcome.reason},
        )
    return RouteAnswer(unchanged=outcome.kind == "unchanged", value=outcome.value)


# -- wiring ----------------------------------------------------------------------------


def register_hooks() -> None:
    """Put the dispatchers on the hook bus, once per hook the bus knows."""
    hooks.unregister(HOOK_OWNER)
    for name in sorted(hooks.BEFORE_HOOKS):
        hooks.register(name, dispatch, owner=HOOK_OWNER)
    for name in sorted(hooks.AFTER_HOOKS):
        hooks.register(name, notify, owner=HOOK_OWNER)
