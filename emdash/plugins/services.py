"""Installing and managing plugins: the only code that writes ``Plugin`` rows.

Installing checks a bundle fully before anything is stored: the manifest, the
module's exports, and its imports against the manifest's capabilities, so the
manifest provably bounds the binary. The site's policy can forbid capabilities;
what the manifest declares must then be granted explicitly (an update only what
the previous grant did not cover), and a grant can never exceed the manifest.

Every change bumps the ``plugins`` epoch, so every process picks up installs,
updates, enables, disables, uninstalls and settings without a restart. The plugin
concerned hears of its own install, enable, disable and uninstall through its
lifecycle hooks (``runtime.run_lifecycle``).
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Q

from emdash.core import audit, epoch
from emdash.core.actors import Actor
from emdash.core.errors import Conflict, EmDashError, NotFound, ValidationFailed
from emdash.plugins.bundle import Bundle, read_bundle, read_bundle_bytes
from emdash.plugins.capabilities import CAPABILITIES, effective
from emdash.plugins.manifest import (
    Manifest,
    SettingSpec,
    parse_manifest,
    setting_format_problem,
    setting_type_problem,
)
from emdash.plugins.models import Plugin, PluginDocument, PluginLog, PluginValue
from emdash.plugins.sandbox.calls import LOG_LEVELS
from emdash.plugins.secrets import SecretUnreadable, decrypt_secret, encrypt_secret

logger = logging.getLogger(__name__)

# The epoch every process checks to know its loaded plugins are current.
REGISTRY_EPOCH = "plugins"
# Labels an uploaded bundle in errors when the caller gives no name.
UPLOAD_NAME = "upload.zip"

DEFAULT_LOG_LIMIT = 50
MAX_LOG_LIMIT = 500
# Older records are dropped, so a plugin failing on every request cannot fill the
# database.
MAX_LOGS_KEPT = 1000
MAX_LOG_MESSAGE_CHARS = 8 * 1024
MAX_LOG_HOOK_CHARS = 64
MAX_SETTING_CHARS = 10_000
SECRET_SET, SECRET_UNSET = "set", "unset"

BundleSource = Path | str | bytes


class PluginNotFound(NotFound):
    code = "PLUGIN_NOT_FOUND"


class PluginExists(Conflict):
    code = "PLUGIN_EXISTS"


class CapabilityForbidden(EmDashError):
    """The site's policy (``PLUGIN_FORBIDDEN_CAPABILITIES``) forbids a capability
    the plugin declares; no grant can allow it."""

    code = "PLUGIN_CAPABILITY_FORBIDDEN"
    status = 422


class GrantRequired(EmDashError):
    """The grant does not cover every capability that needs consent."""

    code = "PLUGIN_GRANT_REQUIRED"
    status = 422


class GrantBeyondManifest(EmDashError):
    """The grant names capabilities the manifest does not declare."""

    code = "PLUGIN_GRANT_BEYOND_MANIFEST"
    status = 422


class SettingsInvalid(ValidationFailed):
    code = "PLUGIN_SETTINGS_INVALID"


@dataclass(frozen=True)
class ValidatedBundle:
    """A bundle whose manifest, exports and imports passed every check.
    ``capabilities`` maps each declared capability, in manifest order, to what
    granting it allows in plain words; ``imports`` lists the module's imports as
    ``module.name``."""

    bundle: Bundle
    capabilities: dict[str, str]
    imports: tuple[str, ...]

    @property
    def manifest(self) -> Manifest:
        return self.bundle.manifest


def describe_capability(capability: str, manifest: Manifest | None = None) -> str:
    """What granting ``capability`` allows, in plain words; with the manifest,
    ``network:request`` also names the hosts."""
    words = CAPABILITIES[capability]
    if capability == "network:request" and manifest and manifest.allowed_hosts:
        words += ": " + ", ".join(manifest.allowed_hosts)
    return words


def validate_bundle(
    source: BundleSource, *, name: str = UPLOAD_NAME
) -> ValidatedBundle:
    """Read and check a bundle (a folder or ``.zip`` path, or the bytes of an
    uploaded zip labelled ``name``) without writing anything: the manifest, the
    module's ABI exports, and every import against the manifest's capabilities.
    Raises BundleInvalid, ManifestInvalid, ModuleInvalid, ExportsInvalid or
    ImportRefused (which names the import and the capability it needs)."""
    # The sandbox imports wasmtime, which costs ~100 ms: only when validating.
    from emdash.plugins.sandbox.engine import compile_module
    from emdash.plugins.sandbox.imports import check_exports, check_imports

    if isinstance(source, bytes):
        bundle = read_bundle_bytes(source, name)
    else:
        bundle = read_bundle(Path(source))
    manifest = bundle.manifest
    module = compile_module(bundle.wasm)
    check_exports(module, manifest.id)
    check_imports(module, frozenset(manifest.capabilities), manifest.id)
    return ValidatedBundle(
        bundle=bundle,
        capabilities={
            capability: describe_capability(capability, manifest)
            for capability in manifest.capabilities
        },
        imports=tuple(f"{item.module}.{item.name}" for item in module.imports),
    )


# -- site policy and grants ------------------------------------------------------------


def forbidden_capabilities() -> frozenset[str]:
    """The capabilities the site's policy never grants."""
    configured = list(settings.PLUGIN_FORBIDDEN_CAPABILITIES)
    unknown = sorted(set(configured) - set(CAPABILITIES))
    if unknown:
        # A misspelt name would otherwise forbid nothing, silently.
        raise ImproperlyConfigured(
            "PLUGIN_FORBIDDEN_CAPABILITIES names unknown capabilities: "
            f"{', '.join(unknown)} (known: {', '.join(CAPABILITIES)})"
        )
    return frozenset(configured)


