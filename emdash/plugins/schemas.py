"""Pydantic types for plugins shared by every door (CLI now, REST and admin later)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from emdash.plugins.models import Plugin, PluginLog
    from emdash.plugins.services import ValidatedBundle


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
    installed_at: datetime
    updated_at: datetime


class PluginListOut(BaseModel):
    items: list[PluginOut]


class PluginSummaryOut(BaseModel):
    """One line of ``emdash plugin list --json``."""

    id: str
    version: str
    enabled: bool
    capabilities: list[str]


def plugin_out(plugin: Plugin) -> PluginOut:
    manifest: dict[str, Any] = plugin.manifest
    return PluginOut(
        id=plugin.id,
        name=plugin.name,
        version=plugin.version,
        enabled=plugin.enabled,
        capabilities=list(plugin.granted),
        description=manifest.get("description", ""),
        author=manifest.get("author", ""),
        license=manifest.get("license", ""),
        hooks=sorted(manifest.get("hooks", {})),
        installed_at=plugin.installed_at,
        updated_at=plugin.updated_at,
    )


def plugin_summary_out(plugin: Plugin) -> PluginSummaryOut:
    return PluginSummaryOut(
        id=plugin.id,
        version=plugin.version,
        enabled=plugin.enabled,
        capabilities=list(plugin.granted),
    )


class PluginLogOut(BaseModel):
    at: datetime
    level: str = Field(description="debug, info, warning or error")
    hook: str = Field(description="The hook it came from; empty for the host's own")
    message: str
    data: dict[str, Any]


class PluginLogListOut(BaseModel):
    items: list[PluginLogOut]


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
