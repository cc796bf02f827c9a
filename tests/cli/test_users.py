"""`emdash setup-url`, `user`, `role` and `token create --user`, on the local site
and (at the end) on a live server over the REST API."""

import json

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from pytest_django.live_server_helper import LiveServer

from emdash.accounts import invites, setup, signin
from emdash.accounts.links import LinkRejected
from emdash.accounts.models import AccessLink, ApiToken, CustomRole, User
from emdash.accounts.roles import permissions_for_role
from emdash.accounts.tokens import actor_for_token, create_token
from emdash.core.actors import SYSTEM
from emdash.core.models import AuditEvent
from emdash.core.permissions import scope_permissions
from tests.cli.conftest import emdash, fails, json_of, ok, usage_error
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SETUP_PREFIX = "/_emdash/admin/setup/"
INVITE_PREFIX = "/_emdash/admin/invite/"
SIGN_IN_PREFIX = "/_emdash/admin/login/link/"


def token_in(url: str, prefix: str) -> str:
    """The token of a one-time URL, checking that the URL has the expected shape."""
    assert url.startswith(settings.SITE_URL + prefix), url
    assert url.endswith("/"), url
    token = url.removeprefix(settings.SITE_URL + prefix).removesuffix("/")
    assert token, url
    assert "/" not in token, url
    return token


def only_line(stdout: str) -> str:
    """The one line a command printed, which must be all it printed."""
    line = stdout.removesuffix("\n")
    assert stdout == line + "\n"
    assert "\n" not in line
    assert line == line.strip()
    return line


# -- setup-url -----------------------------------------------------------------------


def test_setup_url_prints_only_a_url_that_sets_up_the_site() -> None:
    url = only_line(ok("setup-url"))

    link = setup.check_token(token_in(url, SETUP_PREFIX))
    assert (link.purpose, link.created_by) == ("setup", "emdash setup-url")
    event = AuditEvent.objects.get(action="setup.link_issue")
    assert (event.actor_kind, event.data) == ("system", {"by": "emdash setup-url"})


def test_a_new_setup_url_revokes_the_earlier_one() -> None:
    first = token_in(only_line(ok("setup-url")), SETUP_PREFIX)
    second = token_in(json_of("setup-url")["url"], SETUP_PREFIX)

    with pytest.raises(LinkRejected) as rejected:
        setup.check_token(first)
    assert rejected.value.code == "LINK_REVOKED"
    assert setup.check_token(second).revoked_at is None


def test_setup_url_once_an_administrator_exists() -> None:
    make_user("administrator")

    plain = fails("setup-url")
    as_json = fails("setup-url", "--json")

    assert plain.stdout == ""
    assert plain.stderr == (
        "error: ALREADY_SET_UP: This site has an administrator already, so there is "
        "nothing to set up. An administrator who lost every passkey can sign in with "
        "a link from `emdash user login-url EMAIL`.\n"
    )
    assert json.loads(as_json.stderr)["error"]["code"] == "ALREADY_SET_UP"
    assert not AccessLink.objects.exists()


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["setup-url", "--url", "https://cms.example.com"], None),
        (["setup-url"], {"EMDASH_URL": "https://cms.example.com"}),
        (
            ["user", "login-url", "a@example.com", "--url", "https://cms.example.com"],
            None,
        ),
    ],
    ids=["setup-url option", "setup-url environment", "login-url option"],
)
def test_the_operators_links_refuse_a_remote_site(
    args: list[str], env: dict[str, str] | None
) -> None:
    make_user("administrator", email="a@example.com")

    result = emdash(*args, env=env)

    assert result.exit_code == 2, result.output
    assert (
        "this command works on the local site only: it hands out the site's keys, "
        "so run it on the site's own machine, without --url or EMDASH_URL."
    ) in usage_error(result.stderr)
    assert result.stdout == ""
    assert not AccessLink.objects.exists()


# -- invites -------------------------------------------------------------------------


def test_user_invite_prints_only_the_url_and_emails_it() -> None:
    url = only_line(ok("user", "invite", "Bob@Example.com", "--role", "editor"))

    invite = invites.check_token(token_in(url, INVITE_PREFIX))
    assert (invite.email, invite.role, invite.created_by) == (
        "Bob@example.com",
        "editor",
        "system",
    )
    assert invite.sent_at is not None
    [sent] = mail.outbox
    assert sent.to == ["Bob@example.com"]
    assert url in sent.body


