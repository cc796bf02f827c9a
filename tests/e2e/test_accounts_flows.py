"""The accounts acceptance list, in a real browser with real passkeys: first-run
setup, signing out and in (with the button and through autofill), invites, what
a contributor may not do, emailed sign-in links, and a refused passkey."""

import json
import re

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import Page, expect
from typer.testing import CliRunner

from emdash.accounts.models import User
from emdash.cli import app
from emdash.content.models import Entry
from emdash.content.services import entries
from emdash.core import site_settings
from tests.e2e.conftest import OpenPasskeyPage, PasskeyPage
from tests.factories import actor_for, make_collection, make_user

pytestmark = pytest.mark.e2e

ADMIN = "/_emdash/admin/"
LOGIN = "/_emdash/admin/login/"
CANCELLED = "The passkey request was cancelled or timed out."


def emdash_setup_url() -> str:
    """The setup URL as an operator gets it: ``emdash setup-url``'s only output."""
    result = CliRunner().invoke(app, ["setup-url"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def set_up_site(
    admin: PasskeyPage,
    site: str,
    *,
    name: str = "Ada Admin",
    email: str = "ada@example.com",
    title: str = "Field Notes",
) -> str:
    """Claim the empty site as its first administrator; returns the setup URL."""
    setup_url = emdash_setup_url()
    assert setup_url.startswith(f"{site}/_emdash/admin/setup/"), setup_url
    page = admin.page
    page.goto(setup_url)
    page.fill("input[name=site_title]", title)
    page.fill("input[name=display_name]", name)
    page.fill("input[name=email]", email)
    page.click('[data-action="register-passkey"]')
    expect_dashboard(page, site, name)
    return setup_url


def expect_dashboard(page: Page, site: str, name: str) -> None:
    expect(page).to_have_url(site + ADMIN)
    expect(page.locator("body")).to_contain_text(name)


def sign_out(page: Page, site: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(site + LOGIN)


def sign_in_with_passkey(page: Page) -> None:
    page.goto(LOGIN)
    page.click('[data-action="sign-in-passkey"]')


def sign_in_link_from(mail: EmailMessage, site: str) -> str:
    found = re.findall(rf"{re.escape(site)}/_emdash/admin/login/link/\S+/", mail.body)
    assert len(found) == 1, mail.body
    return found[0]


def test_first_run_setup_with_the_printed_url_makes_the_administrator(
    passkey_page: OpenPasskeyPage, site: str
) -> None:
    admin = passkey_page()

    setup_url = set_up_site(admin, site, name="Ada Admin", title="Field Notes")

    user = User.objects.get()
    assert (user.email, user.display_name, user.role) == (
        "ada@example.com",
        "Ada Admin",
        "administrator",
    )
    assert site_settings.get_all()["title"] == "Field Notes"
    [passkey] = admin.passkeys()
    assert (passkey["rpId"], passkey["isResidentCredential"]) == ("localhost", True)
    # The URL worked once: the site is claimed now.
    response = admin.page.goto(setup_url)
    assert response is not None
    assert response.status == 409
    expect(admin.page.get_by_role("alert")).to_contain_text(
        "This site has an administrator already"
    )


def test_sign_out_then_sign_in_with_the_passkey(
    passkey_page: OpenPasskeyPage, site: str
) -> None:
    admin = passkey_page()
    set_up_site(admin, site, name="Ada Admin")
    page = admin.page

    sign_out(page, site)
    page.goto(ADMIN)
    expect(page).to_have_url(re.compile(re.escape(site + LOGIN)))

    sign_in_with_passkey(page)

    expect_dashboard(page, site, "Ada Admin")


def test_the_browsers_passkey_autofill_signs_in_from_the_login_page(
    passkey_page: OpenPasskeyPage, site: str
) -> None:
    admin = passkey_page(autofill=True)
    set_up_site(admin, site, name="Ada Admin")
    page = admin.page

    # Signing out lands on the sign-in page, whose autofill request the virtual
    # authenticator answers as if the person picked their passkey from the list.
    with page.expect_response("**/_emdash/api/auth/passkey/verify") as verify:
        page.get_by_role("button", name="Sign out").click()

    assert verify.value.status == 200
    expect_dashboard(page, site, "Ada Admin")


def test_an_invited_editor_joins_in_another_browser_and_signs_in(
    passkey_page: OpenPasskeyPage, site: str, mailoutbox: list[EmailMessage]
) -> None:
    admin = passkey_page()
    set_up_site(admin, site)
    admin.page.goto(ADMIN + "users/")
    admin.page.get_by_label("Email address", exact=True).fill("erin@example.com")
    admin.page.get_by_label("Role", exact=True).select_option("editor")
    admin.page.get_by_role("button", name="Send invite").click()
    invite_url = admin.page.get_by_label("Invite link").input_value()
    assert invite_url.startswith(f"{site}/_emdash/admin/invite/"), invite_url
    [mail] = mailoutbox
    assert mail.to == ["erin@example.com"]
    assert invite_url in mail.body

    editor = passkey_page()
    editor.page.goto(invite_url)
    editor.page.fill("input[name=display_name]", "Erin Editor")
    editor.page.click('[data-action="register-passkey"]')
    expect_dashboard(editor.page, site, "Erin Editor")
    sign_out(editor.page, site)
    sign_in_with_passkey(editor.page)

    expect_dashboard(editor.page, site, "Erin Editor")
    erin = User.objects.get(email="erin@example.com")
    assert (erin.display_name, erin.role) == ("Erin Editor", "editor")
    assert len(editor.passkeys()) == 1


def test_a_contributor_can_publish_neither_in_the_admin_nor_through_the_api(
    passkey_page: OpenPasskeyPage, site: str, mailoutbox: list[EmailMessage]
) -> None:
    make_user("administrator", email="ada@example.com")
    contributor = make_user("contributor", email="cole@example.com")
    make_collection("posts")
    draft = entries.create_entry(
        actor_for(contributor), "posts", {"data": {"title": "Notes from the field"}}
    )
    browser = passkey_page()
    page = browser.page
    page.goto(LOGIN)
    page.get_by_label("Email address", exact=True).fill("cole@example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.goto(sign_in_link_from(mailoutbox[-1], site))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect_dashboard(page, site, contributor.display_name)

    page.goto(ADMIN + "content/")
    page.get_by_role("link", name="Posts", exact=True).click()
    page.get_by_role("link", name="Notes from the field").click()
    expect(page).to_have_url(f"{site}{ADMIN}content/posts/{draft.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notes from the field")
    expect(page.get_by_role("button", name=re.compile("Publish"))).to_have_count(0)

    # A forged form post from the admin is refused with the reason.
    page.evaluate(
        """([action, version]) => {
            const form = Object.assign(document.createElement("form"),
                {method: "post", action});
            for (const [name, value] of [["version", version],
                ["csrfmiddlewaretoken",
                 document.querySelector('meta[name="csrf-token"]').content]]) {
                form.append(Object.assign(document.createElement("input"),
                    {type: "hidden", name, value}));
            }
            document.body.append(form);
            form.submit();
        }""",
        [f"{ADMIN}content/posts/{draft.pk}/publish/", str(draft.version)],
    )
    expect(page.locator("#messages")).to_contain_text(
        "lacks the permission content:publish_any or content:publish_own"
    )

    # So is the same request through the API, with the session and its CSRF token.
    answer = page.evaluate(
        """async ([url, version]) => {
            const response = await fetch(url, {
                method: "POST",
                credentials: "same-origin",
                headers: {
                    "Content-Type": "application/json",
                    "X-CSRFToken":
                        document.querySelector('meta[name="csrf-token"]').content,
                },
                body: JSON.stringify({version}),
            });
            return {status: response.status, body: await response.text()};
        }""",
        [f"/_emdash/api/content/posts/{draft.pk}/publish", draft.version],
    )
    assert answer["status"] == 403, answer
    assert json.loads(answer["body"])["error"]["code"] == "FORBIDDEN"

    draft.refresh_from_db()
    assert (draft.status, draft.published_at) == ("draft", None)
    assert Entry.objects.filter(status="published").count() == 0


def test_an_emailed_sign_in_link_works_once(
    passkey_page: OpenPasskeyPage, site: str, mailoutbox: list[EmailMessage]
) -> None:
    make_user("administrator", email="ada@example.com")
    page = passkey_page().page
    page.goto(LOGIN)
    page.get_by_label("Email address", exact=True).fill("ada@example.com")

    page.get_by_role("button", name="Email me a sign-in link").click()

    expect(page).to_have_url(site + LOGIN)
    expect(page.locator("#messages")).to_contain_text(
        "If that address has an account, a sign-in link is on its way."
    )
    [mail] = mailoutbox
    assert mail.to == ["ada@example.com"]
    link = sign_in_link_from(mail, site)
    page.goto(link)
    expect(page.locator("main")).to_contain_text("ada@example.com")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect_dashboard(page, site, "Administrator User")

    response = page.goto(link)
    assert response is not None
    assert response.status == 410
    expect(page.get_by_role("alert")).to_contain_text(
        "This link has already been used."
    )


def test_a_passkey_without_user_verification_is_refused(
    passkey_page: OpenPasskeyPage, site: str
) -> None:
    admin = passkey_page()
    set_up_site(admin, site)
    page = admin.page
    sign_out(page, site)
    admin.set_user_verified(False)

    sign_in_with_passkey(page)

    expect(page.locator("[data-passkey-error]")).to_have_text(CANCELLED)
    expect(page).to_have_url(site + LOGIN)
    expect(page.locator('[data-action="sign-in-passkey"]')).to_be_enabled()
    page.goto(ADMIN)
    expect(page).to_have_url(re.compile(re.escape(site + LOGIN)))
    # The same passkey works again once the person is verified.
    admin.set_user_verified(True)
    sign_in_with_passkey(page)
    expect_dashboard(page, site, "Ada Admin")
