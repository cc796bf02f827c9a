"""Field types: definitions, value cleaning, whole-entry data, conversions."""

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from emdash.content.fields import (
    FIELD_TYPES,
    RESERVED_FIELD_SLUGS,
    FieldSpec,
    FieldValueError,
    check_definition,
    clean_data,
    clean_value,
    convert_value,
    index_kind,
    mime_type_allowed,
    referenced_ids,
    search_text,
)
from emdash.core.errors import ValidationFailed

ULID_A = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
ULID_B = "01HZX9K3M4N5P6Q7R8S9T0V1W2"
OPTIONS = {"options": ["news", "sport"]}
INDEXABLE = (
    "string, url, email, slug, number, integer, boolean, datetime, select, reference"
)
SUB_FIELDS = [
    {"slug": "name", "type": "string", "required": True},
    {"slug": "price", "type": "number", "validation": {"min": 0}},
    {"slug": "photo", "type": "image"},
    {"slug": "notes", "type": "markdown"},
    {
        "slug": "size",
        "type": "select",
        "default": "m",
        "validation": {"options": ["m"]},
    },
]


def spec(field_type: str, **options: Any) -> FieldSpec:
    return FieldSpec(slug="f", type=field_type, **options)


def repeater(**rules: Any) -> FieldSpec:
    return spec("repeater", validation={"sub_fields": SUB_FIELDS, **rules})


def test_field_types_are_the_designed_set() -> None:
    assert FIELD_TYPES == (
        "string",
        "text",
        "markdown",
        "number",
        "integer",
        "boolean",
        "datetime",
        "select",
        "multi_select",
        "url",
        "email",
        "slug",
        "image",
        "file",
        "reference",
        "repeater",
        "json",
    )


def test_entry_attributes_are_reserved_but_title_is_not() -> None:
    assert {"id", "slug", "status", "seo", "terms", "version"} <= RESERVED_FIELD_SLUGS
    assert "title" not in RESERVED_FIELD_SLUGS


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (spec("string"), "text"),
        (spec("url"), "text"),
        (spec("email"), "text"),
        (spec("slug"), "text"),
        (spec("datetime"), "text"),
        (spec("select", validation=OPTIONS), "text"),
        (spec("number"), "number"),
        (spec("integer"), "number"),
        (spec("boolean"), "boolean"),
        (spec("reference", validation={"collection": "posts"}), "text"),
        (spec("reference", validation={"collection": "posts", "multiple": True}), None),
        (spec("text"), None),
        (spec("markdown"), None),
        (spec("multi_select", validation=OPTIONS), None),
        (spec("image"), None),
        (spec("file"), None),
        (repeater(), None),
        (spec("json"), None),
    ],
)
def test_index_kind(field: FieldSpec, expected: str | None) -> None:
    assert index_kind(field) == expected


def test_from_model_reads_attributes_and_as_dict_gives_them_back() -> None:
    row = SimpleNamespace(
        slug="category",
        label="Category",
        type="select",
        required=True,
        unique=False,
        indexed=True,
        searchable=True,
        default="news",
        validation=OPTIONS,
        help_text="Where it goes",
        sort_order=3,
    )
    field = FieldSpec.from_model(row)
    assert field == FieldSpec(
        slug="category",
        type="select",
        label="Category",
        required=True,
        indexed=True,
        searchable=True,
        default="news",
        validation={"options": ["news", "sport"]},
        help_text="Where it goes",
    )
    assert field.as_dict() == {
        "slug": "category",
        "type": "select",
        "label": "Category",
        "required": True,
        "unique": False,
        "indexed": True,
        "searchable": True,
        "default": "news",
        "validation": {"options": ["news", "sport"]},
        "help_text": "Where it goes",
    }
    field.as_dict()["validation"]["options"].append("other")
    assert OPTIONS == {"options": ["news", "sport"]}


def test_from_model_treats_empty_validation_and_text_as_empty() -> None:
    row = SimpleNamespace(
        slug="body",
        label="",
        type="markdown",
        required=False,
        unique=False,
        indexed=False,
        searchable=False,
        default=None,
        validation=None,
        help_text=None,
    )
    assert FieldSpec.from_model(row) == FieldSpec(slug="body", type="markdown")