def test_user_invite_without_email_and_as_json() -> None:
    issued = json_of(
        "user", "invite", "bob@example.com", "--role", "author", "--no-email"
    )

    assert mail.outbox == []
    assert issued["emailed"] is False
    assert issued["invite"]["email"] == "bob@example.com"
    assert issued["invite"]["role"] == "author"
    assert issued["invite"]["status"] == "pending"
    assert issued["invite"]["sent_at"] is None
    invite = invites.check_token(token_in(issued["url"], INVITE_PREFIX))
    assert invite.pk == issued["invite"]["id"]


def test_user_invite_errors() -> None:
    make_user("editor", email="taken@example.com")

    unknown_role = fails("user", "invite", "bob@example.com", "--role", "owner")
    has_account = fails("user", "invite", "taken@example.com", "--role", "author")
    bad_email = fails("user", "invite", "not-an-address", "--role", "author")
    no_role = fails("user", "invite", "bob@example.com", code=2)

    assert unknown_role.stderr == (
        "error: VALIDATION_ERROR: There is no role 'owner'. (role: unknown role; "
        "expected one of subscriber, contributor, author, editor, administrator)\n"
    )
    assert has_account.stderr == (
        "error: USER_EXISTS: taken@example.com has an account already.\n"
    )
    assert bad_email.stderr.startswith(
        "error: VALIDATION_ERROR: The invite is invalid."
    )
    assert "Missing option '--role'" in no_role.stderr
    assert not AccessLink.objects.exists()
    assert mail.outbox == []


def test_pending_invites_resend_and_revoke() -> None:
    first = json_of("user", "invite", "bob@example.com", "--role", "editor")
    second = json_of("user", "invite", "carol@example.com", "--role", "author")
    invite_id = first["invite"]["id"]

    resent_url = only_line(ok("user", "resend-invite", invite_id))
    revoked = json_of("user", "revoke-invite", second["invite"]["id"])
    pending = json_of("user", "invites")["items"]
    every = json_of("user", "invites", "--all")["items"]

    # Resending replaces the link: the first one no longer works.
    assert resent_url != first["url"]
    with pytest.raises(LinkRejected):
        invites.check_token(token_in(first["url"], INVITE_PREFIX))
    assert invites.check_token(token_in(resent_url, INVITE_PREFIX)).pk == invite_id
    assert len(mail.outbox) == 3
    assert (revoked["id"], revoked["status"]) == (second["invite"]["id"], "revoked")
    assert [i["email"] for i in pending] == ["bob@example.com"]
    assert [(i["email"], i["status"]) for i in every] == [
        ("carol@example.com", "revoked"),
        ("bob@example.com", "pending"),
    ]
    listed = ok("user", "invites")
    assert listed.splitlines()[0].split() == [
        "ID", "EMAIL", "ROLE", "STATUS", "EXPIRES", "(UTC)", "EMAILED", "(UTC)",
    ]  # fmt: skip
    assert f"{invite_id}   bob@example.com   editor   pending" in listed
    assert ok("user", "revoke-invite", invite_id) == (
        f"Invite {invite_id} for bob@example.com (editor): revoked.\n"
    )
    assert ok("user", "invites") == "No invites.\n"


def test_unknown_invites() -> None:
    for command in ("resend-invite", "revoke-invite"):
        result = fails("user", command, "01J00000000000000000000000")

        assert result.stderr == (
            "error: INVITE_NOT_FOUND: No invite '01J00000000000000000000000'.\n"
        )


# -- login-url -----------------------------------------------------------------------


def test_login_url_prints_only_a_url_that_signs_the_user_in(client: Client) -> None:
    admin = make_user("administrator", email="ada@example.com")

    url = only_line(ok("user", "login-url", "ADA@example.com"))

    token = token_in(url, SIGN_IN_PREFIX)
    assert signin.check_sign_in_link(token).user == admin
    event = AuditEvent.objects.get(action="user.recovery_link")
    assert (event.actor_kind, event.target_id) == ("system", str(admin.pk))
    redeem = "/_emdash/api/auth/link/redeem"
    body = json.dumps({"token": token})
    signed_in = client.post(redeem, body, content_type="application/json")
    assert signed_in.status_code == 200, signed_in.content
    assert signed_in.json()["user"]["email"] == "ada@example.com"
    again = client.post(redeem, body, content_type="application/json")
    assert again.json()["error"]["code"] == "LINK_USED"


