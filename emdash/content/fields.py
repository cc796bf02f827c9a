"""Field types of run-time collections: definitions, values, conversions.

Pure Python: no database, no ORM. A field is described by a ``FieldSpec`` (built
from a ``Field`` row or directly); ``check_definition`` says what is
wrong with a definition, ``clean_value`` and ``clean_data`` validate and
normalise values, ``convert_value`` carries a stored value across a type change.

Stored representations (what ``clean_value`` returns; ``None`` is "no value", and
an empty or whitespace-only string counts as no value too, except in ``json``):

=============  ================================================================
string         str, at most ``max_length`` characters (255 when not set)
text/markdown  str, at most ``max_length`` characters (hard cap 1,000,000)
number         int or float, finite
integer        int (a float with an integral value is converted)
boolean        bool
datetime       UTC ISO-8601 string ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``
select         one of ``options``
multi_select   list of unique options, in the order given
url            absolute http(s) URL or a site path starting with "/"
email          str
slug           NFKC-normalised lowercase slug (letters, digits, hyphens)
image          ``{"id": "<media ULID>", "alt": "..."}``
file           ``{"id": "<media ULID>"}``
reference      entry ULID, or a list of unique ULIDs when ``multiple``
repeater       list of objects, each cleaned against ``sub_fields``
json           any JSON value, at most ``max_bytes`` bytes (100,000 by default)
=============  ================================================================

Conversions on a type change (``convert_value``); the result is then cleaned
against the new definition, so lengths, options and ranges still apply.
``json`` -> X cleans the JSON value as an X value. Anything else is refused.

========================================  ===================================
from                                      to
========================================  ===================================
any type                                  json (the value as it is)
json                                      any type the value is valid for
string, text, markdown, url, email,       string, text, markdown (the text)
slug, select, datetime
number, integer                           string, text, markdown ("1.5")
boolean                                   string, text, markdown ("true")
multi_select                              string, text, markdown ("a, b")
string, text, markdown                    number, integer ("42", "1.5e3")
string, text, markdown                    boolean (true/false, yes/no, on/off,
                                          1/0)
string, text, markdown, url, email,       datetime, select, url, email, slug,
slug, select, datetime                    and image, file, reference (a ULID)
string, text, markdown                    multi_select (comma-separated)
number <-> integer                        integer only when integral
select                                    multi_select (a one-item list)
multi_select                              select (exactly one item)
reference single <-> multiple             [id]; multiple -> single when one id
image <-> file                            the media id (alt dropped / empty)
========================================  ===================================
"""

import copy
import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal, Self

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from emdash.content.markdown import media_ids as markdown_media_ids
from emdash.core.errors import ValidationFailed

FIELD_TYPES: tuple[str, ...] = (
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

IndexKind = Literal["text", "number", "boolean"]

# How an indexed field is stored in its expression index: "text" is the JSON value
# as text, "number" a cast to float, "boolean" the JSON value as text. A reference
# is indexable only while it holds a single entry (see ``index_kind``).
INDEXABLE_TYPES: Mapping[str, IndexKind] = MappingProxyType(
    {
        "string": "text",
        "url": "text",
        "email": "text",
        "slug": "text",
        "number": "number",
        "integer": "number",
        "boolean": "boolean",
        "datetime": "text",
        "select": "text",
        "reference": "text",
    }
)

SEARCHABLE_TYPES: frozenset[str] = frozenset(
    {
        "string",
        "text",
        "markdown",
        "number",
        "integer",
        "datetime",
        "select",
        "multi_select",
        "url",
        "email",
        "slug",
        "repeater",
    }
)

SUB_FIELD_TYPES: tuple[str, ...] = (
    "string",
    "text",
    "markdown",
    "number",
    "integer",
    "boolean",
    "datetime",
    "select",
    "url",
    "email",
    "image",
)

# Entry attributes that live beside ``data``; a field with one of these names
# would be ambiguous in the API, filters and templates.
RESERVED_FIELD_SLUGS: frozenset[str] = frozenset(
    {
        "id",
        "slug",
        "status",
        "visibility",
        "author",
        "author_id",
        "created_at",
        "updated_at",
        "published_at",
        "scheduled_at",
        "version",
        "locale",
        "terms",
        "seo",
        "has_draft",
        "collection",
        "live_revision_id",
    }
)

FIELD_SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
COLLECTION_SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")

STRING_DEFAULT_MAX_LENGTH = 255
TEXT_MAX_LENGTH = 1_000_000
URL_MAX_LENGTH = 2000
EMAIL_MAX_LENGTH = 254
SLUG_MAX_LENGTH = 200
ALT_MAX_LENGTH = 1000
JSON_DEFAULT_MAX_BYTES = 100_000
JSON_MAX_BYTES_LIMIT = 1_000_000
LABEL_MAX_LENGTH = 100
HELP_TEXT_MAX_LENGTH = 500
# JSON integers beyond 64 bits do not survive SQLite's JSON functions.
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1

_TEXT_TYPES = frozenset({"string", "text", "markdown"})
# Types whose stored value is a plain string.
_STRING_VALUED_TYPES = _TEXT_TYPES | {"url", "email", "slug", "select", "datetime"}
_LIST_TYPES = frozenset({"multi_select", "repeater"})
# Types a string-valued value converts to by cleaning the text as it is.
_PARSED_FROM_TEXT = frozenset(
    {"datetime", "select", "url", "email", "slug", "image", "file", "reference"}
)

_VALIDATION_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "string": ("min_length", "max_length", "pattern"),
        "text": ("min_length", "max_length", "pattern"),
        "markdown": ("min_length", "max_length", "pattern"),
        "number": ("min", "max"),
        "integer": ("min", "max"),
        "boolean": (),
        "datetime": (),
        "select": ("options",),
        "multi_select": ("options", "min_items", "max_items"),
        "url": (),
        "email": (),
        "slug": (),
        "image": ("allowed_mime_types",),
        "file": ("allowed_mime_types",),
        "reference": ("collection", "multiple"),
        "repeater": ("sub_fields", "min_items", "max_items"),
        "json": ("max_bytes",),
    }
)