# --- check_definition -------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        FieldSpec(slug="title", type="string", required=True, unique=True),
        spec(
            "string",
            validation={"min_length": 2, "max_length": 10, "pattern": "[a-z]+"},
        ),
        spec("text", validation={"max_length": 1_000_000}),
        spec("markdown", searchable=True),
        spec("number", indexed=True, validation={"min": -1.5, "max": 10}),
        spec("integer", unique=True, validation={"min": 0, "max": 0}),
        spec("boolean", indexed=True, default=False),
        spec("datetime", indexed=True, default="2024-05-01T09:30:00+02:00"),
        spec("select", indexed=True, default="news", validation=OPTIONS),
        spec("multi_select", validation={**OPTIONS, "min_items": 1, "max_items": 2}),
        spec("url", unique=True, default="/about/"),
        spec("email", indexed=True),
        spec("slug", unique=True),
        spec("image", validation={"allowed_mime_types": ["image/*"]}),
        spec("file", validation={"allowed_mime_types": ["application/pdf", "text/*"]}),
        spec("reference", indexed=True, validation={"collection": "posts"}),
        spec("reference", validation={"collection": "blog-posts", "multiple": True}),
        repeater(min_items=0, max_items=3),
        spec("json", validation={"max_bytes": 10}, default={"a": 1}),
        FieldSpec(slug="a" * 63, type="string"),
    ],
)
def test_valid_definitions_have_no_errors(field: FieldSpec) -> None:
    assert check_definition(field) == {}


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            FieldSpec(slug="Title", type="string"),
            {
                "slug": "must be 1 to 63 characters: lowercase letters, digits and "
                "underscores, starting with a letter"
            },
        ),
        (
            FieldSpec(slug="a" * 64, type="string"),
            {
                "slug": "must be 1 to 63 characters: lowercase letters, digits and "
                "underscores, starting with a letter"
            },
        ),
        (
            FieldSpec(slug="status", type="string"),
            {"slug": "'status' is reserved for entry attributes; choose another"},
        ),
        (
            spec("foo"),
            {
                "type": "unknown field type 'foo'; expected one of: string, text, "
                "markdown, number, integer, boolean, datetime, select, multi_select, "
                "url, email, slug, image, file, reference, repeater, json"
            },
        ),
        (spec("string", label="x" * 101), {"label": "must be at most 100 characters"}),
        (spec("string", help_text=5), {"help_text": "must be text"}),
        (spec("string", required="yes"), {"required": "must be true or false"}),
        (
            spec("string", validation=["max_length"]),
            {"validation": "must be an object"},
        ),
        (
            spec("string", validation={"max": 3}),
            {
                "validation.max": "unknown option for string fields; allowed: "
                "min_length, max_length, pattern"
            },
        ),
        (
            spec("boolean", validation={"options": ["a"]}),
            {"validation.options": "boolean fields take no validation options"},
        ),
        (
            spec("string", validation={"max_length": -1}),
            {"validation.max_length": "must be a whole number, 0 or more"},
        ),
        (
            spec("text", validation={"max_length": 1_000_001}),
            {"validation.max_length": "must be at most 1000000"},
        ),
        (
            spec("string", validation={"min_length": 5, "max_length": 4}),
            {"validation.min_length": "must not be greater than max_length"},
        ),
        (
            spec("string", validation={"min_length": True}),
            {"validation.min_length": "must be a whole number, 0 or more"},
        ),
        (
            spec("string", validation={"pattern": "(a"}),
            {
                "validation.pattern": "is not a valid regular expression: missing ), "
                "unterminated subpattern at position 0"
            },
        ),
        (
            spec("string", validation={"pattern": 5}),
            {"validation.pattern": "must be a regular expression"},
        ),
        (
            spec("number", validation={"min": "1"}),
            {"validation.min": "must be a number"},
        ),
        (
            spec("number", validation={"max": float("inf")}),
            {"validation.max": "must be a number"},
        ),
        (
            spec("integer", validation={"min": 1.5}),
            {"validation.min": "must be a whole number"},
        ),
        (
            spec("number", validation={"min": 2, "max": 1}),
            {"validation.min": "must not be greater than max"},
        ),
        (
            spec("select"),
            {"validation.options": 'is required: a list such as ["news", "sport"]'},
        ),
        (
            spec("select", validation={"options": []}),
            {"validation.options": "must be a non-empty list of strings"},
        ),
        (
            spec("multi_select", validation={"options": "news,sport"}),
            {"validation.options": "must be a non-empty list of strings"},
        ),
        (
            spec("select", validation={"options": ["a", ""]}),
            {"validation.options": "must contain only non-empty strings"},
        ),
        (
            spec("select", validation={"options": ["a", "b", "a"]}),
            {"validation.options": "lists a more than once"},
        ),
        (
            spec(
                "multi_select", validation={**OPTIONS, "min_items": 3, "max_items": 1}
            ),
            {"validation.min_items": "must not be greater than max_items"},
        ),
        (
            spec("reference"),
            {"validation.collection": "is required: the slug of the collection"},
        ),
        (
            spec("reference", validation={"collection": "Posts!"}),
            {"validation.collection": "must be a collection slug"},
        ),
        (
            spec("reference", validation={"collection": "posts", "multiple": 1}),
            {"validation.multiple": "must be true or false"},
        ),
        (
            spec("image", validation={"allowed_mime_types": []}),
            {
                "validation.allowed_mime_types": "must be a non-empty list such as "
                '["image/*", "application/pdf"]'
            },
        ),
        (
            spec("file", validation={"allowed_mime_types": ["pdf", "image/*"]}),
            {
                "validation.allowed_mime_types": "'pdf' is not a type/subtype pattern "
                "such as 'image/*' or 'application/pdf'"
            },
        ),
        (
            spec("repeater"),
            {"validation.sub_fields": "is required: a list of field definitions"},
        ),
        (
            spec("repeater", validation={"sub_fields": []}),
            {"validation.sub_fields": "must be a non-empty list of field definitions"},
        ),
        (
            repeater(max_items=-2),
            {"validation.max_items": "must be a whole number, 0 or more"},
        ),
        (
            spec("json", validation={"max_bytes": 0}),
            {"validation.max_bytes": "must be a whole number from 1 to 1000000"},
        ),
        (
            spec("json", validation={"max_bytes": 1_000_001}),
            {"validation.max_bytes": "must be a whole number from 1 to 1000000"},
        ),
        (
            spec("text", indexed=True),
            {"indexed": "text fields cannot be indexed; indexable types: " + INDEXABLE},
        ),
        (
            spec("json", unique=True),
            {"unique": "json fields cannot be unique; indexable types: " + INDEXABLE},
        ),
        (
            spec(
                "reference",
                unique=True,
                validation={"collection": "posts", "multiple": True},
            ),
            {"unique": "references that hold several entries cannot be unique"},
        ),
        (
            spec("image", searchable=True),
            {
                "searchable": "image fields cannot be searchable; searchable types: "
                "datetime, email, integer, markdown, multi_select, number, repeater, "
                "select, slug, string, text, url"
            },
        ),
        (
            spec("integer", default="3"),
            {"default": "is not a valid value: must be a whole number, not text"},
        ),
        (
            spec("string", default="x" * 6, validation={"max_length": 5}),
            {"default": "is not a valid value: must be at most 5 characters"},
        ),
        (
            spec("select", default="weather", validation=OPTIONS),
            {"default": "is not a valid value: must be one of: news, sport"},
        ),
    ],
)
def test_definition_errors(field: FieldSpec, expected: dict[str, str]) -> None:
    assert check_definition(field) == expected


def test_definition_lists_every_problem_at_once() -> None:
    field = FieldSpec(
        slug="version",
        type="string",
        indexed=True,
        validation={"pattern": "[", "options": []},
    )
    assert set(check_definition(field)) == {
        "slug",
        "validation.pattern",
        "validation.options",
    }


