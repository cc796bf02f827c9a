"""Password-protected entries: a form instead of the body, the body on the right
password, and nothing of either in a shared cache."""

import re

import pytest
from django.test import Client

from tests.site.conftest import publish

pytestmark = pytest.mark.usefixtures("site")

BODY = "The hidden recipe."


@pytest.fixture
def secret(site: None, editor) -> None:
    publish(
        editor,
        "posts",
        "secret",
        data={"title": "Secret", "excerpt": "Spoiler excerpt", "body": BODY},
        visibility="password",
        password="open sesame",
    )


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


@pytest.mark.usefixtures("secret")
def test_a_password_entry_shows_a_form_instead_of_its_body() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.get("/posts/secret/")

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert '<form class="password-form" method="post">' in html
    assert BODY not in html
    assert "Spoiler excerpt" not in html
    assert '<meta name="robots" content="noindex">' in html


@pytest.mark.usefixtures("secret")
def test_the_right_password_shows_the_body_privately() -> None:
    client = Client(enforce_csrf_checks=True)
    token = _csrf_token(client.get("/posts/secret/").content.decode())

    response = client.post(
        "/posts/secret/", {"password": "open sesame", "csrfmiddlewaretoken": token}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert f"<p>{BODY}</p>" in html
    assert "password-form" not in html


@pytest.mark.usefixtures("secret")
def test_a_wrong_password_shows_the_form_again_with_an_error() -> None:
    client = Client(enforce_csrf_checks=True)
    token = _csrf_token(client.get("/posts/secret/").content.decode())

    wrong = client.post(
        "/posts/secret/", {"password": "guess", "csrfmiddlewaretoken": token}
    )
    empty = client.post("/posts/secret/", {"csrfmiddlewaretoken": token})

    for response in [wrong, empty]:
        html = response.content.decode()
        assert response.status_code == 403
        assert response["Cache-Control"] == "private, no-store"
        assert "That password is not right." in html
        assert BODY not in html


@pytest.mark.usefixtures("secret")
def test_a_password_post_without_a_csrf_token_is_refused() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/posts/secret/", {"password": "open sesame"})

    assert response.status_code == 403
    assert BODY not in response.content.decode()


@pytest.mark.usefixtures("secret")
def test_the_home_page_hides_a_password_entrys_excerpt(client: Client) -> None:
    html = client.get("/").content.decode()

    assert '<a href="/posts/secret/">Secret</a>' in html
    assert "This post is protected by a password." in html
    assert "Spoiler excerpt" not in html


def test_posting_to_a_public_entry_is_not_allowed(client: Client, editor) -> None:
    publish(editor, "posts", "open")

    response = client.post("/posts/open/", {"password": "x"})

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.usefixtures("secret")
def test_guessing_is_rate_limited_per_address_and_entry(settings) -> None:
    client = Client()
    for _ in range(10):
        assert client.post("/posts/secret/", {"password": "guess"}).status_code == 403

    refused = client.post("/posts/secret/", {"password": "open sesame"})

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused["Cache-Control"] == "private, no-store"
    html = refused.content.decode()
    assert "Too many attempts" in html
    assert BODY not in html
    # Another visitor is not held back by someone else's guessing.
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert (
        BODY
        in other.post("/posts/secret/", {"password": "open sesame"}).content.decode()
    )
