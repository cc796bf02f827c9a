"""First-run setup: a one-time URL lets one person name the site and become its
first administrator with a passkey."""

import json
from functools import partial
from typing import Any

import pytest

from emdash.accounts import links, passkeys, setup
from emdash.accounts.links import LinkRejected
from emdash.accounts.models import AccessLink, Passkey, User, WebAuthnChallenge
from emdash.core import site_settings
from emdash.core.errors import (
    BadRequest,
    Conflict,
    EmDashError,
    ValidationFailed,
)
from emdash.core.models import AuditEvent
from tests.api.conftest import link_token
from tests.concurrency import run_at_once, skip_on_in_memory_sqlite
from tests.factories import make_user
from tests.softauthn import SoftAuthenticator

pytestmark = pytest.mark.django_db

PERSON = {
    "site_title": "Field Notes",
    "display_name": "Ada",
    "email": "ada@example.com",
}


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "http://localhost:8000"
    settings.WEBAUTHN_ORIGINS = []


def new_setup_token() -> str:
    return link_token(setup.issue_setup_url())


def begin_and_create(
    token: str, authenticator: SoftAuthenticator, **person: str
) -> tuple[str, dict[str, Any]]:
    options, challenge_id = setup.begin(token, **{**PERSON, **person})
    return challenge_id, authenticator.create(json.loads(options))


def complete(token: str, authenticator: SoftAuthenticator | None = None) -> User:
    challenge_id, credential = begin_and_create(
        token, authenticator or SoftAuthenticator()
    )
    return setup.finish(token, challenge_id, credential)


def test_a_setup_url_is_issued_and_audited():
    url = setup.issue_setup_url(created_by="cli")

    assert url.startswith("http://localhost:8000/_emdash/admin/setup/")
    assert url.endswith("/")
    assert setup.check_token(link_token(url)).purpose == AccessLink.SETUP
    event = AuditEvent.objects.get(action="setup.link_issue")
    assert event.data == {"by": "cli"}


def test_a_new_setup_url_revokes_the_older_ones():
    first, second = new_setup_token(), new_setup_token()

    with pytest.raises(LinkRejected) as refused:
        setup.check_token(first)

    assert refused.value.code == "LINK_REVOKED"
    assert setup.check_token(second)


def test_setup_creates_the_administrator_with_a_passkey_and_names_the_site():
    authenticator = SoftAuthenticator()
    assert setup.needs_setup()

    user = complete(new_setup_token(), authenticator)

    assert (user.email, user.display_name, user.role) == (
        "ada@example.com",
        "Ada",
        "administrator",
    )
    assert user.is_active
    assert Passkey.objects.filter(user=user).count() == 1
    assert site_settings.get_all()["title"] == "Field Notes"
    assert not setup.needs_setup()
    assert AccessLink.objects.get().user == user
    completed = AuditEvent.objects.get(action="setup.complete")
    assert (completed.actor_id, completed.data) == (
        str(user.pk),
        {"email": "ada@example.com"},
    )
    # The passkey made during setup signs in.
    options, challenge_id = passkeys.begin_authentication()
    assert (
        passkeys.finish_authentication(challenge_id, authenticator.get(options)) == user
    )


def test_the_setup_url_works_once():
    token = new_setup_token()
    complete(token)

    for attempt in (
        lambda: setup.check_token(token),
        lambda: complete(token),
    ):
        with pytest.raises(EmDashError) as refused:
            attempt()
        assert refused.value.code in {"ALREADY_SET_UP", "LINK_USED"}
    assert User.objects.count() == 1


def test_a_ceremony_begun_before_setup_completed_cannot_finish_after():
    token = new_setup_token()
    late_challenge, late_credential = begin_and_create(
        token, SoftAuthenticator(), email="late@example.com"
    )
    complete(token)

    with pytest.raises(Conflict) as refused:
        setup.finish(token, late_challenge, late_credential)

    assert refused.value.code == "ALREADY_SET_UP"
    assert list(User.objects.values_list("email", flat=True)) == ["ada@example.com"]


