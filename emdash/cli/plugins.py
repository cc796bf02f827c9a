"""``emdash plugin ...``: check, build, install and update plugins with an explicit
grant of their capabilities; list, enable, disable and uninstall them; read their
logs. These work on the local site only, as the system actor."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from emdash.cli import output
from emdash.cli.runtime import Session, setup_django, with_session
from emdash.core.errors import EmDashError

if TYPE_CHECKING:
    from emdash.plugins.models import Plugin

app = typer.Typer(
    help="Plugins: validate and build bundles; install them with a grant of their "
    "capabilities; list, enable, disable, uninstall; read their logs.",
    no_args_is_help=True,
)


def refuse_remote(value: str | None) -> None:
    if value:
        raise typer.BadParameter(
            "plugin commands work on the local site only for now (the REST API has "
            "no plugin routes yet): run them on the site's own machine, without "
            "--url or EMDASH_URL."
        )


# Hidden, and never passed to the command: there only to refuse a remote site
# clearly rather than ignore it.
LocalOnlyUrl = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="EMDASH_URL",
        hidden=True,
        expose_value=False,
        callback=refuse_remote,
    ),
]
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


def _grant_list(values: list[str] | None) -> list[str] | None:
    """``--grant a,b --grant c`` -> ``[a, b, c]``; None when --grant is not given."""
    if values is None:
        return None
    return [
        item.strip() for value in values for item in value.split(",") if item.strip()
    ]


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
@with_session(remote=False)
def validate(
    session: Session, path: BundleArg, remote_url: LocalOnlyUrl = None
) -> None:
    """Check a bundle without installing it and show what it asks for.

    Checks the manifest, the module's exports, and that the module imports no host
    function beyond the capabilities its manifest declares. Exit status 1 with the
    problem on stderr otherwise. --json: {"manifest", "capabilities", "imports",
    "sha256", "wasm_bytes"}."""
    setup_django()
    from emdash.plugins.schemas import plugin_validation_out
    from emdash.plugins.services import validate_bundle

    session.show(plugin_validation_out(validate_bundle(path)), output.plugin_validation)


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
    remote_url: LocalOnlyUrl = None,
) -> None:
    """Build a bundle's plugin.wasm from its src/ with npm, then validate it.

    Needs Node.js and npm. --json: {"wasm": path, "validation": <as validate>}."""
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
@with_session(remote=False)
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
    remote_url: LocalOnlyUrl = None,
) -> None:
    """Install a plugin bundle and enable it.

    Shows the capabilities it asks for, in plain words, first (on stderr with
    --json). They must be granted with --grant; at a terminal, without --grant,
    --yes or --json, a y/N question grants exactly what it declares instead. A
    plugin that declares no capabilities needs no grant. Refused when its module
    imports beyond its manifest, or when the site's policy forbids a capability.
    --json: the installed plugin, {"id", "name", "version", "enabled", ...}."""
    setup_django()
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import plugin_out, plugin_validation_out

    validated = services.validate_bundle(path)
    manifest = validated.manifest
    previous = _installed(manifest.id)
    if previous is not None and not replace:
        raise services.PluginExists(
            f"Plugin '{manifest.id}' is installed already (version "
            f"{previous.version}); add --replace to update it to version "
            f"{manifest.version}.",
            details={"plugin": manifest.id, "version": previous.version},
        )
    needed = services.capabilities_to_grant(manifest, previous)
    consent = output.capability_consent(
        plugin_validation_out(validated),
        needed=needed,
        previous_version=previous.version if previous else None,
    )
    typer.echo(consent, err=session.json_output)

    granted = _grant_list(grant)
    if granted is None and needed and _may_ask(session, yes):
        if not _confirm(f"Grant these capabilities to {manifest.id}?"):
            raise GrantDeclined(
                f"Plugin '{manifest.id}' was not installed: its capabilities were "
                "not granted.",
                details={"plugin": manifest.id},
            )
        granted = list(manifest.capabilities)
    try:
        plugin = services.install(SYSTEM, validated, grant=granted, replace=replace)
    except services.GrantRequired as error:
        missing = ",".join(error.details["missing"])
        raise services.GrantRequired(
            f"{error.message} Grant them with --grant {missing}.",
            details=error.details,
        ) from None
    render = output.plugin_installed if previous is None else output.plugin_updated
    session.show(plugin_out(plugin), render)


def _installed(plugin_id: str) -> "Plugin | None":
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services

    try:
        return services.get_plugin(SYSTEM, plugin_id)
    except services.PluginNotFound:
        return None


# -- managing --------------------------------------------------------------------------


@app.command("list")
@with_session(remote=False)
def list_plugins(session: Session, remote_url: LocalOnlyUrl = None) -> None:
    """List installed plugins by id.

    --json: [{"id", "version", "enabled", "capabilities"}]."""
    setup_django()
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import PluginListOut, plugin_out, plugin_summary_out

    found = services.list_plugins(SYSTEM)
    if session.json_output:
        session.show_json(
            [plugin_summary_out(plugin).model_dump(mode="json") for plugin in found]
        )
        return
    output.emit(output.plugins(PluginListOut(items=[plugin_out(p) for p in found])))


@app.command("enable")
@with_session(remote=False)
def enable(
    session: Session, plugin: PluginArg, remote_url: LocalOnlyUrl = None
) -> None:
    """Turn a plugin on: its hooks and routes run again, in every process."""
    setup_django()
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import plugin_out

    session.show(plugin_out(services.enable(SYSTEM, plugin)), output.plugin_state)


@app.command("disable")
@with_session(remote=False)
def disable(
    session: Session, plugin: PluginArg, remote_url: LocalOnlyUrl = None
) -> None:
    """Turn a plugin off: its hooks and routes stop running; its data stays."""
    setup_django()
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import plugin_out

    session.show(plugin_out(services.disable(SYSTEM, plugin)), output.plugin_state)


@app.command("uninstall")
@with_session(remote=False)
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
    remote_url: LocalOnlyUrl = None,
) -> None:
    """Uninstall a plugin, and delete its data unless --keep-data.

    --json prints the plugin as it was."""
    if not yes:
        raise typer.BadParameter(
            "uninstalling a plugin cannot be undone, so it needs --yes",
            param_hint="--yes",
        )
    setup_django()
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import plugin_out

    removed = plugin_out(services.uninstall(SYSTEM, plugin, keep_data=keep_data))
    session.show(
        removed, lambda model: output.plugin_uninstalled(model, data_kept=keep_data)
    )


@app.command("logs")
@with_session(remote=False)
def logs(
    session: Session,
    plugin: PluginArg,
    limit: Annotated[
        int, typer.Option("--limit", help="How many records, 1-500.")
    ] = 50,
    remote_url: LocalOnlyUrl = None,
) -> None:
    """Show a plugin's recent log and error records, newest first.

    --json: [{"at", "level", "hook", "message", "data"}]."""
    setup_django()
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import PluginLogListOut, plugin_log_out

    records = services.logs(SYSTEM, plugin, limit)
    found = PluginLogListOut(items=[plugin_log_out(record) for record in records])
    if session.json_output:
        session.show_json(found.model_dump(mode="json")["items"])
        return
    output.emit(output.plugin_logs(found))
