"""API tokens: shown once, stored as SHA-256, scoped, revocable, expiring."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from emdash.accounts.models import ApiToken
from emdash.accounts.tokens import actor_for_token, create_token, revoke_token
from emdash.core.actors import SYSTEM
from emdash.core.errors import PermissionDenied, Unauthenticated, ValidationFailed
from emdash.core.models import AuditEvent
from emdash.core.permissions import Role, role_permissions, scope_permissions
from tests.factories import actor_for, make_user

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
