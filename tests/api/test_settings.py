"""Site settings through /_emdash/api/settings."""

import pytest

from emdash.core import site_settings
from emdash.core.models import SiteSetting
from tests.api.conftest import bearer, send, token_for

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "title": "EmDash",
    "tagline": "",
    "language": "en",
    "posts_per_page": 10,
    "date_format": "%B %-d, %Y",
    "home_collection": "posts",
    "footer_text": "",
    "seo_default_image": "",
}


def test_get_and_patch_settings(client, admin):
    before = send(client, "GET", "/settings", headers=admin)
    patched = send(
        client, "PATCH", "/settings", {"title": "My site", "posts_per_page": 5}, admin
    )

    assert before.json() == DEFAULTS
    assert patched.status_code == 200
    assert patched.json() == {**DEFAULTS, "title": "My site", "posts_per_page": 5}
    assert site_settings.get_all() == patched.json()


NO_DATE = "This pattern shows no date; use codes such as %B %-d, %Y."


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"colour": "red"}, {"colour": "unknown property"}),
        (
            {"posts_per_page": "5"},
            {"posts_per_page": "Input should be a valid integer"},
        ),
        ({"title": None}, {"title": "must not be null"}),
        ({"posts_per_page": 500}, {"posts_per_page": "Must be between 1 and 100."}),
        ({"title": "   "}, {"title": "The site needs a title."}),
        ({"tagline": "x" * 301}, {"tagline": "Must be at most 300 characters."}),
        (
            {"date_format": "no codes"},
            {"date_format": NO_DATE},
        ),
        (
            {"date_format": "%Y \ud800"},
            {"date_format": "Not a date format Python can use."},
        ),
    ],
)
def test_bad_settings_are_422_and_nothing_is_stored(client, admin, body, fields):
    response = send(client, "PATCH", "/settings", body, admin)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"fields": fields}
    assert SiteSetting.objects.count() == 0


def test_settings_are_not_public(client):
    visitor = send(client, "GET", "/settings")
    reader = send(client, "GET", "/settings", headers=bearer(token_for("content:read")))

    assert visitor.status_code == 401
    assert reader.status_code == 403
