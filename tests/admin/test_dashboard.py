"""The dashboard, the navigation, and who gets into the admin at all."""

import pytest

from emdash.content.services.entries import create_entry, trash_entry
from tests.admin.conftest import ADMIN, elements, signed_in
from tests.factories import actor_for, make_collection, make_custom_role, make_user

pytestmark = pytest.mark.django_db


def stat(html: str, label: str) -> str:
    """The value shown under a .stat label."""
    before, _, after = html.partition(f'<dt class="stat__label">{label}</dt>')
    assert after, f"no stat {label!r}"
    return after.split('<dd class="stat__value">', 1)[1].split("</dd>", 1)[0]


def test_the_dashboard_greets_the_user_and_counts_content(admin_client, administrator):
    posts = make_collection("posts")
    make_collection("pages", fields=[{"slug": "title", "type": "string"}])
    author = actor_for(administrator)
    for title in ("One", "Two"):
        create_entry(author, "posts", {"data": {"title": title}})
    create_entry(author, "posts", {"data": {"title": "Live"}, "status": "published"})
    gone = create_entry(author, "pages", {"data": {"title": "Gone"}})
    trash_entry(author, "pages", gone.pk)
    make_user("editor")

    response = admin_client.get(ADMIN)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Welcome, Ada Lovelace." in html
    assert stat(html, "Drafts") == "2"
    assert stat(html, "Published") == "1"
    assert stat(html, "In the trash") == "1"
    assert stat(html, '<a href="/_emdash/admin/users/">Users</a>') == "2"
    counts = {c["collection"].slug: c["count"] for c in response.context["collections"]}
    assert counts == {"posts": 3, "pages": 0}
    recent = [entry.title for entry in response.context["recent"]]
    assert recent == ["Live", "Two", "One"]
    assert posts.slug == "posts"


def test_navigation_shows_what_the_role_may_open(administrator):
    editor = make_user("editor")

    admin_nav = [
        i["label"] for i in signed_in(administrator).get(ADMIN).context["nav_items"]
    ]
    editor_nav = [i["label"] for i in signed_in(editor).get(ADMIN).context["nav_items"]]

    assert admin_nav == [
        "Dashboard",
        "Content",
        "Users",
        "Roles",
        "Audit log",
        "Settings",
        "Account",
    ]
    assert editor_nav == ["Dashboard", "Content", "Settings", "Account"]


def test_an_editor_sees_no_people_counts(administrator):
    response = signed_in(make_user("editor")).get(ADMIN)

    assert response.status_code == 200
    assert "Pending invites" not in response.content.decode()


def test_a_subscriber_is_told_their_account_has_no_admin_access(administrator):
    subscriber = make_user("subscriber")
    client = signed_in(subscriber)

    response = client.get(ADMIN)

    assert response.status_code == 403
    assert "has no access to the admin" in response.content.decode()
    assert [i["label"] for i in response.context["nav_items"]] == ["Account"]
    assert client.get(ADMIN + "content/").status_code == 403
    assert client.get(ADMIN + "account/").status_code == 200
    assert elements(response.content, "form", action="/_emdash/admin/logout/")


def test_a_custom_role_needs_to_read_content_as_well_as_drafts(administrator):
    make_custom_role("drafts-only", ["content:read_drafts"])
    client = signed_in(make_user("drafts-only"))

    response = client.get(ADMIN)

    assert response.status_code == 403
    assert "has no access to the admin" in response.content.decode()
