"""`emdash plugin ...` on the local site: the install contract (grants, exit codes,
what stderr names), validate, list, enable, disable, settings, uninstall, logs and
build."""

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from emdash.cli import app
from emdash.core import epoch
from emdash.core.models import AuditEvent
from emdash.plugins import services
from emdash.plugins.models import Plugin, PluginLog, PluginValue
from tests.cli.conftest import emdash, fails, json_of, ok, usage_error
from tests.plugins.bundles import MAIL_PLUGIN, make_bundle

pytestmark = pytest.mark.django_db

CONSENT = (
    "Plugin demo 1.0.0 (Demo plugin) asks to:\n"
    "  content:read  Read all content, including drafts\n"
    "  email:send    Send email from this site\n"
)


# What updating demo 1.0.0 (content:read) to 2.0.0 (+ email:send) prints, here and
# over HTTP alike.
ALREADY_INSTALLED = (
    "error: PLUGIN_EXISTS: Plugin 'demo' is installed already (version 1.0.0); "
    "add --replace to update it to version 2.0.0.\n"
)
UPDATE_CONSENT = (
    "Plugin demo 2.0.0 (Demo plugin), replacing version 1.0.0, asks to:\n"
    "  content:read  Read all content, including drafts\n"
    "  email:send    Send email from this site (new)\n"
)
UPDATE_NEEDS_GRANT = (
    "error: PLUGIN_GRANT_REQUIRED: Version 2.0.0 of plugin 'demo' asks for "
    "capabilities that were not granted (beyond what was granted before): "
    "email:send (send email from this site). Grant them with --grant "
    "email:send.\n"
)
UPDATED = (
    "Updated plugin demo to version 2.0.0; it is enabled. Capabilities "
    "granted: content:read, email:send.\n"
)


def registry_epoch() -> int:
    return epoch.current(services.REGISTRY_EPOCH).value


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
        "author", "license", "hooks", "routes", "missing_settings", "installed_at",
        "updated_at",
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
    assert again.stderr == ALREADY_INSTALLED
    assert ungranted.stdout == UPDATE_CONSENT
    assert ungranted.stderr == UPDATE_NEEDS_GRANT
    assert updated == UPDATE_CONSENT + UPDATED


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


def test_a_plugin_waiting_for_required_settings_says_how_to_give_them(
    tmp_path: Path,
) -> None:
    settings = {
        "recipient": {"type": "email", "label": "Send to", "required": True},
        "subject": {"type": "string", "label": "Subject", "required": True,
                    "default": "Published"},
    }  # fmt: skip
    bundle = make_bundle(tmp_path, settings=settings)

    installed = ok("plugin", "install", str(bundle))
    waiting = ok("plugin", "list").splitlines()[2].split()[:5]
    ok("plugin", "settings", "demo", "--set", "recipient=ed@example.com")
    ready = ok("plugin", "list").splitlines()[2].split()[:3]

    assert " ".join(installed.split()).endswith(
        "Installed plugin demo 1.0.0; it is waiting for settings. Capabilities "
        "granted: none. Its hooks run once its required settings have values "
        "(recipient): emdash plugin settings demo --set recipient=..."
    )
    assert waiting == ["demo", "1.0.0", "waiting", "for", "settings"]
    assert ready == ["demo", "1.0.0", "enabled"]


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


# -- settings ------------------------------------------------------------------------

# One setting of every type. The keys come shortest first, then alphabetically: the
# order in which PostgreSQL's jsonb keeps them (it does not keep the manifest's).
SETTINGS: dict[str, Any] = {
    "mode": {
        "type": "select", "label": "Mode", "options": ["fast", "slow"],
        "default": "fast",
    },
    "intro": {"type": "text", "label": "Introduction"},
    "limit": {"type": "integer", "label": "Most entries", "default": 10},
    "ratio": {"type": "number", "label": "Ratio"},
    "title": {"type": "string", "label": "Title", "default": "Hello"},
    "active": {"type": "boolean", "label": "Active", "default": False},
    "api_key": {"type": "secret", "label": "API key"},
    "contact": {"type": "email", "label": "Contact address", "required": True},
    "homepage": {"type": "url", "label": "Home page"},
}  # fmt: skip
SETTINGS_TABLE = """\
KEY        TYPE                  REQUIRED   VALUE   LABEL
───────────────────────────────────────────────────────────────────
mode       select (fast, slow)   no         fast    Mode
intro      text                  no         -       Introduction
limit      integer               no         10      Most entries
ratio      number                no         -       Ratio
title      string                no         Hello   Title
active     boolean               no         false   Active
api_key    secret                no         unset   API key
contact    email                 yes        -       Contact address
homepage   url                   no         -       Home page
"""
EVERY_TYPE_SET = [
    "--set", "title=Good morning", "--set", "intro=Two\nlines",
    "--set", "contact=ops@example.com", "--set", "homepage=https://example.com/",
    "--set", "mode=slow", "--set", "api_key=s3cret", "--set", "limit=25",
    "--set", "ratio=0.75", "--set", "active=true",
]  # fmt: skip


