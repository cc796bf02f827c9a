"""``emdash plugin ...``: check, build, install and update plugins with an explicit
grant of their capabilities; list, enable, disable and uninstall them; show and
change their settings; read their logs.

Like every command, these work on the local site as the system actor, or with
--url on a remote site through its REST API (/_emdash/api/admin/plugins), through
the operations ``plugin.*`` of ``operations.py``, so both print the same. A bundle
is zipped in memory and uploaded either way. ``build`` works on a local folder
only."""

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from emdash.cli import output
from emdash.cli.runtime import Session, setup_django, with_session
from emdash.core.errors import EmDashError
from emdash.plugins.capabilities import split_grant

if TYPE_CHECKING:
    from emdash.plugins.schemas import (
        PluginConsentOut,
        PluginDetailOut,
        PluginListOut,
        PluginLogListOut,
        PluginOut,
        SettingSpecOut,
    )

app = typer.Typer(
    help="Plugins: validate and build bundles; install them with a grant of their "
    "capabilities; list, enable, disable, uninstall; show and change their "
    "settings; read their logs.",
    no_args_is_help=True,
)

BundleArg = Annotated[
    Path,
    typer.Argument(
        metavar="PATH",
        help="The bundle: a folder or a .zip file holding manifest.json and "
        "plugin.wasm.",
        show_default=False,
    ),
]
PluginArg = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="The plugin's id (see `emdash plugin list`).",
        show_default=False,
    ),
]


class GrantDeclined(EmDashError):
    """The administrator answered no at the confirmation prompt."""

    code = "PLUGIN_GRANT_DECLINED"
    status = 422


class BuildUnavailable(EmDashError):
    code = "PLUGIN_BUILD_UNAVAILABLE"
    status = 500


# -- uploads -------------------------------------------------------------------------

# A request's files: the form field -> the file's name and bytes.
Upload = dict[str, tuple[str, bytes]]


def _upload(path: Path) -> Upload:
    """The bundle at ``path`` as the upload's ``bundle`` file, a folder zipped."""
    from emdash.plugins.bundle import bundle_label, bundle_zip

    return {"bundle": (bundle_label(path), bundle_zip(path))}


def _plan(session: Session, upload: Upload) -> "PluginConsentOut":
    """What installing the upload would ask for: a dry run."""
    return session.client.call("plugin.plan", body={"dry_run": True}, files=upload)


# -- asking --------------------------------------------------------------------------


def _grant_list(values: list[str] | None) -> list[str] | None:
    """``--grant a,b --grant c`` -> ``[a, b, c]``; None when --grant is not given."""
    return None if values is None else split_grant(values)


def _may_ask(session: Session, yes: bool) -> bool:
    """Ask at a prompt only when someone can answer it: a terminal on stdin, and
    neither --json (a program is reading) nor --yes (never ask)."""
    return sys.stdin.isatty() and not session.json_output and not yes


def _confirm(question: str) -> bool:
    """A y/N question on stderr, so that stdout holds only the command's answer."""
    typer.echo(f"{question} [y/N]: ", err=True, nl=False)
    return sys.stdin.readline().strip().lower() in {"y", "yes"}


# -- bundles -------------------------------------------------------------------------


@app.command("validate")
@with_session
def validate(session: Session, path: BundleArg) -> None:
    """Check a bundle without installing it and show what it asks for.

    Checks the manifest, the module's exports, and that the module imports no host
    function beyond the capabilities its manifest declares. Exit status 1 with the
    problem on stderr otherwise. With --url the site checks it (a dry run of the
    install, which needs plugins:manage). --json: {"manifest", "capabilities",
    "imports", "sha256", "wasm_bytes"}."""
    from emdash.plugins.schemas import PluginValidationOut, plugin_validation_out

    if session.url:
        plan = _plan(session, _upload(path))
        validation = PluginValidationOut(
            **{name: getattr(plan, name) for name in PluginValidationOut.model_fields}
        )
    else:
        # No site is needed: an author checks a bundle before there is one.
        setup_django()
        from emdash.plugins.services import validate_bundle

        validation = plugin_validation_out(validate_bundle(path))
    session.show(validation, output.plugin_validation)


