"""``emdash plugin ...``: check, build, install and update plugins with an explicit
grant of their capabilities; list, enable, disable and uninstall them; read their
logs.

Like every command, these work on the local site as the system actor, or with
--url on a remote site through its REST API (/_emdash/api/admin/plugins). Each is
an operation declared once below, with the REST route and an in-process handler
that calls the same services, so both print the same. A bundle is zipped in memory
and uploaded either way. ``build`` works on a local folder only."""

import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from emdash.cli import output
from emdash.cli.runtime import Session, setup_django, with_session
from emdash.core.errors import EmDashError

if TYPE_CHECKING:
    from emdash.cli.client import Request
    from emdash.cli.operations import Operation
    from emdash.plugins.schemas import (
        PluginConsentOut,
        PluginListOut,
        PluginLogListOut,
        PluginOut,
    )

app = typer.Typer(
    help="Plugins: validate and build bundles; install them with a grant of their "
    "capabilities; list, enable, disable, uninstall; read their logs.",
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


# -- operations: the REST route and the in-process handler of each ------------------

PLUGINS = "/admin/plugins"
PLUGIN = "/admin/plugins/{plugin}"
# A request's files: the form field -> the file's name and bytes.
Upload = dict[str, tuple[str, bytes]]


def _local_list(request: "Request") -> "PluginListOut":
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import PluginListOut, plugin_out

    found = services.list_plugins(SYSTEM)
    return PluginListOut(items=[plugin_out(plugin) for plugin in found])


def _local_plan(request: "Request") -> "PluginConsentOut":
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import plugin_consent_out

    name, data = request.files["bundle"]
    return plugin_consent_out(services.plan_install(SYSTEM, data, name=name))


def _local_install(request: "Request") -> "PluginOut":
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import plugin_out

    name, data = request.files["bundle"]
    body = request.body or {}
    plan = services.plan_install(SYSTEM, data, name=name)
    plugin = services.install(
        SYSTEM, plan.validated, grant=body["grant"], replace=body["replace"]
    )
    return plugin_out(plugin)


def _local_enable(request: "Request") -> "PluginOut":
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import plugin_out

    return plugin_out(services.enable(SYSTEM, request.path["plugin"]))


def _local_disable(request: "Request") -> "PluginOut":
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import plugin_out

    return plugin_out(services.disable(SYSTEM, request.path["plugin"]))


def _local_uninstall(request: "Request") -> "PluginOut":
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import plugin_out

    keep_data = request.query["keep_data"]
    return plugin_out(
        services.uninstall(SYSTEM, request.path["plugin"], keep_data=keep_data)
    )


def _local_logs(request: "Request") -> "PluginLogListOut":
    from emdash.core.actors import SYSTEM
    from emdash.plugins import services
    from emdash.plugins.schemas import PluginLogListOut, plugin_log_out

    query = request.query
    records = services.logs(
        SYSTEM, request.path["plugin"], query["limit"], query["level"]
    )
    return PluginLogListOut(items=[plugin_log_out(record) for record in records])


@cache
def plugin_operations() -> dict[str, "Operation"]:
    """The plugin commands' operations, declared as ``operations.py`` declares the
    others, beside their in-process handlers."""
    from emdash.cli.operations import Operation
    from emdash.plugins.schemas import (
        PluginConsentOut,
        PluginListOut,
        PluginLogListOut,
        PluginOut,
    )

    return {
        "list": Operation("GET", PLUGINS, PluginListOut, _local_list),
        # The same route: a dry run answers what installing would ask for.
        "plan": Operation("POST", PLUGINS, PluginConsentOut, _local_plan),
        "install": Operation("POST", PLUGINS, PluginOut, _local_install),
        "enable": Operation("POST", f"{PLUGIN}/enable", PluginOut, _local_enable),
        "disable": Operation("POST", f"{PLUGIN}/disable", PluginOut, _local_disable),
        "uninstall": Operation("DELETE", PLUGIN, PluginOut, _local_uninstall),
        "logs": Operation("GET", f"{PLUGIN}/logs", PluginLogListOut, _local_logs),
    }


def _call(session: Session, name: str, **parts: Any) -> Any:
    """Run the plugin operation ``name`` on the session's site; ``parts`` are the
    ``Request``'s."""
    from emdash.cli.client import Request

    return session.client.transport.send(plugin_operations()[name], Request(**parts))


def _upload(path: Path) -> Upload:
    """The bundle at ``path`` as the upload's ``bundle`` file, a folder zipped."""
    from emdash.plugins.bundle import bundle_label, bundle_zip

    return {"bundle": (bundle_label(path), bundle_zip(path))}


def _plan(session: Session, upload: Upload) -> "PluginConsentOut":
    """What installing the upload would ask for: a dry run."""
    return _call(session, "plan", body={"dry_run": True}, files=upload)


# -- asking --------------------------------------------------------------------------


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
        plugin: PluginOut = _call(
            session,
            "install",
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

    found: PluginListOut = _call(session, "list")
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
    session.show(_call(session, "enable", path={"plugin": plugin}), output.plugin_state)


@app.command("disable")
@with_session
def disable(session: Session, plugin: PluginArg) -> None:
    """Turn a plugin off: its hooks and routes stop running; its data stays."""
    session.show(
        _call(session, "disable", path={"plugin": plugin}), output.plugin_state
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
    removed: PluginOut = _call(
        session, "uninstall", path={"plugin": plugin}, query={"keep_data": keep_data}
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
    found: PluginLogListOut = _call(
        session,
        "logs",
        path={"plugin": plugin},
        query={"limit": limit, "level": level},
    )
    if session.json_output:
        session.show_json(found.model_dump(mode="json")["items"])
        return
    output.emit(output.plugin_logs(found))
