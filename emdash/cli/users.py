"""``emdash user ...`` and ``emdash setup-url``: people and their invites, and the
operator's one-time links (first-run setup, sign-in for a locked-out user)."""

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from emdash.cli import output
from emdash.cli.runtime import Session, setup_django, with_session
from emdash.core.errors import Conflict, NotFound

if TYPE_CHECKING:
    from pydantic import BaseModel

    from emdash.accounts.schemas import UserOut

app = typer.Typer(
    help="Users and invites: list, invite, change roles, disable, delete; "
    "one-time sign-in links.",
    no_args_is_help=True,
)

UserArg = Annotated[
    str,
    typer.Argument(
        metavar="EMAIL_OR_ID",
        help="The user's email address or numeric id.",
        show_default=False,
    ),
]
InviteArg = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="The invite's id (see `emdash user invites`).",
        show_default=False,
    ),
]
ROLE_HELP = (
    "subscriber, contributor, author, editor, administrator, or a custom role's "
    "slug (see `emdash role list`)."
)


def refuse_remote(value: str | None) -> None:
    if value:
        raise typer.BadParameter(
            "this command works on the local site only: it hands out the site's "
            "keys, so run it on the site's own machine, without --url or EMDASH_URL."
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


def print_link(session: Session, url: str, answer: "BaseModel | None" = None) -> None:
    """A one-time URL alone on stdout, never wrapped, so that it can be copied or
    piped; with --json the API's answer, or ``{"url": ...}``."""
    if not session.json_output:
        typer.echo(url)
    elif answer is not None:
        sys.stdout.write(answer.model_dump_json() + "\n")
    else:
        session.show_json({"url": url})


def user_id(session: Session, ref: str) -> str:
    """The numeric id of the user ``ref`` names (an id already, or an email)."""
    return ref if ref.isascii() and ref.isdigit() else str(find_user(session, ref).id)


def find_user(session: Session, ref: str) -> "UserOut":
    """The user an id or an email address names (the API's paths take ids)."""
    if ref.isascii() and ref.isdigit():
        return session.client.call("user.get", user=ref)
    email = ref.strip()
    matches = session.client.call("user.list", query={"q": email})
    for found in matches.items:
        if found.email.lower() == email.lower():
            return found
    raise NotFound(f"No user with the email {email}.", code="USER_NOT_FOUND")


# -- first run -----------------------------------------------------------------------


@with_session(remote=False)
def setup_url(session: Session, remote_url: LocalOnlyUrl = None) -> None:
    """Print a one-time URL that sets up a new site, and revoke earlier ones.

    Whoever opens it names the site and registers the first administrator's
    passkey: hand it only to that person. It works once, within 24 hours, and only
    while the site has no administrator. It is built from EMDASH_SITE_URL."""
    setup_django()
    from emdash.accounts import setup

    try:
        url = setup.issue_setup_url(created_by="emdash setup-url")
    except setup.AlreadySetUp as error:
        raise Conflict(
            "This site has an administrator already, so there is nothing to set up. "
            "An administrator who lost every passkey can sign in with a link from "
            "`emdash user login-url EMAIL`.",
            code=error.code,
        ) from None
    print_link(session, url)


# -- people --------------------------------------------------------------------------


@app.command("list")
@with_session
def list_users(
    session: Session,
    role: Annotated[str | None, typer.Option(help="Only users with this role.")] = None,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--disabled",
            help="Only active users, or only disabled ones (default: both).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List users by email."""
    query: dict[str, Any] = {"role": role, "active": active}
    session.show(session.client.call("user.list", query=query), output.users)


@app.command("show")
@with_session
def show_user(session: Session, user: UserArg) -> None:
    """Show a user: email, name, role, status, last sign-in."""
    session.show(find_user(session, user), output.user)


def _update(session: Session, ref: str, changes: dict[str, Any]) -> None:
    changed = session.client.call(
        "user.update", body=changes, user=user_id(session, ref)
    )
    session.show(changed, output.user)


@app.command("set-role")
@with_session
def set_role(
    session: Session,
    user: UserArg,
    role: Annotated[str, typer.Argument(metavar="ROLE", help=ROLE_HELP)],
) -> None:
    """Give a user another role.

    The last active administrator cannot be demoted (LAST_ADMINISTRATOR)."""
    _update(session, user, {"role": role})


@app.command("disable")
@with_session
def disable_user(session: Session, user: UserArg) -> None:
    """Disable a user: they can no longer sign in.

    Their sessions end and their tokens stop working; `emdash user enable` undoes
    it. The last active administrator cannot be disabled (LAST_ADMINISTRATOR)."""
    _update(session, user, {"is_active": False})


@app.command("enable")
@with_session
def enable_user(session: Session, user: UserArg) -> None:
    """Let a disabled user sign in again."""
    _update(session, user, {"is_active": True})


@app.command("sign-out-everywhere")
@with_session
def sign_out_everywhere(session: Session, user: UserArg) -> None:
    """End every session of a user, on every device (tokens keep working)."""
    found = find_user(session, user)
    session.client.call("user.sign_out_everywhere", user=str(found.id))
    session.show(found, output.user_signed_out)


@app.command("delete")
@with_session
def delete_user(
    session: Session,
    user: UserArg,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: deleting cannot be undone.")
    ] = False,
) -> None:
    """Delete a user for good; their entries stay, without an author.

    Disabling (`emdash user disable`) can be undone; this cannot. The last active
    administrator cannot be deleted. --json prints the user as it was."""
    if not yes:
        raise typer.BadParameter(
            "deleting a user cannot be undone, so it needs --yes", param_hint="--yes"
        )
    found = find_user(session, user)
    session.client.call("user.delete", user=str(found.id))
    session.show(found, output.user_deleted)


@app.command("login-url")
@with_session(remote=False)
def login_url(
    session: Session,
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="The user's email address.")
    ],
    remote_url: LocalOnlyUrl = None,
) -> None:
    """Print a one-time sign-in URL for a user, for recovery.

    For an administrator who lost every passkey on a site that cannot send email:
    the link signs them in once, within 30 minutes, so that they can add a passkey.
    Earlier links made this way for the user stop working. It is in the audit log."""
    setup_django()
    from emdash.accounts import signin
    from emdash.core.actors import SYSTEM

    print_link(session, signin.issue_recovery_link(SYSTEM, email).url)