def test_sub_field_definitions_are_checked_recursively() -> None:
    field = spec(
        "repeater",
        validation={
            "sub_fields": [
                {"slug": "a", "type": "reference"},
                {"slug": "a", "type": "string", "unique": True},
                5,
                {"slug": "b", "type": "select"},
                {"slug": "Bad", "type": "nope"},
                {"slug": "c", "type": "number", "default": "x"},
                {"slug": "status", "type": "repeater"},
            ]
        },
    )
    assert check_definition(field) == {
        "validation.sub_fields.0.type": "a repeater sub-field cannot be of type "
        "'reference'; expected one of: string, text, markdown, number, integer, "
        "boolean, datetime, select, url, email, image",
        "validation.sub_fields.1.unique": "unknown property; sub-fields take: slug, "
        "type, label, required, default, validation, help_text",
        "validation.sub_fields.1.slug": "'a' is used by another sub-field",
        "validation.sub_fields.2": "must be an object with at least slug and type",
        "validation.sub_fields.3.validation.options": "is required: a list such as "
        '["news", "sport"]',
        "validation.sub_fields.4.slug": "must be 1 to 63 characters: lowercase "
        "letters, digits and underscores, starting with a letter",
        "validation.sub_fields.4.type": "unknown field type 'nope'; expected one of: "
        "string, text, markdown, number, integer, boolean, datetime, select, url, "
        "email, image",
        "validation.sub_fields.5.default": "is not a valid value: must be a number, "
        "not text",
        "validation.sub_fields.6.type": "a repeater sub-field cannot be of type "
        "'repeater'; expected one of: string, text, markdown, number, integer, "
        "boolean, datetime, select, url, email, image",
    }


def test_repeater_default_must_be_valid_items() -> None:
    field = spec(
        "repeater", validation={"sub_fields": SUB_FIELDS}, default=[{"price": 1}]
    )
    assert check_definition(field) == {
        "default": "is not a valid value: item 1: name: this field is required"
    }


# --- clean_value ------------------------------------------------------------------

SINGLE_REFERENCE = spec("reference", validation={"collection": "posts"})
MANY_REFERENCES = spec(
    "reference", validation={"collection": "posts", "multiple": True}
)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (spec("string"), "hello", "hello"),
        (spec("string"), "  spaced  ", "  spaced  "),
        (spec("string"), "x" * 255, "x" * 255),
        (spec("string"), "Ça va — déjà", "Ça va — déjà"),
        (spec("string", validation={"max_length": 1000}), "x" * 1000, "x" * 1000),
        (spec("string", validation={"min_length": 3}), "abc", "abc"),
        (spec("string", validation={"pattern": "[A-Z]{2}\\d"}), "AB1", "AB1"),
        (spec("text"), "x" * 1_000_000, "x" * 1_000_000),
        (spec("markdown"), "# Title\n\n*hi*", "# Title\n\n*hi*"),
        (spec("number"), 0, 0),
        (spec("number"), -1.5, -1.5),
        (spec("number"), 2**63 - 1, 2**63 - 1),
        (spec("number"), 1e300, 1e300),
        (spec("number", validation={"min": 0, "max": 10}), 10, 10),
        (spec("number", validation={"min": 0, "max": 10}), 0.0, 0.0),
        (spec("integer"), 5, 5),
        (spec("integer"), 5.0, 5),
        (spec("integer"), -(2**63), -(2**63)),
        (spec("integer", validation={"min": 1, "max": 3}), 3, 3),
        (spec("boolean"), True, True),
        (spec("boolean"), False, False),
        (spec("datetime"), "2024-05-01T09:30:00Z", "2024-05-01T09:30:00Z"),
        (spec("datetime"), "2024-05-01T09:30:00+02:00", "2024-05-01T07:30:00Z"),
        (
            spec("datetime"),
            " 2024-05-01T09:30:00.5-03:00 ",
            "2024-05-01T12:30:00.500000Z",
        ),
        (spec("datetime"), "20240501T093000+0200", "2024-05-01T07:30:00Z"),
        (
            spec("datetime"),
            datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=1))),
            "2024-05-01T08:30:00Z",
        ),
        (spec("datetime"), datetime(2024, 5, 1, tzinfo=UTC), "2024-05-01T00:00:00Z"),
        (spec("select", validation=OPTIONS), "sport", "sport"),
        (
            spec("multi_select", validation=OPTIONS),
            ["sport", "news"],
            ["sport", "news"],
        ),
        (spec("multi_select", validation=OPTIONS), ("news",), ["news"]),
        (spec("multi_select", validation=OPTIONS), [], []),
        (
            spec(
                "multi_select", validation={**OPTIONS, "min_items": 2, "max_items": 2}
            ),
            ["news", "sport"],
            ["news", "sport"],
        ),
        (spec("url"), "https://example.com/a?b=1#c", "https://example.com/a?b=1#c"),
        (spec("url"), "http://localhost:8000/", "http://localhost:8000/"),
        (spec("url"), " /about/ ", "/about/"),
        (spec("url"), "/" + "a" * 1999, "/" + "a" * 1999),
        (spec("email"), " ada@example.com ", "ada@example.com"),
        (spec("slug"), "Hello-World", "hello-world"),
        (spec("slug"), "ça-va-2024", "ça-va-2024"),
        (spec("slug"), "ＦＵＬＬ", "full"),
        (spec("slug"), "हिन्दी", "हिन्दी"),
        (spec("slug"), "a" * 200, "a" * 200),
        (spec("image"), ULID_A, {"id": ULID_A, "alt": ""}),
        (spec("image"), ULID_A.lower(), {"id": ULID_A, "alt": ""}),
        (spec("image"), {"id": ULID_A, "alt": "A cat"}, {"id": ULID_A, "alt": "A cat"}),
        (spec("image"), {"id": ULID_A, "alt": None}, {"id": ULID_A, "alt": ""}),
        (spec("file"), ULID_A, {"id": ULID_A}),
        (spec("file"), {"id": ULID_A}, {"id": ULID_A}),
        (SINGLE_REFERENCE, ULID_A.lower(), ULID_A),
        (MANY_REFERENCES, [ULID_B, ULID_A], [ULID_B, ULID_A]),
        (MANY_REFERENCES, [], []),
        (
            repeater(),
            [{"name": "Tea", "price": 2.5, "photo": ULID_A}],
            [
                {
                    "name": "Tea",
                    "price": 2.5,
                    "photo": {"id": ULID_A, "alt": ""},
                    "notes": None,
                    "size": "m",
                }
            ],
        ),
        (repeater(), [], []),
        (spec("json"), {"a": [1, 2.5, None, True]}, {"a": [1, 2.5, None, True]}),
        (spec("json"), "", ""),
        (spec("json"), 0, 0),
        (spec("json"), False, False),
        (spec("json"), ("a", 1), ["a", 1]),
        (spec("json"), {1: "a"}, {"1": "a"}),
        (spec("json", validation={"max_bytes": 10}), {"a": "é"}, {"a": "é"}),
    ],
)
def test_good_values_are_cleaned(field: FieldSpec, value: Any, expected: Any) -> None:
    assert clean_value(field, value) == expected