def test_login_url_as_json_revokes_the_earlier_link() -> None:
    make_user("editor", email="ed@example.com")
    first = token_in(
        only_line(ok("user", "login-url", "ed@example.com")), SIGN_IN_PREFIX
    )

    second = json_of("user", "login-url", "ed@example.com")

    assert list(second) == ["url"]
    assert signin.check_sign_in_link(token_in(second["url"], SIGN_IN_PREFIX))
    with pytest.raises(LinkRejected) as rejected:
        signin.check_sign_in_link(first)
    assert rejected.value.code == "LINK_REVOKED"


def test_login_url_for_an_unknown_or_disabled_user() -> None:
    disabled = make_user("editor", email="gone@example.com")
    disabled.is_active = False
    disabled.save()

    unknown = fails("user", "login-url", "nobody@example.com")
    off = fails("user", "login-url", "gone@example.com")

    assert unknown.stdout == ""
    assert unknown.stderr == (
        "error: USER_NOT_FOUND: No user with the email nobody@example.com.\n"
    )
    assert off.stderr == (
        "error: USER_DISABLED: gone@example.com is disabled; enable the account "
        "first.\n"
    )
    assert not AccessLink.objects.exists()


# -- people --------------------------------------------------------------------------


def test_user_list_show_and_filters() -> None:
    ada = make_user("administrator", email="ada@example.com")
    ed = make_user("editor", email="ed@example.com")
    make_user("author", email="al@example.com")
    ed.is_active = False
    ed.save()

    def emails(*args: str) -> list[str]:
        return [u["email"] for u in json_of("user", "list", *args)["items"]]

    assert emails() == ["ada@example.com", "al@example.com", "ed@example.com"]
    assert emails("--role", "author") == ["al@example.com"]
    assert emails("--disabled") == ["ed@example.com"]
    assert emails("--active") == ["ada@example.com", "al@example.com"]
    assert emails("--role", "subscriber") == []
    assert json_of("user", "show", "ADA@example.com") == json_of(
        "user", "show", str(ada.pk)
    )
    assert json_of("user", "show", "ed@example.com") == {
        "id": ed.pk,
        "email": "ed@example.com",
        "display_name": "Editor User",
        "role": "editor",
        "is_active": False,
        "date_joined": ed.date_joined.isoformat().replace("+00:00", "Z"),
        "last_login": None,
    }
    table = ok("user", "list", "--role", "editor").splitlines()
    assert table[0].split() == [
        "ID", "EMAIL", "NAME", "ROLE", "STATUS", "LAST", "SIGN-IN", "(UTC)",
    ]  # fmt: skip
    assert table[2].split() == [str(ed.pk), "ed@example.com", "Editor", "User",
                                "editor", "disabled", "-"]  # fmt: skip
    shown = ok("user", "show", "ed@example.com")
    assert "role          editor\n" in shown
    assert "status        disabled\n" in shown
    assert ok("user", "list", "--role", "subscriber") == "No users.\n"


def test_users_are_named_by_email_or_id_and_unknown_ones_are_refused() -> None:
    make_user("editor", email="ed@example.com")

    by_email = fails("user", "show", "nobody@example.com")
    # "ed@example" is part of an address, not an address.
    partial = fails("user", "set-role", "ed@example", "author")
    by_id = fails("user", "show", "999999")

    assert by_email.stderr == (
        "error: USER_NOT_FOUND: No user with the email nobody@example.com.\n"
    )
    assert (
        partial.stderr == "error: USER_NOT_FOUND: No user with the email ed@example.\n"
    )
    assert by_id.stderr == "error: USER_NOT_FOUND: No user '999999'.\n"
    assert User.objects.get(email="ed@example.com").role == "editor"


