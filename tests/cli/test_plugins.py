"""`emdash plugin ...` on the local site: the install contract (grants, exit codes,
what stderr names), validate, list, enable, disable, uninstall, logs and build."""

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from emdash.api import api
from emdash.cli import app
from emdash.cli.plugins import plugin_operations
from emdash.core import epoch
from emdash.core.models import AuditEvent
from emdash.plugins import services
from emdash.plugins.models import Plugin, PluginLog, PluginValue
from tests.cli.conftest import emdash, fails, json_of, ok
from tests.plugins.bundles import make_bundle

pytestmark = pytest.mark.django_db

MAIL_PLUGIN: dict[str, Any] = {
    "capabilities": ["content:read", "email:send"],
    "imports": ["content_get", "email_send"],
    "hooks": {"content:afterPublish": {}},
}
CONSENT = (
    "Plugin demo 1.0.0 (Demo plugin) asks to:\n"
    "  content:read  Read all content, including drafts\n"
    "  email:send    Send email from this site\n"
)


def registry_epoch() -> int:
    return epoch.current(services.REGISTRY_EPOCH).value


def usage_error(stderr: str) -> str:
    """The message of a usage error (exit 2), out of the box it is drawn in."""
    return " ".join(stderr.replace("│", " ").split())


# -- install -------------------------------------------------------------------------


def test_install_shows_the_capabilities_then_installs_with_the_grant(
    tmp_path: Path,
) -> None:
    path = make_bundle(tmp_path, **MAIL_PLUGIN)

    printed = ok("plugin", "install", str(path), "--grant", "content:read,email:send")

    assert printed == CONSENT + (
        "Installed plugin demo 1.0.0; it is enabled. Capabilities granted: "
        "content:read, email:send.\n"
    )
    plugin = Plugin.objects.get()
    assert (plugin.id, plugin.enabled, plugin.granted) == (
        "demo",
        True,
        ["content:read", "email:send"],
    )
    assert plugin.installed_by == "system"


