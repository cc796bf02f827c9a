"""Users: role and status changes, deletion, and the rules that keep a site
administrable: an administrator always remains, and nobody hands out more than
they hold."""

from collections.abc import Callable

import pytest

from emdash.accounts import users
from emdash.accounts.models import User
from emdash.accounts.users import UserFilters, actor_for_user
from emdash.core.actors import SYSTEM, Actor
from emdash.core.errors import (
    Conflict,
    EmDashError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from emdash.core.models import AuditEvent
from emdash.core.permissions import Role, role_permissions
from tests.concurrency import run_at_once, skip_on_in_memory_sqlite
from tests.factories import make_custom_role, make_user

pytestmark = pytest.mark.django_db

# An editor who may also manage people: enough to meet the ROLE_ABOVE_YOURS rule.
MANAGER = role_permissions(Role.EDITOR) | {"users:read", "users:manage"}


def demote(actor: Actor, user: User) -> None:
    users.update_user(actor, user.pk, role="editor")


def disable(actor: Actor, user: User) -> None:
    users.update_user(actor, user.pk, is_active=False)


def delete(actor: Actor, user: User) -> None:
    users.delete_user(actor, user.pk)


REMOVALS = [demote, disable, delete]


@pytest.mark.parametrize("remove", REMOVALS)
def test_the_last_administrator_stays(remove: Callable[[Actor, User], None]):
    admin = make_user("administrator")

    for actor in (actor_for_user(admin), SYSTEM):
        with pytest.raises(Conflict) as refused:
            remove(actor, admin)
        assert refused.value.code == "LAST_ADMINISTRATOR"

    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == ("administrator", True)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("remove", REMOVALS)
def test_an_administrator_can_go_once_another_exists(
    remove: Callable[[Actor, User], None],
):
    leaving, staying = make_user("administrator"), make_user("administrator")

    remove(actor_for_user(staying), leaving)

    assert list(
        User.objects.filter(role="administrator", is_active=True).values_list(
            "pk", flat=True
        )
    ) == [staying.pk]


def test_a_disabled_administrator_does_not_count():
    admin, dormant = make_user("administrator"), make_user("administrator")
    users.update_user(actor_for_user(admin), dormant.pk, is_active=False)

    with pytest.raises(Conflict) as refused:
        demote(actor_for_user(admin), admin)

    assert refused.value.code == "LAST_ADMINISTRATOR"


def test_a_disabled_administrator_can_be_deleted():
    admin, dormant = make_user("administrator"), make_user("administrator")
    users.update_user(actor_for_user(admin), dormant.pk, is_active=False)

    users.delete_user(actor_for_user(admin), dormant.pk)

    assert not User.objects.filter(pk=dormant.pk).exists()


def test_an_editor_level_manager_cannot_make_an_administrator():
    make_custom_role("manager", MANAGER)
    manager = actor_for_user(make_user("manager"))
    author = make_user("author")

    with pytest.raises(PermissionDenied) as refused:
        users.update_user(manager, author.pk, role="administrator")

    assert refused.value.code == "ROLE_ABOVE_YOURS"
    assert "tokens:manage" in refused.value.message  # names what it lacks
    author.refresh_from_db()
    assert author.role == "author"


def test_an_editor_level_manager_cannot_touch_an_administrator():
    make_custom_role("manager", MANAGER)
    manager = actor_for_user(make_user("manager"))
    admin = make_user("administrator")

    for change in (
        lambda: users.update_user(manager, admin.pk, display_name="Renamed"),
        lambda: users.update_user(manager, admin.pk, is_active=False),
        lambda: users.delete_user(manager, admin.pk),
    ):
        with pytest.raises(PermissionDenied) as refused:
            change()
        assert refused.value.code == "ROLE_ABOVE_YOURS"


def test_an_editor_level_manager_may_assign_roles_within_its_own():
    make_custom_role("manager", MANAGER)
    manager = actor_for_user(make_user("manager"))
    contributor = make_user("contributor")

    changed = users.update_user(manager, contributor.pk, role="editor")

    assert changed.role == "editor"


def test_a_role_change_is_audited_with_before_and_after():
    admin = actor_for_user(make_user("administrator"))
    author = make_user("author")

    users.update_user(admin, author.pk, role="editor")

    event = AuditEvent.objects.get()
    assert event.action == "user.role_change"
    assert (event.target_type, event.target_id) == ("user", str(author.pk))
    assert event.data == {"role": ["author", "editor"]}
    assert event.actor_id == admin.id


def test_disabling_ends_sessions_and_is_audited():
    admin = actor_for_user(make_user("administrator"))
    author = make_user("author")
    salt, session_hash = author.session_salt, author.get_session_auth_hash()

    users.update_user(admin, author.pk, is_active=False)

    author.refresh_from_db()
    assert not author.is_active
    assert author.session_salt != salt
    assert author.get_session_auth_hash() != session_hash
    assert AuditEvent.objects.get().action == "user.disable"

    users.update_user(admin, author.pk, is_active=True)
    assert AuditEvent.objects.filter(action="user.enable").count() == 1


def test_unknown_roles_and_long_names_are_refused():
    admin = actor_for_user(make_user("administrator"))
    author = make_user("author")

    with pytest.raises(ValidationFailed) as unknown:
        users.update_user(admin, author.pk, role="overlord")
    with pytest.raises(ValidationFailed) as long_name:
        users.update_user(admin, author.pk, display_name="x" * 151)

    assert "unknown role" in unknown.value.fields["role"]
    assert "150" in long_name.value.fields["display_name"]


def test_people_rename_themselves_but_nothing_more():
    author = make_user("author")
    other = make_user("author")
    me = actor_for_user(author)

    users.update_user(me, author.pk, display_name="  Ada  ")

    author.refresh_from_db()
    assert author.display_name == "Ada"
    assert AuditEvent.objects.get().action == "user.update"
    for change in (
        lambda: users.update_user(me, author.pk, role="editor"),
        lambda: users.update_user(me, author.pk, is_active=False),
        lambda: users.update_user(me, other.pk, display_name="Mallory"),
        lambda: users.delete_user(me, other.pk),
    ):
        with pytest.raises(PermissionDenied):
            change()


def test_a_change_that_changes_nothing_records_nothing():
    admin = actor_for_user(make_user("administrator"))
    author = make_user("author")

    users.update_user(admin, author.pk, role="author", display_name=author.display_name)

    assert not AuditEvent.objects.exists()


def test_deleting_a_user_is_audited_with_the_email():
    admin = actor_for_user(make_user("administrator"))
    author = make_user("author", email="gone@example.com")

    users.delete_user(admin, author.pk)

    event = AuditEvent.objects.get(action="user.delete")
    assert event.data == {"email": "gone@example.com"}


@pytest.mark.parametrize("user_id", [999999, "abc", None])
def test_unknown_users_are_not_found(user_id):
    admin = actor_for_user(make_user("administrator"))

    with pytest.raises(NotFound) as missing:
        users.get_user(admin, user_id)

    assert missing.value.code == "USER_NOT_FOUND"


def test_reading_users_needs_users_read_except_oneself():
    author = make_user("author")
    other = make_user("editor")
    me = actor_for_user(author)

    assert users.get_user(me, author.pk) == author
    with pytest.raises(PermissionDenied):
        users.get_user(me, other.pk)
    with pytest.raises(PermissionDenied):
        users.list_users(me)


def test_listing_filters_by_role_status_and_text():
    admin_user = make_user("administrator", email="root@example.com")
    admin = actor_for_user(admin_user)
    ada = make_user("author", email="ada@example.com")
    grace = make_user("editor", email="grace@example.com")
    grace.display_name = "Grace Hopper"
    grace.save()
    users.update_user(admin, ada.pk, is_active=False)

    def emails(**filters: object) -> list[str]:
        return [u.email for u in users.list_users(admin, UserFilters(**filters))]

    assert emails() == ["ada@example.com", "grace@example.com", "root@example.com"]
    assert emails(role="author") == ["ada@example.com"]
    assert emails(active=False) == ["ada@example.com"]
    assert emails(query="HOPPER") == ["grace@example.com"]
    assert emails(query="root@") == ["root@example.com"]


def test_signing_out_everywhere_renews_the_salt():
    author = make_user("author")
    salt = author.session_salt

    users.sign_out_everywhere(actor_for_user(author), author.pk)

    author.refresh_from_db()
    assert author.session_salt != salt
    assert AuditEvent.objects.get().action == "user.sign_out_everywhere"
    with pytest.raises(PermissionDenied):
        users.sign_out_everywhere(actor_for_user(author), make_user("author").pk)


def test_administrator_exists_counts_only_active_ones():
    assert not users.administrator_exists()
    admin = make_user("administrator")
    assert users.administrator_exists()
    User.objects.filter(pk=admin.pk).update(is_active=False)
    assert not users.administrator_exists()


# --- Concurrency --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_administrators_demoting_each_other_at_once_leave_one():
    skip_on_in_memory_sqlite()
    first, second = make_user("administrator"), make_user("administrator")
    first_actor, second_actor = actor_for_user(first), actor_for_user(second)

    outcomes = run_at_once(
        [lambda: demote(first_actor, second), lambda: demote(second_actor, first)]
    )

    failures = [error for error in outcomes if error is not None]
    assert len(failures) == 1, outcomes
    assert isinstance(failures[0], EmDashError), repr(failures[0])
    assert failures[0].code == "LAST_ADMINISTRATOR"
    assert User.objects.filter(role="administrator", is_active=True).count() == 1
    assert AuditEvent.objects.filter(action="user.role_change").count() == 1