def install_with_settings(tmp_path: Path) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path, settings=SETTINGS)))


def settings_changes() -> int:
    return AuditEvent.objects.filter(action="plugin.settings").count()


def test_settings_shows_each_setting_with_its_type_and_value(tmp_path: Path) -> None:
    install_with_settings(tmp_path)

    printed = ok("plugin", "settings", "demo")
    detail = json_of("plugin", "settings", "demo")

    assert printed == SETTINGS_TABLE
    assert detail["settings"] == {
        "mode": "fast", "intro": None, "limit": 10, "ratio": None, "title": "Hello",
        "active": False, "api_key": "unset", "contact": None, "homepage": None,
    }  # fmt: skip
    assert detail["settings_schema"]["mode"] == {
        "type": "select",
        "label": "Mode",
        "required": False,
        "help": "",
        "options": ["fast", "slow"],
        "default": "fast",
    }
    assert detail["settings_schema"].keys() == SETTINGS.keys()


def test_settings_of_a_plugin_without_any_and_of_an_unknown_plugin(
    tmp_path: Path,
) -> None:
    ok("plugin", "install", str(make_bundle(tmp_path)))

    none = ok("plugin", "settings", "demo")
    unknown = fails("plugin", "settings", "ghost")
    unknown_set = fails("plugin", "settings", "ghost", "--set", "mode=slow")

    assert none == "Plugin demo has no settings.\n"
    not_found = "error: PLUGIN_NOT_FOUND: No plugin 'ghost' is installed.\n"
    assert (unknown.stderr, unknown_set.stderr) == (not_found, not_found)


def test_set_converts_each_value_by_its_declared_type(tmp_path: Path) -> None:
    install_with_settings(tmp_path)

    printed = ok("plugin", "settings", "demo", *EVERY_TYPE_SET)

    assert printed.splitlines() == [
        "Updated the settings of plugin demo: title, intro, contact, homepage, mode, "
        "api_key, limit, ratio, active.",
        "",
        "KEY        TYPE                  REQUIRED   VALUE                  LABEL",
        "─" * 82,
        "mode       select (fast, slow)   no         slow                   Mode",
        "intro      text                  no         Two                    "
        "Introduction",
        "                                            lines",
        "limit      integer               no         25                     "
        "Most entries",
        "ratio      number                no         0.75                   Ratio",
        "title      string                no         Good morning           Title",
        "active     boolean               no         true                   Active",
        "api_key    secret                no         set                    API key",
        "contact    email                 yes        ops@example.com        "
        "Contact address",
        "homepage   url                   no         https://example.com/   Home page",
    ]
    plugin = Plugin.objects.get()
    values = services.settings_for_runtime(plugin)
    assert values == {
        "title": "Good morning", "intro": "Two\nlines",
        "contact": "ops@example.com", "homepage": "https://example.com/",
        "mode": "slow", "api_key": "s3cret", "limit": 25, "ratio": 0.75,
        "active": True,
    }  # fmt: skip
    # The types as JSON has them: an integer, a float and a boolean, not text.
    assert [type(values[key]) for key in ("limit", "ratio", "active")] == [
        int,
        float,
        bool,
    ]
    assert "s3cret" not in plugin.settings["api_key"]
    assert settings_changes() == 1


def test_a_secret_is_never_shown_back(tmp_path: Path) -> None:
    install_with_settings(tmp_path)

    result = emdash(
        "plugin", "settings", "demo", "--set", "contact=ops@example.com",
        "--set", "api_key=s3cret", "--json",
    )  # fmt: skip
    shown = ok("plugin", "settings", "demo")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["settings"]["api_key"] == "set"
    assert "s3cret" not in result.output + shown
    assert "api_key    secret                no         set " in shown