@app.command("build")
@with_session(remote=False)
def build(
    session: Session,
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="FOLDER",
            help="A bundle folder whose src/ holds an npm package that builds "
            "plugin.wasm.",
            show_default=False,
        ),
    ],
) -> None:
    """Build a bundle's plugin.wasm from its src/ with npm, then validate it.

    Needs Node.js and npm; works on a local folder only. --json: {"wasm": path,
    "validation": <as validate>}."""
    try:
        from emdash_plugins.build import build_plugin
    except ModuleNotFoundError as error:
        if error.name not in {"emdash_plugins", "emdash_plugins.build"}:
            raise
        raise BuildUnavailable(
            "Building plugins needs the emdash_plugins package (plugins/build.py), "
            "which is not installed with this EmDash."
        ) from None
    wasm = build_plugin(folder)
    if not session.json_output:
        typer.echo(f"Built {wasm}")
    setup_django()
    from emdash.plugins.schemas import plugin_validation_out
    from emdash.plugins.services import validate_bundle

    validation = plugin_validation_out(validate_bundle(folder))
    if session.json_output:
        session.show_json(
            {"wasm": str(wasm), "validation": validation.model_dump(mode="json")}
        )
    else:
        output.emit(output.plugin_validation(validation))


# -- installing ------------------------------------------------------------------------


@app.command("install")
@with_session
def install(
    session: Session,
    path: BundleArg,
    grant: Annotated[
        list[str] | None,
        typer.Option(
            "--grant",
            metavar="CAP,CAP,...",
            help="The capabilities you grant: every one the plugin declares (for "
            "--replace, every one not granted before). Repeatable.",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", help="Never ask: without a sufficient --grant, fail instead."
        ),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Update the installed plugin with the same id."),
    ] = False,
) -> None:
    """Install a plugin bundle and enable it.

    Shows the capabilities it asks for, in plain words, first (on stderr with
    --json). They must be granted with --grant; at a terminal, without --grant,
    --yes or --json, a y/N question grants exactly what it declares instead. A
    plugin that declares no capabilities needs no grant. Refused when its module
    imports beyond its manifest, or when the site's policy forbids a capability.
    With --url the bundle (a folder zipped) is uploaded to the site.
    --json: the installed plugin, {"id", "name", "version", "enabled", ...}."""
    from emdash.cli.client import ApiError

    upload = _upload(path)
    plan = _plan(session, upload)
    manifest = plan.manifest
    if plan.installed_version is not None and not replace:
        raise ApiError(
            "PLUGIN_EXISTS",
            f"Plugin '{manifest.id}' is installed already (version "
            f"{plan.installed_version}); add --replace to update it to version "
            f"{manifest.version}.",
            {"plugin": manifest.id, "version": plan.installed_version},
        )
    consent = output.capability_consent(
        plan, needed=plan.needs_grant, previous_version=plan.installed_version
    )
    typer.echo(consent, err=session.json_output)

    granted = _grant_list(grant)
    if granted is None and plan.needs_grant and _may_ask(session, yes):
        if not _confirm(f"Grant these capabilities to {manifest.id}?"):
            raise GrantDeclined(
                f"Plugin '{manifest.id}' was not installed: its capabilities were "
                "not granted.",
                details={"plugin": manifest.id},
            )
        granted = [capability.name for capability in plan.capabilities]
    try:
        plugin: PluginOut = session.client.call(
            "plugin.install",
            body={"grant": granted or [], "replace": replace},
            files=upload,
        )
    except ApiError as error:
        if error.code != "PLUGIN_GRANT_REQUIRED":
            raise
        missing = ",".join(error.details["missing"])
        raise ApiError(
            error.code,
            f"{error.message} Grant them with --grant {missing}.",
            error.details,
        ) from None
    new = plan.installed_version is None
    session.show(plugin, output.plugin_installed if new else output.plugin_updated)


# -- managing --------------------------------------------------------------------------


@app.command("list")
@with_session
def list_plugins(session: Session) -> None:
    """List installed plugins by id.

    --json: [{"id", "version", "enabled", "capabilities"}]."""
    from emdash.plugins.schemas import plugin_summary_out

    found: PluginListOut = session.client.call("plugin.list")
    if session.json_output:
        session.show_json(
            [
                plugin_summary_out(plugin).model_dump(mode="json")
                for plugin in found.items
            ]
        )
        return
    output.emit(output.plugins(found))


@app.command("enable")
@with_session
def enable(session: Session, plugin: PluginArg) -> None:
    """Turn a plugin on: its hooks and routes run again, in every process."""
    session.show(
        session.client.call("plugin.enable", plugin=plugin), output.plugin_state
    )