def test_set_role_disable_and_enable() -> None:
    make_user("administrator", email="ada@example.com")
    ed = make_user("editor", email="ed@example.com")
    salt = ed.session_salt

    promoted = json_of("user", "set-role", "ed@example.com", "administrator")
    disabled = json_of("user", "disable", str(ed.pk))
    shown = ok("user", "enable", "ed@example.com")

    assert (promoted["role"], promoted["is_active"]) == ("administrator", True)
    assert (disabled["role"], disabled["is_active"]) == ("administrator", False)
    assert "status        active\n" in shown
    ed.refresh_from_db()
    assert (ed.role, ed.is_active) == ("administrator", True)
    assert ed.session_salt != salt  # disabling ended the sessions
    actions = AuditEvent.objects.order_by("at").values_list("action", flat=True)
    assert list(actions) == ["user.role_change", "user.disable", "user.enable"]


def test_set_role_to_an_unknown_role() -> None:
    make_user("editor", email="ed@example.com")

    result = fails("user", "set-role", "ed@example.com", "owner")

    assert result.stderr.startswith(
        "error: VALIDATION_ERROR: There is no role 'owner'. (role: unknown role;"
    )
    assert User.objects.get().role == "editor"


@pytest.mark.parametrize(
    "args",
    [
        ["set-role", "ada@example.com", "editor"],
        ["disable", "ada@example.com"],
        ["delete", "ada@example.com", "--yes"],
    ],
    ids=["demote", "disable", "delete"],
)
def test_the_last_administrator_stays(args: list[str]) -> None:
    ada = make_user("administrator", email="ada@example.com")
    make_user("editor", email="ed@example.com")

    result = fails("user", *args)
    as_json = fails("user", *args, "--json")

    assert result.stderr.startswith("error: LAST_ADMINISTRATOR: Cannot ")
    assert result.stderr.endswith(
        " the last administrator: make someone else an administrator first.\n"
    )
    assert json.loads(as_json.stderr)["error"]["code"] == "LAST_ADMINISTRATOR"
    ada.refresh_from_db()
    assert (ada.role, ada.is_active) == ("administrator", True)
    assert not AuditEvent.objects.exists()


def test_delete_needs_yes_and_prints_the_user_it_deleted() -> None:
    make_user("administrator", email="ada@example.com")
    ed = make_user("editor", email="ed@example.com")
    al = make_user("author", email="al@example.com")

    unconfirmed = fails("user", "delete", "ed@example.com", code=2)
    deleted = ok("user", "delete", "ed@example.com", "--yes")
    as_json = json_of("user", "delete", str(al.pk), "--yes")

    assert (
        "Invalid value for --yes: deleting a user cannot be undone, so it needs --yes"
        in usage_error(unconfirmed.stderr)
    )
    assert deleted == f"Deleted user ed@example.com ({ed.pk}).\n"
    assert (as_json["id"], as_json["email"]) == (al.pk, "al@example.com")
    assert list(User.objects.values_list("email", flat=True)) == ["ada@example.com"]


def test_sign_out_everywhere() -> None:
    ed = make_user("editor", email="ed@example.com")
    salt = ed.session_salt

    printed = ok("user", "sign-out-everywhere", "ed@example.com")

    assert printed == f"Ended every session of ed@example.com ({ed.pk}).\n"
    ed.refresh_from_db()
    assert ed.session_salt != salt
    assert AuditEvent.objects.get().action == "user.sign_out_everywhere"


# -- roles ---------------------------------------------------------------------------


def test_roles_create_show_update_list_and_delete() -> None:
    created = json_of(
        "role", "create", "reviewer", "--name", "Reviewer",
        "--permission", "content:read_drafts", "--permission", "content:read",
        "--description", "Reads drafts",
    )  # fmt: skip
    updated = json_of(
        "role", "update", "reviewer", "--permission", "content:read",
        "--permission", "content:publish_any",
    )  # fmt: skip
    listed = json_of("role", "list")["items"]
    shown = ok("role", "show", "reviewer")
    table = ok("role", "list")
    deleted = ok("role", "delete", "reviewer")

    assert created == {
        "slug": "reviewer",
        "name": "Reviewer",
        "description": "Reads drafts",
        "permissions": ["content:read", "content:read_drafts"],
        "built_in": False,
    }
    assert updated["permissions"] == ["content:publish_any", "content:read"]
    assert updated["description"] == "Reads drafts"
    assert [r["slug"] for r in listed] == [
        "subscriber", "contributor", "author", "editor", "administrator", "reviewer",
    ]  # fmt: skip
    assert shown.splitlines()[-2:] == ["permissions  content:publish_any",
                                       "             content:read"]  # fmt: skip
    assert (
        "reviewer        Reviewer        custom     2             Reads drafts" in table
    )
    assert deleted == "Deleted role reviewer.\n"
    assert not CustomRole.objects.exists()