def test_install_json_prints_the_plugin_and_the_capabilities_on_stderr(
    tmp_path: Path,
) -> None:
    path = make_bundle(tmp_path, zip=True, **MAIL_PLUGIN)

    result = emdash(
        "plugin", "install", str(path), "--json",
        "--grant", "email:send", "--grant", " content:read ",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.stderr == CONSENT
    installed = json.loads(result.stdout)
    assert {key: installed[key] for key in ("id", "version", "enabled")} == {
        "id": "demo",
        "version": "1.0.0",
        "enabled": True,
    }
    assert installed["capabilities"] == ["content:read", "email:send"]
    assert installed["hooks"] == ["content:afterPublish"]
    assert set(installed) == {
        "id", "name", "version", "enabled", "capabilities", "description",
        "author", "license", "hooks", "routes", "installed_at", "updated_at",
    }  # fmt: skip


BOTH_MISSING = (
    "error: PLUGIN_GRANT_REQUIRED: Plugin 'demo' asks for capabilities that were "
    "not granted: content:read (read all content, including drafts); email:send "
    "(send email from this site). Grant them with --grant content:read,email:send.\n"
)


@pytest.mark.parametrize(
    ("extra", "stderr"),
    [
        ([], BOTH_MISSING),
        (["--yes"], BOTH_MISSING),
        (
            ["--grant", "content:read"],
            "error: PLUGIN_GRANT_REQUIRED: Plugin 'demo' asks for capabilities that "
            "were not granted: email:send (send email from this site). Grant them "
            "with --grant email:send.\n",
        ),
    ],
    ids=["no grant", "--yes", "partial grant"],
)
def test_install_without_a_sufficient_grant_fails_naming_the_capability(
    tmp_path: Path, extra: list[str], stderr: str
) -> None:
    path = make_bundle(tmp_path, **MAIL_PLUGIN)

    result = fails("plugin", "install", str(path), *extra)

    assert result.stdout == CONSENT
    assert result.stderr == stderr
    assert not Plugin.objects.exists()


def test_install_json_without_a_grant_fails_with_the_error_json(
    tmp_path: Path,
) -> None:
    path = make_bundle(tmp_path, **MAIL_PLUGIN)

    result = fails("plugin", "install", str(path), "--json")

    assert result.stdout == ""
    assert result.stderr.startswith(CONSENT)
    error = json.loads(result.stderr.removeprefix(CONSENT))["error"]
    assert error["code"] == "PLUGIN_GRANT_REQUIRED"
    assert error["details"] == {
        "plugin": "demo",
        "missing": ["content:read", "email:send"],
    }
    assert not Plugin.objects.exists()


def test_install_refuses_a_module_importing_beyond_its_manifest(
    tmp_path: Path,
) -> None:
    path = make_bundle(
        tmp_path, capabilities=["content:read"], imports=["content_get", "http_fetch"]
    )

    result = fails(
        "plugin", "install", str(path), "--grant", "content:read,network:request"
    )

    assert result.stdout == ""
    assert result.stderr == (
        "error: PLUGIN_IMPORT_REFUSED: plugin 'demo' imports emdash.http_fetch, "
        "which needs the capability network:request; its manifest declares: "
        "content:read\n"
    )
    assert not Plugin.objects.exists()


def test_a_grant_beyond_the_manifest_is_refused(tmp_path: Path) -> None:
    path = make_bundle(tmp_path, capabilities=["content:read"])

    result = fails("plugin", "install", str(path), "--grant", "content:read,users:read")

    assert result.stderr.startswith(
        "error: PLUGIN_GRANT_BEYOND_MANIFEST: The grant for plugin 'demo' names "
        "capabilities its manifest does not declare: users:read."
    )
    assert not Plugin.objects.exists()


def test_a_plugin_declaring_no_capabilities_installs_without_a_grant(
    tmp_path: Path,
) -> None:
    printed = ok("plugin", "install", str(make_bundle(tmp_path)))

    assert printed == (
        "Plugin demo 1.0.0 (Demo plugin) asks for no capabilities.\n"
        "Installed plugin demo 1.0.0; it is enabled. Capabilities granted: none.\n"
    )


def test_the_site_policy_refuses_a_capability(tmp_path: Path, settings: Any) -> None:
    settings.PLUGIN_FORBIDDEN_CAPABILITIES = ["email:send"]
    path = make_bundle(tmp_path, **MAIL_PLUGIN)

    result = fails("plugin", "install", str(path), "--grant", "content:read,email:send")

    assert result.stderr == (
        "error: PLUGIN_CAPABILITY_FORBIDDEN: Plugin 'demo' asks for capabilities "
        "this site's policy forbids: email:send.\n"
    )


def test_installing_again_needs_replace_and_an_update_asks_only_for_the_new(
    tmp_path: Path,
) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path, capabilities=["content:read"])),
       "--grant", "content:read")  # fmt: skip
    newer = make_bundle(
        tmp_path, version="2.0.0", capabilities=["content:read", "email:send"]
    )

    again = fails("plugin", "install", str(newer), "--grant", "content:read")
    ungranted = fails("plugin", "install", str(newer), "--replace")
    updated = ok("plugin", "install", str(newer), "--replace", "--grant", "email:send")

    assert again.stdout == ""
    assert again.stderr == (
        "error: PLUGIN_EXISTS: Plugin 'demo' is installed already (version 1.0.0); "
        "add --replace to update it to version 2.0.0.\n"
    )
    consent = (
        "Plugin demo 2.0.0 (Demo plugin), replacing version 1.0.0, asks to:\n"
        "  content:read  Read all content, including drafts\n"
        "  email:send    Send email from this site (new)\n"
    )
    assert ungranted.stdout == consent
    assert ungranted.stderr == (
        "error: PLUGIN_GRANT_REQUIRED: Version 2.0.0 of plugin 'demo' asks for "
        "capabilities that were not granted (beyond what was granted before): "
        "email:send (send email from this site). Grant them with --grant "
        "email:send.\n"
    )
    assert updated == consent + (
        "Updated plugin demo to version 2.0.0; it is enabled. Capabilities "
        "granted: content:read, email:send.\n"
    )


