"""API tokens: shown once, stored as SHA-256, scoped, revocable, expiring."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from emdash.accounts.models import ApiToken
from emdash.accounts.tokens import (
    actor_for_token,
    create_token,
    list_tokens,
    revoke_token,
)
from emdash.accounts.users import actor_for_user
from emdash.core.actors import SYSTEM
from emdash.core.errors import (
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from emdash.core.models import AuditEvent
from emdash.core.permissions import Role, role_permissions, scope_permissions
from tests.factories import actor_for, make_custom_role, make_user

pytestmark = pytest.mark.django_db


def test_the_plaintext_is_returned_once_and_only_its_hash_is_stored():
    issued = create_token(SYSTEM, name="deploy", scopes=["content:write"])

    stored = ApiToken.objects.get()
    assert issued.plaintext.startswith("ec_pat_")
    assert stored.token_hash == hashlib.sha256(issued.plaintext.encode()).hexdigest()
    assert issued.plaintext not in str(ApiToken.objects.values().get())
    assert stored.prefix == issued.plaintext[:11]
    assert AuditEvent.objects.filter(action="token.create").count() == 1


def test_an_operator_token_acts_with_exactly_its_scopes():
    issued = create_token(SYSTEM, name="ci", scopes=["content:read", "schema:read"])

    actor = actor_for_token(issued.plaintext)

    assert actor.kind == "token"
    assert actor.user_id is None
    assert actor.permissions == scope_permissions(["content:read", "schema:read"])


def test_a_user_token_is_limited_by_the_users_role():
    contributor = make_user("contributor")
    issued = create_token(SYSTEM, name="mine", scopes=["admin"], user=contributor)

    actor = actor_for_token(issued.plaintext)

    assert actor.permissions == role_permissions(Role.CONTRIBUTOR)
    assert actor.user_id == contributor.pk
    assert not actor.can("content:publish", owner_id=contributor.pk)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"revoked_at": timezone.now()}, "INVALID_TOKEN"),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "TOKEN_EXPIRED"),
    ],
)
def test_revoked_and_expired_tokens_are_refused(change, code):
    issued = create_token(SYSTEM, name="old", scopes=["admin"])
    ApiToken.objects.update(**change)

    with pytest.raises(Unauthenticated) as refused:
        actor_for_token(issued.plaintext)

    assert refused.value.code == code


@pytest.mark.parametrize("plaintext", ["", "Bearer x", "ec_pat_unknown", "gh_pat_x"])
def test_unknown_tokens_are_refused(plaintext):
    with pytest.raises(Unauthenticated) as refused:
        actor_for_token(plaintext)

    assert refused.value.code == "INVALID_TOKEN"


def test_a_disabled_users_token_is_refused():
    user = make_user("editor")
    issued = create_token(SYSTEM, name="t", scopes=["admin"], user=user)
    user.is_active = False
    user.save()

    with pytest.raises(Unauthenticated):
        actor_for_token(issued.plaintext)


def test_revoking_is_audited_and_final():
    issued = create_token(SYSTEM, name="t", scopes=["admin"])

    revoke_token(SYSTEM, issued.token.pk)

    with pytest.raises(Unauthenticated):
        actor_for_token(issued.plaintext)
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1


def test_bad_requests_and_wrong_roles_create_nothing():
    editor = actor_for(make_user("editor"))

    with pytest.raises(PermissionDenied):
        create_token(editor, name="x", scopes=["admin"])
    with pytest.raises(ValidationFailed) as invalid:
        create_token(SYSTEM, name="", scopes=["root"])
    assert set(invalid.value.fields) == {"name", "scope"}
    assert ApiToken.objects.count() == 0


def test_last_use_is_recorded_at_most_hourly():
    issued = create_token(SYSTEM, name="t", scopes=["content:read"])

    actor_for_token(issued.plaintext)
    first = ApiToken.objects.get().last_used_at
    actor_for_token(issued.plaintext)
    second = ApiToken.objects.get().last_used_at
    ApiToken.objects.update(last_used_at=first - timedelta(hours=2))
    actor_for_token(issued.plaintext)
    third = ApiToken.objects.get().last_used_at

    assert first is not None
    assert second == first
    assert third > first


# --- Tokens bound to a person -----------------------------------------------------


def test_a_user_token_gets_its_scopes_within_the_users_role():
    editor = make_user("editor")
    issued = create_token(
        SYSTEM, name="ci", scopes=["content:write", "settings:manage"], user=editor
    )

    actor = actor_for_token(issued.plaintext)

    assert actor.permissions == scope_permissions(
        ["content:write", "settings:manage"]
    ) & role_permissions(Role.EDITOR)
    assert actor.has("content:publish_any")
    assert not actor.has("settings:manage")  # the scope asks, the role refuses
    assert not actor.has("media:upload")  # the role allows, no scope asks


def test_a_user_token_follows_a_custom_role():
    make_custom_role(
        "reviewer", ["content:read", "content:publish_any", "comments:moderate"]
    )
    reviewer = make_user("reviewer")
    issued = create_token(SYSTEM, name="ci", scopes=["content:write"], user=reviewer)

    actor = actor_for_token(issued.plaintext)

    assert actor.permissions == {"content:read", "content:publish_any"}


def test_a_user_token_follows_role_changes():
    editor = make_user("editor")
    issued = create_token(SYSTEM, name="ci", scopes=["admin"], user=editor)
    editor.role = "contributor"
    editor.save()

    assert actor_for_token(issued.plaintext).permissions == role_permissions(
        Role.CONTRIBUTOR
    )


def test_people_manage_their_own_tokens_without_tokens_manage():
    author = make_user("author")
    me = actor_for_user(author)

    issued = create_token(me, name="laptop", scopes=["content:write"], user=author)

    assert issued.token.user == author
    assert [t.pk for t in list_tokens(me, user_id=author.pk)] == [issued.token.pk]
    assert AuditEvent.objects.get(action="token.create").data["user"] == author.pk
    revoke_token(me, issued.token.pk)
    with pytest.raises(Unauthenticated):
        actor_for_token(issued.plaintext)


def test_people_cannot_touch_tokens_that_are_not_theirs():
    author, other = make_user("author"), make_user("author")
    me = actor_for_user(author)
    theirs = create_token(SYSTEM, name="theirs", scopes=["content:read"], user=other)
    operator = create_token(SYSTEM, name="ops", scopes=["content:read"])

    for attempt in (
        lambda: create_token(me, name="x", scopes=["content:read"], user=other),
        lambda: create_token(me, name="x", scopes=["content:read"]),
        lambda: list_tokens(me),
        lambda: list_tokens(me, user_id=other.pk),
        lambda: revoke_token(me, theirs.token.pk),
        lambda: revoke_token(me, operator.token.pk),
        # An unknown id looks like someone else's: no probing for ids.
        lambda: revoke_token(me, "01HNOSUCHTOKEN0000000000000"),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 2


def test_a_token_cannot_mint_tokens_without_tokens_manage():
    author = make_user("author")
    issued = create_token(
        actor_for_user(author), name="cli", scopes=["content:write"], user=author
    )
    token_actor = actor_for_token(issued.plaintext)

    for attempt in (
        lambda: create_token(
            token_actor, name="x", scopes=["content:read"], user=author
        ),
        lambda: list_tokens(token_actor, user_id=author.pk),
        lambda: revoke_token(token_actor, issued.token.pk),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert ApiToken.objects.count() == 1


def test_an_administrators_admin_token_may_mint_tokens():
    admin = make_user("administrator")
    issued = create_token(SYSTEM, name="root", scopes=["admin"], user=admin)
    token_actor = actor_for_token(issued.plaintext)

    minted = create_token(token_actor, name="child", scopes=["content:read"])

    assert minted.token.user is None
    assert len(list_tokens(token_actor)) == 2


def test_revoking_an_unknown_token_with_tokens_manage_is_not_found():
    with pytest.raises(NotFound) as missing:
        revoke_token(SYSTEM, "01HNOSUCHTOKEN0000000000000")

    assert missing.value.code == "TOKEN_NOT_FOUND"


def test_an_expiry_must_lie_ahead():
    with pytest.raises(ValidationFailed) as invalid:
        create_token(
            SYSTEM,
            name="t",
            scopes=["content:read"],
            expires_at=timezone.now() - timedelta(minutes=1),
        )

    assert set(invalid.value.fields) == {"expires_at"}
