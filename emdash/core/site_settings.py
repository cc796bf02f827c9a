"""Site settings: a small key/value store with known keys and typed defaults."""

from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from emdash.core import audit, epoch
from emdash.core.actors import Actor
from emdash.core.errors import ValidationFailed
from emdash.core.models import SiteSetting

DEFAULTS: dict[str, Any] = {
    "title": "EmDash",
    "tagline": "",
    "language": "en",
    "posts_per_page": 10,
    "date_format": "%B %-d, %Y",
    "home_collection": "posts",
    "footer_text": "",
    "seo_default_image": "",
}

_TYPES: dict[str, type] = {key: type(value) for key, value in DEFAULTS.items()}


def get_all(actor: Actor | None = None) -> dict[str, Any]:
    if actor is not None:
        actor.require("settings:read")
    stored = dict(SiteSetting.objects.values_list("key", "value"))
    return {**DEFAULTS, **{k: v for k, v in stored.items() if k in DEFAULTS}}


def public_settings() -> dict[str, Any]:
    """Settings the public site needs; no permission check (nothing secret here)."""
    return get_all()


def update(actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    actor.require("settings:manage")
    errors: dict[str, str] = {}
    for key, value in changes.items():
        expected = _TYPES.get(key)
        if expected is None:
            errors[key] = "Unknown setting."
        elif not isinstance(value, expected) or isinstance(value, bool) != (
            expected is bool
        ):
            errors[key] = f"Must be a {expected.__name__}."
        elif problem := _value_problem(key, value):
            errors[key] = problem
    if errors:
        raise ValidationFailed("Some settings are invalid.", fields=errors)
    with transaction.atomic():
        for key, value in changes.items():
            SiteSetting.objects.update_or_create(key=key, defaults={"value": value})
        audit.record(actor, "settings.update", target_type="settings", data=changes)
        epoch.bump()
    return get_all()


def _value_problem(key: str, value: Any) -> str | None:
    """What is wrong with a well-typed value, if anything."""
    if key == "posts_per_page" and not 1 <= value <= 100:
        return "Must be between 1 and 100."
    if key == "title" and not value.strip():
        return "The site needs a title."
    if key in _BOUNDED_TEXT and len(value) > _BOUNDED_TEXT[key]:
        return f"Must be at most {_BOUNDED_TEXT[key]} characters."
    if key == "date_format":
        try:
            rendered = _SAMPLE_DATE.strftime(value)
        except (ValueError, UnicodeError):
            return "Not a date format Python can use."
        if not value.strip() or rendered == value:
            return "This pattern shows no date; use codes such as %B %-d, %Y."
    return None


_BOUNDED_TEXT = {"title": 200, "tagline": 300, "language": 35, "date_format": 100}
_SAMPLE_DATE = datetime(2000, 1, 2, 3, 4, 5, tzinfo=UTC)
