"""``emdash menu ...``: named trees of links."""

from typing import Annotated, Any

import typer

from emdash.cli import output
from emdash.cli.runtime import (
    CommandFailed,
    DataOption,
    FileOption,
    Session,
    StdinFlag,
    read_json,
    with_session,
)

app = typer.Typer(help="Menus: list, show, replace.", no_args_is_help=True)

MenuArg = Annotated[str, typer.Argument(help="The menu's slug, e.g. primary.")]


@app.command("list")
@with_session
def list_menus(session: Session) -> None:
    """List the menus."""
    session.show(session.client.call("menu.list"), output.menus)


@app.command("get")
@with_session
def get_menu(session: Session, menu: MenuArg) -> None:
    """Show a menu's tree of items."""
    session.show(session.client.call("menu.get", menu=menu), output.menu)


@app.command("set")
@with_session
def set_menu(
    session: Session,
    menu: MenuArg,
    label: Annotated[
        str | None, typer.Option(help="Human name, e.g. Main menu.")
    ] = None,
    data: DataOption = None,
    file: FileOption = None,
    stdin: StdinFlag = False,
) -> None:
    """Create or replace a menu.

    The JSON input is the list of items, each {"label", "url"} or {"label",
    "entry": "<entry id>"}, with "target": "_blank" and "children": [...] as
    needed."""
    items = read_json(data, file, stdin)
    if not isinstance(items, list):
        raise CommandFailed(
            'the items must be a JSON list, like [{"label": "Home", "url": "/"}]'
        )
    body: dict[str, Any] = {"items": items}
    if label is not None:
        body["label"] = label
    saved = session.client.call("menu.set", body=body, menu=menu)
    session.show(saved, output.menu)
