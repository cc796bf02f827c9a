"""The install service: validating a bundle, installing with a grant, updates, the
site's policy, enabling, disabling, uninstalling, logs and settings (secrets
encrypted at rest), each with its permission, audit row and registry epoch."""

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from pytest_django.fixtures import Settings

from emdash.core import epoch
from emdash.core.actors import ANONYMOUS, SYSTEM, Actor
from emdash.core.errors import PermissionDenied, Unauthenticated, ValidationFailed
from emdash.core.models import AuditEvent
from emdash.plugins import services
from emdash.plugins.bundle import BundleInvalid
from emdash.plugins.manifest import ManifestInvalid
from emdash.plugins.models import Plugin, PluginDocument, PluginLog, PluginValue
from emdash.plugins.sandbox.errors import ExportsInvalid, ImportRefused
from emdash.plugins.services import (
    CapabilityForbidden,
    GrantBeyondManifest,
    GrantRequired,
    PluginExists,
    PluginNotFound,
    SettingsInvalid,
)
from tests.factories import make_role_actor
from tests.plugins.bundles import make_bundle, module_wasm

pytestmark = pytest.mark.django_db

SETTINGS: dict[str, dict[str, Any]] = {
    "recipient": {"type": "email", "label": "Send to", "required": True},
    "api_key": {"type": "secret", "label": "API key"},
    "mode": {
        "type": "select",
        "label": "Mode",
        "options": ["fast", "careful"],
        "default": "fast",
    },
    "retries": {"type": "integer", "label": "Retries", "default": 3},
    "ratio": {"type": "number", "label": "Ratio"},
    "verbose": {"type": "boolean", "label": "Verbose"},
    "endpoint": {"type": "url", "label": "Endpoint"},
    "footer": {"type": "text", "label": "Footer"},
}


def registry_epoch() -> int:
    return epoch.current(services.REGISTRY_EPOCH).value


def install(tmp_path: Path, *, grant: list[str] | None = None, **bundle: Any) -> Plugin:
    """Install a test bundle, granting what it declares unless ``grant`` says."""
    path = make_bundle(tmp_path, **bundle)
    declared = list(bundle.get("capabilities", ()))
    return services.install(SYSTEM, path, grant=declared if grant is None else grant)


def assert_nothing_installed(epoch_before: int) -> None:
    assert not Plugin.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="plugin.").exists()
    assert not PluginLog.objects.exists()
    assert registry_epoch() == epoch_before


# -- validating ------------------------------------------------------------------------


def test_validate_describes_the_capabilities_and_imports_and_writes_nothing(
    tmp_path: Path,
) -> None:
    path = make_bundle(
        tmp_path,
        capabilities=["email:send", "network:request", "content:read"],
        imports=["log", "content_get", "http_fetch"],
        allowed_hosts=["hooks.example.com", "*.example.org"],
    )

    validated = services.validate_bundle(path)

    assert validated.manifest.id == "demo"
    assert validated.capabilities == {
        "email:send": "Send email from this site",
        "network:request": (
            "Make web requests to the hosts it lists: hooks.example.com, *.example.org"
        ),
        "content:read": "Read all content, including drafts",
    }
    assert validated.imports == (
        "emdash.log",
        "emdash.content_get",
        "emdash.http_fetch",
    )
    assert validated.bundle.sha256 == hashlib.sha256(validated.bundle.wasm).hexdigest()
    assert not Plugin.objects.exists()


def test_validate_reads_a_zip_file_and_uploaded_bytes(tmp_path: Path) -> None:
    archive = make_bundle(tmp_path, id="zipped", zip=True)

    from_file = services.validate_bundle(archive)
    from_bytes = services.validate_bundle(archive.read_bytes(), name="zipped.zip")

    assert from_file.manifest.id == from_bytes.manifest.id == "zipped"
    assert from_file.bundle.wasm == from_bytes.bundle.wasm