# -- invites -------------------------------------------------------------------------


@app.command("invite")
@with_session
def invite_user(
    session: Session,
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="Who to invite.", show_default=False)
    ],
    role: Annotated[
        str,
        typer.Option(help=f"The role they get: {ROLE_HELP}", show_default=False),
    ],
    no_email: Annotated[
        bool,
        typer.Option("--no-email", help="Do not email the link; only print it."),
    ] = False,
) -> None:
    """Invite someone and print the invite URL (it is also emailed to them).

    Opening it lets them register a passkey and so create their account with that
    role. It works once, within 7 days; an earlier invite for the address stops
    working. --json prints {"invite", "url", "emailed"}."""
    body = {"email": email, "role": role, "send_email": not no_email}
    issued = session.client.call("invite.create", body=body)
    _warn_if_not_emailed(issued.emailed, wanted=not no_email)
    print_link(session, issued.url, issued)


def _warn_if_not_emailed(emailed: bool, *, wanted: bool) -> None:
    if wanted and not emailed:
        typer.echo(
            "warning: the invite could not be emailed; pass the link on yourself.",
            err=True,
        )


@app.command("invites")
@with_session
def list_invites(
    session: Session,
    all_invites: Annotated[
        bool,
        typer.Option("--all", help="Also used, revoked and expired invites."),
    ] = False,
) -> None:
    """List pending invites, newest first."""
    found = session.client.call("invite.list", query={"all": all_invites or None})
    session.show(found, output.invites)


@app.command("resend-invite")
@with_session
def resend_invite(session: Session, invite: InviteArg) -> None:
    """Email an invite again with a new link, and print the link.

    The old link stops working and the invite gets 7 more days. --json prints
    {"invite", "url", "emailed"}."""
    issued = session.client.call("invite.resend", invite=invite)
    _warn_if_not_emailed(issued.emailed, wanted=True)
    print_link(session, issued.url, issued)


@app.command("revoke-invite")
@with_session
def revoke_invite(session: Session, invite: InviteArg) -> None:
    """Revoke an invite: its link stops working."""
    session.show(session.client.call("invite.revoke", invite=invite), output.invite)
