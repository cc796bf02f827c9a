"""Every failure under /_emdash/api/ answers in one shape, with the right status."""

import logging

import pytest
from django.test import RequestFactory

from emdash.api import api
from emdash.content.models import Collection, Entry
from tests.api.conftest import API, error
from tests.factories import make_collection

pytestmark = pytest.mark.django_db

BAD_SLUG = "may contain only letters, digits and single hyphens between them"
POST_FIELD_SLUGS = "title, excerpt, body, featured_image"
NOT_AN_INTEGER = "Input should be a valid integer, unable to parse string as an integer"
SYSTEM_SORTS = "created_at, updated_at, published_at, title, slug"


@pytest.fixture
def posts() -> Collection:
    return make_collection("posts")


def post_json(client, path, body, headers):
    return client.post(
        path, data=body, content_type="application/json", headers=headers
    )


def test_malformed_json_is_a_400_and_writes_nothing(client, admin, posts):
    response = post_json(
        client, f"{API}/content/posts", '{"data": {"title": "Hi"}', admin
    )

    assert response.status_code == 400
    assert response.json() == error(
        "MALFORMED_JSON",
        "The request body is not valid JSON: Expecting ',' delimiter: "
        "line 1 column 25 (char 24).",
        line=1,
        column=25,
    )
    assert Entry.objects.count() == 0


def test_a_body_that_is_not_utf8_is_malformed_json(client, admin, posts):
    response = post_json(client, f"{API}/content/posts", b'{"data": "\xff"}', admin)

    assert response.status_code == 400
    assert response.json() == error(
        "MALFORMED_JSON", "The request body is not valid JSON: it is not UTF-8 text."
    )
    assert Entry.objects.count() == 0


def test_a_body_over_the_upload_limit_is_a_413(client, admin, posts, settings):
    body = b'{"data": {"title": "' + b"x" * 3 * 1024 * 1024 + b'"}}'

    response = post_json(client, f"{API}/content/posts", body, admin)

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024
    assert response.status_code == 413
    assert response.json() == error(
        "PAYLOAD_TOO_LARGE",
        "The request body is larger than 2097152 bytes.",
        max_bytes=2097152,
    )
    assert Entry.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"data": {"title": "Hi"}, "colour": "red"}, {"colour": "unknown property"}),
        ({"data": "Hi"}, {"data": "Input should be a valid dictionary"}),
        (
            {"data": {"title": "Hi"}, "slug": 5},
            {"slug": "Input should be a valid string"},
        ),
        ({"data": {"title": "Hi"}, "status": None}, {"status": "must not be null"}),
        (
            {"data": {"title": "Hi"}, "terms": {"tag": ["a", 1]}},
            {"terms.tag.1": "Input should be a valid string"},
        ),
        (
            {"data": {"title": "Hi"}, "scheduled_at": "2030-01-01T10:00:00"},
            {"scheduled_at": "Input should have timezone info"},
        ),
        (
            [{"data": {}}],
            {"body": "Input should be a valid dictionary or instance of EntryCreateIn"},
        ),
    ],
)
def test_bodies_of_the_wrong_shape_are_422_naming_the_field(
    client, admin, posts, body, fields
):
    response = post_json(client, f"{API}/content/posts", body, admin)

    assert response.status_code == 422
    payload = response.json()["error"]
    assert payload["code"] == "VALIDATION_ERROR"
    assert payload["details"] == {"fields": fields}
    assert Entry.objects.count() == 0