def test_an_import_beyond_the_manifest_names_the_function_and_capability(
    tmp_path: Path,
) -> None:
    path = make_bundle(
        tmp_path, capabilities=["content:read"], imports=["content_get", "email_send"]
    )

    with pytest.raises(ImportRefused) as refused:
        services.validate_bundle(path)

    assert refused.value.message == (
        "plugin 'demo' imports emdash.email_send, which needs the capability "
        "email:send; its manifest declares: content:read"
    )
    assert refused.value.details["capability"] == "email:send"


def test_a_wasi_import_is_refused(tmp_path: Path) -> None:
    path = make_bundle(tmp_path, imports=["wasi_snapshot_preview1.fd_write"])

    with pytest.raises(ImportRefused) as refused:
        services.validate_bundle(path)

    assert refused.value.message == (
        "plugin 'demo' imports wasi_snapshot_preview1.fd_write, which the EmDash "
        "host never provides (no WASI)"
    )


def test_a_module_without_the_abi_exports_is_refused(tmp_path: Path) -> None:
    from wasmtime import wat2wasm

    path = make_bundle(
        tmp_path, wasm=bytes(wat2wasm('(module (memory (export "memory") 1))'))
    )

    with pytest.raises(ExportsInvalid, match="must export emdash_alloc"):
        services.validate_bundle(path)


def test_a_bad_manifest_or_bundle_is_refused_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ManifestInvalid) as invalid:
        services.validate_bundle(make_bundle(tmp_path, capabilities=["email:spam"]))
    assert list(invalid.value.fields) == ["capabilities[0]"]

    with pytest.raises(BundleInvalid, match="does not exist"):
        services.validate_bundle(tmp_path / "nowhere")


# -- installing ------------------------------------------------------------------------


def test_install_stores_the_bundle_and_enables_it(tmp_path: Path) -> None:
    path = make_bundle(
        tmp_path,
        capabilities=["email:send", "content:read"],
        imports=["content_get", "email_send"],
        hooks={"content:afterPublish": {}},
        readme="# Demo\n",
    )
    actor = make_role_actor("administrator")
    before = registry_epoch()

    plugin = services.install(
        actor, path, grant=["email:send", "content:read"], replace=False
    )

    plugin.refresh_from_db()
    wasm = (path / "plugin.wasm").read_bytes()
    assert (plugin.id, plugin.name, plugin.version) == ("demo", "Demo plugin", "1.0.0")
    assert plugin.enabled is True
    assert plugin.granted == ["content:read", "email:send"]
    assert bytes(plugin.wasm) == wasm
    assert plugin.wasm_sha256 == hashlib.sha256(wasm).hexdigest()
    assert plugin.readme == "# Demo\n"
    assert plugin.icon is None
    assert plugin.manifest == services.validate_bundle(path).manifest.to_json()
    assert plugin.installed_by == actor.label
    assert plugin.settings == {}
    assert registry_epoch() == before + 1
    event = AuditEvent.objects.get(action="plugin.install")
    assert (event.target_type, event.target_id, event.actor_id) == (
        "plugin",
        "demo",
        actor.id,
    )
    assert event.data == {
        "version": "1.0.0",
        "capabilities": ["content:read", "email:send"],
        "sha256": plugin.wasm_sha256,
    }
    record = PluginLog.objects.get(plugin_id="demo")
    assert (record.level, record.hook, record.message) == (
        "info",
        "",
        f"installed version 1.0.0 by {actor.label}",
    )


def test_the_stored_manifest_keeps_the_order_its_author_wrote(tmp_path: Path) -> None:
    # Longest key first, against alphabetical order: what jsonb would sort by.
    declared = ["webhook_secret", "recipient", "tone", "api"]
    settings = {key: {"type": "string", "label": key.title()} for key in declared}
    path = make_bundle(tmp_path, settings=settings)
    services.install(make_role_actor("administrator"), path, grant=[], replace=False)

    stored = services.stored_manifest(Plugin.objects.get(pk="demo"))

    assert list(stored.settings) == declared


def test_a_plugin_declaring_no_capabilities_needs_no_grant(tmp_path: Path) -> None:
    plugin = services.install(SYSTEM, make_bundle(tmp_path, zip=True), grant=None)

    assert (plugin.id, plugin.enabled, plugin.granted) == ("demo", True, [])