def run_at_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    answer: str,
) -> tuple[int, str, str]:
    """Run ``emdash`` with a real terminal (a pty) on stdin that types ``answer``;
    answer (exit code, stdout, stderr)."""
    controller, terminal = os.openpty()
    try:
        os.write(controller, answer.encode())
        with os.fdopen(terminal, encoding="utf-8") as stdin:
            monkeypatch.setattr(sys, "stdin", stdin)
            code = app(args, standalone_mode=False, prog_name="emdash")
    finally:
        os.close(controller)
    captured = capsys.readouterr()
    return code or 0, captured.out, captured.err


def test_at_a_terminal_a_yes_grants_exactly_what_is_declared(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = make_bundle(tmp_path, capabilities=["content:write", "content:read"])

    code, out, err = run_at_a_terminal(
        monkeypatch, capsys, ["plugin", "install", str(path)], "y\n"
    )

    assert code == 0
    assert out.startswith("Plugin demo 1.0.0 (Demo plugin) asks to:\n")
    assert out.endswith(
        "Installed plugin demo 1.0.0; it is enabled. Capabilities granted: "
        "content:read, content:write.\n"
    )
    assert err == "Grant these capabilities to demo? [y/N]: "
    assert Plugin.objects.get().granted == ["content:read", "content:write"]


def test_at_a_terminal_no_answer_installs_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = make_bundle(tmp_path, **MAIL_PLUGIN)

    code, out, err = run_at_a_terminal(
        monkeypatch, capsys, ["plugin", "install", str(path)], "\n"
    )

    assert code == 1
    assert out == CONSENT
    assert err == (
        "Grant these capabilities to demo? [y/N]: "
        "error: PLUGIN_GRANT_DECLINED: Plugin 'demo' was not installed: its "
        "capabilities were not granted.\n"
    )
    assert not Plugin.objects.exists()


@pytest.mark.parametrize("flag", ["--yes", "--json"])
def test_at_a_terminal_yes_and_json_never_ask(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flag: str,
) -> None:
    path = make_bundle(tmp_path, **MAIL_PLUGIN)

    code, _, err = run_at_a_terminal(
        monkeypatch, capsys, ["plugin", "install", str(path), flag], "y\n"
    )

    assert code == 1
    assert "Grant these capabilities" not in err
    assert "PLUGIN_GRANT_REQUIRED" in err
    assert not Plugin.objects.exists()


# -- validate, build -----------------------------------------------------------------


def test_validate_prints_the_summary(tmp_path: Path) -> None:
    path = make_bundle(tmp_path, **MAIL_PLUGIN)

    printed = ok("plugin", "validate", str(path))
    summary = json_of("plugin", "validate", str(path))

    assert printed.splitlines()[:3] == [
        "id           demo",
        "name         Demo plugin",
        "version      1.0.0",
    ]
    assert "imports      emdash.content_get, emdash.email_send" in printed
    assert "email:send     Send email from this site" in printed
    assert summary["manifest"]["hooks"] == ["content:afterPublish"]
    assert summary["capabilities"] == [
        {"name": "content:read", "description": "Read all content, including drafts"},
        {"name": "email:send", "description": "Send email from this site"},
    ]
    assert summary["imports"] == ["emdash.content_get", "emdash.email_send"]
    assert not Plugin.objects.exists()


def test_validate_fails_with_the_problem(tmp_path: Path) -> None:
    missing = fails("plugin", "validate", str(tmp_path / "nowhere"))
    bad_manifest = fails(
        "plugin", "validate", str(make_bundle(tmp_path, id="X", capabilities=["x"]))
    )
    wasi = fails(
        "plugin",
        "validate",
        str(make_bundle(tmp_path, imports=["wasi_snapshot_preview1.fd_write"])),
    )

    assert missing.stderr == (
        "error: BUNDLE_INVALID: Invalid plugin bundle 'nowhere': nowhere does not "
        "exist. (nowhere: does not exist)\n"
    )
    assert bad_manifest.stderr.startswith("error: MANIFEST_INVALID: ")
    assert "id: must be 2-64 lowercase letters" in bad_manifest.stderr
    assert "capabilities[0]: " in bad_manifest.stderr
    assert wasi.stderr == (
        "error: PLUGIN_IMPORT_REFUSED: plugin 'demo' imports "
        "wasi_snapshot_preview1.fd_write, which the EmDash host never provides "
        "(no WASI)\n"
    )


def test_build_reports_what_the_builder_refuses(tmp_path: Path) -> None:
    folder = tmp_path / "no-source"
    folder.mkdir()

    result = fails("plugin", "build", str(folder))

    assert result.stderr == (
        f"error: PLUGIN_BUILD_FAILED: {folder} has no src/package.json: nothing "
        "to build.\n"
    )


# -- list, enable, disable -----------------------------------------------------------


def test_list_json_prints_exactly_id_version_enabled_capabilities(
    tmp_path: Path,
) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path, id="zeta")))
    ok("plugin", "install", str(make_bundle(tmp_path, **MAIL_PLUGIN)),
       "--grant", "content:read,email:send")  # fmt: skip
    ok("plugin", "disable", "zeta")

    printed = ok("plugin", "list", "--json")

    assert printed == (
        '[{"id":"demo","version":"1.0.0","enabled":true,'
        '"capabilities":["content:read","email:send"]},'
        '{"id":"zeta","version":"1.0.0","enabled":false,"capabilities":[]}]\n'
    )