def test_a_custom_role_can_be_given_to_users() -> None:
    json_of("role", "create", "reviewer", "--name", "Reviewer",
            "--permission", "content:read_drafts")  # fmt: skip
    ed = make_user("editor", email="ed@example.com")

    json_of("user", "set-role", "ed@example.com", "reviewer")
    in_use = fails("role", "delete", "reviewer")

    ed.refresh_from_db()
    assert ed.role == "reviewer"
    assert permissions_for_role(ed.role) == {"content:read_drafts"}
    assert in_use.stderr == (
        "error: ROLE_IN_USE: 1 user(s) hold the role 'reviewer'; give them another "
        "role first.\n"
    )


def test_role_errors() -> None:
    built_in = fails("role", "delete", "editor")
    unknown = fails("role", "show", "owner")
    bad = fails("role", "create", "Bad Slug", "--name", "", "--permission", "root")
    nothing = fails("role", "update", "editor", code=2)
    no_permission = fails("role", "create", "reviewer", "--name", "Reviewer", code=2)

    assert built_in.stderr == (
        "error: ROLE_BUILT_IN: Built-in roles cannot be deleted.\n"
    )
    assert unknown.stderr == "error: ROLE_NOT_FOUND: No role 'owner'.\n"
    assert bad.stderr.startswith("error: VALIDATION_ERROR: The role is invalid. (")
    for problem in ("name: must be 1-100", "permissions: unknown permission(s) root",
                    "slug: 2-32 characters"):  # fmt: skip
        assert problem in bad.stderr
    assert (
        "Invalid value: give what to change: --name, --description or --permission"
        in usage_error(nothing.stderr)
    )
    assert "Missing option '--permission'" in no_permission.stderr
    assert not CustomRole.objects.exists()


# -- tokens bound to a user ----------------------------------------------------------


def test_token_create_for_a_user_acts_with_scopes_and_role() -> None:
    ed = make_user("editor", email="ed@example.com")

    created = json_of(
        "token", "create", "--name", "ed-ci", "--scope", "admin",
        "--scope", "content:write", "--user", "ED@example.com",
    )  # fmt: skip
    printed = ok("token", "create", "--name", "ed-2", "--scope", "content:read",
                 "--user", "ed@example.com")  # fmt: skip

    assert created["user"] == ed.pk
    assert ApiToken.objects.get(pk=created["id"]).user == ed
    actor = actor_for_token(created["token"])
    assert actor.user_id == ed.pk
    assert actor.permissions == scope_permissions(["admin"]) & permissions_for_role(
        "editor"
    )
    assert "users:manage" not in actor.permissions
    second = ApiToken.objects.get(name="ed-2")
    assert printed.startswith(
        f"Created token ed-2 ({second.pk}) for user {ed.pk} with content:read; it "
        "never does more than the user's role allows.\n"
    )
    rows = [line.split() for line in ok("token", "list").splitlines()[2:]]
    assert [(row[1], row[3]) for row in rows] == [("ed-2", str(ed.pk)),
                                                 ("ed-ci", str(ed.pk))]  # fmt: skip


def test_token_create_for_an_unknown_user() -> None:
    result = fails("token", "create", "--name", "ci", "--scope", "admin",
                   "--user", "nobody@example.com")  # fmt: skip

    assert result.stderr == (
        "error: VALIDATION_ERROR: No user with the email nobody@example.com. "
        "(user: no user has this email address)\n"
    )
    assert not ApiToken.objects.exists()


# -- remote --------------------------------------------------------------------------


@pytest.fixture
def people() -> None:
    make_user("administrator", email="ada@example.com")
    make_user("editor", email="ed@example.com")
    json_of("role", "create", "reviewer", "--name", "Reviewer",
            "--permission", "content:read_drafts")  # fmt: skip
    json_of("user", "invite", "bob@example.com", "--role", "author", "--no-email")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", [["--json"], []], ids=["json", "plain"])