def test_install_without_a_grant_names_the_capabilities_and_writes_nothing(
    tmp_path: Path,
) -> None:
    path = make_bundle(
        tmp_path,
        capabilities=["content:read", "email:send"],
        imports=["content_get", "email_send"],
    )
    before = registry_epoch()

    with pytest.raises(GrantRequired) as required:
        services.install(SYSTEM, path, grant=None)

    assert required.value.status == 422
    assert required.value.message == (
        "Plugin 'demo' asks for capabilities that were not granted: content:read "
        "(read all content, including drafts); email:send (send email from this "
        "site)."
    )
    assert required.value.details == {
        "plugin": "demo",
        "missing": ["content:read", "email:send"],
    }
    assert_nothing_installed(before)


def test_a_partial_grant_names_only_what_is_missing(tmp_path: Path) -> None:
    path = make_bundle(tmp_path, capabilities=["content:read", "email:send"])

    with pytest.raises(GrantRequired) as required:
        services.install(SYSTEM, path, grant=["content:read"])

    assert required.value.details["missing"] == ["email:send"]


def test_a_grant_covers_what_its_capabilities_imply(tmp_path: Path) -> None:
    plugin = install(
        tmp_path,
        capabilities=["content:write", "content:read"],
        grant=["content:write"],
    )

    assert plugin.granted == ["content:read", "content:write"]


@pytest.mark.parametrize(
    ("grant", "listed"),
    [
        (["content:read", "email:send"], "email:send"),
        (["content:read", "email:spam"], "email:spam (not a capability)"),
    ],
)
def test_a_grant_beyond_the_manifest_is_refused(
    tmp_path: Path, grant: list[str], listed: str
) -> None:
    path = make_bundle(tmp_path, capabilities=["content:read"])
    before = registry_epoch()

    with pytest.raises(GrantBeyondManifest) as beyond:
        services.install(SYSTEM, path, grant=grant)

    assert beyond.value.code == "PLUGIN_GRANT_BEYOND_MANIFEST"
    assert beyond.value.message == (
        f"The grant for plugin 'demo' names capabilities its manifest does not "
        f"declare: {listed}. A grant covers only what the manifest declares."
    )
    assert beyond.value.details["capabilities"] == [grant[1]]
    assert_nothing_installed(before)


def test_install_refuses_a_module_importing_beyond_its_manifest(
    tmp_path: Path,
) -> None:
    path = make_bundle(tmp_path, capabilities=[], imports=["http_fetch"])
    before = registry_epoch()

    with pytest.raises(ImportRefused) as refused:
        services.install(SYSTEM, path, grant=["network:request"])

    assert refused.value.details == {
        "plugin": "demo",
        "import": "emdash.http_fetch",
        "capability": "network:request",
    }
    assert_nothing_installed(before)


def test_the_site_policy_forbids_capabilities(
    tmp_path: Path, settings: Settings
) -> None:
    settings.PLUGIN_FORBIDDEN_CAPABILITIES = ["content:read", "email:send"]
    path = make_bundle(
        tmp_path, capabilities=["content:write", "email:send", "media:read"]
    )
    before = registry_epoch()

    with pytest.raises(CapabilityForbidden) as forbidden:
        services.install(
            SYSTEM, path, grant=["content:write", "email:send", "media:read"]
        )

    assert forbidden.value.code == "PLUGIN_CAPABILITY_FORBIDDEN"
    assert forbidden.value.message == (
        "Plugin 'demo' asks for capabilities this site's policy forbids: "
        "content:write (which includes content:read), email:send."
    )
    assert forbidden.value.details == {
        "plugin": "demo",
        "capabilities": ["content:write", "email:send"],
    }
    assert_nothing_installed(before)


def test_a_misspelt_policy_is_a_configuration_error(
    tmp_path: Path, settings: Settings
) -> None:
    settings.PLUGIN_FORBIDDEN_CAPABILITIES = ["network:requests"]

    with pytest.raises(ImproperlyConfigured, match="unknown capabilities: network:"):
        services.install(SYSTEM, make_bundle(tmp_path), grant=[])