def forbidden_among(capabilities: Iterable[str]) -> dict[str, list[str]]:
    """Each of ``capabilities`` the site's policy forbids, with the forbidden
    capabilities it includes (itself, or one it implies)."""
    forbidden = forbidden_capabilities()
    blocked: dict[str, list[str]] = {}
    for capability in capabilities:
        # Forbidding content:read also forbids content:write, which includes it.
        if included := sorted(effective({capability}) & forbidden):
            blocked[capability] = included
    return blocked


def _refuse_forbidden(plugin_id: str, capabilities: Iterable[str]) -> None:
    blocked = forbidden_among(capabilities)
    if not blocked:
        return
    listed = [
        capability
        if included == [capability]
        else f"{capability} (which includes {', '.join(included)})"
        for capability, included in blocked.items()
    ]
    raise CapabilityForbidden(
        f"Plugin '{plugin_id}' asks for capabilities this site's policy "
        f"forbids: {', '.join(listed)}.",
        details={"plugin": plugin_id, "capabilities": list(blocked)},
    )


def capabilities_to_grant(manifest: Manifest, previous: Plugin | None) -> list[str]:
    """The declared capabilities that need the administrator's consent: all of
    them for a new plugin, those the previous grant does not cover for an update."""
    covered = effective(previous.granted) if previous is not None else frozenset()
    return [c for c in manifest.capabilities if c not in covered]


def _in_words(capabilities: Iterable[str], manifest: Manifest) -> str:
    described = []
    for capability in capabilities:
        words = describe_capability(capability, manifest)
        described.append(f"{capability} ({words[0].lower()}{words[1:]})")
    return "; ".join(described)


def _check_grant(
    manifest: Manifest, grant: Iterable[str], previous: Plugin | None
) -> None:
    if isinstance(grant, str):
        raise TypeError("grant must be a list of capabilities, not a string")
    given = list(dict.fromkeys(grant))
    beyond = [c for c in given if c not in manifest.capabilities_effective]
    if beyond:
        listed = ", ".join(
            c if c in CAPABILITIES else f"{c} (not a capability)" for c in beyond
        )
        raise GrantBeyondManifest(
            f"The grant for plugin '{manifest.id}' names capabilities its manifest "
            f"does not declare: {listed}. A grant covers only what the manifest "
            "declares.",
            details={"plugin": manifest.id, "capabilities": beyond},
        )
    granted = effective(given)
    missing = [c for c in capabilities_to_grant(manifest, previous) if c not in granted]
    if missing:
        subject = (
            f"Plugin '{manifest.id}'"
            if previous is None
            else f"Version {manifest.version} of plugin '{manifest.id}'"
        )
        also = "" if previous is None else " (beyond what was granted before)"
        raise GrantRequired(
            f"{subject} asks for capabilities that were not granted{also}: "
            f"{_in_words(missing, manifest)}.",
            details={"plugin": manifest.id, "missing": missing},
        )


