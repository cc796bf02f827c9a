"""The audit log through /_emdash/api/audit: newest first, filtered, paged."""

from datetime import timedelta

import pytest
from django.utils import timezone

from emdash.core import audit
from emdash.core.actors import SYSTEM, Actor
from emdash.core.models import AuditEvent
from tests.api.conftest import bearer, error, iso, send, token_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_admin() -> dict[str, str]:
    return bearer(token_for("admin", user=make_user("administrator")))


def newest_first() -> list[str]:
    return list(AuditEvent.objects.order_by("-at", "-id").values_list("id", flat=True))


def test_events_are_listed_newest_first_as_recorded(client, as_admin):
    editor = Actor(kind="user", id="7", label="Edna", user_id=7)
    older = audit.record(SYSTEM, "settings.update", data={"title": ["A", "B"]})
    newer = audit.record(
        editor, "user.role_change", target_type="user", target_id=7, data={"x": 1}
    )

    response = send(client, "GET", "/audit", headers=as_admin)

    items = response.json()["items"]
    assert response.status_code == 200
    assert response.json()["next_cursor"] is None
    assert [item["id"] for item in items] == newest_first()
    assert items[:2] == [
        {
            "id": newer.pk,
            "at": iso(newer.at),
            "actor_kind": "user",
            "actor_id": "7",
            "actor_label": "Edna",
            "action": "user.role_change",
            "target_type": "user",
            "target_id": "7",
            "data": {"x": 1},
        },
        {
            "id": older.pk,
            "at": iso(older.at),
            "actor_kind": "system",
            "actor_id": "system",
            "actor_label": "system",
            "action": "settings.update",
            "target_type": "",
            "target_id": "",
            "data": {"title": ["A", "B"]},
        },
    ]


def test_pages_cover_every_event_once_even_as_new_ones_arrive(client, as_admin):
    for number in range(6):
        audit.record(SYSTEM, "test.event", target_id=number)
    # Three events at the very same instant: the id breaks the tie.
    same_moment = timezone.now() - timedelta(minutes=1)
    tied = list(AuditEvent.objects.order_by("id").values_list("id", flat=True)[:3])
    AuditEvent.objects.filter(id__in=tied).update(at=same_moment)
    expected = newest_first()

    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        response = send(
            client, "GET", f"/audit?limit=2&cursor={cursor}", headers=as_admin
        )
        assert response.status_code == 200
        seen += [item["id"] for item in response.json()["items"]]
        pages += 1
        audit.record(SYSTEM, "test.later")  # newer than every page still to come
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert seen == expected
    assert pages == 4  # 7 events (with the token's) in pages of 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=user.sign_in", ["sign-in"]),
        ("actor_id=7", ["sign-in", "role"]),
        ("target_type=token", ["token"]),
        ("target_id=42", ["role"]),
        ("action=user.role_change&actor_id=7", ["role"]),
        ("action=nothing.here", []),
    ],
)
def test_filters_match_exactly(client, as_admin, query, expected):
    AuditEvent.objects.all().delete()  # the admin token's creation
    person = Actor(kind="user", id="7", label="Edna", user_id=7)
    sign_in = audit.record(person, "user.sign_in", target_type="user", target_id=7)
    role = audit.record(person, "user.role_change", target_type="user", target_id=42)
    token = audit.record(SYSTEM, "token.revoke", target_type="token", target_id=9)
    labels = {sign_in.pk: "sign-in", role.pk: "role", token.pk: "token"}

    response = send(client, "GET", f"/audit?{query}", headers=as_admin)

    assert response.status_code == 200
    assert [labels[item["id"]] for item in response.json()["items"]] == expected[::-1]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("cursor=nonsense", {"cursor": "is not a cursor this API gave out"}),
        ("cursor=WyJ4Il0", {"cursor": "is not a cursor this API gave out"}),
        ("limit=0", {"limit": "Input should be greater than or equal to 1"}),
        ("limit=101", {"limit": "Input should be less than or equal to 100"}),
    ],
)
def test_a_bad_cursor_or_limit_is_422(client, as_admin, query, fields):
    response = send(client, "GET", f"/audit?{query}", headers=as_admin)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"fields": fields}


def test_only_auditors_read_the_log(client):
    editor = bearer(token_for("admin", user=make_user("editor")))

    refused = send(client, "GET", "/audit", headers=editor)
    anonymous = send(client, "GET", "/audit")

    assert refused.status_code == 403
    assert refused.json() == error(
        "FORBIDDEN",
        "Editor User (token test) lacks the permission audit:read.",
        permission="audit:read",
    )
    assert anonymous.status_code == 401
    assert anonymous.json() == error(
        "UNAUTHENTICATED", "Sign in or send a bearer token to do this."
    )


def test_account_actions_through_the_api_are_in_the_log(client, as_admin):
    user = make_user("author", email="ann@example.com")
    AuditEvent.objects.all().delete()

    send(client, "POST", "/auth/link/redeem", {"token": "forged"})
    send(client, "PATCH", f"/users/{user.pk}", {"role": "editor"}, as_admin)
    created = send(
        client,
        "POST",
        "/tokens",
        {"name": "ci", "scopes": ["content:read"], "user": "ann@example.com"},
        as_admin,
    )
    send(client, "DELETE", f"/tokens/{created.json()['id']}", headers=as_admin)

    response = send(client, "GET", "/audit", headers=as_admin)

    assert [(e["action"], e["target_id"]) for e in response.json()["items"]] == [
        ("token.revoke", created.json()["id"]),
        ("token.create", created.json()["id"]),
        ("user.role_change", str(user.pk)),
        ("user.sign_in_failed", ""),
    ]
    failed = response.json()["items"][-1]
    assert (failed["actor_kind"], failed["data"]["code"]) == (
        "anonymous",
        "LINK_INVALID",
    )
