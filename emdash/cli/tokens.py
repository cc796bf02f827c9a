"""``emdash token ...``: API tokens for the REST API, MCP and remote CLI use."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from emdash.cli import output
from emdash.cli.runtime import Session, with_session

app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


@app.command("create")
@with_session
def create_token(
    session: Session,
    name: Annotated[
        str,
        typer.Option(help="What the token is for, e.g. ci-deploy.", show_default=False),
    ],
    scopes: Annotated[
        list[str],
        typer.Option(
            "--scope",
            help="A scope to grant (repeatable): admin, content:read, content:write, "
            "media:read, media:write, schema:read, schema:write, taxonomies:manage, "
            "menus:manage, settings:read, settings:manage, plugins:read, "
            "plugins:manage, cron:run.",
            show_default=False,
        ),
    ],
    user: Annotated[
        str | None,
        typer.Option(
            metavar="EMAIL",
            help="Bind the token to this user: it acts as them, with its scopes ∩ "
            "their role (default: an operator token).",
        ),
    ] = None,
    expires_days: Annotated[
        int | None,
        typer.Option(min=1, help="Expire after this many days (default: never)."),
    ] = None,
) -> None:
    """Create a token and print its secret, once.

    With --user EMAIL the token acts as that user and may do what both its scopes
    and the user's role allow (scopes ∩ role): a token with the admin scope for an
    editor does what an editor does, and stops working if the user is disabled.
    Without --user it is an operator token: it acts for no user and may do all its
    scopes allow. Store the secret, e.g. in EMDASH_TOKEN: it is not shown again."""
    body: dict[str, object] = {"name": name, "scopes": scopes}
    if user is not None:
        body["user"] = user
    if expires_days is not None:
        expires_at = datetime.now(UTC) + timedelta(days=expires_days)
        body["expires_at"] = expires_at.isoformat()
    created = session.client.call("token.create", body=body)
    session.show(created, output.token_created)


@app.command("list")
@with_session
def list_tokens(session: Session) -> None:
    """List tokens, newest first (never their secrets)."""
    session.show(session.client.call("token.list"), output.tokens)


@app.command("revoke")
@with_session
def revoke_token(
    session: Session,
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id.")],
) -> None:
    """Revoke a token: it stops working at once."""
    session.show(session.client.call("token.revoke", token=token_id), output.token)