# -- installing ------------------------------------------------------------------------


@dataclass(frozen=True)
class InstallPlan:
    """What installing a bundle would ask of the administrator, before anything is
    written: ``installed`` is the plugin it would update (None for a new one),
    ``needs_grant`` the capabilities that need consent, ``forbidden`` the declared
    capabilities the site's policy forbids (see ``forbidden_among``)."""

    validated: ValidatedBundle
    installed: Plugin | None
    needs_grant: list[str]
    forbidden: dict[str, list[str]]


def plan_install(
    actor: Actor, source: BundleSource, *, name: str = UPLOAD_NAME
) -> InstallPlan:
    """Check a bundle as ``validate_bundle`` does and say what installing it would
    need, for the consent screen (and a dry run); pass ``plan.validated`` on to
    ``install``."""
    actor.require("plugins:manage")
    validated = validate_bundle(source, name=name)
    manifest = validated.manifest
    installed = _find(manifest.id)
    return InstallPlan(
        validated=validated,
        installed=installed,
        needs_grant=capabilities_to_grant(manifest, installed),
        forbidden=forbidden_among(manifest.capabilities),
    )


def install(
    actor: Actor,
    source: BundleSource | ValidatedBundle,
    *,
    grant: Iterable[str] | None,
    replace: bool = False,
) -> Plugin:
    """Install a bundle and enable it; with ``replace``, update an installed plugin
    of the same id (it keeps its enabled state and the settings the new manifest
    still declares with the same type).

    ``grant`` must cover every declared capability (an update: every one the
    previous grant did not cover) and name nothing beyond the manifest; the plugin
    is granted exactly what its manifest declares."""
    actor.require("plugins:manage")
    validated = (
        source if isinstance(source, ValidatedBundle) else validate_bundle(source)
    )
    bundle, manifest = validated.bundle, validated.manifest
    _refuse_forbidden(manifest.id, manifest.capabilities)
    granted = sorted(manifest.capabilities)
    with transaction.atomic():
        previous = _find(manifest.id, lock=True)
        if previous is not None and not replace:
            raise PluginExists(
                f"Plugin '{manifest.id}' is installed already (version "
                f"{previous.version}); install it as a replacement to update it.",
                details={"plugin": manifest.id, "version": previous.version},
            )
        _check_grant(manifest, grant or (), previous)
        fields: dict[str, Any] = {
            "name": manifest.name,
            "version": manifest.version,
            "manifest": manifest.to_json(),
            "wasm": bundle.wasm,
            "wasm_sha256": bundle.sha256,
            "readme": bundle.readme or "",
            "icon": bundle.icon,
            "granted": granted,
            "installed_by": actor.label[:200],
        }
        if previous is None:
            plugin = _create(manifest.id, fields)
            action, message = "plugin.install", f"installed version {manifest.version}"
            data: dict[str, Any] = {}
        else:
            action = "plugin.update"
            message = f"updated from version {previous.version} to {manifest.version}"
            data = {
                "previous_version": previous.version,
                "previous_capabilities": list(previous.granted),
            }
            fields["settings"] = _carried_settings(previous, manifest)
            for name, value in fields.items():
                setattr(previous, name, value)
            previous.save()
            plugin = previous
        data |= {
            "version": manifest.version,
            "capabilities": granted,
            "sha256": bundle.sha256,
        }
        epoch.bump(REGISTRY_EPOCH)
        audit.record(
            actor, action, target_type="plugin", target_id=manifest.id, data=data
        )
        record_log(
            manifest.id,
            "info",
            f"{message} by {actor.label}",
            data={"version": manifest.version, "capabilities": granted},
        )
        if previous is None:
            _tell_after_commit(plugin, "plugin:install", "plugin:activate")
        elif plugin.enabled:
            # An update is no new install; the new version is activated.
            _tell_after_commit(plugin, "plugin:activate")
    return plugin


def _tell_after_commit(plugin: Plugin, *hooks: str) -> None:
    """Run the plugin's lifecycle ``hooks``, in order, once the change committed."""

    def tell() -> None:
        # runtime imports this module.
        from emdash.plugins.runtime import run_lifecycle

        for hook in hooks:
            run_lifecycle(plugin, hook)

    transaction.on_commit(tell)


