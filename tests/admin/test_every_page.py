"""Properties of every admin page: no password field anywhere, never cached."""

from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from emdash.accounts import setup
from emdash.accounts.invites import create_invite
from emdash.accounts.users import actor_for_user
from emdash.content.services.entries import create_entry
from emdash.core import audit
from tests.admin.conftest import ADMIN, elements, make_passkey
from tests.factories import actor_for, make_collection, make_custom_role, make_user

pytestmark = pytest.mark.django_db


def assert_no_password_field(path: str, html: bytes) -> None:
    text = html.decode().lower()
    assert 'type="password"' not in text, path
    assert 'name="password"' not in text, path
    for field in elements(html, "input"):
        assert field.get("type", "").lower() != "password", path
        assert field.get("name", "").lower() != "password", path


def crawl(client: Client, start: str) -> dict[str, int]:
    """GET every admin page reachable by links from ``start``; path → status."""
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = response.status_code
        assert "no-store" in response["Cache-Control"], path
        assert_no_password_field(path, response.content)
        for link in elements(response.content, "a"):
            target = urljoin(path, link.get("href", "").replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith(ADMIN):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


def test_no_admin_page_has_a_password_field_and_none_is_cached():
    client = Client()
    setup_url = setup.issue_setup_url()
    anonymous_pages = [ADMIN + "login/", urlsplit(setup_url).path]
    for path in anonymous_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
        assert_no_password_field(path, response.content)

    administrator = make_user("administrator", "ada@example.com")
    make_passkey(administrator, "Laptop")
    make_collection("posts")
    entry = create_entry(actor_for(administrator), "posts", {"data": {"title": "Hi"}})
    issued, _ = create_invite(
        actor_for_user(administrator), email="grace@example.com", role="editor"
    )
    audit.record(actor_for(administrator), "test.event")
    make_custom_role("moderator", ["comments:read", "comments:moderate"])
    for path in (ADMIN + "login/", f"{ADMIN}invite/{issued.token}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_password_field(path, response.content)

    client.force_login(administrator)
    seen = crawl(client, ADMIN)

    expected = {
        ADMIN,
        ADMIN + "content/",
        ADMIN + "content/posts/",
        f"{ADMIN}content/posts/{entry.pk}/",
        ADMIN + "users/",
        ADMIN + "roles/",
        ADMIN + "roles/editor/",
        ADMIN + "roles/moderator/",
        ADMIN + "audit/",
        ADMIN + "settings/",
        ADMIN + "account/",
    }
    assert expected <= set(seen)
    assert {path: status for path, status in seen.items() if status != 200} == {}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("setup/forged/", 409),
        ("login/link/forged/", 400),
        ("logout/", 405),
        ("content/nope/", 404),
        ("users/", 403),
        ("roles/", 403),
        ("roles/editor/", 403),
        ("no/such/page/", 404),
    ],
)
def test_error_pages_are_not_cached_either(path, status):
    make_user("administrator")
    client = Client()
    client.force_login(make_user("editor"))

    response = client.get(ADMIN + path)

    assert response.status_code == status
    assert "no-store" in response["Cache-Control"]


def test_an_unknown_admin_address_gets_the_admin_404_not_the_sites():
    response = Client().get(ADMIN + "no-such-page/")

    assert response.status_code == 404
    assert "There is no admin page at this address." in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_the_admin_without_its_slash_redirects():
    response = Client().get("/_emdash/admin")

    assert response.status_code == 301
    assert response["Location"] == ADMIN
