"""Content pages: collections, entries, the entry preview and publishing."""

import pytest

from emdash.content.models import Entry, Status
from emdash.content.services.entries import create_entry
from emdash.core.models import AuditEvent
from tests.admin.conftest import ADMIN, elements, messages_of, signed_in
from tests.factories import actor_for, make_user

pytestmark = pytest.mark.django_db

BODY = "Some **bold** text.\n\n<script>alert(1)</script>"


@pytest.fixture
def contributor(administrator):
    return make_user("contributor", "carl@example.com")


@pytest.fixture
def draft(posts, contributor) -> Entry:
    return create_entry(
        actor_for(contributor),
        "posts",
        {"data": {"title": "Carl's draft", "excerpt": "Short", "body": BODY}},
    )


def entry_path(entry: Entry) -> str:
    return f"{ADMIN}content/posts/{entry.pk}/"


def test_collections_and_their_entries_are_listed(admin_client, draft):
    collections = admin_client.get(ADMIN + "content/")
    listing = admin_client.get(ADMIN + "content/posts/")

    assert elements(collections.content, "a", href="/_emdash/admin/content/posts/")
    text = listing.content.decode()
    assert elements(listing.content, "a", href=entry_path(draft))
    assert "Carl&#x27;s draft" in text
    assert '<span class="badge badge--status-draft">Draft</span>' in text
    assert "Contributor User" in text


def test_the_entry_list_filters_by_status_and_refuses_an_unknown_one(
    admin_client, draft
):
    published = admin_client.get(ADMIN + "content/posts/", {"status": "published"})
    bogus = admin_client.get(ADMIN + "content/posts/", {"status": "nonsense"})

    assert list(published.context["entries"]) == []
    assert bogus.status_code == 422
    assert "Invalid status filter." in bogus.content.decode()


def test_an_unknown_collection_is_a_404_page(admin_client):
    response = admin_client.get(ADMIN + "content/nope/")

    assert response.status_code == 404
    assert "No collection &#x27;nope&#x27;." in response.content.decode()


def test_the_entry_page_previews_the_rendered_markdown(admin_client, draft):
    response = admin_client.get(entry_path(draft))

    html = response.content.decode()
    assert "<h1>Carl&#x27;s draft</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert "Short" in html


def test_a_contributor_sees_no_publish_button(contributor, draft):
    response = signed_in(contributor).get(entry_path(draft))

    assert response.status_code == 200
    assert (
        elements(response.content, "form", action=entry_path(draft) + "publish/") == []
    )
    assert "Your role cannot publish this entry" in response.content.decode()


def test_a_forged_publish_by_a_contributor_is_refused_and_changes_nothing(
    contributor, draft
):
    response = signed_in(contributor).post(
        entry_path(draft) + "publish/", {"version": draft.version}, follow=True
    )

    assert response.redirect_chain == [(entry_path(draft), 302)]
    assert messages_of(response) == [
        "Contributor User lacks the permission "
        "content:publish_any or content:publish_own."
    ]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.live_revision_id is None
    assert not AuditEvent.objects.filter(action="entry.publish").exists()


def test_an_editor_publishes_and_unpublishes(contributor, draft):
    editor = signed_in(make_user("editor"))
    page = editor.get(entry_path(draft))
    [form] = elements(page.content, "form", action=entry_path(draft) + "publish/")
    assert form["method"] == "post"

    published = editor.post(
        entry_path(draft) + "publish/", {"version": draft.version}, follow=True
    )

    assert messages_of(published) == ["Published."]
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert elements(published.content, "form", action=entry_path(draft) + "unpublish/")

    editor.post(entry_path(draft) + "unpublish/", {"version": draft.version})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_publishing_a_stale_page_is_refused(contributor, draft):
    editor = signed_in(make_user("editor"))

    response = editor.post(
        entry_path(draft) + "publish/", {"version": draft.version + 1}, follow=True
    )

    [message] = messages_of(response)
    assert "Reload it and apply your change again." in message
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_publish_only_answers_post(admin_client, draft):
    assert admin_client.get(entry_path(draft) + "publish/").status_code == 405
