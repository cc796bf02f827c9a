"""The plugin manifest (``manifest.json``): what a plugin is, what it may do and which
hooks, routes, settings and storage it declares.

``parse_manifest`` checks everything in one pass and reports every problem at once,
each under a dotted path to the field (``hooks.content:beforeSave.priority``,
``capabilities[2]``), so an author fixes a manifest in one round trip.
"""

import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from packaging.licenses import (
    InvalidLicenseExpression,
    canonicalize_license_expression,
)

from emdash.core.errors import ValidationFailed
from emdash.core.permissions import ALL_PERMISSIONS
from emdash.plugins.capabilities import CAPABILITIES, HOOKS, effective

ABI = "emdash/0"

ID_PATTERN = re.compile(r"[a-z][a-z0-9-]{1,63}")
ROUTE_NAME_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,63}")
SETTING_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
TASK_NAME_PATTERN = ROUTE_NAME_PATTERN
# How often a cron task runs: a whole number of minutes, hours or days.
EVERY_PATTERN = re.compile(r"([1-9][0-9]{0,4})([mhd])", re.ASCII)
EVERY_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
EVERY_RANGE_SECONDS = (60, 366 * 86400)
STORAGE_NAME_PATTERN = SETTING_KEY_PATTERN
# Documents are JSON written by the plugin, so index fields may be camelCase.
INDEX_FIELD_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# semver.org's regular expression; ASCII so that \d matches 0-9 only.
SEMVER_PATTERN = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)
_HOST_LABEL_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A final label like these makes a URL parser read the host as an IPv4 address.
_NUMERIC_LABEL_PATTERN = re.compile(r"[0-9]+|0x[0-9a-f]*")

MAX_NAME_LENGTH = 100
MAX_VERSION_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 500
MAX_AUTHOR_LENGTH = 200
MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 100
MAX_HELP_LENGTH = 500
MAX_OPTION_LENGTH = 100

DEFAULT_PRIORITY = 100
DEFAULT_TIMEOUT_MS = 1000
PRIORITY_RANGE = (0, 1000)
TIMEOUT_MS_RANGE = (1, 30_000)
DEFAULT_ROUTE_PERMISSION = "plugins:manage"

OnError = Literal["abort", "continue"]
ON_ERROR_VALUES: tuple[OnError, ...] = ("abort", "continue")
SettingType = Literal[
    "string", "text", "number", "integer", "boolean", "email", "url", "select", "secret"
]
SETTING_TYPES: tuple[SettingType, ...] = (
    "string",
    "text",
    "number",
    "integer",
    "boolean",
    "email",
    "url",
    "select",
    "secret",
)

_REQUIRED_KEYS = ("id", "name", "version", "license", "capabilities", "hooks")
_OPTIONAL_KEYS = (
    "abi",
    "description",
    "author",
    "allowed_hosts",
    "routes",
    "settings",
    "storage",
    "cron",
)
_HOOK_KEYS = frozenset({"priority", "timeout_ms", "on_error"})
_ROUTE_KEYS = frozenset({"public", "permission"})
_SETTING_KEYS = frozenset({"type", "label", "required", "default", "options", "help"})
_STORAGE_KEYS = frozenset({"indexes"})
_TASK_KEYS = frozenset({"every"})
# The problem for the whole document is filed under this path.
ROOT_PATH = "manifest"


class ManifestInvalid(ValidationFailed):
    """A manifest with problems; ``fields`` maps each dotted field path to what is
    wrong with it."""

    code = "MANIFEST_INVALID"