_SUB_FIELD_KEYS = (
    "slug",
    "type",
    "label",
    "required",
    "default",
    "validation",
    "help_text",
)

_ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
_MIME_PATTERN = re.compile(
    r"^[a-z0-9][a-z0-9!#$&^_.+-]*/(?:\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$"
)
_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "off", "0"})

_validate_email = EmailValidator()
_validate_absolute_url = URLValidator(schemes=["http", "https"])


class FieldValueError(ValueError):
    """A value a field cannot hold. The message is a short, lowercase-first
    sentence meant for the user, e.g. "must be at most 255 characters"."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldSpec:
    """The definition of one field, detached from the database."""

    slug: str
    type: str
    label: str = ""
    required: bool = False
    unique: bool = False
    indexed: bool = False
    searchable: bool = False
    default: Any = None
    validation: Mapping[str, Any] = field(default_factory=dict)
    help_text: str = ""

    @classmethod
    def from_model(cls, field_row: Any) -> Self:
        """Build a spec from a ``Field`` row (or anything with the same attributes)."""
        return cls(
            slug=field_row.slug,
            type=field_row.type,
            label=field_row.label or "",
            required=field_row.required,
            unique=field_row.unique,
            indexed=field_row.indexed,
            searchable=field_row.searchable,
            default=copy.deepcopy(field_row.default),
            validation=copy.deepcopy(field_row.validation or {}),
            help_text=field_row.help_text or "",
        )

    def as_dict(self) -> dict[str, Any]:
        """The definition as a JSON-ready dict, in the shape definitions are given."""
        return {
            "slug": self.slug,
            "type": self.type,
            "label": self.label,
            "required": self.required,
            "unique": self.unique,
            "indexed": self.indexed,
            "searchable": self.searchable,
            "default": copy.deepcopy(self.default),
            "validation": copy.deepcopy(dict(self.validation)),
            "help_text": self.help_text,
        }


# --- definitions ----------------------------------------------------------------


def index_kind(spec: FieldSpec) -> IndexKind | None:
    """How the field is indexed, or None when its type cannot be indexed."""
    if spec.type == "reference" and _validation(spec).get("multiple") is True:
        return None
    return INDEXABLE_TYPES.get(spec.type)


def check_definition(spec: FieldSpec) -> dict[str, str]:
    """What is wrong with a field definition, keyed by the definition property
    ("slug", "type", "validation.options", "validation.sub_fields.0.type", ...).
    An empty dict means the definition is valid."""
    return _definition_errors(spec, nested=False)


def _definition_errors(spec: FieldSpec, *, nested: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(spec.slug, str) or not FIELD_SLUG_PATTERN.match(spec.slug):
        errors["slug"] = (
            "must be 1 to 63 characters: lowercase letters, digits and underscores, "
            "starting with a letter"
        )
    elif not nested and spec.slug in RESERVED_FIELD_SLUGS:
        errors["slug"] = (
            f"'{spec.slug}' is reserved for entry attributes; choose another"
        )
    for name, limit in (
        ("label", LABEL_MAX_LENGTH),
        ("help_text", HELP_TEXT_MAX_LENGTH),
    ):
        text = getattr(spec, name)
        if not isinstance(text, str):
            errors[name] = "must be text"
        elif len(text) > limit:
            errors[name] = f"must be at most {limit} characters"
    for flag in ("required", "unique", "indexed", "searchable"):
        if not isinstance(getattr(spec, flag), bool):
            errors[flag] = "must be true or false"

    allowed_types = SUB_FIELD_TYPES if nested else FIELD_TYPES
    if spec.type not in allowed_types:
        if nested and spec.type in FIELD_TYPES:
            errors["type"] = (
                f"a repeater sub-field cannot be of type '{spec.type}'; "
                f"expected one of: {', '.join(SUB_FIELD_TYPES)}"
            )
        else:
            errors["type"] = (
                f"unknown field type '{spec.type}'; "
                f"expected one of: {', '.join(allowed_types)}"
            )
        return errors
    if not isinstance(spec.validation, Mapping):
        errors["validation"] = "must be an object"
        return errors
    validation_errors = _validation_errors(spec)
    errors.update(validation_errors)

    if not nested:
        for flag in ("indexed", "unique"):
            if getattr(spec, flag) and index_kind(spec) is None:
                errors[flag] = _not_indexable_message(spec, flag)
    if not nested and spec.searchable and spec.type not in SEARCHABLE_TYPES:
        errors["searchable"] = (
            f"{spec.type} fields cannot be searchable; "
            f"searchable types: {', '.join(sorted(SEARCHABLE_TYPES))}"
        )
    if not validation_errors and spec.default is not None:
        try:
            clean_value(replace(spec, required=False), spec.default)
        except FieldValueError as exc:
            errors["default"] = f"is not a valid value: {exc.message}"
    return errors


def _not_indexable_message(spec: FieldSpec, flag: str) -> str:
    if spec.type == "reference":
        return f"references that hold several entries cannot be {flag}"
    return (
        f"{spec.type} fields cannot be {flag}; "
        f"indexable types: {', '.join(INDEXABLE_TYPES)}"
    )


def _validation_errors(spec: FieldSpec) -> dict[str, str]:
    rules = spec.validation
    allowed = _VALIDATION_KEYS[spec.type]
    errors: dict[str, str] = {}
    for key in rules:
        if key not in allowed:
            errors[f"validation.{key}"] = (
                f"unknown option for {spec.type} fields; allowed: {', '.join(allowed)}"
                if allowed
                else f"{spec.type} fields take no validation options"
            )
    if spec.type in _TEXT_TYPES:
        _check_count_range(rules, "min_length", "max_length", TEXT_MAX_LENGTH, errors)
        _check_pattern(rules, errors)
    elif spec.type in ("number", "integer"):
        _check_number_range(rules, whole=spec.type == "integer", errors=errors)
    elif spec.type in ("select", "multi_select"):
        _check_options(rules, errors)
    elif spec.type == "reference":
        collection = rules.get("collection")
        if collection is None:
            errors["validation.collection"] = "is required: the slug of the collection"
        elif not isinstance(collection, str) or not COLLECTION_SLUG_PATTERN.match(
            collection
        ):
            errors["validation.collection"] = "must be a collection slug"
        if "multiple" in rules and not isinstance(rules["multiple"], bool):
            errors["validation.multiple"] = "must be true or false"
    elif spec.type in ("image", "file"):
        _check_mime_types(rules, errors)
    elif spec.type == "repeater":
        _check_sub_fields(rules, errors)
    elif spec.type == "json" and "max_bytes" in rules:
        max_bytes = rules["max_bytes"]
        if not _is_int(max_bytes) or not 1 <= max_bytes <= JSON_MAX_BYTES_LIMIT:
            errors["validation.max_bytes"] = (
                f"must be a whole number from 1 to {JSON_MAX_BYTES_LIMIT}"
            )
    if spec.type in _LIST_TYPES:
        _check_count_range(rules, "min_items", "max_items", None, errors)
    return errors


def _check_count_range(
    rules: Mapping[str, Any],
    low_key: str,
    high_key: str,
    limit: int | None,
    errors: dict[str, str],
) -> None:
    for key in (low_key, high_key):
        if key not in rules:
            continue
        count = rules[key]
        if not _is_int(count) or count < 0:
            errors[f"validation.{key}"] = "must be a whole number, 0 or more"
        elif limit is not None and count > limit:
            errors[f"validation.{key}"] = f"must be at most {limit}"
    low, high = rules.get(low_key), rules.get(high_key)
    if _is_int(low) and _is_int(high) and low > high:
        errors[f"validation.{low_key}"] = f"must not be greater than {high_key}"


def _check_pattern(rules: Mapping[str, Any], errors: dict[str, str]) -> None:
    if "pattern" not in rules:
        return
    pattern = rules["pattern"]
    if not isinstance(pattern, str) or not pattern:
        errors["validation.pattern"] = "must be a regular expression"
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        errors["validation.pattern"] = f"is not a valid regular expression: {exc}"


def _check_number_range(
    rules: Mapping[str, Any], *, whole: bool, errors: dict[str, str]
) -> None:
    for key in ("min", "max"):
        if key not in rules:
            continue
        bound = rules[key]
        if whole and not _is_int(bound):
            errors[f"validation.{key}"] = "must be a whole number"
        elif not _is_finite_number(bound):
            errors[f"validation.{key}"] = "must be a number"
    low, high = rules.get("min"), rules.get("max")
    if _is_finite_number(low) and _is_finite_number(high) and low > high:
        errors["validation.min"] = "must not be greater than max"


def _check_options(rules: Mapping[str, Any], errors: dict[str, str]) -> None:
    options = rules.get("options")
    if options is None:
        errors["validation.options"] = 'is required: a list such as ["news", "sport"]'
    elif not isinstance(options, list) or not options:
        errors["validation.options"] = "must be a non-empty list of strings"
    elif not all(isinstance(option, str) and option for option in options):
        errors["validation.options"] = "must contain only non-empty strings"
    elif duplicates := _duplicates(options):
        errors["validation.options"] = f"lists {', '.join(duplicates)} more than once"


def _check_mime_types(rules: Mapping[str, Any], errors: dict[str, str]) -> None:
    if "allowed_mime_types" not in rules:
        return
    patterns = rules["allowed_mime_types"]
    if not isinstance(patterns, list) or not patterns:
        errors["validation.allowed_mime_types"] = (
            'must be a non-empty list such as ["image/*", "application/pdf"]'
        )
        return
    bad = [p for p in patterns if not isinstance(p, str) or not _MIME_PATTERN.match(p)]
    if bad:
        errors["validation.allowed_mime_types"] = (
            f"{', '.join(map(repr, bad))} is not a type/subtype pattern such as "
            "'image/*' or 'application/pdf'"
        )


def _check_sub_fields(rules: Mapping[str, Any], errors: dict[str, str]) -> None:
    definitions = rules.get("sub_fields")
    if definitions is None:
        errors["validation.sub_fields"] = "is required: a list of field definitions"
        return
    if not isinstance(definitions, list) or not definitions:
        errors["validation.sub_fields"] = (
            "must be a non-empty list of field definitions"
        )
        return
    seen: set[str] = set()
    for index, definition in enumerate(definitions):
        prefix = f"validation.sub_fields.{index}"
        if not isinstance(definition, Mapping):
            errors[prefix] = "must be an object with at least slug and type"
            continue
        for key in definition:
            if key not in _SUB_FIELD_KEYS:
                errors[f"{prefix}.{key}"] = (
                    f"unknown property; sub-fields take: {', '.join(_SUB_FIELD_KEYS)}"
                )
        for key, message in _definition_errors(
            _sub_field_spec(definition), nested=True
        ).items():
            errors[f"{prefix}.{key}"] = message
        slug = definition.get("slug")
        if isinstance(slug, str):
            if slug in seen:
                errors[f"{prefix}.slug"] = f"'{slug}' is used by another sub-field"
            seen.add(slug)


def _sub_field_spec(definition: Mapping[str, Any]) -> FieldSpec:
    return FieldSpec(
        slug=definition.get("slug"),
        type=definition.get("type"),
        label=definition.get("label", ""),
        required=definition.get("required", False),
        default=definition.get("default"),
        validation=definition.get("validation", {}),
        help_text=definition.get("help_text", ""),
    )


def mime_type_allowed(spec: FieldSpec, mime_type: str) -> bool:
    """Whether a media file of ``mime_type`` may go in an image or file field
    (``allowed_mime_types`` patterns such as "image/*"; no list allows any type)."""
    patterns = _validation(spec).get("allowed_mime_types")
    if not patterns:
        return True
    kind = mime_type.lower().split("/", 1)[0]
    return any(
        pattern == mime_type.lower() or pattern == f"{kind}/*" for pattern in patterns
    )


# --- values ---------------------------------------------------------------------


def clean_value(spec: FieldSpec, value: Any) -> Any:
    """Validate one value and return its stored form (see the module docstring).
    ``None`` (or a blank string, except for json) is "no value": it returns None,
    unless the field is required. Raises FieldValueError with a message the user
    can act on."""
    cleaner = _CLEANERS.get(spec.type)
    if cleaner is None:
        raise FieldValueError(f"has an unknown field type '{spec.type}'")
    if _is_blank(spec.type, value):
        if spec.required:
            raise FieldValueError("this field is required")
        return None
    cleaned = cleaner(spec, value)
    if spec.required and not _has_value(spec.type, cleaned):
        raise FieldValueError("this field is required")
    return cleaned


def _has_value(field_type: str, cleaned: Any) -> bool:
    if field_type == "json":
        return cleaned is not None
    return cleaned is not None and cleaned != "" and cleaned != []


def _is_blank(field_type: str, value: Any) -> bool:
    if value is None:
        return True
    if field_type == "json" or not isinstance(value, str):
        return False
    return not value.strip()


def _clean_text(spec: FieldSpec, value: Any) -> str:
    text = _require_text(value)
    rules = _validation(spec)
    default_max = (
        STRING_DEFAULT_MAX_LENGTH if spec.type == "string" else TEXT_MAX_LENGTH
    )
    max_length = min(rules.get("max_length", default_max), TEXT_MAX_LENGTH)
    if len(text) > max_length:
        raise FieldValueError(f"must be at most {max_length} characters")
    min_length = rules.get("min_length")
    if min_length is not None and len(text) < min_length:
        raise FieldValueError(f"must be at least {min_length} characters")
    pattern = rules.get("pattern")
    if pattern is not None and not re.fullmatch(pattern, text):
        raise FieldValueError(f"must match the pattern {pattern}")
    return text


def _clean_number(spec: FieldSpec, value: Any) -> int | float:
    if not _is_number(value):
        raise FieldValueError(f"must be a number, not {_describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldValueError("must be a finite number")
    _check_int_range(value)
    return _check_bounds(spec, value)


def _clean_integer(spec: FieldSpec, value: Any) -> int:
    if not _is_number(value):
        raise FieldValueError(f"must be a whole number, not {_describe(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            raise FieldValueError(
                f"must be a whole number, not {_format_number(value)}"
            )
        value = int(value)
    _check_int_range(value)
    return _check_bounds(spec, value)


def _check_int_range(value: int | float) -> None:
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        raise FieldValueError(f"must be between {INT_MIN} and {INT_MAX}")


def _check_bounds[N: (int, float)](spec: FieldSpec, value: N) -> N:
    rules = _validation(spec)
    low, high = rules.get("min"), rules.get("max")
    if low is not None and value < low:
        raise FieldValueError(f"must be at least {_format_number(low)}")
    if high is not None and value > high:
        raise FieldValueError(f"must be at most {_format_number(high)}")
    return value


def _clean_boolean(spec: FieldSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldValueError(f"must be true or false, not {_describe(value)}")
    return value


def _clean_datetime(spec: FieldSpec, value: Any) -> str:
    example = "e.g. 2024-05-01T09:30:00Z"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise FieldValueError(
                f"must be a date and time in ISO 8601 format, {example}"
            ) from None
    else:
        raise FieldValueError(
            f"must be a date and time in ISO 8601 format, not {_describe(value)}"
        )
    if moment.utcoffset() is None:
        raise FieldValueError(
            "needs a time zone: add Z for UTC or an offset such as +02:00, " + example
        )
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise FieldValueError("is out of the supported date range") from None
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}Z"


def _clean_select(spec: FieldSpec, value: Any) -> str:
    options = _validation(spec).get("options", [])
    if not isinstance(value, str) or value not in options:
        raise FieldValueError(f"must be one of: {', '.join(options)}")
    return value


def _clean_multi_select(spec: FieldSpec, value: Any) -> list[str]:
    options = _validation(spec).get("options", [])
    if not isinstance(value, list | tuple):
        raise FieldValueError(f"must be a list of options, not {_describe(value)}")
    unknown = [
        item for item in value if not isinstance(item, str) or item not in options
    ]
    if unknown:
        raise FieldValueError(
            f"{_quote_list(unknown)} is not an option; "
            f"choose from: {', '.join(options)}"
        )
    if duplicates := _duplicates(value):
        raise FieldValueError(f"lists {', '.join(duplicates)} more than once")
    items = list(value)
    _check_item_count(spec, items)
    return items


def _clean_url(spec: FieldSpec, value: Any) -> str:
    url = _require_text(value).strip()
    if len(url) > URL_MAX_LENGTH:
        raise FieldValueError(f"must be at most {URL_MAX_LENGTH} characters")
    message = "must be an http(s) URL or a site path starting with /"
    if url.startswith("/"):
        # "//host" and "/\host" are read by browsers as links to another site.
        if url.startswith("//") or "\\" in url or _has_space_or_control(url):
            raise FieldValueError(message)
        return url
    try:
        _validate_absolute_url(url)
    except ValidationError:
        raise FieldValueError(message) from None
    return url


def _clean_email(spec: FieldSpec, value: Any) -> str:
    email = _require_text(value).strip()
    if len(email) > EMAIL_MAX_LENGTH:
        raise FieldValueError(f"must be at most {EMAIL_MAX_LENGTH} characters")
    try:
        _validate_email(email)
    except ValidationError:
        raise FieldValueError("must be a valid email address") from None
    return email


def _clean_slug(spec: FieldSpec, value: Any) -> str:
    slug = unicodedata.normalize("NFKC", _require_text(value).strip()).lower()
    if len(slug) > SLUG_MAX_LENGTH:
        raise FieldValueError(f"must be at most {SLUG_MAX_LENGTH} characters")
    # Marks (category M) keep scripts such as Devanagari writable in slugs.
    valid_chars = all(
        char == "-" or unicodedata.category(char)[0] in "LNM" for char in slug
    )
    if not valid_chars or slug.startswith("-") or slug.endswith("-") or "--" in slug:
        raise FieldValueError(
            "may contain only letters, digits and single hyphens between them, "
            "e.g. my-first-post"
        )
    return slug


def _clean_media(spec: FieldSpec, value: Any) -> dict[str, str]:
    what = "an image" if spec.type == "image" else "a file"
    keys = ("id", "alt") if spec.type == "image" else ("id",)
    if isinstance(value, str):
        value = {"id": value}
    if not isinstance(value, Mapping):
        raise FieldValueError(
            f'must be {what} reference such as {{"id": "<media id>"}}, '
            f"not {_describe(value)}"
        )
    unknown = [key for key in value if key not in keys]
    if unknown:
        raise FieldValueError(
            f"has unknown property {_quote_list(unknown)}; "
            f"{what} reference has: {', '.join(keys)}"
        )
    media_id = _normalise_ulid(value.get("id"))
    if media_id is None:
        raise FieldValueError("must have an id that is a media ULID")
    if spec.type == "file":
        return {"id": media_id}
    alt = value.get("alt")
    if alt is None:
        alt = ""
    if not isinstance(alt, str):
        raise FieldValueError(f"alt must be text, not {_describe(alt)}")
    _check_storable_text(alt)
    if len(alt) > ALT_MAX_LENGTH:
        raise FieldValueError(f"alt must be at most {ALT_MAX_LENGTH} characters")
    return {"id": media_id, "alt": alt}


def _clean_reference(spec: FieldSpec, value: Any) -> str | list[str]:
    if _validation(spec).get("multiple") is not True:
        entry_id = _normalise_ulid(value)
        if entry_id is None:
            raise FieldValueError(
                f"must be an entry id (a ULID), not {_describe(value)}"
            )
        return entry_id
    if not isinstance(value, list | tuple):
        raise FieldValueError(f"must be a list of entry ids, not {_describe(value)}")
    entry_ids: list[str] = []
    bad: list[Any] = []
    for item in value:
        entry_id = _normalise_ulid(item)
        if entry_id is None:
            bad.append(item)
        else:
            entry_ids.append(entry_id)
    if bad:
        raise FieldValueError(f"{_quote_list(bad)} is not an entry id (a ULID)")
    if duplicates := _duplicates(entry_ids):
        raise FieldValueError(f"lists {', '.join(duplicates)} more than once")
    return entry_ids


def _clean_repeater(spec: FieldSpec, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list | tuple):
        raise FieldValueError(f"must be a list of items, not {_describe(value)}")
    sub_specs = sub_field_specs(spec)
    by_slug = {sub.slug: sub for sub in sub_specs}
    known = ", ".join(by_slug)
    items: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            problems.append(f"item {number}: must be an object with fields: {known}")
            continue
        problems.extend(
            f"item {number}: {key}: unknown field; items have: {known}"
            for key in item
            if key not in by_slug
        )
        cleaned: dict[str, Any] = {}
        for sub in sub_specs:
            raw = item[sub.slug] if sub.slug in item else copy.deepcopy(sub.default)
            try:
                cleaned[sub.slug] = clean_value(sub, raw)
            except FieldValueError as exc:
                problems.append(f"item {number}: {sub.slug}: {exc.message}")
        items.append(cleaned)
    if problems:
        raise FieldValueError("; ".join(problems))
    _check_item_count(spec, items)
    return items


def _clean_json(spec: FieldSpec, value: Any) -> Any:
    max_bytes = _validation(spec).get("max_bytes", JSON_DEFAULT_MAX_BYTES)
    try:
        encoded = json.dumps(
            value, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
    except (TypeError, ValueError):
        raise FieldValueError(
            "must be JSON: objects, lists, text, finite numbers, true, false, null"
        ) from None
    except RecursionError:
        raise FieldValueError("is nested too deeply") from None
    try:
        size = len(encoded.encode("utf-8"))
    except UnicodeEncodeError:
        raise FieldValueError("must be valid Unicode text") from None
    if size > max_bytes:
        raise FieldValueError(f"must be at most {max_bytes} bytes as JSON")
    # PostgreSQL's jsonb refuses NUL characters.
    if "\\u0000" in encoded and _contains_nul(value):
        raise FieldValueError("must not contain NUL characters")
    return json.loads(encoded)


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


_CLEANERS: Mapping[str, Callable[[FieldSpec, Any], Any]] = MappingProxyType(
    {
        "string": _clean_text,
        "text": _clean_text,
        "markdown": _clean_text,
        "number": _clean_number,
        "integer": _clean_integer,
        "boolean": _clean_boolean,
        "datetime": _clean_datetime,
        "select": _clean_select,
        "multi_select": _clean_multi_select,
        "url": _clean_url,
        "email": _clean_email,
        "slug": _clean_slug,
        "image": _clean_media,
        "file": _clean_media,
        "reference": _clean_reference,
        "repeater": _clean_repeater,
        "json": _clean_json,
    }
)


def sub_field_specs(spec: FieldSpec) -> list[FieldSpec]:
    """The sub-fields of a repeater field, as specs."""
    return [
        _sub_field_spec(definition)
        for definition in _validation(spec).get("sub_fields", [])
    ]


def clean_data(
    specs: Sequence[FieldSpec],
    data: Mapping[str, Any],
    *,
    existing: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate a whole entry's data and return it cleaned, with a key per field.

    Without ``existing`` it is a create: fields not given take their default.
    With ``existing`` it is a partial update: the given fields are cleaned and
    merged over the stored ones (which are kept as they are; values of fields no
    longer defined are dropped, fields missing from both take their default).
    Required fields must have a value in the result. Raises ValidationFailed
    listing every bad field at once."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            "Entry data must be an object.", fields={"data": "must be an object"}
        )
    errors: dict[str, str] = {}
    by_slug = {spec.slug: spec for spec in specs}
    known = ", ".join(by_slug) or "no fields"
    for key in data:
        if key not in by_slug:
            errors[str(key)] = f"unknown field; this collection has: {known}"
    stored = existing or {}
    cleaned: dict[str, Any] = {}
    for spec in specs:
        if spec.slug in data:
            try:
                cleaned[spec.slug] = clean_value(spec, data[spec.slug])
            except FieldValueError as exc:
                errors[spec.slug] = exc.message
            continue
        if spec.slug in stored:
            cleaned[spec.slug] = copy.deepcopy(stored[spec.slug])
        elif spec.default is not None:
            try:
                cleaned[spec.slug] = clean_value(spec, copy.deepcopy(spec.default))
            except FieldValueError as exc:
                errors[spec.slug] = f"the default is not valid: {exc.message}"
                continue
        else:
            cleaned[spec.slug] = None
        if spec.required and not _has_value(spec.type, cleaned[spec.slug]):
            errors[spec.slug] = "this field is required"
    if errors:
        raise ValidationFailed("Entry data is invalid.", fields=errors)
    return cleaned


# --- type changes ---------------------------------------------------------------


def convert_value(value: Any, from_spec: FieldSpec, to_spec: FieldSpec) -> Any:
    """Carry a stored value of ``from_spec`` over to ``to_spec`` (a type or
    validation change); see the table in the module docstring. ``required`` is
    not enforced: a missing value stays None. Raises FieldValueError when the
    value cannot be converted."""
    if value is None:
        return None
    target = replace(to_spec, required=False)
    source, destination = from_spec.type, to_spec.type
    if source == destination and source != "reference":
        candidate = value
    elif destination == "json" or source == "json":
        candidate = value
    elif destination in _TEXT_TYPES:
        candidate = _as_text(value, source, destination)
    elif destination in ("number", "integer"):
        candidate = _as_number(value, source, destination)
    elif destination == "boolean" and source in _TEXT_TYPES:
        candidate = _parse_boolean(value)
    elif destination == "multi_select" and source == "select":
        candidate = [value]
    elif destination == "multi_select" and source in _TEXT_TYPES:
        candidate = [part.strip() for part in value.split(",") if part.strip()]
    elif destination == "select" and source == "multi_select":
        if len(value) != 1:
            raise FieldValueError(
                f"has {len(value)} options; a select field holds exactly one"
            )
        candidate = value[0]
    elif destination in ("image", "file") and source in ("image", "file"):
        candidate = value["id"]
    elif destination == "reference" and source == "reference":
        candidate = _as_reference(value, to_spec)
    elif source in _STRING_VALUED_TYPES and destination in _PARSED_FROM_TEXT:
        candidate = value
        if destination == "reference" and _validation(to_spec).get("multiple") is True:
            candidate = [value]
    else:
        raise FieldValueError(f"{source} values cannot be converted to {destination}")
    return clean_value(target, candidate)


def _as_text(value: Any, source: str, destination: str) -> str:
    if source in _STRING_VALUED_TYPES:
        return value
    if source in ("number", "integer"):
        return _format_number(value)
    if source == "boolean":
        return "true" if value else "false"
    if source == "multi_select":
        return ", ".join(value)
    raise FieldValueError(f"{source} values cannot be converted to {destination}")


def _as_number(value: Any, source: str, destination: str) -> int | float:
    if source in ("number", "integer"):
        if (
            destination == "integer"
            and isinstance(value, float)
            and not value.is_integer()
        ):
            raise FieldValueError(f"{_format_number(value)} is not a whole number")
        return value
    if source not in _TEXT_TYPES:
        raise FieldValueError(f"{source} values cannot be converted to {destination}")
    text = value.strip()
    # The length cap keeps int() inside Python's limit on digits it will parse.
    if len(text) > 100 or not _NUMBER_TEXT.match(text):
        raise FieldValueError(f"'{_shorten(value)}' is not a number")
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    number = float(text)
    if destination == "integer" and not number.is_integer():
        raise FieldValueError(f"'{_shorten(value)}' is not a whole number")
    return number


def _parse_boolean(value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise FieldValueError(
        f"'{_shorten(value)}' is not true or false (true/false, yes/no, on/off, 1/0)"
    )


def _as_reference(value: Any, to_spec: FieldSpec) -> str | list[str] | None:
    multiple = _validation(to_spec).get("multiple") is True
    if isinstance(value, list):
        if multiple:
            return value
        if len(value) > 1:
            raise FieldValueError(
                f"holds {len(value)} entries; a single reference holds one"
            )
        return value[0] if value else None
    return [value] if multiple else value


# --- what a value points at -----------------------------------------------------


def referenced_ids(spec: FieldSpec, value: Any) -> tuple[list[str], list[str]]:
    """(entry ids, media ids) a cleaned value points at, without duplicates."""
    entry_ids: list[str] = []
    media_ids: list[str] = []
    if value is None:
        return entry_ids, media_ids
    if spec.type == "reference":
        entry_ids.extend(value if isinstance(value, list) else [value])
    elif spec.type in ("image", "file"):
        media_ids.append(value["id"] if isinstance(value, Mapping) else value)
    elif spec.type == "markdown":
        # The renderer's own parser: ids in code blocks are text, not references.
        media_ids.extend(markdown_media_ids(value))
    elif spec.type == "repeater":
        for item in value:
            for sub in sub_field_specs(spec):
                media_ids.extend(referenced_ids(sub, item.get(sub.slug))[1])
    return list(dict.fromkeys(entry_ids)), list(dict.fromkeys(media_ids))


def search_text(spec: FieldSpec, value: Any) -> str:
    """The text a searchable field contributes to the entry's search document.
    Markdown is returned raw: the caller turns it into plain text."""
    if value is None or spec.type not in SEARCHABLE_TYPES:
        return ""
    if spec.type == "multi_select":
        return " ".join(value)
    if spec.type == "repeater":
        parts = (
            search_text(sub, item.get(sub.slug))
            for item in value
            for sub in sub_field_specs(spec)
        )
        return "\n".join(part for part in parts if part)
    if spec.type in ("number", "integer"):
        return _format_number(value)
    return str(value)


# --- helpers --------------------------------------------------------------------


def _validation(spec: FieldSpec) -> Mapping[str, Any]:
    return spec.validation if isinstance(spec.validation, Mapping) else {}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite_number(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value)


def _require_text(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldValueError(f"must be text, not {_describe(value)}")
    _check_storable_text(value)
    return value


def _check_storable_text(text: str) -> None:
    # PostgreSQL refuses NUL characters and lone surrogates in text and jsonb.
    if "\x00" in text:
        raise FieldValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldValueError("must be valid Unicode text") from None


def _has_space_or_control(text: str) -> bool:
    return any(char.isspace() or unicodedata.category(char) == "Cc" for char in text)


def _normalise_ulid(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    candidate = value.strip().upper()
    return candidate if _ULID.match(candidate) else None


def _check_item_count(spec: FieldSpec, items: list[Any]) -> None:
    rules = _validation(spec)
    low, high = rules.get("min_items"), rules.get("max_items")
    if low is not None and len(items) < low:
        raise FieldValueError(f"must have at least {low} {_items(low)}")
    if high is not None and len(items) > high:
        raise FieldValueError(f"must have at most {high} {_items(high)}")


def _items(count: int) -> str:
    return "item" if count == 1 else "items"


def _duplicates(values: Sequence[Any]) -> list[str]:
    seen: set[Any] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and str(value) not in repeated:
            repeated.append(str(value))
        seen.add(value)
    return repeated


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _format_number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _quote_list(values: Sequence[Any]) -> str:
    return ", ".join(
        repr(value) if isinstance(value, str) else str(value) for value in values
    )


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