NESTED = [[[[]]]]
for _ in range(5000):
    NESTED = [NESTED]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (spec("string"), 5, "must be text, not a number"),
        (spec("string"), True, "must be text, not true/false"),
        (spec("string"), ["a"], "must be text, not a list"),
        (spec("string"), {"a": 1}, "must be text, not an object"),
        (spec("string"), "x" * 256, "must be at most 255 characters"),
        (
            spec("string", validation={"max_length": 5}),
            "x" * 6,
            "must be at most 5 characters",
        ),
        (
            spec("string", validation={"min_length": 3}),
            "ab",
            "must be at least 3 characters",
        ),
        (
            spec("string", validation={"pattern": "[A-Z]{2}\\d"}),
            "AB12",
            "must match the pattern [A-Z]{2}\\d",
        ),
        (spec("string"), "a\x00b", "must not contain NUL characters"),
        (spec("string"), "a\ud800", "must be valid Unicode text"),
        (spec("text"), "x" * 1_000_001, "must be at most 1000000 characters"),
        (
            spec("markdown", validation={"max_length": 3}),
            "abcd",
            "must be at most 3 characters",
        ),
        (spec("number"), True, "must be a number, not true/false"),
        (spec("number"), "1", "must be a number, not text"),
        (spec("number"), float("nan"), "must be a finite number"),
        (spec("number"), float("-inf"), "must be a finite number"),
        (
            spec("number"),
            2**63,
            "must be between -9223372036854775808 and 9223372036854775807",
        ),
        (spec("number", validation={"min": 0}), -0.1, "must be at least 0"),
        (spec("number", validation={"max": 10}), 10.5, "must be at most 10"),
        (spec("number", validation={"max": 2.5}), 3, "must be at most 2.5"),
        (spec("integer"), 1.5, "must be a whole number, not 1.5"),
        (spec("integer"), "3", "must be a whole number, not text"),
        (spec("integer"), False, "must be a whole number, not true/false"),
        (
            spec("integer"),
            1e30,
            "must be between -9223372036854775808 and 9223372036854775807",
        ),
        (spec("integer"), float("inf"), "must be a whole number, not inf"),
        (spec("integer", validation={"min": 1}), 0, "must be at least 1"),
        (spec("integer", validation={"max": 3}), 4, "must be at most 3"),
        (spec("boolean"), "true", "must be true or false, not text"),
        (spec("boolean"), 1, "must be true or false, not a number"),
        (spec("boolean"), [], "must be true or false, not a list"),
        (
            spec("datetime"),
            "2024-05-01T09:30",
            "needs a time zone: add Z for UTC or an offset such as +02:00, "
            "e.g. 2024-05-01T09:30:00Z",
        ),
        (
            spec("datetime"),
            "2024-05-01",
            "needs a time zone: add Z for UTC or an offset such as +02:00, "
            "e.g. 2024-05-01T09:30:00Z",
        ),
        (
            spec("datetime"),
            datetime(2024, 5, 1, 9, 30),  # noqa: DTZ001
            "needs a time zone: add Z for UTC or an offset such as +02:00, "
            "e.g. 2024-05-01T09:30:00Z",
        ),
        (
            spec("datetime"),
            "yesterday",
            "must be a date and time in ISO 8601 format, e.g. 2024-05-01T09:30:00Z",
        ),
        (
            spec("datetime"),
            "2024-13-01T00:00:00Z",
            "must be a date and time in ISO 8601 format, e.g. 2024-05-01T09:30:00Z",
        ),
        (
            spec("datetime"),
            1714555800,
            "must be a date and time in ISO 8601 format, not a number",
        ),
        (
            spec("datetime"),
            "0001-01-01T00:00:00+01:00",
            "is out of the supported date range",
        ),
        (spec("select", validation=OPTIONS), "weather", "must be one of: news, sport"),
        (spec("select", validation=OPTIONS), "News", "must be one of: news, sport"),
        (spec("select", validation=OPTIONS), 1, "must be one of: news, sport"),
        (spec("select", validation=OPTIONS), ["news"], "must be one of: news, sport"),
        (
            spec("multi_select", validation=OPTIONS),
            "news",
            "must be a list of options, not text",
        ),
        (
            spec("multi_select", validation=OPTIONS),
            ["news", "weather", 3],
            "'weather', 3 is not an option; choose from: news, sport",
        ),
        (
            spec("multi_select", validation=OPTIONS),
            ["news", "sport", "news"],
            "lists news more than once",
        ),
        (
            spec("multi_select", validation={**OPTIONS, "min_items": 2}),
            ["news"],
            "must have at least 2 items",
        ),
        (
            spec("multi_select", validation={**OPTIONS, "max_items": 1}),
            ["news", "sport"],
            "must have at most 1 item",
        ),
        (
            spec("url"),
            "ftp://example.com/",
            "must be an http(s) URL or a site path starting with /",
        ),
        (
            spec("url"),
            "example.com",
            "must be an http(s) URL or a site path starting with /",
        ),
        (
            spec("url"),
            "//evil.com/",
            "must be an http(s) URL or a site path starting with /",
        ),
        (
            spec("url"),
            "/\\evil.com",
            "must be an http(s) URL or a site path starting with /",
        ),
        (spec("url"), "/a b", "must be an http(s) URL or a site path starting with /"),
        (
            spec("url"),
            "javascript:alert(1)",
            "must be an http(s) URL or a site path starting with /",
        ),
        (spec("url"), "/" + "a" * 2000, "must be at most 2000 characters"),
        (spec("url"), 5, "must be text, not a number"),
        (spec("email"), "nope", "must be a valid email address"),
        (spec("email"), "ada@", "must be a valid email address"),
        (spec("email"), "a" * 250 + "@b.co", "must be at most 254 characters"),
        (spec("email"), ["a@b.co"], "must be text, not a list"),
        (
            spec("slug"),
            "hello world",
            "may contain only letters, digits and single hyphens between them, "
            "e.g. my-first-post",
        ),
        (
            spec("slug"),
            "-hello",
            "may contain only letters, digits and single hyphens between them, "
            "e.g. my-first-post",
        ),
        (
            spec("slug"),
            "a--b",
            "may contain only letters, digits and single hyphens between them, "
            "e.g. my-first-post",
        ),
        (
            spec("slug"),
            "a_b",
            "may contain only letters, digits and single hyphens between them, "
            "e.g. my-first-post",
        ),
        (spec("slug"), "a" * 201, "must be at most 200 characters"),
        (spec("image"), "cat.jpg", "must have an id that is a media ULID"),
        (spec("image"), {"alt": "A cat"}, "must have an id that is a media ULID"),
        (spec("image"), "8" + ULID_A[1:], "must have an id that is a media ULID"),
        (
            spec("image"),
            5,
            'must be an image reference such as {"id": "<media id>"}, not a number',
        ),
        (
            spec("image"),
            {"id": ULID_A, "caption": "x"},
            "has unknown property 'caption'; an image reference has: id, alt",
        ),
        (spec("image"), {"id": ULID_A, "alt": 5}, "alt must be text, not a number"),
        (
            spec("image"),
            {"id": ULID_A, "alt": "x" * 1001},
            "alt must be at most 1000 characters",
        ),
        (
            spec("file"),
            {"id": ULID_A, "alt": "x"},
            "has unknown property 'alt'; a file reference has: id",
        ),
        (SINGLE_REFERENCE, "first-post", "must be an entry id (a ULID), not text"),
        (SINGLE_REFERENCE, [ULID_A], "must be an entry id (a ULID), not a list"),
        (SINGLE_REFERENCE, 42, "must be an entry id (a ULID), not a number"),
        (MANY_REFERENCES, ULID_A, "must be a list of entry ids, not text"),
        (MANY_REFERENCES, [ULID_A, "x", 4], "'x', 4 is not an entry id (a ULID)"),
        (MANY_REFERENCES, [ULID_A, ULID_A.lower()], f"lists {ULID_A} more than once"),
        (repeater(), "tea", "must be a list of items, not text"),
        (repeater(), {"name": "Tea"}, "must be a list of items, not an object"),
        (repeater(min_items=1), [], "must have at least 1 item"),
        (
            repeater(max_items=1),
            [{"name": "a"}, {"name": "b"}],
            "must have at most 1 item",
        ),
        (
            spec("json"),
            {"a": float("nan")},
            "must be JSON: objects, lists, text, finite numbers, true, false, null",
        ),
        (
            spec("json"),
            {"when": datetime(2024, 1, 1, tzinfo=UTC)},
            "must be JSON: objects, lists, text, finite numbers, true, false, null",
        ),
        (
            spec("json", validation={"max_bytes": 9}),
            {"a": "é"},
            "must be at most 9 bytes as JSON",
        ),
        (spec("json"), "x" * 100_000, "must be at most 100000 bytes as JSON"),
        (spec("json"), {"a\x00": 1}, "must not contain NUL characters"),
        (spec("json"), ["\ud800"], "must be valid Unicode text"),
        (spec("json"), NESTED, "is nested too deeply"),
    ],
)
def test_bad_values_are_refused(field: FieldSpec, value: Any, message: str) -> None:
    with pytest.raises(FieldValueError) as caught:
        clean_value(field, value)
    assert caught.value.message == message
    assert str(caught.value) == message