def test_list_prints_a_table(tmp_path: Path) -> None:
    empty = ok("plugin", "list")
    ok("plugin", "install", str(make_bundle(tmp_path, **MAIL_PLUGIN)),
       "--grant", "content:read,email:send")  # fmt: skip

    listed = ok("plugin", "list").splitlines()

    assert empty == "No plugins.\n"
    assert listed[0].split() == ["ID", "VERSION", "STATE", "NAME", "CAPABILITIES"]
    assert listed[2].split() == [
        "demo", "1.0.0", "enabled", "Demo", "plugin", "content:read,", "email:send",
    ]  # fmt: skip


def test_disable_and_enable(tmp_path: Path) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path)))
    before = registry_epoch()

    disabled = ok("plugin", "disable", "demo")
    enabled = json_of("plugin", "enable", "demo")
    unknown = fails("plugin", "enable", "ghost")

    assert disabled == "Plugin demo 1.0.0 is disabled.\n"
    assert (enabled["id"], enabled["enabled"]) == ("demo", True)
    assert unknown.stderr == (
        "error: PLUGIN_NOT_FOUND: No plugin 'ghost' is installed.\n"
    )
    assert registry_epoch() == before + 2


# -- uninstall, logs -----------------------------------------------------------------


def test_uninstall_needs_yes_and_can_keep_the_data(tmp_path: Path) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path)))
    PluginValue.objects.create(plugin_id="demo", key="count", value=1)

    unconfirmed = fails("plugin", "uninstall", "demo", code=2)
    kept = ok("plugin", "uninstall", "demo", "--keep-data", "--yes")

    assert (
        "Invalid value for --yes: uninstalling a plugin cannot be undone, so it "
        "needs --yes" in usage_error(unconfirmed.stderr)
    )
    assert kept == "Uninstalled plugin demo 1.0.0; its data was kept for a reinstall.\n"
    assert not Plugin.objects.exists()
    assert PluginValue.objects.filter(plugin_id="demo").exists()

    ok("plugin", "install", str(make_bundle(tmp_path)))
    removed = json_of("plugin", "uninstall", "demo", "--yes")

    assert (removed["id"], removed["version"]) == ("demo", "1.0.0")
    assert not PluginValue.objects.exists()
    assert not PluginLog.objects.exists()
    assert AuditEvent.objects.filter(action="plugin.uninstall").count() == 2


