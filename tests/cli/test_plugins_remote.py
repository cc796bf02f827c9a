"""`emdash plugin ...` on a remote site: the same commands through the REST API
(/_emdash/api/admin/plugins on pytest-django's live server, on the same database
as the local transport), printing what they print locally."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from emdash.plugins import services
from emdash.plugins.models import Plugin, PluginValue
from tests.cli.conftest import emdash, fails, json_of, ok, url_and_token
from tests.cli.test_plugins import (
    ALREADY_INSTALLED,
    UPDATE_CONSENT,
    UPDATE_NEEDS_GRANT,
    UPDATED,
)
from tests.plugins.bundles import MAIL_PLUGIN, make_bundle

pytestmark = pytest.mark.django_db(transaction=True)


def without_times(plugin: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in plugin.items() if k not in {"installed_at", "updated_at"}}


def test_install_over_http_prints_what_a_local_install_prints(
    tmp_path: Path, remote: list[str]
) -> None:
    folder = make_bundle(tmp_path, **MAIL_PLUGIN)
    grant = ["--grant", "content:read,email:send"]

    over_http = ok("plugin", "install", str(folder), *grant, *remote)
    installed_remotely = Plugin.objects.get()
    ok("plugin", "uninstall", "demo", "--yes")
    local = ok("plugin", "install", str(folder), *grant)

    assert over_http == local
    assert over_http.startswith("Plugin demo 1.0.0 (Demo plugin) asks to:\n")
    assert installed_remotely.granted == ["content:read", "email:send"]
    assert installed_remotely.installed_by == "token cli"


def test_install_json_over_http_prints_the_plugin(
    tmp_path: Path, remote: list[str]
) -> None:
    archive = make_bundle(tmp_path, zip=True, **MAIL_PLUGIN)
    grant = ["--grant", "email:send", "--grant", "content:read"]

    over_http = emdash("plugin", "install", str(archive), *grant, "--json", *remote)
    ok("plugin", "uninstall", "demo", "--yes")
    local = emdash("plugin", "install", str(archive), *grant, "--json")

    assert over_http.exit_code == 0, over_http.output
    assert over_http.stderr == local.stderr
    assert without_times(json.loads(over_http.stdout)) == without_times(
        json.loads(local.stdout)
    )


@pytest.mark.parametrize(
    ("bundle", "extra"),
    [
        (MAIL_PLUGIN, []),
        (MAIL_PLUGIN, ["--grant", "content:read"]),
        (MAIL_PLUGIN, ["--grant", "content:read,email:send,users:read"]),
        ({"capabilities": ["content:read"], "imports": ["email_send"]}, []),
    ],
    ids=["no grant", "partial grant", "beyond the manifest", "import refused"],
)
@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["plain", "json"])
def test_a_refused_install_fails_the_same_over_http(
    tmp_path: Path,
    remote: list[str],
    bundle: dict[str, Any],
    extra: list[str],
    mode: list[str],
) -> None:
    folder = str(make_bundle(tmp_path, **bundle))

    over_http = fails("plugin", "install", folder, *extra, *mode, *remote)
    local = fails("plugin", "install", folder, *extra, *mode)

    assert (over_http.stdout, over_http.stderr) == (local.stdout, local.stderr)
    assert "PLUGIN_" in over_http.stderr
    assert not Plugin.objects.exists()


def test_a_bundle_that_cannot_be_read_is_refused_before_any_upload(
    tmp_path: Path, remote: list[str]
) -> None:
    over_http = fails("plugin", "install", str(tmp_path / "nowhere"), *remote)

    assert over_http.stderr == (
        "error: BUNDLE_INVALID: Invalid plugin bundle 'nowhere': nowhere does not "
        "exist. (nowhere: does not exist)\n"
    )


def test_an_update_over_http_needs_replace_and_a_grant_for_the_new(
    tmp_path: Path, remote: list[str]
) -> None:
    first = make_bundle(tmp_path, capabilities=["content:read"])
    ok("plugin", "install", str(first), "--grant", "content:read", *remote)
    newer = str(
        make_bundle(
            tmp_path, version="2.0.0", capabilities=["content:read", "email:send"]
        )
    )

    again = fails("plugin", "install", newer, "--grant", "content:read", *remote)
    ungranted = fails("plugin", "install", newer, "--replace", *remote)
    updated = ok(
        "plugin", "install", newer, "--replace", "--grant", "email:send", *remote
    )

    assert again.stderr == ALREADY_INSTALLED
    assert ungranted.stdout == UPDATE_CONSENT
    assert ungranted.stderr == UPDATE_NEEDS_GRANT
    assert updated == UPDATE_CONSENT + UPDATED
    assert Plugin.objects.get().version == "2.0.0"


@pytest.mark.parametrize("mode", [["--json"], []], ids=["json", "plain"])
def test_list_logs_and_validate_print_the_same_bytes(
    tmp_path: Path, remote: list[str], mode: list[str]
) -> None:
    folder = str(make_bundle(tmp_path, **MAIL_PLUGIN))
    ok("plugin", "install", str(make_bundle(tmp_path, id="zeta")))
    ok("plugin", "install", folder, "--grant", "content:read,email:send")
    ok("plugin", "disable", "zeta")
    services.record_log("demo", "error", "it broke", hook="content:afterPublish")

    for command in [
        ["plugin", "list"],
        ["plugin", "logs", "demo"],
        ["plugin", "logs", "demo", "--limit", "1"],
        ["plugin", "logs", "demo", "--level", "error"],
        ["plugin", "validate", folder],
    ]:
        local = ok(*command, *mode)
        over_http = ok(*command, *mode, *remote)

        assert over_http == local, command
        assert local.strip(), command


def test_enable_disable_and_uninstall_over_http(
    tmp_path: Path, remote: list[str]
) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path)))
    PluginValue.objects.create(plugin_id="demo", key="count", value=1)

    disabled = ok("plugin", "disable", "demo", *remote)
    enabled = json_of("plugin", "enable", "demo", *remote)
    kept = ok("plugin", "uninstall", "demo", "--keep-data", "--yes", *remote)

    assert disabled == "Plugin demo 1.0.0 is disabled.\n"
    assert (enabled["id"], enabled["enabled"]) == ("demo", True)
    assert kept == "Uninstalled plugin demo 1.0.0; its data was kept for a reinstall.\n"
    assert PluginValue.objects.filter(plugin_id="demo").exists()

    ok("plugin", "install", str(make_bundle(tmp_path)))
    removed = json_of("plugin", "uninstall", "demo", "--yes", *remote)

    assert (removed["id"], removed["version"]) == ("demo", "1.0.0")
    assert not Plugin.objects.exists()
    # As locally: without --keep-data the data goes, whatever the API's default.
    assert not PluginValue.objects.exists()


def test_remote_errors_read_as_they_do_locally(remote: list[str]) -> None:
    for command in [
        ["plugin", "enable", "ghost"],
        ["plugin", "logs", "ghost"],
        ["plugin", "logs", "ghost", "--limit", "0"],
        ["plugin", "uninstall", "ghost", "--yes"],
    ]:
        assert fails(*command, *remote).stderr == fails(*command).stderr, command


def test_a_token_without_the_admin_scope_is_refused(
    tmp_path: Path, live_server: LiveServer
) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path, id="zeta")))
    reader = url_and_token(live_server, "content:write")
    anonymous = ["--url", live_server.url]

    listed = fails("plugin", "list", *reader)
    installing = fails("plugin", "install", str(make_bundle(tmp_path)), *reader)
    disabling = fails("plugin", "disable", "zeta", *anonymous)

    assert listed.stderr == (
        "error: FORBIDDEN: token cli lacks the permission plugins:read.\n"
    )
    assert installing.stderr == (
        "error: FORBIDDEN: token cli lacks the permission plugins:manage.\n"
    )
    assert disabling.stderr.startswith("error: UNAUTHENTICATED: ")
    assert list(Plugin.objects.values_list("id", "enabled")) == [("zeta", True)]


def test_a_remote_install_needs_no_local_site(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path)
    code = (
        "from typer.testing import CliRunner\n"
        "from django.conf import settings\n"
        "from emdash.cli import app\n"
        f"args = ['plugin', 'install', {str(folder)!r}, '--url', 'http://127.0.0.1:9']\n"
        "result = CliRunner().invoke(app, args)\n"
        "print(result.stderr, settings.configured)\n"
    )

    ran = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert ran.stdout.startswith(
        "error: UNREACHABLE: Could not reach http://127.0.0.1:9"
    )
    assert ran.stdout.endswith(" False\n")


# -- settings ------------------------------------------------------------------------

SETTINGS: dict[str, Any] = {
    "contact": {"type": "email", "label": "Contact address", "required": True},
    "mode": {
        "type": "select", "label": "Mode", "options": ["fast", "slow"],
        "default": "fast",
    },
    "api_key": {"type": "secret", "label": "API key"},
    "limit": {"type": "integer", "label": "Most entries", "default": 10},
    "ratio": {"type": "number", "label": "Ratio"},
    "active": {"type": "boolean", "label": "Active"},
}  # fmt: skip
SET_EVERY_TYPE = [
    "--set", "contact=ops@example.com", "--set", "mode=slow", "--set", "api_key=s3cret",
    "--set", "limit=25", "--set", "ratio=0.75", "--set", "active=yes",
]  # fmt: skip


@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["plain", "json"])
def test_settings_over_http_print_what_they_print_locally(
    tmp_path: Path, remote: list[str], mode: list[str]
) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path, settings=SETTINGS)))

    shown_over_http = ok("plugin", "settings", "demo", *mode, *remote)
    shown_locally = ok("plugin", "settings", "demo", *mode)
    set_over_http = ok("plugin", "settings", "demo", *SET_EVERY_TYPE, *mode, *remote)
    stored_over_http = services.settings_for_runtime(Plugin.objects.get())
    set_locally = ok("plugin", "settings", "demo", *SET_EVERY_TYPE, *mode)

    assert shown_over_http == shown_locally
    assert "contact" in shown_locally
    if mode:
        # Each set moves updated_at on.
        assert without_times(json.loads(set_over_http)) == without_times(
            json.loads(set_locally)
        )
    else:
        assert set_over_http == set_locally
    assert "s3cret" not in set_over_http
    assert stored_over_http == {
        "contact": "ops@example.com", "mode": "slow", "api_key": "s3cret",
        "limit": 25, "ratio": 0.75, "active": True,
    }  # fmt: skip
    assert [type(stored_over_http[key]) for key in ("limit", "ratio", "active")] == [
        int,
        float,
        bool,
    ]


def test_refused_settings_read_the_same_over_http_and_change_nothing(
    tmp_path: Path, remote: list[str]
) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path, settings=SETTINGS)))
    ok("plugin", "settings", "demo", "--set", "contact=ops@example.com")
    before = Plugin.objects.get().settings

    # The good value given with the bad one is not stored either.
    refused = fails(
        "plugin", "settings", "demo", "--set", "limit=ten", "--set", "mode=slow",
        *remote,
    )  # fmt: skip
    assert refused.stderr == (
        "error: PLUGIN_SETTINGS_INVALID: The settings of plugin 'demo' are invalid: "
        "limit: must be an integer.\n"
    )
    for command in [
        ["plugin", "settings", "demo", "--set", "limit=ten", "--set", "mode=slow"],
        ["plugin", "settings", "demo", "--set", "ratio=abc"],
        ["plugin", "settings", "demo", "--set", "active=maybe"],
        ["plugin", "settings", "demo", "--set", "colour=red"],
        ["plugin", "settings", "demo", "--set", "contact="],
        ["plugin", "settings", "ghost"],
        ["plugin", "settings", "ghost", "--set", "mode=slow"],
    ]:
        for mode in [[], ["--json"]]:
            over_http = fails(*command, *mode, *remote)
            local = fails(*command, *mode)

            assert over_http.stderr == local.stderr, command
    assert Plugin.objects.get().settings == before


def test_reading_settings_needs_plugins_read_and_changing_them_plugins_manage(
    tmp_path: Path, live_server: LiveServer
) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path, settings=SETTINGS)))
    reader = url_and_token(live_server, "plugins:read")
    writer = url_and_token(live_server, "content:write")

    shown = ok("plugin", "settings", "demo", *reader)
    changing = fails("plugin", "settings", "demo", "--set", "mode=slow", *reader)
    reading = fails("plugin", "settings", "demo", *writer)

    assert shown == ok("plugin", "settings", "demo")
    assert changing.stderr == (
        "error: FORBIDDEN: token cli lacks the permission plugins:manage.\n"
    )
    assert reading.stderr == (
        "error: FORBIDDEN: token cli lacks the permission plugins:read.\n"
    )
    assert Plugin.objects.get().settings == {}
