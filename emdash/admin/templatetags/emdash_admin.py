"""Small display helpers for the admin templates."""

import json
from typing import Any

from django import template

from emdash.accounts.roles import role_name

register = template.Library()


@register.filter
def role_label(slug: str, names: dict[str, str] | None = None) -> str:
    """``administrator`` → "Administrator"; a custom role's own name. A page that
    shows many passes ``names`` (slug → name, read once) to save a query each."""
    if names and slug in names:
        return names[slug]
    return role_name(slug)


@register.filter
def compact(value: Any) -> str:
    """A value from an audit event's data as one short line: text as is,
    anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