@dataclass(frozen=True, kw_only=True)
class HookOptions:
    """How the host runs one hook: lower ``priority`` runs first, ``timeout_ms`` is
    the wall-clock budget of one call, ``on_error`` says whether a failure stops the
    operation (``abort``, before-hooks only in effect) or is logged (``continue``)."""

    priority: int = DEFAULT_PRIORITY
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    on_error: OnError

    @staticmethod
    def default_on_error(hook: str) -> OnError:
        """A before-hook's failure stops the write; an after-hook's cannot."""
        return "abort" if HOOKS[hook] else "continue"

    def to_json(self) -> dict[str, Any]:
        return {
            "priority": self.priority,
            "timeout_ms": self.timeout_ms,
            "on_error": self.on_error,
        }


@dataclass(frozen=True)
class RouteSpec:
    """A plugin route: private unless ``public``, callable by holders of
    ``permission``."""

    public: bool = False
    permission: str = DEFAULT_ROUTE_PERMISSION

    def to_json(self) -> dict[str, Any]:
        return {"public": self.public, "permission": self.permission}


@dataclass(frozen=True, kw_only=True)
class SettingSpec:
    """One setting an administrator fills in for the plugin. ``options`` lists the
    choices of a ``select``; a ``secret`` is stored encrypted and has no default."""

    type: SettingType
    label: str
    required: bool = False
    default: Any = None
    options: tuple[str, ...] = ()
    help: str = ""

    def to_json(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "type": self.type,
            "label": self.label,
            "required": self.required,
            "help": self.help,
        }
        if self.type == "select":
            spec["options"] = list(self.options)
        if self.default is not None:
            spec["default"] = self.default
        return spec


@dataclass(frozen=True)
class StorageSpec:
    """A collection of JSON documents the plugin keeps, queryable by ``indexes``."""

    indexes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"indexes": list(self.indexes)}


@dataclass(frozen=True)
class TaskSpec:
    """A cron task: the plugin's ``cron`` hook runs with its name about every
    ``every`` (as written, like ``15m``)."""

    every: str

    @property
    def every_seconds(self) -> int:
        match = EVERY_PATTERN.fullmatch(self.every)
        assert match is not None  # noqa: S101 - checked when the manifest was read
        return int(match[1]) * EVERY_UNIT_SECONDS[match[2]]

    def to_json(self) -> dict[str, Any]:
        return {"every": self.every}


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """A checked manifest. Mappings keep the order the author declared."""

    id: str
    name: str
    version: str
    license: str  # canonical SPDX expression
    capabilities: tuple[str, ...]
    hooks: Mapping[str, HookOptions]
    abi: str = ABI
    description: str = ""
    author: str = ""
    allowed_hosts: tuple[str, ...] = ()  # lowercase ASCII (IDNA) names
    routes: Mapping[str, RouteSpec] = field(default_factory=dict)
    settings: Mapping[str, SettingSpec] = field(default_factory=dict)
    storage: Mapping[str, StorageSpec] = field(default_factory=dict)
    cron: Mapping[str, TaskSpec] = field(default_factory=dict)

    @property
    def capabilities_effective(self) -> frozenset[str]:
        """The declared capabilities with everything they imply."""
        return effective(self.capabilities)

    def to_json(self) -> dict[str, Any]:
        """The normalised manifest; ``parse_manifest`` reads it back unchanged."""
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "license": self.license,
            "abi": self.abi,
            "description": self.description,
            "author": self.author,
            "capabilities": list(self.capabilities),
            "allowed_hosts": list(self.allowed_hosts),
            "hooks": {name: hook.to_json() for name, hook in self.hooks.items()},
            "routes": {name: route.to_json() for name, route in self.routes.items()},
            "settings": {key: spec.to_json() for key, spec in self.settings.items()},
            "storage": {name: spec.to_json() for name, spec in self.storage.items()},
            "cron": {name: task.to_json() for name, task in self.cron.items()},
        }