def test_no_setup_url_once_set_up():
    complete(new_setup_token())

    with pytest.raises(Conflict) as refused:
        setup.issue_setup_url()

    assert refused.value.code == "ALREADY_SET_UP"
    assert refused.value.status == 409


def test_an_existing_administrator_means_no_setup():
    make_user("administrator")

    with pytest.raises(setup.AlreadySetUp):
        setup.issue_setup_url()


@pytest.mark.parametrize(
    ("person", "fields"),
    [
        ({"site_title": "  "}, {"site_title"}),
        ({"site_title": "x" * 201}, {"site_title"}),
        ({"display_name": " "}, {"display_name"}),
        ({"display_name": "x" * 151}, {"display_name"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"email": ""}, {"email"}),
        ({"display_name": "", "email": "@"}, {"display_name", "email"}),
    ],
)
def test_bad_details_name_the_fields(person, fields):
    token = new_setup_token()

    with pytest.raises(ValidationFailed) as refused:
        setup.begin(token, **{**PERSON, **person})

    assert set(refused.value.fields) == fields
    assert not WebAuthnChallenge.objects.exists()


def test_a_challenge_from_a_different_link_is_refused():
    # Two live setup links, as two processes printing one each at start-up make.
    first = links.issue(AccessLink.SETUP).token
    second = links.issue(AccessLink.SETUP).token
    challenge_id, credential = begin_and_create(first, SoftAuthenticator())

    with pytest.raises(BadRequest) as refused:
        setup.finish(second, challenge_id, credential)

    assert refused.value.code == "CHALLENGE_UNKNOWN"
    assert not User.objects.exists()
    assert setup.needs_setup()


def test_a_failed_ceremony_leaves_the_link_usable():
    token = new_setup_token()
    challenge_id, credential = begin_and_create(
        token, SoftAuthenticator(origin="https://evil.example")
    )

    with pytest.raises(BadRequest) as refused:
        setup.finish(token, challenge_id, credential)

    assert refused.value.code == "WRONG_ORIGIN"
    assert not User.objects.exists()
    assert setup.check_token(token)
    assert complete(token).role == "administrator"


def test_a_setup_email_already_in_use_is_refused():
    make_user("author", email="ada@example.com")

    with pytest.raises(Conflict) as refused:
        setup.begin(new_setup_token(), **PERSON)

    assert refused.value.code == "USER_EXISTS"


@pytest.mark.parametrize("token", ["", "forged", "a.b.c"])
def test_forged_setup_tokens_are_invalid(token):
    new_setup_token()

    with pytest.raises(LinkRejected) as refused:
        setup.begin(token, **PERSON)

    assert refused.value.code == "LINK_INVALID"


# --- Concurrency --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_setups_completing_at_once_make_one_administrator():
    skip_on_in_memory_sqlite()
    # Two valid flows on two live links, each ready to finish.
    flows = []
    for email in ("ada@example.com", "grace@example.com"):
        token = links.issue(AccessLink.SETUP).token
        challenge_id, credential = begin_and_create(
            token, SoftAuthenticator(), email=email
        )
        flows.append((token, challenge_id, credential))

    outcomes = run_at_once([partial(setup.finish, *flow) for flow in flows])

    winners = [o for o in outcomes if isinstance(o, User)]
    losers = [o for o in outcomes if not isinstance(o, User)]
    assert len(winners) == 1, outcomes
    assert isinstance(losers[0], EmDashError), repr(losers[0])
    assert losers[0].code == "ALREADY_SET_UP"
    assert list(User.objects.values_list("email", "role")) == [
        (winners[0].email, "administrator")
    ]
    assert Passkey.objects.count() == 1
    assert AuditEvent.objects.filter(action="setup.complete").count() == 1
