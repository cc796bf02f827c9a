"""Installed plugins and what they keep. A plugin's bundle is copied into the
database at install, so the site never depends on the path it came from.

Plugin data (kv, documents, logs) is keyed by the plugin id rather than a foreign
key, so an uninstall can keep it for a later reinstall."""

import json
from typing import Any

from django.db import models

from emdash.core.ids import new_id


class OrderedJSONField(models.TextField):
    """JSON stored as written. PostgreSQL's jsonb reorders object keys, and a
    manifest's order means something: settings are shown as its author lists
    them, cron tasks run in that order."""

    def from_db_value(self, value: str | None, *_: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)


class Plugin(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=100)
    version = models.CharField(max_length=64)
    # The normalised manifest (Manifest.to_json()), in its declared order.
    manifest = OrderedJSONField()
    wasm = models.BinaryField()
    wasm_sha256 = models.CharField(max_length=64)
    readme = models.TextField(blank=True)
    icon = models.BinaryField(null=True, blank=True)
    # What the administrator granted: always covers the manifest's capabilities.
    granted = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    # Values of the manifest's settings; secrets are stored encrypted.
    settings = models.JSONField(default=dict, blank=True)
    installed_by = models.CharField(max_length=200, blank=True)
    installed_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.id} {self.version}"


class PluginLog(models.Model):
    """What a plugin logged, and its failures, newest first."""

    id = models.CharField(
        primary_key=True, max_length=26, default=new_id, editable=False
    )
    plugin_id = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=8)
    hook = models.CharField(max_length=64, blank=True)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["plugin_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.plugin_id} {self.level}: {self.message[:60]}"


class PluginValue(models.Model):
    """One key of a plugin's key-value store."""

    plugin_id = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plugin_id", "key"], name="plugin_value_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plugin_id}:{self.key}"


class PluginDocument(models.Model):
    """A document in one of a plugin's declared storage collections."""

    plugin_id = models.CharField(max_length=64)
    collection = models.CharField(max_length=64)
    document_id = models.CharField(max_length=200)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plugin_id", "collection", "document_id"],
                name="plugin_document_unique_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plugin_id}:{self.collection}/{self.document_id}"


class PluginTask(models.Model):
    """When one of a plugin's cron tasks runs next. A row appears the first time a
    cron run sees the task, and goes with the plugin."""

    plugin = models.ForeignKey(Plugin, on_delete=models.CASCADE, related_name="tasks")
    name = models.CharField(max_length=64)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plugin", "name"], name="plugin_task_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plugin_id}:{self.name}"