def test_installing_an_installed_plugin_again_needs_replace(tmp_path: Path) -> None:
    install(tmp_path)
    before = registry_epoch()

    with pytest.raises(PluginExists) as exists:
        install(tmp_path, version="1.1.0")

    assert exists.value.status == 409
    assert exists.value.message == (
        "Plugin 'demo' is installed already (version 1.0.0); install it as a "
        "replacement to update it."
    )
    assert Plugin.objects.get().version == "1.0.0"
    assert registry_epoch() == before


# -- updates ---------------------------------------------------------------------------


def test_an_update_replaces_the_bundle_and_keeps_what_was_granted(
    tmp_path: Path,
) -> None:
    first = install(tmp_path, capabilities=["content:read"], imports=["content_get"])
    before = registry_epoch()
    newer = make_bundle(
        tmp_path,
        version="2.0.0",
        capabilities=["content:read"],
        imports=["content_get", "log"],
    )

    plugin = services.install(SYSTEM, newer, grant=None, replace=True)

    plugin.refresh_from_db()
    assert plugin.version == "2.0.0"
    assert bytes(plugin.wasm) == (newer / "plugin.wasm").read_bytes()
    assert plugin.installed_at == first.installed_at
    assert plugin.granted == ["content:read"]
    assert registry_epoch() == before + 1
    event = AuditEvent.objects.get(action="plugin.update")
    assert event.data == {
        "previous_version": "1.0.0",
        "previous_capabilities": ["content:read"],
        "version": "2.0.0",
        "capabilities": ["content:read"],
        "sha256": plugin.wasm_sha256,
    }
    assert PluginLog.objects.first().message == (
        "updated from version 1.0.0 to 2.0.0 by system"
    )


def test_an_update_asking_for_more_needs_a_new_grant(tmp_path: Path) -> None:
    install(tmp_path, capabilities=["content:read"])
    newer = make_bundle(
        tmp_path, version="2.0.0", capabilities=["content:read", "email:send"]
    )
    before = registry_epoch()

    with pytest.raises(GrantRequired) as required:
        services.install(SYSTEM, newer, grant=None, replace=True)

    assert required.value.message == (
        "Version 2.0.0 of plugin 'demo' asks for capabilities that were not "
        "granted (beyond what was granted before): email:send (send email from "
        "this site)."
    )
    assert required.value.details["missing"] == ["email:send"]
    assert Plugin.objects.get().version == "1.0.0"
    assert registry_epoch() == before

    plugin = services.install(SYSTEM, newer, grant=["email:send"], replace=True)

    assert plugin.granted == ["content:read", "email:send"]


def test_an_update_that_drops_a_capability_drops_it_from_the_grant(
    tmp_path: Path,
) -> None:
    install(tmp_path, capabilities=["content:read", "email:send"])

    plugin = services.install(
        SYSTEM,
        make_bundle(tmp_path, version="2.0.0", capabilities=["email:send"]),
        grant=[],
        replace=True,
    )

    assert plugin.granted == ["email:send"]


def test_an_update_keeps_a_disabled_plugin_disabled(tmp_path: Path) -> None:
    install(tmp_path)
    services.disable(SYSTEM, "demo")

    plugin = services.install(
        SYSTEM, make_bundle(tmp_path, version="1.0.1"), grant=None, replace=True
    )

    assert (plugin.version, plugin.enabled) == ("1.0.1", False)


def test_replace_installs_a_plugin_that_is_not_there_yet(tmp_path: Path) -> None:
    plugin = services.install(SYSTEM, make_bundle(tmp_path), grant=[], replace=True)

    assert plugin.version == "1.0.0"
    assert AuditEvent.objects.filter(action="plugin.install").count() == 1


