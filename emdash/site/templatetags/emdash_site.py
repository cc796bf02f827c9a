"""Filters the default theme uses; built into the theme engine, no {% load %} needed."""

from datetime import datetime

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from emdash.content.queries import PublicEntry

register = template.Library()

EXCERPT_WORDS = 40


@register.filter
def local_date(value: datetime | None, date_format: str) -> str:
    """A datetime in the site's time zone, formatted with the strftime format the
    ``date_format`` setting holds."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime(date_format)


@register.filter
def excerpt(entry: PublicEntry) -> str:
    """The entry's own excerpt, or the first words of its rendered body."""
    written = entry.data.get("excerpt")
    if isinstance(written, str) and written.strip():
        return written.strip()
    text = " ".join(strip_tags(entry.rendered.get("body", "")).split())
    return Truncator(text).words(EXCERPT_WORDS, truncate="…")


@register.filter
def absolute(url: str) -> str:
    """A site path as an absolute URL on ``EMDASH_SITE_URL``; other URLs unchanged."""
    if url.startswith("/") and not url.startswith("//"):
        return f"{settings.SITE_URL}{url}"
    return url
