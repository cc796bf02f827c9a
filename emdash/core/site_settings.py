"""Site settings: a small key/value store with known keys and typed defaults."""

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
        elif key == "posts_per_page" and not 1 <= value <= 100:
            errors[key] = "Must be between 1 and 100."
    if errors:
        raise ValidationFailed("Some settings are invalid.", fields=errors)
    with transaction.atomic():
        for key, value in changes.items():
            SiteSetting.objects.update_or_create(key=key, defaults={"value": value})
        audit.record(actor, "settings.update", target_type="settings", data=changes)
        epoch.bump()
    return get_all()
