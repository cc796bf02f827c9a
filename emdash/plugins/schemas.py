"""Pydantic types for plugins shared by every door (CLI, REST, later the admin).

Importing this module loads no Django model: the remote CLI parses the API's
answers into these types without a local site."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from emdash.plugins.cron import ScheduledRun
    from emdash.plugins.manifest import Manifest
    from emdash.plugins.models import Plugin, PluginLog
    from emdash.plugins.services import InstallPlan, ValidatedBundle


class PluginOut(BaseModel):
    id: str
    name: str
    version: str
    enabled: bool
    capabilities: list[str] = Field(description="What was granted, sorted")
    description: str
    author: str
    license: str = Field(description="An SPDX license expression")
    hooks: list[str] = Field(description="The hooks it handles, sorted")
    routes: list[str] = Field(
        description="Its routes, at /_emdash/api/plugins/{id}/{route}, sorted"
    )
    missing_settings: list[str] = Field(
        description="Required settings without a value, in the manifest's order: "
        "its hooks do not run until they are set"
    )
    installed_at: datetime
    updated_at: datetime


class PluginListOut(BaseModel):
    items: list[PluginOut]
    next_cursor: str | None = None


class PluginSummaryOut(BaseModel):
    """One line of ``emdash plugin list --json``."""

    id: str
    version: str
    enabled: bool
    capabilities: list[str]


def _plugin_fields(plugin: Plugin, parsed: Manifest | None = None) -> dict[str, Any]:
    """The fields of PluginOut; ``parsed`` is the stored manifest, when the caller
    parsed it already."""
    # Django models load with the services: only when a plugin is at hand.
    from emdash.plugins.services import missing_settings

    manifest: dict[str, Any] = plugin.manifest
    return {
        "id": plugin.id,
        "name": plugin.name,
        "version": plugin.version,
        "enabled": plugin.enabled,
        "capabilities": list(plugin.granted),
        "description": manifest.get("description", ""),
        "author": manifest.get("author", ""),
        "license": manifest.get("license", ""),
        "hooks": sorted(manifest.get("hooks", {})),
        "routes": sorted(manifest.get("routes", {})),
        "missing_settings": missing_settings(plugin, parsed),
        "installed_at": plugin.installed_at,
        "updated_at": plugin.updated_at,
    }


def plugin_out(plugin: Plugin) -> PluginOut:
    return PluginOut(**_plugin_fields(plugin))


def plugin_summary_out(plugin: PluginOut) -> PluginSummaryOut:
    return PluginSummaryOut(
        id=plugin.id,
        version=plugin.version,
        enabled=plugin.enabled,
        capabilities=plugin.capabilities,
    )


class PluginLogOut(BaseModel):
    at: datetime
    level: str = Field(description="debug, info, warning or error")
    hook: str = Field(description="The hook it came from; empty for the host's own")
    message: str
    data: dict[str, Any]


class PluginLogListOut(BaseModel):
    items: list[PluginLogOut]
    next_cursor: str | None = None


def plugin_log_out(record: PluginLog) -> PluginLogOut:
    return PluginLogOut(
        at=record.at,
        level=record.level,
        hook=record.hook,
        message=record.message,
        data=record.data,
    )


class CapabilityOut(BaseModel):
    name: str
    description: str = Field(description="What granting it allows, in plain words")


class SettingSpecOut(BaseModel):
    """One setting the manifest declares, as a form would show it."""

    type: str = Field(
        description="string, text, number, integer, boolean, email, url, select or "
        "secret"
    )
    label: str
    required: bool
    help: str
    options: list[str] = Field(description="The choices of a select; else empty")
    default: Any = Field(description="The value while none is set; null for none")


class PluginDetailOut(PluginOut):
    """One installed plugin with what its manifest declares and its settings."""

    granted: list[CapabilityOut] = Field(
        description="The granted capabilities, each in plain words"
    )
    allowed_hosts: list[str]
    settings: dict[str, Any] = Field(
        description="The value of each declared setting: a secret only as "
        '"set" or "unset", an unset setting as its default (or null)'
    )
    settings_schema: dict[str, SettingSpecOut] = Field(
        description="The declared settings, in the manifest's order"
    )
    readme: str = Field(description="The bundle's README.md; empty without one")
    sha256: str = Field(description="Hex digest of plugin.wasm")
    installed_by: str


def plugin_detail_out(plugin: Plugin) -> PluginDetailOut:
    # Django models load with the services: only when a plugin is at hand.
    from emdash.plugins.services import (
        describe_capability,
        settings_for_display,
        stored_manifest,
    )

    manifest = stored_manifest(plugin)
    return PluginDetailOut(
        **_plugin_fields(plugin, manifest),
        granted=[
            CapabilityOut(name=name, description=describe_capability(name, manifest))
            for name in plugin.granted
        ],
        allowed_hosts=list(manifest.allowed_hosts),
        settings=settings_for_display(plugin, manifest),
        settings_schema={
            key: SettingSpecOut(
                type=spec.type,
                label=spec.label,
                required=spec.required,
                help=spec.help,
                options=list(spec.options),
                default=spec.default,
            )
            for key, spec in manifest.settings.items()
        },
        readme=plugin.readme,
        sha256=plugin.wasm_sha256,
        installed_by=plugin.installed_by,
    )


class ManifestSummaryOut(BaseModel):
    id: str
    name: str
    version: str
    license: str
    abi: str
    description: str
    author: str
    hooks: list[str]
    routes: list[str]
    settings: list[str]
    storage: list[str]
    allowed_hosts: list[str]


class PluginValidationOut(BaseModel):
    """What a bundle is and asks for, before anything is installed."""

    manifest: ManifestSummaryOut
    capabilities: list[CapabilityOut] = Field(
        description="The declared capabilities, as the administrator will grant them"
    )
    imports: list[str] = Field(
        description="The host functions the module imports, as module.name"
    )
    sha256: str = Field(description="Hex digest of plugin.wasm")
    wasm_bytes: int


def plugin_validation_out(validated: ValidatedBundle) -> PluginValidationOut:
    manifest = validated.manifest
    return PluginValidationOut(
        manifest=ManifestSummaryOut(
            id=manifest.id,
            name=manifest.name,
            version=manifest.version,
            license=manifest.license,
            abi=manifest.abi,
            description=manifest.description,
            author=manifest.author,
            hooks=list(manifest.hooks),
            routes=list(manifest.routes),
            settings=list(manifest.settings),
            storage=list(manifest.storage),
            allowed_hosts=list(manifest.allowed_hosts),
        ),
        capabilities=[
            CapabilityOut(name=name, description=description)
            for name, description in validated.capabilities.items()
        ],
        imports=list(validated.imports),
        sha256=validated.bundle.sha256,
        wasm_bytes=len(validated.bundle.wasm),
    )


class PluginConsentOut(PluginValidationOut):
    """What installing a bundle would ask of the administrator (a dry run)."""

    installed_version: str | None = Field(
        description="The version installed now, which this bundle would replace; "
        "null for a new plugin"
    )
    needs_grant: list[str] = Field(
        description="The capabilities the grant must cover: all of them for a new "
        "plugin, those the previous grant does not cover for an update"
    )
    forbidden: dict[str, list[str]] = Field(
        description="Each declared capability the site's policy forbids, with the "
        "forbidden capabilities it includes; any makes the install fail"
    )


def plugin_consent_out(plan: InstallPlan) -> PluginConsentOut:
    return PluginConsentOut(
        **plugin_validation_out(plan.validated).model_dump(),
        installed_version=plan.installed.version if plan.installed else None,
        needs_grant=plan.needs_grant,
        forbidden=plan.forbidden,
    )


class TaskRunOut(BaseModel):
    plugin: str
    task: str
    scheduled_at: datetime = Field(description="When the task's turn was due")
    outcome: str = Field(
        description="How the plugin's call ended: ok, unchanged, rejected or failed"
    )
    message: str = Field(description="Why it was rejected or failed; empty otherwise")


class ScheduledRunOut(BaseModel):
    published: list[str] = Field(description="The ids of the entries it published")
    tasks: list[TaskRunOut] = Field(description="The plugin tasks it ran, in order")


def scheduled_run_out(run: ScheduledRun) -> ScheduledRunOut:
    return ScheduledRunOut(
        published=run.published,
        tasks=[
            TaskRunOut(
                plugin=task.plugin,
                task=task.task,
                scheduled_at=task.scheduled_at,
                outcome=task.outcome,
                message=task.message,
            )
            for task in run.tasks
        ],
    )