def test_an_update_keeps_the_settings_the_new_manifest_still_accepts(
    tmp_path: Path,
) -> None:
    install(tmp_path, settings=SETTINGS)
    services.update_settings(
        SYSTEM,
        "demo",
        {
            "recipient": "ops@example.com",
            "api_key": "hunter2",
            "mode": "careful",
            "retries": 5,
            "footer": "Bye",
        },
    )
    newer_settings = {
        "recipient": SETTINGS["recipient"],
        "api_key": SETTINGS["api_key"],
        # Still a select, but "careful" is no longer an option.
        "mode": {"type": "select", "label": "Mode", "options": ["fast", "slow"]},
        # Now a string: the stored integer does not carry over.
        "retries": {"type": "string", "label": "Retries"},
    }

    plugin = services.install(
        SYSTEM,
        make_bundle(tmp_path, version="2.0.0", settings=newer_settings),
        grant=None,
        replace=True,
    )

    assert set(plugin.settings) == {"recipient", "api_key"}
    assert services.settings_for_runtime(plugin) == {
        "recipient": "ops@example.com",
        "api_key": "hunter2",
    }


# -- enabling, disabling, uninstalling -------------------------------------------------


def test_disable_and_enable_bump_the_registry_epoch(tmp_path: Path) -> None:
    install(tmp_path)
    start = registry_epoch()

    disabled = services.disable(SYSTEM, "demo")
    after_disable = registry_epoch()
    enabled = services.enable(SYSTEM, "demo")

    assert disabled.enabled is False
    assert enabled.enabled is True
    assert Plugin.objects.get().enabled is True
    assert (after_disable, registry_epoch()) == (start + 1, start + 2)
    actions = list(
        AuditEvent.objects.filter(action__in=["plugin.enable", "plugin.disable"])
        .order_by("at", "id")
        .values_list("action", "target_id", "data")
    )
    assert actions == [
        ("plugin.disable", "demo", {"version": "1.0.0"}),
        ("plugin.enable", "demo", {"version": "1.0.0"}),
    ]
    assert [record.message for record in services.logs(SYSTEM, "demo")] == [
        "enabled by system",
        "disabled by system",
        "installed version 1.0.0 by system",
    ]


def test_enabling_an_enabled_plugin_changes_nothing(tmp_path: Path) -> None:
    install(tmp_path)
    start = registry_epoch()

    services.enable(SYSTEM, "demo")

    assert registry_epoch() == start
    assert not AuditEvent.objects.filter(action="plugin.enable").exists()


def test_enable_is_refused_when_the_policy_now_forbids_a_capability(
    tmp_path: Path, settings: Settings
) -> None:
    install(tmp_path, capabilities=["email:send"])
    services.disable(SYSTEM, "demo")
    settings.PLUGIN_FORBIDDEN_CAPABILITIES = ["email:send"]

    with pytest.raises(CapabilityForbidden, match="forbids: email:send"):
        services.enable(SYSTEM, "demo")

    assert Plugin.objects.get().enabled is False


@pytest.mark.parametrize(
    "operation",
    [services.enable, services.disable, services.get_plugin],
)
def test_an_unknown_plugin_is_not_found(operation: Any) -> None:
    with pytest.raises(PluginNotFound) as missing:
        operation(SYSTEM, "ghost")

    assert (missing.value.code, missing.value.status) == ("PLUGIN_NOT_FOUND", 404)
    assert missing.value.message == "No plugin 'ghost' is installed."


def make_data(plugin_id: str) -> None:
    PluginValue.objects.create(plugin_id=plugin_id, key="count", value=3)
    PluginDocument.objects.create(
        plugin_id=plugin_id, collection="events", document_id="1", data={"a": 1}
    )
    services.record_log(plugin_id, "warning", "something odd")


def test_uninstall_deletes_the_plugin_and_its_data(tmp_path: Path) -> None:
    install(tmp_path)
    install(tmp_path, id="other")
    make_data("demo")
    make_data("other")
    start = registry_epoch()

    removed = services.uninstall(SYSTEM, "demo", keep_data=False)

    assert (removed.id, removed.version) == ("demo", "1.0.0")
    assert list(Plugin.objects.values_list("id", flat=True)) == ["other"]
    for model in (PluginValue, PluginDocument, PluginLog):
        assert not model.objects.filter(plugin_id="demo").exists()
        assert model.objects.filter(plugin_id="other").exists()
    assert registry_epoch() == start + 1
    event = AuditEvent.objects.get(action="plugin.uninstall")
    assert event.data == {
        "version": "1.0.0",
        "keep_data": False,
        "deleted": {"values": 1, "documents": 1, "logs": 2},
    }
    with pytest.raises(PluginNotFound):
        services.logs(SYSTEM, "demo")