def test_a_json_string_holding_an_escaped_nul_is_fine() -> None:
    assert clean_value(spec("json"), "\\u0000") == "\\u0000"


@pytest.mark.parametrize("field_type", [t for t in FIELD_TYPES if t != "json"])
@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_is_no_value_unless_required(field_type: str, blank: str | None) -> None:
    validation = {
        "select": OPTIONS,
        "multi_select": OPTIONS,
        "reference": {"collection": "posts"},
        "repeater": {"sub_fields": SUB_FIELDS},
    }.get(field_type, {})
    optional = spec(field_type, validation=validation)
    assert clean_value(optional, blank) is None
    with pytest.raises(FieldValueError, match="^this field is required$"):
        clean_value(spec(field_type, required=True, validation=validation), blank)


@pytest.mark.parametrize(
    "field",
    [
        spec("multi_select", required=True, validation=OPTIONS),
        spec(
            "reference", required=True, validation={"collection": "p", "multiple": True}
        ),
        spec("repeater", required=True, validation={"sub_fields": SUB_FIELDS}),
    ],
)
def test_a_required_list_must_not_be_empty(field: FieldSpec) -> None:
    with pytest.raises(FieldValueError, match="^this field is required$"):
        clean_value(field, [])


def test_required_json_takes_falsy_values_but_not_none() -> None:
    field = spec("json", required=True)
    assert clean_value(field, "") == ""
    assert clean_value(field, []) == []
    with pytest.raises(FieldValueError, match="^this field is required$"):
        clean_value(field, None)