def _create(plugin_id: str, fields: dict[str, Any]) -> Plugin:
    try:
        # A savepoint, so that losing a race leaves the outer transaction usable.
        with transaction.atomic():
            return Plugin.objects.create(id=plugin_id, enabled=True, **fields)
    except IntegrityError:
        raise PluginExists(
            f"Plugin '{plugin_id}' was installed at the same moment by someone else.",
            details={"plugin": plugin_id},
        ) from None


def _carried_settings(previous: Plugin, manifest: Manifest) -> dict[str, Any]:
    """The stored settings an update keeps: those the new manifest declares with
    the same type, whose values it still accepts."""
    before = previous.manifest.get("settings", {})
    kept: dict[str, Any] = {}
    for key, value in previous.settings.items():
        spec = manifest.settings.get(key)
        if spec is None or before.get(key, {}).get("type") != spec.type:
            continue
        # A secret stays encrypted; it was checked when it was set.
        if spec.type == "secret" or _setting_problem(spec, value) is None:
            kept[key] = value
    return kept


# -- reading ---------------------------------------------------------------------------


def _find(plugin_id: str, *, lock: bool = False) -> Plugin | None:
    plugins = Plugin.objects.select_for_update() if lock else Plugin.objects
    return plugins.filter(pk=plugin_id).first()


def _get(plugin_id: str, *, lock: bool = False) -> Plugin:
    plugin = _find(plugin_id, lock=lock)
    if plugin is None:
        raise PluginNotFound(
            f"No plugin '{plugin_id}' is installed.", details={"plugin": plugin_id}
        )
    return plugin


def list_plugins(actor: Actor) -> list[Plugin]:
    """Installed plugins by id, without their modules loaded."""
    actor.require("plugins:read")
    return list(Plugin.objects.defer("wasm", "icon", "readme").order_by("id"))


def get_plugin(actor: Actor, plugin_id: str) -> Plugin:
    actor.require("plugins:read")
    return _get(plugin_id)


def stored_manifest(plugin: Plugin) -> Manifest:
    """The manifest an installed plugin was installed with."""
    return parse_manifest(plugin.manifest)


# -- enabling, disabling, uninstalling -------------------------------------------------


def enable(actor: Actor, plugin_id: str) -> Plugin:
    """Turn a plugin on (again); refused when the site's policy now forbids one of
    its capabilities."""
    return _set_enabled(actor, plugin_id, enabled=True)


def disable(actor: Actor, plugin_id: str) -> Plugin:
    """Turn a plugin off: its hooks and routes stop running; its data stays."""
    return _set_enabled(actor, plugin_id, enabled=False)


def _set_enabled(actor: Actor, plugin_id: str, *, enabled: bool) -> Plugin:
    actor.require("plugins:manage")
    with transaction.atomic():
        plugin = _get(plugin_id, lock=True)
        if plugin.enabled == enabled:
            return plugin
        if enabled:
            _refuse_forbidden(plugin.id, plugin.granted)
        plugin.enabled = enabled
        plugin.save(update_fields=["enabled", "updated_at"])
        verb = "enable" if enabled else "disable"
        epoch.bump(REGISTRY_EPOCH)
        audit.record(
            actor,
            f"plugin.{verb}",
            target_type="plugin",
            target_id=plugin.id,
            data={"version": plugin.version},
        )
        record_log(plugin.id, "info", f"{verb}d by {actor.label}")
        _tell_after_commit(
            plugin, "plugin:activate" if enabled else "plugin:deactivate"
        )
    return plugin