def test_logs_json_prints_recent_records(tmp_path: Path) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path)))
    services.record_log(
        "demo", "error", "plugin 'demo' failed in content:beforeSave (fuel)",
        hook="content:beforeSave", data={"reason": "fuel"},
    )  # fmt: skip

    records = json_of("plugin", "logs", "demo")
    newest = json_of("plugin", "logs", "demo", "--limit", "1")
    warnings = json_of("plugin", "logs", "demo", "--level", "warning")
    table = ok("plugin", "logs", "demo")

    assert [
        {key: value for key, value in record.items() if key != "at"}
        for record in records
    ] == [
        {
            "level": "error",
            "hook": "content:beforeSave",
            "message": "plugin 'demo' failed in content:beforeSave (fuel)",
            "data": {"reason": "fuel"},
        },
        {
            "level": "info",
            "hook": "",
            "message": "installed version 1.0.0 by system",
            "data": {"version": "1.0.0", "capabilities": []},
        },
    ]
    assert all(
        set(record) == {"at", "level", "hook", "message", "data"} for record in records
    )
    assert records[0]["at"].endswith("Z")
    assert newest == records[:1]
    assert warnings == records[:1]
    assert table.splitlines()[0].split() == ["AT", "(UTC)", "LEVEL", "HOOK", "MESSAGE"]
    first_row = table.splitlines()[2]
    assert first_row.split()[2:4] == ["error", "content:beforeSave"]
    assert first_row.endswith(
        """plugin 'demo' failed in content:beforeSave (fuel) {"reason": "fuel"}"""
    )


def test_logs_errors() -> None:
    unknown = fails("plugin", "logs", "ghost")
    bad_limit = fails("plugin", "logs", "ghost", "--limit", "0")
    bad_level = fails("plugin", "logs", "ghost", "--level", "loud")

    assert (
        unknown.stderr == "error: PLUGIN_NOT_FOUND: No plugin 'ghost' is installed.\n"
    )
    assert bad_limit.stderr == (
        "error: VALIDATION_ERROR: Invalid limit. (limit: must be between 1 and 500)\n"
    )
    assert bad_level.stderr == (
        "error: VALIDATION_ERROR: Invalid level. (level: must be one of debug, info, "
        "warning, error)\n"
    )


# -- local only ----------------------------------------------------------------------


def test_build_works_on_a_local_folder_only(tmp_path: Path) -> None:
    result = emdash("plugin", "build", str(tmp_path), "--url", "https://x.example")

    assert result.exit_code == 2, result.output
    assert "No such option: --url" in usage_error(result.stderr)


def test_every_plugin_operation_is_a_route_of_the_api_with_its_answer() -> None:
    schema = api.get_openapi_schema(path_prefix="/_emdash/api/")
    placeholder = re.compile(r"\{[^}]+\}")
    routes = {
        (method.upper(), placeholder.sub("{}", path.removeprefix("/_emdash/api"))): spec
        for path, methods in schema["paths"].items()
        for method, spec in methods.items()
    }

    for name, op in plugin_operations().items():
        spec = routes.get((op.method, placeholder.sub("{}", op.path)))
        assert spec is not None, f"{name}: {op.method} {op.path} is not an API route"
        answers = json.dumps(
            [body for code, body in spec["responses"].items() if code.startswith("2")]
        )
        assert f'"#/components/schemas/{op.output.__name__}"' in answers, name
