"""Every field type through the API: a good value is stored, a bad one is a 422
naming the field, and nothing is written."""

from typing import Any

import pytest

from emdash.content.models import Entry
from emdash.content.services import entries
from emdash.core.actors import SYSTEM
from emdash.media.models import Media
from tests.api.conftest import send
from tests.factories import make_collection

MEDIA_ID = "01JBQ0000000000000000000MD"
ULID_NOWHERE = "01JBQ0000000000000000000ZZ"

FIELDS: list[dict[str, Any]] = [
    {"slug": "title", "type": "string"},
    {"slug": "a_text", "type": "text"},
    {"slug": "a_markdown", "type": "markdown"},
    {"slug": "a_number", "type": "number", "validation": {"min": 0}},
    {"slug": "an_integer", "type": "integer"},
    {"slug": "a_boolean", "type": "boolean"},
    {"slug": "a_datetime", "type": "datetime"},
    {"slug": "a_select", "type": "select", "validation": {"options": ["red", "blue"]}},
    {
        "slug": "a_multi_select",
        "type": "multi_select",
        "validation": {"options": ["x", "y"]},
    },
    {"slug": "a_url", "type": "url"},
    {"slug": "an_email", "type": "email"},
    {"slug": "a_slug", "type": "slug"},
    {"slug": "an_image", "type": "image"},
    {"slug": "a_file", "type": "file"},
    {
        "slug": "a_reference",
        "type": "reference",
        "validation": {"collection": "things"},
    },
    {
        "slug": "a_repeater",
        "type": "repeater",
        "validation": {"sub_fields": [{"slug": "price", "type": "number"}]},
    },
    {"slug": "a_json", "type": "json", "validation": {"max_bytes": 50}},
]

# field -> (good value, what is stored, bad value)
CASES: dict[str, tuple[Any, Any, Any]] = {
    "title": ("A name", "A name", "x" * 256),
    "a_text": ("Two\nlines", "Two\nlines", 12),
    "a_markdown": ("# Hi", "# Hi", ["not", "text"]),
    "a_number": (1.5, 1.5, -1),
    "an_integer": (7.0, 7, 7.5),
    "a_boolean": (True, True, "yes"),
    "a_datetime": ("2026-01-02T03:04:05+01:00", "2026-01-02T02:04:05Z", "2026-01-02"),
    "a_select": ("red", "red", "green"),
    "a_multi_select": (["y", "x"], ["y", "x"], ["x", "x"]),
    "a_url": ("https://example.org/a", "https://example.org/a", "ftp://example.org"),
    "an_email": ("ada@example.org", "ada@example.org", "not-an-email"),
    "a_slug": ("Hello-World", "hello-world", "two words"),
    "an_image": (MEDIA_ID, {"id": MEDIA_ID, "alt": ""}, ULID_NOWHERE),
    "a_file": ({"id": MEDIA_ID}, {"id": MEDIA_ID}, {"id": "nope"}),
    "a_reference": ("THING", "THING", ULID_NOWHERE),
    "a_repeater": ([{"price": 2}], [{"price": 2}], [{"price": "two"}]),
    "a_json": ({"k": [1, 2]}, {"k": [1, 2]}, "x" * 60),
}


@pytest.fixture
def things(db: None) -> str:
    make_collection("things", fields=[{"slug": "title", "type": "string"}])
    make_collection("kitchen", fields=FIELDS, supports=["drafts"])
    Media.objects.create(
        id=MEDIA_ID, file="uploads/cat.png", filename="cat.png", mime_type="image/png"
    )
    return entries.create_entry(SYSTEM, "things", {"data": {"title": "A thing"}}).pk


def resolve(value: Any, thing: str) -> Any:
    return thing if value == "THING" else value


@pytest.mark.parametrize("field", sorted(CASES))
def test_a_good_value_is_stored(client, admin, things, field):
    good, stored, _ = CASES[field]

    response = send(
        client,
        "POST",
        "/content/kitchen",
        {"data": {"title": "t", field: resolve(good, things)}},
        admin,
    )

    assert response.status_code == 201, response.json()
    assert response.json()["data"][field] == resolve(stored, things)


@pytest.mark.parametrize("field", sorted(CASES))
def test_a_bad_value_is_a_422_naming_the_field(client, admin, things, field):
    bad = CASES[field][2]

    response = send(
        client, "POST", "/content/kitchen", {"data": {"title": "t", field: bad}}, admin
    )

    assert response.status_code == 422
    body = response.json()["error"]
    assert list(body["details"]["fields"]) == [field]
    assert not Entry.objects.filter(collection__slug="kitchen").exists()