def uninstall(actor: Actor, plugin_id: str, *, keep_data: bool) -> Plugin:
    """Remove a plugin and answer it as it was. Its key-value store, documents and
    logs are deleted too unless ``keep_data``, for a later reinstall of the same
    id (its settings live with the plugin and go either way)."""
    # runtime imports this module.
    from emdash.plugins.runtime import run_lifecycle

    actor.require("plugins:manage")
    with transaction.atomic():
        plugin = _get(plugin_id, lock=True)
        # Before the delete, while its data is there to clean up; its failure
        # is logged and the uninstall goes on.
        run_lifecycle(plugin, "plugin:uninstall")
        Plugin.objects.filter(pk=plugin_id).delete()
        deleted: dict[str, int] = {}
        if keep_data:
            record_log(
                plugin_id,
                "info",
                f"uninstalled version {plugin.version} by {actor.label}; "
                "its data was kept",
            )
        else:
            for label, model in (
                ("values", PluginValue),
                ("documents", PluginDocument),
                ("logs", PluginLog),
            ):
                deleted[label] = model.objects.filter(plugin_id=plugin_id).delete()[0]
        epoch.bump(REGISTRY_EPOCH)
        audit.record(
            actor,
            "plugin.uninstall",
            target_type="plugin",
            target_id=plugin_id,
            data={
                "version": plugin.version,
                "keep_data": keep_data,
                "deleted": deleted,
            },
        )
    return plugin


# -- logs ------------------------------------------------------------------------------


def logs(
    actor: Actor,
    plugin_id: str,
    limit: int = DEFAULT_LOG_LIMIT,
    level: str | None = None,
) -> list[PluginLog]:
    """A plugin's most recent log and error records, newest first; also those an
    uninstall kept. With ``level``, only records at that level or above."""
    actor.require("plugins:read")
    if not 1 <= limit <= MAX_LOG_LIMIT:
        raise ValidationFailed(
            "Invalid limit.",
            fields={"limit": f"must be between 1 and {MAX_LOG_LIMIT}"},
        )
    records = PluginLog.objects.filter(plugin_id=plugin_id)
    if level is not None:
        if level not in LOG_LEVELS:
            raise ValidationFailed(
                "Invalid level.",
                fields={"level": f"must be one of {', '.join(LOG_LEVELS)}"},
            )
        # LOG_LEVELS runs from the least to the most severe.
        records = records.filter(level__in=LOG_LEVELS[LOG_LEVELS.index(level) :])
    found = list(records[:limit])
    # No records at all: the plugin must be installed (kept logs count too).
    if not found and not PluginLog.objects.filter(plugin_id=plugin_id).exists():
        _get(plugin_id)
    return found


@dataclass(frozen=True)
class LogEntry:
    """One record for ``record_logs``: what a plugin logged, or a failure of one of
    its calls (``hook`` is empty for the host's own records)."""

    plugin_id: str
    level: str
    message: str
    hook: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def record_logs(entries: Iterable[LogEntry]) -> list[PluginLog]:
    """Store records with one insert, then drop each plugin's oldest past the cap.
    For the runtime: there is no actor. Call it outside any transaction the failure
    rolls back (a rejected save writes nothing, but the rejection must stay
    logged)."""
    rows = []
    for entry in entries:
        if entry.level not in LOG_LEVELS:
            raise ValueError(
                f"unknown log level {entry.level!r}; expected one of "
                f"{', '.join(LOG_LEVELS)}"
            )
        rows.append(
            PluginLog(
                plugin_id=entry.plugin_id,
                level=entry.level,
                hook=entry.hook[:MAX_LOG_HOOK_CHARS],
                message=entry.message[:MAX_LOG_MESSAGE_CHARS],
                data=entry.data,
            )
        )
    if not rows:
        return []
    # Records of one batch may share a timestamp; ids in ascending order keep them
    # in the order given, as logs() sorts ties by id.
    for row, record_id in zip(rows, sorted(row.id for row in rows), strict=True):
        row.id = record_id
    PluginLog.objects.bulk_create(rows)
    for plugin_id in dict.fromkeys(row.plugin_id for row in rows):
        _trim_logs(plugin_id)
    return rows


def record_log(
    plugin_id: str,
    level: str,
    message: str,
    hook: str = "",
    data: dict[str, Any] | None = None,
) -> PluginLog:
    """Store one record; see ``record_logs``."""
    entry = LogEntry(plugin_id, level, message, hook=hook, data=data or {})
    return record_logs([entry])[0]


def _trim_logs(plugin_id: str) -> None:
    records = PluginLog.objects.filter(plugin_id=plugin_id)
    oldest_kept = records.values_list("at", "id")[MAX_LOGS_KEPT - 1 : MAX_LOGS_KEPT]
    if not oldest_kept:
        return
    at, record_id = oldest_kept[0]
    records.filter(Q(at__lt=at) | Q(at=at, id__lt=record_id)).delete()


# -- settings --------------------------------------------------------------------------