def test_required_boolean_accepts_false() -> None:
    assert clean_value(spec("boolean", required=True), False) is False


def test_repeater_errors_name_every_item_and_sub_field() -> None:
    items = [
        {"name": "Tea", "price": "cheap"},
        {"price": -1, "colour": "red"},
        "Cake",
        {"name": "Pie", "photo": "pie.jpg", "size": "xl"},
    ]
    with pytest.raises(FieldValueError) as caught:
        clean_value(repeater(), items)
    assert caught.value.message == (
        "item 1: price: must be a number, not text; "
        "item 2: colour: unknown field; items have: name, price, photo, notes, size; "
        "item 2: name: this field is required; "
        "item 2: price: must be at least 0; "
        "item 3: must be an object with fields: name, price, photo, notes, size; "
        "item 4: photo: must have an id that is a media ULID; "
        "item 4: size: must be one of: m"
    )


def test_repeater_output_is_a_copy_of_the_sub_field_default() -> None:
    field = spec(
        "repeater",
        validation={
            "sub_fields": [{"slug": "tags", "type": "string", "default": "none"}]
        },
    )
    assert clean_value(field, [{}, {"tags": "a"}]) == [{"tags": "none"}, {"tags": "a"}]


def test_unknown_type_is_refused_when_cleaning() -> None:
    with pytest.raises(FieldValueError, match="^has an unknown field type 'foo'$"):
        clean_value(spec("foo"), "x")


@pytest.mark.parametrize(
    ("patterns", "mime_type", "allowed"),
    [
        (None, "application/zip", True),
        (["image/*"], "image/png", True),
        (["image/*"], "IMAGE/PNG", True),
        (["image/*"], "video/mp4", False),
        (["application/pdf"], "application/pdf", True),
        (["application/pdf"], "application/json", False),
    ],
)
def test_mime_type_allowed(
    patterns: list[str] | None, mime_type: str, allowed: bool
) -> None:
    rules = {"allowed_mime_types": patterns} if patterns else {}
    assert mime_type_allowed(spec("file", validation=rules), mime_type) is allowed


# --- clean_data -------------------------------------------------------------------

POST_FIELDS = [
    FieldSpec(slug="title", type="string", required=True),
    FieldSpec(slug="body", type="markdown"),
    FieldSpec(
        slug="rating", type="integer", default=3, validation={"min": 1, "max": 5}
    ),
    FieldSpec(slug="published", type="datetime", default="2024-05-01T09:30:00+02:00"),
    FieldSpec(slug="tags", type="multi_select", default=["news"], validation=OPTIONS),
]


def test_create_applies_defaults_and_returns_every_field() -> None:
    assert clean_data(POST_FIELDS, {"title": "Hello"}) == {
        "title": "Hello",
        "body": None,
        "rating": 3,
        "published": "2024-05-01T07:30:00Z",
        "tags": ["news"],
    }


def test_create_keeps_an_explicit_none_instead_of_the_default() -> None:
    cleaned = clean_data(POST_FIELDS, {"title": "Hello", "rating": None})
    assert cleaned["rating"] is None


def test_create_does_not_share_the_default_object() -> None:
    cleaned = clean_data(POST_FIELDS, {"title": "Hello"})
    cleaned["tags"].append("sport")
    assert POST_FIELDS[4].default == ["news"]


def test_create_requires_required_fields() -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_data(POST_FIELDS, {"body": "text"})
    assert caught.value.message == "Entry data is invalid."
    assert caught.value.fields == {"title": "this field is required"}
    assert caught.value.details == {"fields": {"title": "this field is required"}}


def test_every_bad_field_is_listed_at_once() -> None:
    data = {"title": "", "rating": 9, "tags": "news", "colour": "red", "body": 5}
    with pytest.raises(ValidationFailed) as caught:
        clean_data(POST_FIELDS, data)
    assert caught.value.fields == {
        "title": "this field is required",
        "body": "must be text, not a number",
        "rating": "must be at most 5",
        "tags": "must be a list of options, not text",
        "colour": "unknown field; this collection has: title, body, rating, "
        "published, tags",
    }


def test_unknown_field_alone_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_data([], {"title": "x"})
    assert caught.value.fields == {
        "title": "unknown field; this collection has: no fields"
    }


def test_data_must_be_an_object() -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_data(POST_FIELDS, ["title"])  # type: ignore[arg-type]
    assert caught.value.message == "Entry data must be an object."
    assert caught.value.fields == {"data": "must be an object"}


STORED_POST = {
    "title": "Hello",
    "body": "Old body",
    "rating": 4,
    "published": None,
    "tags": ["sport"],
    "removed_field": "stale",
}


def test_update_merges_given_fields_over_the_stored_ones() -> None:
    cleaned = clean_data(POST_FIELDS, {"body": "New body"}, existing=STORED_POST)
    assert cleaned == {
        "title": "Hello",
        "body": "New body",
        "rating": 4,
        "published": None,
        "tags": ["sport"],
    }


def test_update_gives_a_field_missing_from_the_stored_data_its_default() -> None:
    cleaned = clean_data(POST_FIELDS, {}, existing={"title": "Hello"})
    assert cleaned == {
        "title": "Hello",
        "body": None,
        "rating": 3,
        "published": "2024-05-01T07:30:00Z",
        "tags": ["news"],
    }


def test_update_cannot_clear_a_required_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_data(POST_FIELDS, {"title": None}, existing=STORED_POST)
    assert caught.value.fields == {"title": "this field is required"}


def test_update_checks_required_on_the_merged_result() -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_data(POST_FIELDS, {"body": "x"}, existing={"body": "y"})
    assert caught.value.fields == {"title": "this field is required"}


def test_update_validates_only_the_given_fields() -> None:
    stored = {**STORED_POST, "rating": 99}
    cleaned = clean_data(POST_FIELDS, {"body": "x"}, existing=stored)
    assert cleaned["rating"] == 99
    with pytest.raises(ValidationFailed) as caught:
        clean_data(POST_FIELDS, {"rating": 99}, existing=STORED_POST)
    assert caught.value.fields == {"rating": "must be at most 5"}


