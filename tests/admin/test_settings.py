"""The settings page: every setting in a labelled field, changes saved and live
on the public site at once, bad values named beside their fields, and read-only
or refused for those who may not change the settings."""

import uuid

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from emdash.core import site_settings
from emdash.core.actors import SYSTEM
from emdash.core.models import AuditEvent
from tests.admin.conftest import ADMIN, elements, error_list, messages_of, signed_in
from tests.factories import make_collection, make_user

pytestmark = pytest.mark.django_db

SETTINGS = ADMIN + "settings/"
STORED = {
    "title": "Field Notes",
    "tagline": "Notes from the field",
    "language": "pt-BR",
    "posts_per_page": 5,
    "date_format": "%d/%m/%Y",
    "home_collection": "posts",
    "footer_text": "© Field Notes",
    "seo_default_image": "/media/cover.png",
}


def settings_form(**changes: str) -> dict[str, str]:
    """What the form posts when nothing was touched, with ``changes``."""
    current = {key: str(value) for key, value in site_settings.get_all().items()}
    return current | changes


def field(html: bytes, key: str) -> dict[str, str]:
    [found] = elements(html, "input", name=key) or elements(html, "select", name=key)
    return found


@pytest.fixture
def own_page_cache(settings: Settings) -> None:
    """Public pages are cached by content epoch, which restarts with every test
    database: a cache of its own keeps another test's pages out."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"emdash-settings-{uuid.uuid4().hex}",
        }
    }


def test_an_administrator_sees_every_setting_in_a_labelled_field(admin_client, posts):
    make_collection("news", label="Latest news")
    site_settings.update(SYSTEM, STORED)

    response = admin_client.get(SETTINGS)

    assert response.status_code == 200
    html = response.content
    for key in site_settings.DEFAULTS:
        value = STORED[key]
        control = field(html, key)
        assert elements(html, "label", **{"for": control["id"]}), key
        assert control["aria-describedby"].startswith(f"{control['id']}-help"), key
        if key != "home_collection":
            assert control["value"] == str(value), key
    number = field(html, "posts_per_page")
    assert (number["type"], number["min"], number["max"]) == ("number", "1", "100")
    options = [
        (option["value"], "selected" in option) for option in elements(html, "option")
    ]
    assert options == [("news", False), ("posts", True)]
    assert '<option value="news">Latest news (news)</option>' in html.decode()
    today = timezone.localtime().strftime("%d/%m/%Y")
    assert f"Today in this format: <samp>{today}</samp>." in html.decode()
    assert field(html, "date_format")["aria-describedby"] == (
        "setting-date_format-help setting-date_format-example"
    )
    assert elements(html, "form", method="post", action=SETTINGS)
    assert ">Save settings</button>" in html.decode()
    [nav_link] = elements(html, "a", href=SETTINGS, aria_current="page")
    assert nav_link


def test_changes_are_saved_and_the_public_site_shows_them_at_once(
    admin_client, administrator, posts, own_page_cache
):
    public = Client()
    before = public.get("/").content.decode()

    response = admin_client.post(
        SETTINGS,
        settings_form(title="  Field Notes ", posts_per_page="25"),
        follow=True,
    )

    assert response.redirect_chain == [(SETTINGS, 302)]
    assert messages_of(response) == ["Settings saved: site title and entries per page."]
    assert field(response.content, "title")["value"] == "Field Notes"
    assert field(response.content, "posts_per_page")["value"] == "25"
    assert site_settings.get_all() == site_settings.DEFAULTS | {
        "title": "Field Notes",
        "posts_per_page": 25,
    }
    assert "<title>EmDash</title>" in before
    after = public.get("/").content.decode()
    assert "<title>Field Notes</title>" in after
    [event] = AuditEvent.objects.filter(action="settings.update")
    assert (event.actor_id, event.target_type, event.data) == (
        str(administrator.pk),
        "settings",
        {"title": "Field Notes", "posts_per_page": 25},
    )
    audit_page = admin_client.get(ADMIN + "audit/", {"action": "settings.update"})
    assert [e.pk for e in audit_page.context["events"]] == [event.pk]


def test_saving_without_changes_saves_nothing(admin_client, posts):
    response = admin_client.post(SETTINGS, settings_form(), follow=True)

    assert response.redirect_chain == [(SETTINGS, 302)]
    assert messages_of(response) == ["Nothing changed."]
    assert not AuditEvent.objects.filter(action="settings.update").exists()


def test_a_setting_the_form_did_not_send_stays_as_it_is(admin_client, posts):
    site_settings.update(SYSTEM, STORED)

    admin_client.post(SETTINGS, {"footer_text": ""})

    assert site_settings.get_all() == STORED | {"footer_text": ""}


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("abc", "Must be a whole number."),
        ("", "Must be a whole number."),
        ("2.5", "Must be a whole number."),
        ("0", "Must be between 1 and 100."),
        ("500", "Must be between 1 and 100."),
        ("-3", "Must be between 1 and 100."),
    ],
)
def test_a_bad_number_of_entries_is_named_beside_the_field_and_nothing_is_saved(
    admin_client, posts, typed, problem
):
    response = admin_client.post(
        SETTINGS, settings_form(title="Field Notes", posts_per_page=typed)
    )

    assert response.status_code == 422
    assert messages_of(response) == [
        "Some settings are invalid. Check entries per page."
    ]
    html = response.content
    assert problem in error_list(html, "setting-posts_per_page-errors")
    number = field(html, "posts_per_page")
    assert (number["value"], number["aria-invalid"]) == (typed, "true")
    assert number["aria-describedby"] == (
        "setting-posts_per_page-help setting-posts_per_page-errors"
    )
    assert field(html, "title")["value"] == "Field Notes"
    assert "aria-invalid" not in field(html, "title")
    assert site_settings.get_all() == site_settings.DEFAULTS
    assert not AuditEvent.objects.filter(action="settings.update").exists()


def test_the_date_format_is_shown_with_today_in_the_pattern_as_typed(
    admin_client, posts
):
    response = admin_client.post(
        SETTINGS, settings_form(date_format="%Y", posts_per_page="abc")
    )
    empty = admin_client.post(SETTINGS, settings_form(date_format="no codes"))

    year = timezone.localtime().strftime("%Y")
    assert field(response.content, "date_format")["value"] == "%Y"
    assert f"Today in this format: <samp>{year}</samp>." in response.content.decode()
    assert empty.status_code == 422
    assert "This pattern shows no date" in empty.content.decode()
    assert site_settings.get_all()["date_format"] == "%B %-d, %Y"


def test_a_home_collection_that_no_longer_exists_is_kept_until_changed(
    admin_client,
):
    make_collection("pages")

    page = admin_client.get(SETTINGS)
    admin_client.post(SETTINGS, settings_form(title="Field Notes"))

    assert [
        (option["value"], "selected" in option)
        for option in elements(page.content, "option")
    ] == [("posts", True), ("pages", False)]
    assert "posts (no such collection)" in page.content.decode()
    assert site_settings.get_all()["home_collection"] == "posts"


def test_an_editor_sees_the_values_read_only_and_cannot_change_them(
    administrator, posts
):
    site_settings.update(SYSTEM, STORED)
    editor = signed_in(make_user("editor"))

    page = editor.get(SETTINGS)
    forged = editor.post(SETTINGS, settings_form(title="Hijacked"))
    unchanged = editor.post(SETTINGS, settings_form())

    assert page.status_code == 200
    html = page.content.decode()
    assert elements(page.content, "form", action=SETTINGS) == []
    for key in STORED:
        assert elements(page.content, "input", name=key) == [], key
        assert elements(page.content, "select", name=key) == [], key
    assert "Save settings" not in html
    assert '<dd class="setting-list__value">Field Notes</dd>' in html
    assert '<dd class="setting-list__value"><code>pt-BR</code></dd>' in html
    assert '<dd class="setting-list__value">Posts</dd>' in html
    assert "You can read these settings." in html
    assert elements(page.content, "a", href=SETTINGS, aria_current="page")
    for refused in (forged, unchanged):
        assert refused.status_code == 403
        assert "lacks the permission settings:manage" in refused.content.decode()
    assert site_settings.get_all() == STORED
    assert AuditEvent.objects.filter(action="settings.update").count() == 1


def test_a_contributor_may_not_open_the_settings(administrator, posts):
    contributor = signed_in(make_user("contributor"))

    page = contributor.get(SETTINGS)
    forged = contributor.post(SETTINGS, settings_form(title="Hijacked"))

    for response in (page, forged):
        assert response.status_code == 403
        assert "lacks the permission settings:read" in response.content.decode()
    assert elements(contributor.get(ADMIN).content, "a", href=SETTINGS) == []
    assert site_settings.get_all() == site_settings.DEFAULTS


def test_signing_in_comes_back_to_the_settings():
    response = Client().get(SETTINGS)

    assert response.status_code == 302
    assert (
        response["Location"] == ADMIN + "login/?next=%2F_emdash%2Fadmin%2Fsettings%2F"
    )
