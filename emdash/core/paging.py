"""Cursor pagination, shared by every listing: how many rows a page may hold,
and the opaque cursor that names the last row shown, so pages neither skip nor
repeat rows as new ones arrive."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from emdash.core.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            "Invalid limit.", fields={"limit": f"must be between 1 and {MAX_LIMIT}"}
        )


def last_of_page[Row](rows: list[Row], limit: int) -> tuple[list[Row], Row | None]:
    """Rows fetched ``limit + 1`` at a time: the page, and its last row when
    another page follows (the one to name in the next cursor)."""
    if len(rows) > limit:
        page = rows[:limit]
        return page, page[-1]
    return rows, None


def encode_cursor(values: list[Any]) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(values, default=str).encode())
        .decode()
        .rstrip("=")
    )


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed(
        "Invalid cursor.", fields={"cursor": "is not a cursor this API gave out"}
    )


def decode_cursor(cursor: str) -> list[Any]:
    """The two values ``encode_cursor`` was given: the sort key and the id."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != 2:
        raise invalid_cursor()
    return values


def parse_cursor_time(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise invalid_cursor() from None