def parse_manifest(data: object) -> Manifest:
    """Check a decoded ``manifest.json`` and return it normalised; raise
    ``ManifestInvalid`` listing every problem."""
    checker = _Checker()
    manifest = checker.manifest(data)
    if manifest is None:
        listed = "; ".join(
            f"{path}: {problem}" for path, problem in checker.problems.items()
        )
        plugin_id = data.get("id") if isinstance(data, dict) else None
        subject = (
            f"The manifest of plugin '{plugin_id}'"
            if isinstance(plugin_id, str) and ID_PATTERN.fullmatch(plugin_id)
            else "The plugin manifest"
        )
        raise ManifestInvalid(
            f"{subject} is invalid: {listed}.",
            fields=checker.problems,
        )
    return manifest


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Checker:
    """Collects problems while reading a manifest; each reader returns the clean
    value, or None after filing a problem."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def problem(self, path: str, text: str) -> None:
        self.problems[path] = (
            f"{self.problems[path]}; {text}" if path in self.problems else text
        )

    # -- the document ------------------------------------------------------------

    def manifest(self, data: object) -> Manifest | None:
        document = self.as_object(data, "", _REQUIRED_KEYS + _OPTIONAL_KEYS)
        if document is None:
            return None
        for key in _REQUIRED_KEYS:
            if key not in document:
                self.problem(key, "is required")

        def read(key: str, reader: Callable[[object, str], Any], default: Any) -> Any:
            return reader(document[key], key) if key in document else default

        plugin_id = read("id", self.plugin_id, None)
        name = read("name", self.name, None)
        version = read("version", self.version, None)
        license_expression = read("license", self.license, None)
        declared = read("capabilities", self.capabilities, None)
        hooks = read("hooks", self.hooks, None)
        abi = read("abi", self.abi, ABI)
        description = read("description", self.description, "")
        author = read("author", self.author, "")
        allowed_hosts = read("allowed_hosts", self.allowed_hosts, ())
        routes = read("routes", self.routes, {})
        settings = read("settings", self.settings, {})
        storage = read("storage", self.storage, {})
        cron = read("cron", self.cron, {})
        self.hosts_match_capabilities(
            document.get("capabilities"), document.get("allowed_hosts")
        )
        self.tasks_match_hook(document.get("hooks"), document.get("cron"))
        if self.problems:
            return None
        return Manifest(
            id=plugin_id,
            name=name,
            version=version,
            license=license_expression,
            capabilities=declared,
            hooks=hooks,
            abi=abi,
            description=description,
            author=author,
            allowed_hosts=allowed_hosts,
            routes=routes,
            settings=settings,
            storage=storage,
            cron=cron,
        )

    def plugin_id(self, value: object, path: str) -> str | None:
        text = self.as_string(value, path)
        if text is not None and not ID_PATTERN.fullmatch(text):
            self.problem(
                path,
                "must be 2-64 lowercase letters, digits and hyphens, "
                "starting with a letter",
            )
            return None
        return text

    def name(self, value: object, path: str) -> str | None:
        text = self.as_string(value, path, max_length=MAX_NAME_LENGTH)
        if text is not None and not text.strip():
            self.problem(path, "must not be blank")
            return None
        return text

    def version(self, value: object, path: str) -> str | None:
        text = self.as_string(value, path, max_length=MAX_VERSION_LENGTH)
        if text is not None and not SEMVER_PATTERN.fullmatch(text):
            self.problem(path, f"'{text}' is not a semantic version (like 1.0.0)")
            return None
        return text

    def license(self, value: object, path: str) -> str | None:
        text = self.as_string(value, path)
        if text is None:
            return None
        try:
            return str(canonicalize_license_expression(text))
        except InvalidLicenseExpression as error:
            self.problem(path, f"is not a valid SPDX license expression ({error})")
            return None

    def abi(self, value: object, path: str) -> str | None:
        text = self.as_string(value, path)
        if text is not None and text != ABI:
            self.problem(path, f"'{text}' is not supported; this host runs '{ABI}'")
            return None
        return text

    def description(self, value: object, path: str) -> str | None:
        return self.as_string(value, path, max_length=MAX_DESCRIPTION_LENGTH)

    def author(self, value: object, path: str) -> str | None:
        return self.as_string(value, path, max_length=MAX_AUTHOR_LENGTH)

    # -- capabilities and hosts --------------------------------------------------

    def capabilities(self, value: object, path: str) -> tuple[str, ...] | None:
        items = self.as_list(value, path)
        if items is None:
            return None
        known = ", ".join(CAPABILITIES)
        clean = self.unique_strings(
            items,
            path,
            lambda item: (
                None
                if item in CAPABILITIES
                else f"unknown capability '{item}' (known: {known})"
            ),
        )
        return None if clean is None else tuple(clean)

    def allowed_hosts(self, value: object, path: str) -> tuple[str, ...] | None:
        items = self.as_list(value, path)
        if items is None:
            return None
        count = len(self.problems)
        hosts: list[str] = []
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            if not isinstance(item, str):
                self.problem(item_path, "must be a string")
                continue
            host, problem = _normalise_host(item)
            if problem:
                self.problem(item_path, problem)
            elif host in hosts:
                self.problem(item_path, f"duplicate of {path}[{hosts.index(host)}]")
            hosts.append(host)
        return tuple(hosts) if len(self.problems) == count else None

    def hosts_match_capabilities(self, declared: object, hosts: object) -> None:
        """``allowed_hosts`` is non-empty exactly when network:request is declared
        (and empty with network:request:unrestricted). Read from the raw values so
        the rule is reported even beside other problems in either list."""
        if not isinstance(declared, list) or not isinstance(hosts, list | None):
            return  # already reported as the wrong type
        capabilities = {item for item in declared if isinstance(item, str)}
        listed = bool(hosts)
        if "network:request:unrestricted" in capabilities:
            if listed:
                self.problem(
                    "allowed_hosts",
                    "must be empty with network:request:unrestricted, "
                    "which reaches any public host",
                )
        elif "network:request" in capabilities:
            if not listed:
                self.problem(
                    "allowed_hosts",
                    "must list at least one host when network:request is declared",
                )
        elif listed:
            self.problem(
                "allowed_hosts", "needs the network:request capability to be declared"
            )

    # -- hooks, routes, settings, storage -----------------------------------------

    def hooks(self, value: object, path: str) -> dict[str, HookOptions] | None:
        entries = self.as_object(value, path)
        if entries is None:
            return None
        count = len(self.problems)
        hooks: dict[str, HookOptions] = {}
        for hook, options in entries.items():
            hook_path = _child(path, hook)
            if hook not in HOOKS:
                self.problem(hook_path, "unknown hook")
            elif clean := self.hook_options(hook, options, hook_path):
                hooks[hook] = clean
        return hooks if len(self.problems) == count else None

    def hook_options(self, hook: str, value: object, path: str) -> HookOptions | None:
        options = self.as_object(value, path, _HOOK_KEYS)
        if options is None:
            return None
        count = len(self.problems)
        priority = DEFAULT_PRIORITY
        timeout_ms = DEFAULT_TIMEOUT_MS
        on_error = HookOptions.default_on_error(hook)
        if "priority" in options:
            priority = self.as_integer(
                options["priority"], _child(path, "priority"), PRIORITY_RANGE
            )
        if "timeout_ms" in options:
            timeout_ms = self.as_integer(
                options["timeout_ms"], _child(path, "timeout_ms"), TIMEOUT_MS_RANGE
            )
        if "on_error" in options:
            on_error = self.as_choice(
                options["on_error"], _child(path, "on_error"), ON_ERROR_VALUES
            )
        if len(self.problems) > count:
            return None
        return HookOptions(priority=priority, timeout_ms=timeout_ms, on_error=on_error)

    def routes(self, value: object, path: str) -> dict[str, RouteSpec] | None:
        return self.named_entries(
            value,
            path,
            ROUTE_NAME_PATTERN,
            "a route name must be up to 64 lowercase letters, digits and hyphens, "
            "starting with a letter",
            self.route,
        )

    def route(self, value: object, path: str) -> RouteSpec | None:
        options = self.as_object(value, path, _ROUTE_KEYS)
        if options is None:
            return None
        count = len(self.problems)
        public = False
        permission = DEFAULT_ROUTE_PERMISSION
        if "public" in options:
            public = self.as_boolean(options["public"], _child(path, "public"))
        if "permission" in options:
            permission_path = _child(path, "permission")
            permission = self.as_string(options["permission"], permission_path)
            if permission is not None and permission not in ALL_PERMISSIONS:
                self.problem(permission_path, f"unknown permission '{permission}'")
        if len(self.problems) > count:
            return None
        return RouteSpec(public=public, permission=permission)

    def cron(self, value: object, path: str) -> dict[str, TaskSpec] | None:
        return self.named_entries(
            value,
            path,
            TASK_NAME_PATTERN,
            "a task name must be up to 64 lowercase letters, digits and hyphens, "
            "starting with a letter",
            self.task,
        )

    def task(self, value: object, path: str) -> TaskSpec | None:
        options = self.as_object(value, path, _TASK_KEYS)
        if options is None:
            return None
        every_path = _child(path, "every")
        if "every" not in options:
            self.problem(every_path, "is required")
            return None
        every = self.as_string(options["every"], every_path)
        if every is None:
            return None
        if EVERY_PATTERN.fullmatch(every) is None:
            self.problem(
                every_path,
                f"'{every}' is not an interval like 15m, 6h or 1d "
                "(a whole number of minutes, hours or days)",
            )
            return None
        spec = TaskSpec(every=every)
        low, high = EVERY_RANGE_SECONDS
        if not low <= spec.every_seconds <= high:
            self.problem(every_path, "must be between 1 minute and 366 days")
            return None
        return spec

    def tasks_match_hook(self, hooks: object, tasks: object) -> None:
        """Tasks are declared exactly when the ``cron`` hook is: one without the
        other would never run, or run with nothing to do."""
        if not isinstance(hooks, dict) or not isinstance(tasks, dict | None):
            return  # already reported as the wrong type
        if "cron" in hooks and not tasks:
            self.problem("cron", "must declare at least one task for the cron hook")
        elif tasks and "cron" not in hooks:
            self.problem("hooks", "must include cron to run the tasks under cron")

    def settings(self, value: object, path: str) -> dict[str, SettingSpec] | None:
        return self.named_entries(
            value,
            path,
            SETTING_KEY_PATTERN,
            "a setting key must be up to 64 lowercase letters, digits and "
            "underscores, starting with a letter",
            self.setting,
        )

    def setting(self, value: object, path: str) -> SettingSpec | None:
        options = self.as_object(value, path, _SETTING_KEYS)
        if options is None:
            return None
        count = len(self.problems)
        for key in ("type", "label"):
            if key not in options:
                self.problem(_child(path, key), "is required")
        setting_type = None
        if "type" in options:
            setting_type = self.as_choice(
                options["type"], _child(path, "type"), SETTING_TYPES
            )
        label = ""
        if "label" in options:
            label_path = _child(path, "label")
            label = self.as_string(
                options["label"], label_path, max_length=MAX_LABEL_LENGTH
            )
            if label is not None and not label.strip():
                self.problem(label_path, "must not be blank")
        required = False
        if "required" in options:
            required = self.as_boolean(options["required"], _child(path, "required"))
        help_text = ""
        if "help" in options:
            help_text = self.as_string(
                options["help"], _child(path, "help"), max_length=MAX_HELP_LENGTH
            )
        choices: tuple[str, ...] = ()
        if setting_type == "select":
            choices = self.select_options(options.get("options"), path)
        elif "options" in options and setting_type is not None:
            self.problem(_child(path, "options"), "only a select setting has options")
        default = options.get("default")
        if default is not None and setting_type is not None:
            problem = _default_problem(setting_type, default, choices)
            if problem:
                self.problem(_child(path, "default"), problem)
        if len(self.problems) > count:
            return None
        return SettingSpec(
            type=setting_type,
            label=label,
            required=required,
            default=default,
            options=choices,
            help=help_text,
        )

    def select_options(self, value: object, path: str) -> tuple[str, ...]:
        options_path = _child(path, "options")
        if value is None:
            self.problem(options_path, "is required for a select setting")
            return ()
        items = self.as_list(value, options_path)
        if items is None:
            return ()
        if not items:
            self.problem(options_path, "must list at least one option")
            return ()
        clean = self.unique_strings(
            items,
            options_path,
            lambda item: (
                None
                if 0 < len(item) <= MAX_OPTION_LENGTH
                else f"must be 1-{MAX_OPTION_LENGTH} characters"
            ),
        )
        return () if clean is None else tuple(clean)

    def storage(self, value: object, path: str) -> dict[str, StorageSpec] | None:
        return self.named_entries(
            value,
            path,
            STORAGE_NAME_PATTERN,
            "a collection name must be up to 64 lowercase letters, digits and "
            "underscores, starting with a letter",
            self.collection,
        )

    def collection(self, value: object, path: str) -> StorageSpec | None:
        options = self.as_object(value, path, _STORAGE_KEYS)
        if options is None:
            return None
        if "indexes" not in options:
            return StorageSpec()
        indexes_path = _child(path, "indexes")
        items = self.as_list(options["indexes"], indexes_path)
        if items is None:
            return None
        clean = self.unique_strings(
            items,
            indexes_path,
            lambda item: (
                None
                if INDEX_FIELD_PATTERN.fullmatch(item)
                else "must be a field name: up to 64 letters, digits and underscores, "
                "not starting with a digit"
            ),
        )
        return None if clean is None else StorageSpec(indexes=tuple(clean))

    # -- generic readers -----------------------------------------------------------

    def as_object(
        self, value: object, path: str, keys: tuple[str, ...] | frozenset[str] = ()
    ) -> dict[str, Any] | None:
        """A JSON object; with ``keys``, other keys are reported (and the rest of
        the object is still read, so every problem comes out at once)."""
        if not isinstance(value, dict):
            self.problem(path or ROOT_PATH, "must be an object")
            return None
        clean: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                self.problem(_child(path, repr(key)), "keys must be strings")
            elif keys and key not in keys:
                self.problem(_child(path, key), "unknown property")
            else:
                clean[key] = item
        return clean

    def named_entries[Spec](
        self,
        value: object,
        path: str,
        pattern: re.Pattern[str],
        rule: str,
        reader: Callable[[object, str], Spec | None],
    ) -> dict[str, Spec] | None:
        """An object of named specs, each name matching ``pattern`` (``rule`` says
        how, in words)."""
        entries = self.as_object(value, path)
        if entries is None:
            return None
        count = len(self.problems)
        clean: dict[str, Spec] = {}
        for name, options in entries.items():
            entry_path = _child(path, name)
            if not pattern.fullmatch(name):
                self.problem(entry_path, rule)
            elif (spec := reader(options, entry_path)) is not None:
                clean[name] = spec
        return clean if len(self.problems) == count else None

    def as_list(self, value: object, path: str) -> list[Any] | None:
        if not isinstance(value, list):
            self.problem(path, "must be a list")
            return None
        return value

    def unique_strings(
        self, items: list[Any], path: str, check: Callable[[str], str | None]
    ) -> list[str] | None:
        """Strings, each passing ``check`` (which answers a problem or None), without
        repeats."""
        count = len(self.problems)
        clean: list[str] = []
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            if not isinstance(item, str):
                self.problem(item_path, "must be a string")
            elif problem := check(item):
                self.problem(item_path, problem)
            elif item in clean:
                self.problem(item_path, f"duplicate of {path}[{items.index(item)}]")
            else:
                clean.append(item)
        return clean if len(self.problems) == count else None

    def as_string(
        self, value: object, path: str, *, max_length: int | None = None
    ) -> str | None:
        if not isinstance(value, str):
            self.problem(path, "must be a string")
            return None
        if max_length is not None and len(value) > max_length:
            self.problem(path, f"must be at most {max_length} characters")
            return None
        return value

    def as_integer(
        self, value: object, path: str, bounds: tuple[int, int]
    ) -> int | None:
        low, high = bounds
        # bool is an int in Python but not in a manifest.
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"must be an integer from {low} to {high}")
            return None
        if not low <= value <= high:
            self.problem(path, f"must be from {low} to {high}")
            return None
        return value

    def as_boolean(self, value: object, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.problem(path, "must be true or false")
            return None
        return value

    def as_choice[Choice: str](
        self, value: object, path: str, choices: tuple[Choice, ...]
    ) -> Choice | None:
        for choice in choices:
            if value == choice and isinstance(value, str):
                return choice
        self.problem(path, f"must be one of: {', '.join(choices)}")
        return None


email_validator = EmailValidator()
_url_validator = URLValidator(schemes=["http", "https"])


def setting_type_problem(setting_type: SettingType, value: object) -> str | None:
    """What is wrong with the JSON type of ``value`` for a setting of
    ``setting_type``, or None: every type but boolean, integer and number holds a
    string."""
    match setting_type:
        case "boolean":
            return None if isinstance(value, bool) else "must be true or false"
        case "integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
            return None if ok else "must be an integer"
        case "number":
            ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
            return None if ok else "must be a number"
    return None if isinstance(value, str) else "must be a string"


def setting_format_problem(setting_type: SettingType, text: str) -> str | None:
    """What is wrong with a string setting's value for an ``email`` or ``url``
    setting, or None."""
    checks = {
        "email": (email_validator, "must be a valid email address"),
        "url": (_url_validator, "must be an http(s) URL"),
    }
    if setting_type in checks:
        validator, problem = checks[setting_type]
        try:
            validator(text)
        except ValidationError:
            return problem
    return None


def _default_problem(
    setting_type: SettingType, default: object, choices: tuple[str, ...]
) -> str | None:
    """What is wrong with a setting's default for its type, or None."""
    if setting_type == "secret":
        return "a secret cannot have a default"
    problem = setting_type_problem(setting_type, default)
    if problem or not isinstance(default, str):
        return problem
    if setting_type == "select" and choices and default not in choices:
        return "must be one of the options"
    return setting_format_problem(setting_type, default)


def _normalise_host(host: str) -> tuple[str, str | None]:
    """An allowed host in the form requests are matched against (lowercase ASCII,
    ``*.`` kept) and the problem with it, if any."""
    not_a_name = "must be a host name, not an IP address"
    if host != host.lower():
        return host, "must be lowercase"
    if "://" in host:
        return host, "must be a host name, without a scheme"
    if "/" in host:
        return host, "must be a host name, without a path"
    if host.startswith("["):
        return host, not_a_name
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host, not_a_name
    if ":" in host:
        return host, "must be a host name, without a port"
    wildcard = host.startswith("*.")
    name = host.removeprefix("*.")
    if "*" in name:
        return host, "a wildcard must be the whole first label, as in *.example.com"
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return host, "is not a valid host name"
    labels = ascii_name.split(".")
    if len(ascii_name) > MAX_HOST_LENGTH or not all(
        _HOST_LABEL_PATTERN.fullmatch(label) for label in labels
    ):
        return host, "is not a valid host name"
    if _NUMERIC_LABEL_PATTERN.fullmatch(labels[-1]):
        return host, not_a_name
    if wildcard and len(labels) < 2:
        return host, "a wildcard must cover a domain, as in *.example.com"
    return ("*." if wildcard else "") + ascii_name, None
