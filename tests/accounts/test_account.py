"""A person's own passkeys: add, rename, remove, never the last one; people
with users:manage may do the same for anyone."""

import json
from typing import Any

import pytest

from emdash.accounts import account, passkeys
from emdash.accounts.models import Passkey, User
from emdash.accounts.tokens import actor_for_token, create_token
from emdash.accounts.users import actor_for_user
from emdash.core.actors import ANONYMOUS
from emdash.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from emdash.core.models import AuditEvent
from tests.factories import add_passkey, make_user
from tests.softauthn import AuthenticatorError, SoftAuthenticator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "http://localhost:8000"
    settings.WEBAUTHN_ORIGINS = []


def add_second(user: User, name: str = "") -> tuple[Passkey, SoftAuthenticator]:
    authenticator = SoftAuthenticator()
    options, challenge_id = account.begin_add_passkey(actor_for_user(user))
    passkey = account.finish_add_passkey(
        actor_for_user(user),
        challenge_id,
        authenticator.create(json.loads(options)),
        name=name,
    )
    return passkey, authenticator


def test_adding_a_second_passkey_is_audited_and_it_signs_in():
    user = make_user("author")
    add_passkey(user, name="Laptop")

    passkey, phone = add_second(user, name="Phone")

    assert [p.name for p in account.list_passkeys(actor_for_user(user))] == [
        "Laptop",
        "Phone",
    ]
    event = AuditEvent.objects.get(action="passkey.add")
    assert (event.target_id, event.data) == (
        str(passkey.pk),
        {"user": user.pk, "name": "Phone"},
    )
    options, challenge_id = passkeys.begin_authentication()
    assert passkeys.finish_authentication(challenge_id, phone.get(options)) == user


def test_an_unnamed_passkey_gets_a_numbered_name():
    user = make_user("author")
    add_passkey(user, name="Laptop")

    passkey, _ = add_second(user)

    assert passkey.name == "Passkey 2"


def test_the_options_exclude_passkeys_already_registered():
    user = make_user("author")
    laptop = add_passkey(user)
    options, _ = account.begin_add_passkey(actor_for_user(user))

    excluded = json.loads(options)["excludeCredentials"]

    assert len(excluded) == 1
    with pytest.raises(AuthenticatorError):
        laptop.create(options)


def test_a_registration_answer_cannot_be_replayed_on_a_new_challenge():
    user = make_user("author")
    me = actor_for_user(user)
    options, challenge_id = account.begin_add_passkey(me)
    answer = SoftAuthenticator().create(options)
    account.finish_add_passkey(me, challenge_id, answer)

    _, other_challenge = account.begin_add_passkey(me)
    with pytest.raises(BadRequest) as refused:
        account.finish_add_passkey(me, other_challenge, answer)

    assert refused.value.code == "CHALLENGE_MISMATCH"
    assert Passkey.objects.count() == 1


def test_a_registration_challenge_belongs_to_whoever_asked():
    ada, grace = make_user("author"), make_user("author")
    options, challenge_id = account.begin_add_passkey(actor_for_user(ada))

    with pytest.raises(BadRequest) as refused:
        account.finish_add_passkey(
            actor_for_user(grace), challenge_id, SoftAuthenticator().create(options)
        )

    assert refused.value.code == "CHALLENGE_UNKNOWN"
    assert not Passkey.objects.exists()


def test_renaming_a_passkey_is_audited():
    user = make_user("author")
    add_passkey(user, name="Laptop")
    passkey = Passkey.objects.get()

    renamed = account.rename_passkey(actor_for_user(user), passkey.pk, "  Work  ")

    assert renamed.name == "Work"
    assert Passkey.objects.get().name == "Work"
    event = AuditEvent.objects.get(action="passkey.rename")
    assert event.data == {"name": "Work"}


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_passkey_name_must_be_1_to_100_characters(name):
    user = make_user("author")
    add_passkey(user, name="Laptop")

    with pytest.raises(ValidationFailed) as refused:
        account.rename_passkey(actor_for_user(user), Passkey.objects.get().pk, name)

    assert set(refused.value.fields) == {"name"}
    assert Passkey.objects.get().name == "Laptop"


def test_removing_one_of_two_passkeys_is_audited():
    user = make_user("author")
    add_passkey(user, name="Laptop")
    phone, _ = add_second(user, name="Phone")

    account.remove_passkey(actor_for_user(user), phone.pk)

    assert list(Passkey.objects.values_list("name", flat=True)) == ["Laptop"]
    event = AuditEvent.objects.get(action="passkey.remove")
    assert event.data == {"user": user.pk, "name": "Phone"}


def test_the_last_passkey_stays():
    user = make_user("author")
    add_passkey(user)

    with pytest.raises(Conflict) as refused:
        account.remove_passkey(actor_for_user(user), Passkey.objects.get().pk)

    assert refused.value.code == "LAST_PASSKEY"
    assert Passkey.objects.count() == 1
    assert not AuditEvent.objects.filter(action="passkey.remove").exists()


def test_someone_elses_passkey_is_as_good_as_absent():
    owner = make_user("author")
    add_passkey(owner, name="Laptop")
    add_second(owner, name="Phone")
    passkey = Passkey.objects.get(name="Phone")
    other = actor_for_user(make_user("editor"))

    for attempt in (
        lambda: account.rename_passkey(other, passkey.pk, "Mine"),
        lambda: account.remove_passkey(other, passkey.pk),
    ):
        with pytest.raises(NotFound) as refused:
            attempt()
        assert refused.value.code == "PASSKEY_NOT_FOUND"
    assert Passkey.objects.count() == 2
    with pytest.raises(PermissionDenied):
        account.list_passkeys(other, owner.pk)


def test_a_users_manager_handles_anyones_passkeys():
    owner = make_user("author")
    add_passkey(owner, name="Laptop")
    phone, _ = add_second(owner, name="Phone")
    admin = actor_for_user(make_user("administrator"))

    assert account.list_passkeys(admin, owner.pk).count() == 2
    account.rename_passkey(admin, phone.pk, "Lost phone")
    account.remove_passkey(admin, phone.pk)

    assert list(Passkey.objects.values_list("name", flat=True)) == ["Laptop"]
    with pytest.raises(Conflict) as refused:
        account.remove_passkey(admin, Passkey.objects.get().pk)
    assert refused.value.code == "LAST_PASSKEY"


@pytest.mark.parametrize("passkey_id", [999999, "abc"])
def test_unknown_passkeys_are_not_found(passkey_id):
    me = actor_for_user(make_user("administrator"))

    for attempt in (
        lambda: account.rename_passkey(me, passkey_id, "x"),
        lambda: account.remove_passkey(me, passkey_id),
    ):
        with pytest.raises(NotFound) as refused:
            attempt()
        assert refused.value.code == "PASSKEY_NOT_FOUND"


def test_adding_a_passkey_needs_a_signed_in_person():
    user = make_user("author")
    token = create_token(
        actor_for_user(user), name="cli", scopes=["content:read"], user=user
    )

    for actor in (actor_for_token(token.plaintext), ANONYMOUS):
        with pytest.raises(Unauthenticated) as refused:
            account.begin_add_passkey(actor)
        assert refused.value.code == "SESSION_REQUIRED"


def test_a_disabled_person_cannot_add_passkeys():
    user = make_user("author")
    me = actor_for_user(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(Unauthenticated):
        account.begin_add_passkey(me)
