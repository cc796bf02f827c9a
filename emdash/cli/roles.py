"""``emdash role ...``: the built-in roles, and custom roles (named bundles of
permissions an administrator defines)."""

from typing import Annotated, Any

import typer

from emdash.cli import output
from emdash.cli.runtime import Session, with_session
from emdash.core.permissions import ALL_PERMISSIONS

app = typer.Typer(
    help="Roles: list the built-in ones; create, change and delete custom ones.",
    no_args_is_help=True,
)

RoleArg = Annotated[
    str, typer.Argument(metavar="SLUG", help="The role's slug, e.g. editor.")
]
PERMISSION_HELP = (
    f"A permission the role grants (repeatable): {', '.join(sorted(ALL_PERMISSIONS))}."
)
NameOption = Annotated[str | None, typer.Option(help="Human name, e.g. Reviewer.")]
DescriptionOption = Annotated[
    str | None, typer.Option(help="What the role is for (at most 300 characters).")
]


@app.command("list")
@with_session
def list_roles(session: Session) -> None:
    """List the built-in roles, then the custom ones."""
    session.show(session.client.call("role.list"), output.roles)


@app.command("show")
@with_session
def show_role(session: Session, role: RoleArg) -> None:
    """Show a role and every permission it grants."""
    session.show(session.client.call("role.get", role=role), output.role)


@app.command("create")
@with_session
def create_role(
    session: Session,
    role: Annotated[
        str,
        typer.Argument(
            metavar="SLUG",
            help="2-32 lowercase letters, digits and -, not a built-in role's.",
        ),
    ],
    name: Annotated[str, typer.Option(help="Human name, e.g. Reviewer.")],
    permissions: Annotated[
        list[str],
        typer.Option("--permission", help=PERMISSION_HELP, show_default=False),
    ],
    description: DescriptionOption = None,
) -> None:
    """Create a custom role; give it to people with `emdash user set-role` or
    `emdash user invite --role`."""
    body: dict[str, Any] = {"slug": role, "name": name, "permissions": permissions}
    if description is not None:
        body["description"] = description
    session.show(session.client.call("role.create", body=body), output.role)


@app.command("update")
@with_session
def update_role(
    session: Session,
    role: RoleArg,
    name: NameOption = None,
    permissions: Annotated[
        list[str] | None,
        typer.Option(
            "--permission",
            help=PERMISSION_HELP + " Replaces the role's whole list.",
            show_default=False,
        ),
    ] = None,
    description: DescriptionOption = None,
) -> None:
    """Change a custom role; its users get the new permissions at once."""
    body: dict[str, Any] = {
        key: value
        for key, value in (
            ("name", name),
            ("description", description),
            ("permissions", permissions),
        )
        if value is not None
    }
    if not body:
        raise typer.BadParameter(
            "give what to change: --name, --description or --permission"
        )
    session.show(session.client.call("role.update", body=body, role=role), output.role)


@app.command("delete")
@with_session
def delete_role(session: Session, role: RoleArg) -> None:
    """Delete a custom role that nobody holds. --json prints the role as it was."""
    found = session.client.call("role.get", role=role)
    session.client.call("role.delete", role=role)
    session.show(found, output.role_deleted)
