"""The audit log page."""

import pytest

from emdash.core import audit
from emdash.core.actors import SYSTEM
from tests.admin.conftest import ADMIN, elements, signed_in
from tests.factories import make_user

pytestmark = pytest.mark.django_db

AUDIT = ADMIN + "audit/"


def test_events_are_listed_newest_first_and_filtered_by_action(admin_client):
    audit.record(SYSTEM, "token.create", target_type="token", target_id="T1")
    audit.record(SYSTEM, "user.role_change", target_type="user", target_id="7")

    everything = admin_client.get(AUDIT)
    roles = admin_client.get(AUDIT, {"action": "user.role_change"})

    assert [e.action for e in everything.context["events"]] == [
        "user.role_change",
        "token.create",
    ]
    assert [e.target_id for e in roles.context["events"]] == ["7"]
    assert elements(roles.content, "input", name="action", value="user.role_change")


def test_older_events_are_a_page_away(admin_client):
    for number in range(51):
        audit.record(SYSTEM, "test.event", target_id=str(number))

    first = admin_client.get(AUDIT, {"action": "test.event"})
    [older] = [
        link
        for link in elements(first.content, "a")
        if link.get("href", "").startswith("?cursor=")
    ]
    second = admin_client.get(AUDIT + older["href"].replace("&amp;", "&"))

    assert len(first.context["events"]) == 50
    assert [e.target_id for e in second.context["events"]] == ["0"]


def test_an_editor_may_not_read_the_audit_log(administrator):
    response = signed_in(make_user("editor")).get(AUDIT)

    assert response.status_code == 403