@app.command("disable")
@with_session
def disable(session: Session, plugin: PluginArg) -> None:
    """Turn a plugin off: its hooks and routes stop running; its data stays."""
    session.show(
        session.client.call("plugin.disable", plugin=plugin), output.plugin_state
    )


# The words --set takes for a boolean setting, in any case.
BOOLEAN_WORDS = dict.fromkeys(("true", "yes", "1"), True) | dict.fromkeys(
    ("false", "no", "0"), False
)


def _assignments(values: list[str]) -> dict[str, str]:
    """``--set KEY=VALUE`` options as ``{KEY: VALUE}``; a usage error for one that
    is not KEY=VALUE or names a key twice."""
    found: dict[str, str] = {}
    for value in values:
        key, equals, text = value.partition("=")
        key = key.strip()
        if not equals or not key:
            raise typer.BadParameter(f"{value!r} is not KEY=VALUE", param_hint="--set")
        if key in found:
            raise typer.BadParameter(f"{key} is set twice", param_hint="--set")
        found[key] = text
    return found


def _setting_value(spec: "SettingSpecOut | None", text: str) -> Any:
    """``text`` as the setting's declared type takes it; empty removes the value
    (null). Text that is not a value of the type, and a key the plugin does not
    declare, go as they are: the site then refuses them, naming each key and its
    problem, and changes nothing."""
    if text == "":
        return None
    kind = spec.type if spec is not None else None
    if kind == "boolean":
        return BOOLEAN_WORDS.get(text.strip().lower(), text)
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            number = float(text)
            # inf and nan are not JSON: left as text, the site refuses them.
            return number if math.isfinite(number) else text
    except ValueError:
        return text
    return text


@app.command("settings")
@with_session
def settings(
    session: Session,
    plugin: PluginArg,
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Change a setting; the value is read as the setting's type (a "
            "boolean as true/false, yes/no or 1/0), and KEY= removes it. "
            "Repeatable.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show a plugin's settings, or change them with --set.

    Shows each declared setting's type, whether it is required, its value and its
    label; a secret shows only as set or unset, an unset setting as its default.
    The --set values are checked together: if one is refused, the error names its
    key and nothing changes. --json: the plugin with its "settings" and
    "settings_schema", as the REST API answers."""
    changes = _assignments(assignments or [])
    detail: PluginDetailOut = session.client.call("plugin.get", plugin=plugin)
    if not changes:
        session.show(detail, output.plugin_settings)
        return
    schema = detail.settings_schema
    values = {
        key: _setting_value(schema.get(key), text) for key, text in changes.items()
    }
    updated: PluginDetailOut = session.client.call(
        "plugin.settings", body=values, plugin=plugin
    )
    session.show(
        updated, lambda model: output.plugin_settings(model, changed=list(values))
    )


@app.command("uninstall")
@with_session
def uninstall(
    session: Session,
    plugin: PluginArg,
    keep_data: Annotated[
        bool,
        typer.Option(
            "--keep-data",
            help="Keep its key-value store, documents and logs for a later "
            "reinstall (its settings go either way).",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: uninstalling cannot be undone.")
    ] = False,
) -> None:
    """Uninstall a plugin, and delete its data unless --keep-data.

    --json prints the plugin as it was."""
    if not yes:
        raise typer.BadParameter(
            "uninstalling a plugin cannot be undone, so it needs --yes",
            param_hint="--yes",
        )
    # Sent either way: the REST API keeps the data when it is not told.
    removed: PluginOut = session.client.call(
        "plugin.uninstall", query={"keep_data": keep_data}, plugin=plugin
    )
    session.show(
        removed, lambda model: output.plugin_uninstalled(model, data_kept=keep_data)
    )


@app.command("logs")
@with_session
def logs(
    session: Session,
    plugin: PluginArg,
    limit: Annotated[
        int, typer.Option("--limit", help="How many records, 1-500.")
    ] = 50,
    level: Annotated[
        str | None,
        typer.Option(
            "--level",
            help="Only records at this level and above: debug, info, warning, error.",
        ),
    ] = None,
) -> None:
    """Show a plugin's recent log and error records, newest first.

    --json: [{"at", "level", "hook", "message", "data"}]."""
    found: PluginLogListOut = session.client.call(
        "plugin.logs", query={"limit": limit, "level": level}, plugin=plugin
    )
    if session.json_output:
        session.show_json(found.model_dump(mode="json")["items"])
        return
    output.emit(output.plugin_logs(found))