def test_the_422_message_lists_every_field(client, admin, posts):
    body = {"data": [], "colour": "red"}

    response = post_json(client, f"{API}/content/posts", body, admin)

    assert response.json() == error(
        "VALIDATION_ERROR",
        "The request is invalid (data: Input should be a valid dictionary; "
        "colour: unknown property).",
        fields={
            "data": "Input should be a valid dictionary",
            "colour": "unknown property",
        },
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"data": {"title": "Hi"}, "slug": "Has Spaces"},
            {"slug": BAD_SLUG},
        ),
        ({"data": {"title": "x" * 256}}, {"title": "must be at most 255 characters"}),
        ({"data": {}}, {"title": "this field is required"}),
        (
            {"data": {"title": "Hi", "mystery": 1}},
            {"mystery": f"unknown field; this collection has: {POST_FIELD_SLUGS}"},
        ),
    ],
)
def test_values_the_services_refuse_are_422_naming_the_field(
    client, admin, posts, body, fields
):
    response = post_json(client, f"{API}/content/posts", body, admin)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"fields": fields}
    assert Entry.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("limit=101", {"limit": "Input should be less than or equal to 100"}),
        ("limit=0", {"limit": "Input should be greater than or equal to 1"}),
        (
            "limit=ten",
            {"limit": NOT_AN_INTEGER},
        ),
        ("from=2024-01-01T00:00:00", {"from": "Input should have timezone info"}),
        (
            "author=me",
            {"author": NOT_AN_INTEGER},
        ),
        (
            "status=lost",
            {"status": "must be one of: draft, pending, published, scheduled, trash"},
        ),
        (
            "sort=colour",
            {"sort": f"must be one of: {SYSTEM_SORTS} (prefix - for descending)"},
        ),
        ("field.body=x", {"field.body": "is not an indexed field of this collection"}),
        ("cursor=nonsense", {"cursor": "is not a cursor this API gave out"}),
    ],
)
def test_bad_list_parameters_are_422_naming_the_parameter(
    client, admin, posts, query, fields
):
    response = client.get(f"{API}/content/posts?{query}", headers=admin)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"fields": fields}


def test_unknown_paths_answer_404_in_the_error_shape(client):
    response = client.post(f"{API}/no/such/thing")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == error(
        "NOT_FOUND",
        "No API route at /_emdash/api/no/such/thing.",
        path="/_emdash/api/no/such/thing",
    )


def test_the_api_root_is_a_json_404_too(client):
    response = client.get(f"{API}/")

    assert response.status_code == 404
    assert response.json() == error(
        "NOT_FOUND", "No API route at /_emdash/api/.", path="/_emdash/api/"
    )


def test_unknown_collections_and_entries_are_404_with_their_codes(client, admin, posts):
    no_collection = client.get(f"{API}/content/nope", headers=admin)
    no_entry = client.get(
        f"{API}/content/posts/01J00000000000000000000000", headers=admin
    )

    assert no_collection.status_code == 404
    assert no_collection.json() == error(
        "COLLECTION_NOT_FOUND", "No collection 'nope'."
    )
    assert no_entry.status_code == 404
    assert no_entry.json() == error(
        "ENTRY_NOT_FOUND", "No entry '01J00000000000000000000000' in 'posts'."
    )


def test_a_wrong_method_is_a_405_that_names_the_allowed_ones(client, admin, posts):
    response = client.put(f"{API}/content/posts", headers=admin)

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert response.json() == error(
        "METHOD_NOT_ALLOWED",
        "PUT is not allowed here; use GET, POST.",
        allowed=["GET", "POST"],
    )


def test_the_openapi_document_refuses_writes_with_a_405(client):
    response = client.post(f"{API}/openapi.json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_an_unexpected_exception_is_a_500_without_a_traceback(caplog):
    request = RequestFactory().get(f"{API}/content/posts")

    with caplog.at_level(logging.ERROR, logger="emdash.api.errors"):
        response = api.on_exception(
            request, RuntimeError("database password is hunter2")
        )

    assert response.status_code == 500
    assert response.content == (
        b'{"error":{"code":"INTERNAL_ERROR","message":'
        b'"Something went wrong on our side; it has been logged.","details":{}}}'
    )
    [record] = caplog.records
    assert record.getMessage() == "Unhandled error in GET /_emdash/api/content/posts"
    assert "hunter2" in caplog.text