def _setting_problem(spec: SettingSpec, value: object) -> str | None:
    """What is wrong with ``value`` for a setting, or None."""
    problem = setting_type_problem(spec.type, value)
    if problem or not isinstance(value, str):
        return problem
    if len(value) > MAX_SETTING_CHARS:
        return f"must be at most {MAX_SETTING_CHARS} characters"
    if spec.type == "secret" and not value:
        return "must not be empty (send null to remove it)"
    if spec.type == "select" and value not in spec.options:
        return f"must be one of: {', '.join(spec.options)}"
    return setting_format_problem(spec.type, value)


def update_settings(actor: Actor, plugin_id: str, values: Mapping[str, Any]) -> Plugin:
    """Set some of a plugin's settings: each given key is checked against the
    manifest and stored (a secret encrypted); null removes a value; keys not given
    stay as they are. Afterwards every required setting must have a value."""
    actor.require("plugins:manage")
    if not isinstance(values, Mapping):
        raise SettingsInvalid(
            "Plugin settings must be an object of setting keys and values.",
            fields={"settings": "must be an object"},
        )
    with transaction.atomic():
        plugin = _get(plugin_id, lock=True)
        specs = stored_manifest(plugin).settings
        stored = dict(plugin.settings)
        problems: dict[str, str] = {}
        for key, value in values.items():
            spec = specs.get(key)
            if spec is None:
                known = ", ".join(sorted(specs)) or "none"
                problems[key] = f"unknown setting (this plugin has: {known})"
            elif value is None:
                stored.pop(key, None)
            elif problem := _setting_problem(spec, value):
                problems[key] = problem
            elif spec.type == "secret":
                stored[key] = encrypt_secret(plugin.id, key, value)
            else:
                stored[key] = value
        for key in _missing(specs, stored):
            problems.setdefault(key, "is required")
        if problems:
            listed = "; ".join(f"{key}: {problem}" for key, problem in problems.items())
            raise SettingsInvalid(
                f"The settings of plugin '{plugin_id}' are invalid: {listed}.",
                fields=problems,
            )
        plugin.settings = stored
        plugin.save(update_fields=["settings", "updated_at"])
        epoch.bump(REGISTRY_EPOCH)
        # The keys only: values may be secrets.
        audit.record(
            actor,
            "plugin.settings",
            target_type="plugin",
            target_id=plugin.id,
            data={"changed": sorted(values)},
        )
    return plugin


def _missing(specs: Mapping[str, SettingSpec], stored: Mapping[str, Any]) -> list[str]:
    return [
        key
        for key, spec in specs.items()
        if spec.required and stored.get(key) is None and spec.default is None
    ]


def missing_settings(plugin: Plugin, manifest: Manifest | None = None) -> list[str]:
    """The required settings of a plugin that have no value yet: until they do,
    its hooks do not run (it could only fail in each). Pass ``manifest`` when the
    stored one is parsed already."""
    return _missing((manifest or stored_manifest(plugin)).settings, plugin.settings)


def settings_for_display(
    plugin: Plugin, manifest: Manifest | None = None
) -> dict[str, Any]:
    """Every declared setting's value for people to see: a secret is only
    ``"set"`` or ``"unset"``, an unset setting its default (or null)."""
    shown: dict[str, Any] = {}
    for key, spec in (manifest or stored_manifest(plugin)).settings.items():
        if spec.type == "secret":
            shown[key] = SECRET_SET if key in plugin.settings else SECRET_UNSET
        else:
            shown[key] = plugin.settings.get(key, spec.default)
    return shown


def settings_for_runtime(
    plugin: Plugin, manifest: Manifest | None = None
) -> dict[str, Any]:
    """The plugin's settings as its code receives them: defaults filled in, secrets
    decrypted. For the runtime only; never show this to anyone."""
    values: dict[str, Any] = {}
    for key, spec in (manifest or stored_manifest(plugin)).settings.items():
        if key not in plugin.settings:
            if spec.default is not None:
                values[key] = spec.default
        elif spec.type != "secret":
            values[key] = plugin.settings[key]
        else:
            try:
                values[key] = decrypt_secret(plugin.id, key, plugin.settings[key])
            except SecretUnreadable as error:
                # Left out, as if unset: the plugin runs, and the operator is told.
                logger.warning("%s; set it again", error)
    return values