@pytest.mark.parametrize(
    ("word", "value"),
    [("true", True), ("YES", True), ("1", True), ("false", False), ("No", False),
     ("0", False)],
)  # fmt: skip
def test_a_boolean_takes_true_false_yes_no_1_0(
    tmp_path: Path, word: str, value: bool
) -> None:
    install_with_settings(tmp_path)

    detail = json_of(
        "plugin", "settings", "demo", "--set", "contact=ops@example.com",
        "--set", f"active={word}", "--set", "ratio=2",
    )  # fmt: skip

    assert detail["settings"]["active"] is value
    assert detail["settings"]["ratio"] == 2.0
    assert Plugin.objects.get().settings["active"] is value


def test_an_empty_value_removes_an_optional_setting(tmp_path: Path) -> None:
    install_with_settings(tmp_path)
    ok("plugin", "settings", "demo", *EVERY_TYPE_SET)

    detail = json_of(
        "plugin", "settings", "demo", "--set", "api_key=", "--set", "limit=",
        "--set", "intro=",
    )  # fmt: skip

    # Removed: a secret is unset again, a setting with a default shows it.
    assert {key: detail["settings"][key] for key in ("api_key", "limit", "intro")} == {
        "api_key": "unset",
        "limit": 10,
        "intro": None,
    }
    assert set(Plugin.objects.get().settings) == {
        "title", "contact", "homepage", "mode", "ratio", "active",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("assignments", "problems"),
    [
        (["limit=ten"], "limit: must be an integer"),
        (["limit=2.5"], "limit: must be an integer"),
        (["ratio=abc"], "ratio: must be a number"),
        (["ratio=nan"], "ratio: must be a number"),
        (["active=maybe"], "active: must be true or false"),
        (["mode=medium"], "mode: must be one of: fast, slow"),
        (["contact=nobody"], "contact: must be a valid email address"),
        (["contact="], "contact: is required"),
        (
            ["colour=red"],
            "colour: unknown setting (this plugin has: active, api_key, contact, "
            "homepage, intro, limit, mode, ratio, title)",
        ),
        (
            ["limit=ten", "ratio=abc"],
            "limit: must be an integer; ratio: must be a number",
        ),
    ],
    ids=[
        "not an integer", "a fraction for an integer", "not a number", "nan",
        "not a boolean", "not an option", "not an email", "required removed",
        "unknown key", "two at once",
    ],
)  # fmt: skip
def test_a_refused_value_names_its_key_and_changes_nothing(
    tmp_path: Path, assignments: list[str], problems: str
) -> None:
    install_with_settings(tmp_path)
    ok("plugin", "settings", "demo", "--set", "contact=ops@example.com")
    before = Plugin.objects.get().settings
    # A good value given with the bad one is not stored either.
    options = [part for value in assignments for part in ("--set", value)]

    result = fails("plugin", "settings", "demo", "--set", "title=Changed", *options)
    as_json = fails(
        "plugin", "settings", "demo", "--set", "title=Changed", *options, "--json"
    )

    assert result.stdout == ""
    assert result.stderr == (
        "error: PLUGIN_SETTINGS_INVALID: The settings of plugin 'demo' are "
        f"invalid: {problems}.\n"
    )
    error = json.loads(as_json.stderr)["error"]
    assert error["code"] == "PLUGIN_SETTINGS_INVALID"
    assert set(error["details"]["fields"]) == {
        value.partition("=")[0] for value in assignments
    }
    assert Plugin.objects.get().settings == before
    assert settings_changes() == 1


@pytest.mark.parametrize(
    ("assignments", "problem"),
    [
        (["mode"], "'mode' is not KEY=VALUE"),
        (["=slow"], "'=slow' is not KEY=VALUE"),
        (["mode=fast", "mode=slow"], "mode is set twice"),
    ],
    ids=["no equals sign", "no key", "a key twice"],
)
def test_a_malformed_set_is_a_usage_error(
    tmp_path: Path, assignments: list[str], problem: str
) -> None:
    install_with_settings(tmp_path)
    options = [part for value in assignments for part in ("--set", value)]

    result = fails("plugin", "settings", "demo", *options, code=2)

    assert f"Invalid value for --set: {problem}" in usage_error(result.stderr)
    assert Plugin.objects.get().settings == {}


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