def test_uninstall_can_keep_the_data_for_a_reinstall(tmp_path: Path) -> None:
    install(tmp_path)
    make_data("demo")

    services.uninstall(SYSTEM, "demo", keep_data=True)

    assert not Plugin.objects.exists()
    assert PluginValue.objects.filter(plugin_id="demo").count() == 1
    assert PluginDocument.objects.filter(plugin_id="demo").count() == 1
    assert [record.message for record in services.logs(SYSTEM, "demo")] == [
        "uninstalled version 1.0.0 by system; its data was kept",
        "something odd",
        "installed version 1.0.0 by system",
    ]
    assert AuditEvent.objects.get(action="plugin.uninstall").data == {
        "version": "1.0.0",
        "keep_data": True,
        "deleted": {},
    }

    install(tmp_path)

    assert PluginValue.objects.get(plugin_id="demo").value == 3


def test_uninstalling_an_unknown_plugin_is_not_found() -> None:
    with pytest.raises(PluginNotFound):
        services.uninstall(SYSTEM, "ghost", keep_data=False)

    assert not AuditEvent.objects.exists()


# -- logs ------------------------------------------------------------------------------


def test_logs_are_newest_first_and_limited(tmp_path: Path) -> None:
    install(tmp_path)
    services.record_log(
        "demo", "error", "boom", hook="content:beforeSave", data={"a": 1}
    )
    services.record_log("demo", "debug", "details")

    newest = services.logs(SYSTEM, "demo", limit=2)

    assert [(r.level, r.hook, r.message, r.data) for r in newest] == [
        ("debug", "", "details", {}),
        ("error", "content:beforeSave", "boom", {"a": 1}),
    ]


@pytest.mark.parametrize("limit", [0, 501])
def test_a_log_limit_out_of_range_is_refused(tmp_path: Path, limit: int) -> None:
    install(tmp_path)

    with pytest.raises(ValidationFailed) as invalid:
        services.logs(SYSTEM, "demo", limit=limit)

    assert invalid.value.fields == {"limit": "must be between 1 and 500"}


def test_record_log_refuses_an_unknown_level() -> None:
    with pytest.raises(ValueError, match="unknown log level 'fatal'"):
        services.record_log("demo", "fatal", "no")


def test_record_log_caps_the_message_and_keeps_only_the_newest_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "MAX_LOGS_KEPT", 3)
    for number in range(5):
        services.record_log("demo", "info", f"line {number}")
    services.record_log("other", "info", "x" * 10_000)

    kept = PluginLog.objects.filter(plugin_id="demo")
    assert [record.message for record in kept] == ["line 4", "line 3", "line 2"]
    assert len(PluginLog.objects.get(plugin_id="other").message) == 8192


def test_record_logs_stores_a_batch_and_refuses_it_whole_on_a_bad_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "MAX_LOGS_KEPT", 2)
    LogEntry = services.LogEntry

    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        services.record_logs(
            [LogEntry("demo", "info", "fine"), LogEntry("demo", "loud", "no")]
        )
    stored = services.record_logs(
        [
            LogEntry("demo", "info", "one"),
            LogEntry("other", "error", "failed", hook="cron", data={"reason": "fuel"}),
            LogEntry("demo", "info", "two"),
            LogEntry("demo", "info", "three"),
        ]
    )

    assert len(stored) == 4
    assert sorted(PluginLog.objects.values_list("plugin_id", "message")) == [
        ("demo", "three"),
        ("demo", "two"),
        ("other", "failed"),
    ]
    assert PluginLog.objects.get(plugin_id="other").data == {"reason": "fuel"}


# -- settings --------------------------------------------------------------------------