@pytest.mark.usefixtures("people")
def test_reads_print_the_same_bytes_over_http(
    remote: list[str], mode: list[str]
) -> None:
    for command in [
        ["user", "list"],
        ["user", "list", "--role", "editor", "--active"],
        ["user", "show", "ed@example.com"],
        ["user", "invites"],
        ["role", "list"],
        ["role", "show", "reviewer"],
    ]:
        local = ok(*command, *mode)
        over_http = ok(*command, *mode, *remote)

        assert over_http == local, command
        assert local.strip(), command


@pytest.mark.django_db(transaction=True)
def test_people_managed_over_http(remote: list[str]) -> None:
    ada = make_user("administrator", email="ada@example.com")
    ed = make_user("editor", email="ed@example.com")

    url = only_line(
        ok("user", "invite", "bob@example.com", "--role", "author", *remote)
    )
    invite = invites.check_token(token_in(url, INVITE_PREFIX))
    resent = json_of("user", "resend-invite", invite.pk, *remote)
    revoked = json_of("user", "revoke-invite", invite.pk, *remote)
    role = json_of("role", "create", "reviewer", "--name", "Reviewer",
                   "--permission", "content:read", *remote)  # fmt: skip
    changed = json_of("role", "update", "reviewer", "--name", "Reviewers", *remote)
    promoted = json_of("user", "set-role", "ed@example.com", "reviewer", *remote)
    disabled = json_of("user", "disable", "ed@example.com", *remote)
    enabled = json_of("user", "enable", str(ed.pk), *remote)
    signed_out = ok("user", "sign-out-everywhere", "ed@example.com", *remote)
    last_admin = fails("user", "disable", "ada@example.com", *remote)
    deleted = json_of("user", "delete", "ed@example.com", "--yes", *remote)
    role_deleted = ok("role", "delete", "reviewer", *remote)
    token = json_of("token", "create", "--name", "ada", "--scope", "content:read",
                    "--user", "ada@example.com", *remote)  # fmt: skip

    assert (invite.email, invite.role) == ("bob@example.com", "author")
    assert resent["url"] != url
    assert revoked["status"] == "revoked"
    assert role["permissions"] == ["content:read"]
    assert changed["name"] == "Reviewers"
    assert promoted["role"] == "reviewer"
    assert (disabled["is_active"], enabled["is_active"]) == (False, True)
    assert signed_out == f"Ended every session of ed@example.com ({ed.pk}).\n"
    assert last_admin.stderr.startswith("error: LAST_ADMINISTRATOR: ")
    assert last_admin.stderr == fails("user", "disable", "ada@example.com").stderr
    assert deleted["email"] == "ed@example.com"
    assert role_deleted == "Deleted role reviewer.\n"
    assert token["user"] == ada.pk
    assert list(User.objects.values_list("email", flat=True)) == ["ada@example.com"]
    assert not CustomRole.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_remote_errors_read_as_they_do_locally(remote: list[str]) -> None:
    make_user("editor", email="ed@example.com")

    for args in (
        ["user", "show", "nobody@example.com"],
        ["user", "show", "999999"],
        ["user", "set-role", "ed@example.com", "owner"],
        ["role", "delete", "editor"],
        [
            "token",
            "create",
            "--name",
            "x",
            "--scope",
            "admin",
            "--user",
            "no@example.com",
        ],
    ):
        assert fails(*args, *remote).stderr == fails(*args).stderr, args


@pytest.mark.django_db(transaction=True)
def test_a_token_without_users_manage_is_refused(live_server: LiveServer) -> None:
    ed = make_user("editor", email="ed@example.com")
    # An editor's token: scopes ∩ role leaves no users:read.
    token = create_token(SYSTEM, name="ed", scopes=["admin"], user=ed).plaintext
    remote = ["--url", live_server.url, "--token", token]

    listed = fails("user", "list", *remote)
    invited = fails("user", "invite", "bob@example.com", "--role", "author", *remote)

    assert listed.stderr.startswith("error: FORBIDDEN: ")
    assert "users:read" in listed.stderr
    assert invited.stderr.startswith("error: FORBIDDEN: ")
    assert not AccessLink.objects.exists()
