"""Lifecycle hooks: a plugin hears of its own install, update, enable, disable and
uninstall (and no other plugin's), and its failures are logged without undoing
anything."""

from pathlib import Path
from typing import Any

import pytest

from emdash.core.actors import SYSTEM
from emdash.plugins import services
from emdash.plugins.models import Plugin, PluginLog, PluginValue
from emdash.plugins.runtime import run_lifecycle
from tests.plugins.bundles import make_bundle
from tests.plugins.sandbox.wat import CONSTANTS_AT, data, plugin

pytestmark = pytest.mark.django_db

INSTALL, ACTIVATE = "plugin:install", "plugin:activate"
DEACTIVATE, UNINSTALL = "plugin:deactivate", "plugin:uninstall"
LIFECYCLE = (INSTALL, ACTIVATE, DEACTIVATE, UNINSTALL)

_KEY, _VALUE = '{"key":"', '","value":'
# Stores its whole input under the hook's name: kv_set({"key": hook, "value": input}).
RECORDER = plugin(
    f"""
    (local.set $n (i32.add (i32.add (local.get $hl) (local.get $il))
                           (i32.const {len(_KEY) + len(_VALUE) + 1})))
    (local.set $request (call $alloc (local.get $n)))
    (memory.copy (local.get $request) (i32.const {CONSTANTS_AT})
                 (i32.const {len(_KEY)}))
    (local.set $at (i32.add (local.get $request) (i32.const {len(_KEY)})))
    (memory.copy (local.get $at) (local.get $hp) (local.get $hl))
    (local.set $at (i32.add (local.get $at) (local.get $hl)))
    (memory.copy (local.get $at) (i32.const {CONSTANTS_AT + 16})
                 (i32.const {len(_VALUE)}))
    (local.set $at (i32.add (local.get $at) (i32.const {len(_VALUE)})))
    (memory.copy (local.get $at) (local.get $ip) (local.get $il))
    (i32.store8 (i32.add (local.get $at) (local.get $il)) (i32.const 125))
    (drop (call $kv_set (local.get $request) (local.get $n)))
    (i64.const 0)
    """,
    imports='(import "emdash" "kv_set" (func $kv_set (param i32 i32) (result i64)))',
    locals_="(local $n i32) (local $request i32) (local $at i32)",
    extra=f"""
    (data (i32.const {CONSTANTS_AT}) {data(_KEY)})
    (data (i32.const {CONSTANTS_AT + 16}) {data(_VALUE)})
    """,
)
TRAPPING = plugin("unreachable")
SETTINGS = {"greeting": {"type": "text", "label": "Greeting", "default": "hello"}}


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    """Run on-commit callbacks as a real commit would (the test's transaction
    never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def install(
    tmp_path: Path,
    run_on_commit: Any,
    plugin_id: str = "recorder",
    *,
    hooks: tuple[str, ...] = LIFECYCLE,
    wasm: bytes = RECORDER,
    version: str = "1.0.0",
    replace: bool = False,
) -> Plugin:
    bundle = make_bundle(
        tmp_path,
        id=plugin_id,
        version=version,
        hooks={hook: {} for hook in hooks},
        wasm=wasm,
        settings=SETTINGS,
    )
    with run_on_commit():
        return services.install(SYSTEM, bundle, grant=[], replace=replace)


def recorded(plugin_id: str = "recorder") -> dict[str, Any]:
    """The hooks the plugin recorded, each with the input it was given."""
    return dict(
        PluginValue.objects.filter(plugin_id=plugin_id).values_list("key", "value")
    )


def heard(plugin_id: str = "recorder") -> list[str]:
    """The hooks the plugin recorded, forgetting them for the next step."""
    hooks = sorted(recorded(plugin_id))
    PluginValue.objects.filter(plugin_id=plugin_id).delete()
    return hooks


def input_of(hook: str, version: str = "1.0.0") -> dict[str, Any]:
    return {
        "hook": hook,
        "plugin": {"id": "recorder", "version": version},
        "settings": {"greeting": "hello"},
    }


def errors_of(plugin_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (log.hook, log.message, log.data)
        for log in PluginLog.objects.filter(
            plugin_id=plugin_id, level="error"
        ).order_by("at", "id")
    ]


def test_an_install_runs_install_then_activate_with_the_plugin_and_its_settings(
    tmp_path, run_on_commit
):
    install(tmp_path, run_on_commit)

    assert recorded() == {INSTALL: input_of(INSTALL), ACTIVATE: input_of(ACTIVATE)}
    assert not errors_of("recorder")


def test_disable_enable_and_update_tell_the_plugin(tmp_path, run_on_commit):
    install(tmp_path, run_on_commit)
    heard()

    with run_on_commit():
        services.disable(SYSTEM, "recorder")
    # Called although it is now disabled, so that it can clean up.
    assert recorded() == {DEACTIVATE: input_of(DEACTIVATE)}
    heard()

    with run_on_commit():
        services.disable(SYSTEM, "recorder")
    assert heard() == [], "disabling a disabled plugin changes nothing"

    with run_on_commit():
        services.enable(SYSTEM, "recorder")
    assert heard() == [ACTIVATE]

    install(tmp_path, run_on_commit, version="2.0.0", replace=True)
    assert recorded() == {ACTIVATE: input_of(ACTIVATE, version="2.0.0")}
    heard()

    with run_on_commit():
        services.disable(SYSTEM, "recorder")
    heard()
    install(tmp_path, run_on_commit, version="3.0.0", replace=True)
    assert heard() == [], "a disabled plugin's update activates nothing"


def test_uninstall_runs_before_the_plugin_and_its_data_go(tmp_path, run_on_commit):
    install(tmp_path, run_on_commit)
    heard()

    services.uninstall(SYSTEM, "recorder", keep_data=True)

    assert not Plugin.objects.exists()
    # Written while the plugin was still installed, and kept with its data.
    assert recorded() == {UNINSTALL: input_of(UNINSTALL)}


def test_a_full_uninstall_also_deletes_what_the_uninstall_hook_wrote(
    tmp_path, run_on_commit
):
    install(tmp_path, run_on_commit)

    services.uninstall(SYSTEM, "recorder", keep_data=False)

    assert not Plugin.objects.exists()
    assert recorded() == {}


def test_a_plugin_hears_only_the_lifecycle_hooks_it_declares(tmp_path, run_on_commit):
    install(tmp_path, run_on_commit, hooks=(INSTALL,))
    assert heard() == [INSTALL]

    with run_on_commit():
        services.disable(SYSTEM, "recorder")
        services.enable(SYSTEM, "recorder")
    services.uninstall(SYSTEM, "recorder", keep_data=True)

    assert heard() == []


def test_other_plugins_declaring_the_hooks_are_not_called(tmp_path, run_on_commit):
    install(tmp_path, run_on_commit, "recorder")
    heard("recorder")

    install(tmp_path, run_on_commit, "other")
    with run_on_commit():
        services.disable(SYSTEM, "other")
        services.enable(SYSTEM, "other")
    services.uninstall(SYSTEM, "other", keep_data=True)

    assert heard("other") == [ACTIVATE, DEACTIVATE, INSTALL, UNINSTALL]
    assert heard("recorder") == []


def test_a_trapping_install_hook_is_logged_and_the_install_stands(
    tmp_path, run_on_commit
):
    install(tmp_path, run_on_commit, "breaks", hooks=(INSTALL,), wasm=TRAPPING)

    plugin = Plugin.objects.get(pk="breaks")
    assert plugin.enabled
    [(hook, message, details)] = errors_of("breaks")
    assert hook == INSTALL
    assert message.startswith("failed in plugin:install (trap): ")
    assert details == {"reason": "trap", "on_error": "continue"}


def test_failing_disable_and_uninstall_hooks_are_logged_and_change_nothing(
    tmp_path, run_on_commit
):
    install(
        tmp_path, run_on_commit, "breaks", hooks=(DEACTIVATE, UNINSTALL), wasm=TRAPPING
    )

    with run_on_commit():
        services.disable(SYSTEM, "breaks")
    assert not Plugin.objects.get(pk="breaks").enabled
    services.uninstall(SYSTEM, "breaks", keep_data=True)

    assert not Plugin.objects.exists()
    assert [(hook, details["reason"]) for hook, _, details in errors_of("breaks")] == [
        (DEACTIVATE, "trap"),
        (UNINSTALL, "trap"),
    ]


def test_only_lifecycle_hooks_can_be_run_as_such(tmp_path, run_on_commit):
    plugin = install(tmp_path, run_on_commit)

    with pytest.raises(ValueError, match="unknown lifecycle hook 'content:afterSave'"):
        run_lifecycle(plugin, "content:afterSave")