def stored_settings_text(plugin_id: str) -> str:
    """The settings column as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT settings FROM {Plugin._meta.db_table} WHERE id = %s",  # noqa: S608
            [plugin_id],
        )
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)


def test_settings_are_checked_and_secrets_encrypted_at_rest(tmp_path: Path) -> None:
    install(tmp_path, settings=SETTINGS)
    start = registry_epoch()

    plugin = services.update_settings(
        SYSTEM,
        "demo",
        {
            "recipient": "ops@example.com",
            "api_key": "hunter2-very-secret",
            "ratio": 0.5,
            "verbose": True,
            "endpoint": "https://hooks.example.com/in",
        },
    )

    assert "hunter2-very-secret" not in stored_settings_text("demo")
    assert plugin.settings["api_key"] != "hunter2-very-secret"
    assert services.settings_for_display(plugin) == {
        "recipient": "ops@example.com",
        "api_key": "set",
        "mode": "fast",
        "retries": 3,
        "ratio": 0.5,
        "verbose": True,
        "endpoint": "https://hooks.example.com/in",
        "footer": None,
    }
    assert services.settings_for_runtime(Plugin.objects.get()) == {
        "recipient": "ops@example.com",
        "api_key": "hunter2-very-secret",
        "mode": "fast",
        "retries": 3,
        "ratio": 0.5,
        "verbose": True,
        "endpoint": "https://hooks.example.com/in",
    }
    assert registry_epoch() == start + 1
    event = AuditEvent.objects.get(action="plugin.settings")
    assert event.data == {
        "changed": ["api_key", "endpoint", "ratio", "recipient", "verbose"]
    }
    assert "hunter2" not in json.dumps(event.data)


def test_null_removes_a_setting_and_other_keys_stay(tmp_path: Path) -> None:
    install(tmp_path, settings=SETTINGS)
    services.update_settings(
        SYSTEM, "demo", {"recipient": "a@example.com", "api_key": "k", "footer": "F"}
    )

    plugin = services.update_settings(SYSTEM, "demo", {"api_key": None})

    assert services.settings_for_display(plugin)["api_key"] == "unset"
    assert services.settings_for_runtime(plugin) == {
        "recipient": "a@example.com",
        "footer": "F",
        "mode": "fast",
        "retries": 3,
    }


@pytest.mark.parametrize(
    ("values", "problems"),
    [
        (
            {"recipient": "not-an-address"},
            {"recipient": "must be a valid email address"},
        ),
        ({"mode": "reckless"}, {"mode": "must be one of: fast, careful"}),
        ({"retries": 2.5}, {"retries": "must be an integer"}),
        ({"retries": True}, {"retries": "must be an integer"}),
        ({"ratio": "half"}, {"ratio": "must be a number"}),
        ({"verbose": "yes"}, {"verbose": "must be true or false"}),
        ({"endpoint": "ftp://example.com/"}, {"endpoint": "must be an http(s) URL"}),
        ({"footer": "x" * 10_001}, {"footer": "must be at most 10000 characters"}),
        (
            {"api_key": ""},
            {"api_key": "must not be empty (send null to remove it)"},
        ),
        (
            {"colour": "red"},
            {
                "colour": "unknown setting (this plugin has: api_key, endpoint, "
                "footer, mode, ratio, recipient, retries, verbose)"
            },
        ),
        ({"recipient": None}, {"recipient": "is required"}),
    ],
)
def test_bad_settings_are_refused_naming_each_key(
    tmp_path: Path, values: dict[str, Any], problems: dict[str, str]
) -> None:
    install(tmp_path, settings=SETTINGS)
    services.update_settings(SYSTEM, "demo", {"recipient": "ops@example.com"})
    start = registry_epoch()

    with pytest.raises(SettingsInvalid) as invalid:
        services.update_settings(SYSTEM, "demo", values)

    assert invalid.value.code == "PLUGIN_SETTINGS_INVALID"
    assert invalid.value.fields == problems
    assert Plugin.objects.get().settings == {"recipient": "ops@example.com"}
    assert registry_epoch() == start


def test_a_required_setting_must_be_given_with_the_first_values(
    tmp_path: Path,
) -> None:
    install(tmp_path, settings=SETTINGS)

    with pytest.raises(SettingsInvalid) as invalid:
        services.update_settings(SYSTEM, "demo", {"footer": "F"})

    assert invalid.value.fields == {"recipient": "is required"}


def test_a_secret_copied_to_another_plugin_does_not_decrypt_there(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    install(tmp_path, settings=SETTINGS)
    install(tmp_path, id="thief", settings=SETTINGS)
    services.update_settings(
        SYSTEM, "demo", {"recipient": "a@example.com", "api_key": "hunter2"}
    )
    Plugin.objects.filter(pk="thief").update(
        settings=Plugin.objects.get(pk="demo").settings
    )

    values = services.settings_for_runtime(Plugin.objects.get(pk="thief"))

    assert "api_key" not in values
    assert "the secret api_key of plugin 'thief'" in caplog.text


def test_secrets_survive_a_secret_key_rotation_with_a_fallback(
    tmp_path: Path, settings: Settings
) -> None:
    install(tmp_path, settings=SETTINGS)
    services.update_settings(
        SYSTEM, "demo", {"recipient": "a@example.com", "api_key": "hunter2"}
    )
    old_key = settings.SECRET_KEY

    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    without_fallback = services.settings_for_runtime(Plugin.objects.get())
    settings.SECRET_KEY_FALLBACKS = [old_key]
    with_fallback = services.settings_for_runtime(Plugin.objects.get())

    assert "api_key" not in without_fallback
    assert with_fallback["api_key"] == "hunter2"


def test_settings_must_be_an_object(tmp_path: Path) -> None:
    install(tmp_path, settings=SETTINGS)

    with pytest.raises(SettingsInvalid, match="must be an object of setting keys"):
        services.update_settings(SYSTEM, "demo", ["recipient"])  # type: ignore[arg-type]


# -- permissions -----------------------------------------------------------------------


@pytest.fixture
def editor() -> Actor:
    return make_role_actor("editor")


def test_an_editor_may_read_plugins(tmp_path: Path, editor: Actor) -> None:
    install(tmp_path)

    assert [plugin.id for plugin in services.list_plugins(editor)] == ["demo"]
    assert services.get_plugin(editor, "demo").version == "1.0.0"
    assert len(services.logs(editor, "demo")) == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda actor, path: services.install(actor, path, grant=[]),
        lambda actor, path: services.install(actor, path, grant=[], replace=True),
        lambda actor, path: services.disable(actor, "demo"),
        lambda actor, path: services.enable(actor, "demo"),
        lambda actor, path: services.uninstall(actor, "demo", keep_data=False),
        lambda actor, path: services.update_settings(actor, "demo", {"footer": "F"}),
    ],
    ids=["install", "update", "disable", "enable", "uninstall", "settings"],
)
def test_an_editor_may_not_change_plugins(
    tmp_path: Path, editor: Actor, change: Any
) -> None:
    install(tmp_path, settings={"footer": SETTINGS["footer"]})
    path = make_bundle(tmp_path, version="2.0.0")
    plugin_before = Plugin.objects.values().get()
    start = registry_epoch()
    events = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied) as denied:
        change(editor, path)

    assert (denied.value.code, denied.value.status) == ("FORBIDDEN", 403)
    assert denied.value.details == {"permission": "plugins:manage"}
    assert Plugin.objects.values().get() == plugin_before
    assert registry_epoch() == start
    assert AuditEvent.objects.count() == events


def test_a_subscriber_may_not_read_plugins(tmp_path: Path) -> None:
    subscriber = make_role_actor("subscriber")

    for read in (
        lambda: services.list_plugins(subscriber),
        lambda: services.get_plugin(subscriber, "demo"),
        lambda: services.logs(subscriber, "demo"),
    ):
        with pytest.raises(PermissionDenied) as denied:
            read()
        assert denied.value.details == {"permission": "plugins:read"}
    with pytest.raises(Unauthenticated):
        services.list_plugins(ANONYMOUS)


def test_module_wasm_helper_imports_what_it_is_told() -> None:
    from emdash.plugins.sandbox.engine import compile_module

    module = compile_module(module_wasm(imports=["log", "kv_get"]))

    assert [(item.module, item.name) for item in module.imports] == [
        ("emdash", "log"),
        ("emdash", "kv_get"),
    ]