def test_update_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_data(POST_FIELDS, {"removed_field": "x"}, existing=STORED_POST)
    assert list(caught.value.fields) == ["removed_field"]


def test_update_does_not_change_the_stored_mapping() -> None:
    stored = {"title": "Hello", "tags": ["sport"]}
    cleaned = clean_data(POST_FIELDS, {}, existing=stored)
    cleaned["tags"].append("news")
    assert stored == {"title": "Hello", "tags": ["sport"]}


# --- convert_value ----------------------------------------------------------------


def typed(field_type: str, **validation: Any) -> FieldSpec:
    return spec(field_type, validation=validation)


@pytest.mark.parametrize(
    ("value", "from_field", "to_field", "expected"),
    [
        ("Hello", typed("string"), typed("text"), "Hello"),
        ("# Hi", typed("markdown"), typed("string"), "# Hi"),
        ("body", typed("text"), typed("markdown"), "body"),
        ("https://a.co/", typed("url"), typed("string"), "https://a.co/"),
        ("ada@a.co", typed("email"), typed("text"), "ada@a.co"),
        ("news", typed("select", **OPTIONS), typed("string"), "news"),
        (
            "2024-05-01T09:30:00Z",
            typed("datetime"),
            typed("string"),
            "2024-05-01T09:30:00Z",
        ),
        (1.5, typed("number"), typed("string"), "1.5"),
        (2.0, typed("number"), typed("text"), "2"),
        (42, typed("integer"), typed("string"), "42"),
        (True, typed("boolean"), typed("string"), "true"),
        (False, typed("boolean"), typed("markdown"), "false"),
        (
            ["news", "sport"],
            typed("multi_select", **OPTIONS),
            typed("text"),
            "news, sport",
        ),
        (" 42 ", typed("string"), typed("integer"), 42),
        ("42.0", typed("string"), typed("integer"), 42),
        ("1e3", typed("text"), typed("integer"), 1000),
        ("-1.5", typed("string"), typed("number"), -1.5),
        ("7", typed("string"), typed("number"), 7),
        (".5", typed("string"), typed("number"), 0.5),
        ("Yes", typed("string"), typed("boolean"), True),
        ("off", typed("string"), typed("boolean"), False),
        ("0", typed("text"), typed("boolean"), False),
        (
            "2024-05-01T09:30+02:00",
            typed("string"),
            typed("datetime"),
            "2024-05-01T07:30:00Z",
        ),
        ("sport", typed("string"), typed("select", **OPTIONS), "sport"),
        (
            "news, sport,",
            typed("string"),
            typed("multi_select", **OPTIONS),
            ["news", "sport"],
        ),
        ("ada@a.co", typed("string"), typed("email"), "ada@a.co"),
        ("/about/", typed("string"), typed("url"), "/about/"),
        ("Hello-World", typed("string"), typed("slug"), "hello-world"),
        ("news", typed("select", **OPTIONS), typed("slug"), "news"),
        (ULID_A, typed("string"), typed("image"), {"id": ULID_A, "alt": ""}),
        (ULID_A, typed("string"), typed("file"), {"id": ULID_A}),
        (ULID_A, typed("string"), typed("reference", collection="p"), ULID_A),
        (
            ULID_A,
            typed("string"),
            typed("reference", collection="p", multiple=True),
            [ULID_A],
        ),
        (3, typed("integer"), typed("number"), 3),
        (3.0, typed("number"), typed("integer"), 3),
        (
            "news",
            typed("select", **OPTIONS),
            typed("multi_select", **OPTIONS),
            ["news"],
        ),
        (
            ["sport"],
            typed("multi_select", **OPTIONS),
            typed("select", **OPTIONS),
            "sport",
        ),
        (
            ULID_A,
            typed("reference", collection="p"),
            typed("reference", collection="p", multiple=True),
            [ULID_A],
        ),
        (
            [ULID_B],
            typed("reference", collection="p", multiple=True),
            typed("reference", collection="p"),
            ULID_B,
        ),
        (
            [],
            typed("reference", collection="p", multiple=True),
            typed("reference", collection="p"),
            None,
        ),
        ({"id": ULID_A, "alt": "A cat"}, typed("image"), typed("file"), {"id": ULID_A}),
        ({"id": ULID_A}, typed("file"), typed("image"), {"id": ULID_A, "alt": ""}),
        ({"id": ULID_A}, typed("file"), typed("json"), {"id": ULID_A}),
        (
            [{"name": "a"}],
            typed("repeater", sub_fields=SUB_FIELDS),
            typed("json"),
            [{"name": "a"}],
        ),
        (5, typed("json"), typed("integer"), 5),
        ("x", typed("json"), typed("string"), "x"),
        (
            [{"name": "Tea"}],
            typed("json"),
            typed("repeater", sub_fields=SUB_FIELDS),
            [{"name": "Tea", "price": None, "photo": None, "notes": None, "size": "m"}],
        ),
        ("abc", typed("string"), typed("string", max_length=3), "abc"),
        (None, typed("string"), typed("integer"), None),
        (
            None,
            typed("string"),
            FieldSpec(slug="f", type="integer", required=True),
            None,
        ),
    ],
)
def test_conversions_that_work(
    value: Any, from_field: FieldSpec, to_field: FieldSpec, expected: Any
) -> None:
    assert convert_value(value, from_field, to_field) == expected


@pytest.mark.parametrize(
    ("value", "from_field", "to_field", "message"),
    [
        ("abc", typed("string"), typed("integer"), "'abc' is not a number"),
        ("1.5", typed("string"), typed("integer"), "'1.5' is not a whole number"),
        ("1_000", typed("string"), typed("number"), "'1_000' is not a number"),
        ("nan", typed("string"), typed("number"), "'nan' is not a number"),
        (
            "9" * 5000,
            typed("text"),
            typed("integer"),
            "'999999999999999999999999999999999999999…' is not a number",
        ),
        ("1e400", typed("string"), typed("number"), "must be a finite number"),
        (1.5, typed("number"), typed("integer"), "1.5 is not a whole number"),
        (
            "maybe",
            typed("string"),
            typed("boolean"),
            "'maybe' is not true or false (true/false, yes/no, on/off, 1/0)",
        ),
        (
            "tomorrow",
            typed("string"),
            typed("datetime"),
            "must be a date and time in ISO 8601 format, e.g. 2024-05-01T09:30:00Z",
        ),
        (
            "weather",
            typed("string"),
            typed("select", **OPTIONS),
            "must be one of: news, sport",
        ),
        (
            "news, weather",
            typed("text"),
            typed("multi_select", **OPTIONS),
            "'weather' is not an option; choose from: news, sport",
        ),
        (
            "not an email",
            typed("string"),
            typed("email"),
            "must be a valid email address",
        ),
        (
            "not a slug!",
            typed("string"),
            typed("slug"),
            "may contain only letters, digits and single hyphens between them, "
            "e.g. my-first-post",
        ),
        (
            "abcd",
            typed("string"),
            typed("string", max_length=3),
            "must be at most 3 characters",
        ),
        (
            "sport",
            typed("select", **OPTIONS),
            typed("select", options=["news"]),
            "must be one of: news",
        ),
        (
            ["news", "sport"],
            typed("multi_select", **OPTIONS),
            typed("select", **OPTIONS),
            "has 2 options; a select field holds exactly one",
        ),
        (
            [ULID_A, ULID_B],
            typed("reference", collection="p", multiple=True),
            typed("reference", collection="p"),
            "holds 2 entries; a single reference holds one",
        ),
        (
            5,
            typed("integer"),
            typed("boolean"),
            "integer values cannot be converted to boolean",
        ),
        (
            True,
            typed("boolean"),
            typed("integer"),
            "boolean values cannot be converted to integer",
        ),
        (
            "2024-05-01T09:30:00Z",
            typed("datetime"),
            typed("number"),
            "datetime values cannot be converted to number",
        ),
        (
            {"id": ULID_A, "alt": ""},
            typed("image"),
            typed("string"),
            "image values cannot be converted to string",
        ),
        (
            ULID_A,
            typed("reference", collection="p"),
            typed("image"),
            "reference values cannot be converted to image",
        ),
        (
            [{"name": "a"}],
            typed("repeater", sub_fields=SUB_FIELDS),
            typed("text"),
            "repeater values cannot be converted to text",
        ),
        (
            "x",
            typed("string"),
            typed("repeater", sub_fields=SUB_FIELDS),
            "string values cannot be converted to repeater",
        ),
        (
            "https://a.co/",
            typed("url"),
            typed("multi_select", **OPTIONS),
            "url values cannot be converted to multi_select",
        ),
        ({"a": 1}, typed("json"), typed("string"), "must be text, not an object"),
        ("5", typed("json"), typed("integer"), "must be a whole number, not text"),
    ],
)
def test_conversions_that_fail(
    value: Any, from_field: FieldSpec, to_field: FieldSpec, message: str
) -> None:
    with pytest.raises(FieldValueError) as caught:
        convert_value(value, from_field, to_field)
    assert caught.value.message == message


# --- referenced_ids and search_text -----------------------------------------------


MARKDOWN_WITH_MEDIA = f"""Intro with media:{ULID_B.lower()} ignored (lowercase).

:::{{image}} media:{ULID_A}
:alt: A cat
:::

:::{{gallery}}
media:{ULID_B}
media:{ULID_A}
:::
"""


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (SINGLE_REFERENCE, ULID_A, ([ULID_A], [])),
        (MANY_REFERENCES, [ULID_A, ULID_B], ([ULID_A, ULID_B], [])),
        (MANY_REFERENCES, [], ([], [])),
        (spec("image"), {"id": ULID_A, "alt": ""}, ([], [ULID_A])),
        (spec("file"), {"id": ULID_B}, ([], [ULID_B])),
        (spec("markdown"), MARKDOWN_WITH_MEDIA, ([], [ULID_A, ULID_B])),
        (spec("markdown"), f"media:{ULID_A}X", ([], [])),
        (
            repeater(),
            [
                {"name": "a", "photo": {"id": ULID_B, "alt": ""}, "notes": None},
                {"name": "b", "photo": None, "notes": f":::{{image}} media:{ULID_A}"},
                {"name": "c", "photo": {"id": ULID_B, "alt": ""}, "notes": None},
            ],
            ([], [ULID_B, ULID_A]),
        ),
        (spec("string"), f"media:{ULID_A}", ([], [])),
        (spec("json"), {"id": ULID_A}, ([], [])),
        (spec("image"), None, ([], [])),
    ],
)
def test_referenced_ids(
    field: FieldSpec, value: Any, expected: tuple[list[str], list[str]]
) -> None:
    assert referenced_ids(field, value) == expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (spec("string"), "Hello", "Hello"),
        (spec("markdown"), "# Hi *there*", "# Hi *there*"),
        (spec("select", validation=OPTIONS), "news", "news"),
        (spec("multi_select", validation=OPTIONS), ["news", "sport"], "news sport"),
        (spec("integer"), 42, "42"),
        (spec("number"), 2.0, "2"),
        (spec("datetime"), "2024-05-01T07:30:00Z", "2024-05-01T07:30:00Z"),
        (
            repeater(),
            [
                {"name": "Tea", "price": 2, "photo": None, "notes": "Hot", "size": "m"},
                {
                    "name": "Cake",
                    "price": None,
                    "photo": None,
                    "notes": None,
                    "size": None,
                },
            ],
            "Tea\n2\nHot\nm\nCake",
        ),
        (spec("string"), None, ""),
        (spec("boolean"), True, ""),
        (spec("image"), {"id": ULID_A, "alt": "A cat"}, ""),
    ],
)
def test_search_text(field: FieldSpec, value: Any, expected: str) -> None:
    assert search_text(field, value) == expected
