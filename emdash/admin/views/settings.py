"""Site settings: what the public site is called and how it lists entries.

``site_settings`` enforces who may do what (``settings:read`` to see,
``settings:manage`` to change) and checks each value; this page turns the form's
text into the settings' types, sends only what changed, and shows the refusals
beside the fields."""

from dataclasses import dataclass
from typing import Any, Literal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import get_text_list
from django.views.decorators.http import require_http_methods

from emdash.admin.access import ADMIN_ROOT, actor_of, admin_required, field_errors
from emdash.content.models import Collection
from emdash.content.services.collections import list_collections
from emdash.core import site_settings
from emdash.core.actors import Actor
from emdash.core.errors import EmDashError, ValidationFailed

SETTINGS_URL = ADMIN_ROOT + "settings/"
DATE_CODES_URL = "https://docs.python.org/3/library/datetime.html#format-codes"


@dataclass(frozen=True)
class SettingField:
    key: str
    label: str
    help: str
    # "collection": a choice of collection slugs; "strftime": a date pattern,
    # shown with today's date in it.
    widget: Literal["text", "number", "collection", "strftime"] = "text"
    optional: bool = False
    # A language tag, a pattern, a URL: no spell check or capitals.
    code: bool = False
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class SettingGroup:
    slug: str
    heading: str
    fields: tuple[SettingField, ...]


GROUPS = (
    SettingGroup(
        "identity",
        "Identity",
        (
            SettingField(
                "title",
                "Site title",
                "The site's name: in every page's header and browser tab, in feeds "
                "and in the emails the site sends.",
            ),
            SettingField(
                "tagline",
                "Tagline",
                "A short line under the site title, also the home page's "
                "description for search engines.",
                optional=True,
            ),
            SettingField(
                "language",
                "Language",
                "The language the site is written in, as a tag such as en, fr or "
                "pt-BR. Browsers and screen readers use it to pronounce and "
                "translate the pages.",
                code=True,
            ),
        ),
    ),
    SettingGroup(
        "lists",
        "Lists and dates",
        (
            SettingField(
                "home_collection",
                "Home page shows",
                "The collection whose latest published entries the home page and "
                "the feed list.",
                widget="collection",
            ),
            SettingField(
                "posts_per_page",
                "Entries per page",
                "How many entries the home page and archives show before linking "
                "to older ones: 1 to 100.",
                widget="number",
                minimum=1,
                maximum=100,
            ),
            SettingField(
                "date_format",
                "Date format",
                "How the site shows dates, as a strftime pattern: %B is the "
                "month's name, %-d the day of the month, %Y the year.",
                widget="strftime",
                code=True,
            ),
        ),
    ),
    SettingGroup(
        "footer",
        "Footer and sharing",
        (
            SettingField(
                "footer_text",
                "Footer text",
                "A line at the bottom of every page, such as a copyright notice.",
                optional=True,
            ),
            SettingField(
                "seo_default_image",
                "Default sharing image",
                "The image search engines and social networks show for a page "
                "without one of its own: a full URL (https://…) or a path on "
                "this site.",
                optional=True,
                code=True,
            ),
        ),
    ),
)
FIELDS = {field.key: field for group in GROUPS for field in group.fields}


def _date_example(pattern: str) -> str:
    """Today's date in ``pattern``, as the public site would show it; "" when
    the pattern cannot format a date (one stored through the API may hold a
    character strftime refuses)."""
    try:
        return timezone.localtime().strftime(pattern)
    except ValueError:
        return ""


def _as_text(values: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in values.items()}


def _changes(posted: dict[str, str], current: dict[str, Any]) -> dict[str, Any]:
    """The posted values that differ from the current ones, in the settings'
    types. A number that does not parse is a field error, like the service's."""
    parsed: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for key, text in posted.items():
        if isinstance(site_settings.DEFAULTS[key], int):
            try:
                parsed[key] = int(text)
            except ValueError:
                problems[key] = "Must be a whole number."
        else:
            parsed[key] = text.strip()
    if problems:
        raise ValidationFailed("Some settings are invalid.", fields=problems)
    return {key: value for key, value in parsed.items() if value != current[key]}


def _refusal(error: EmDashError) -> str:
    """The error's message, naming the settings to fix: the form is long."""
    labels = [FIELDS[key].label.lower() for key in field_errors(error)]
    if not labels:
        return error.message
    return f"{error.message} Check {get_text_list(labels, 'and')}."


def _collection_label(collection: Collection) -> str:
    """The label, with the slug when the label does not say it: "News (posts)"."""
    if collection.label.casefold() == collection.slug:
        return collection.label
    return f"{collection.label} ({collection.slug})"


def _collection_choices(actor: Actor, selected: str) -> list[dict[str, str]]:
    """The collections the home page can list. A stored slug that names none is
    kept as a choice, so saving other settings does not change it unseen."""
    choices = [
        {"value": c.slug, "label": _collection_label(c)}
        for c in list_collections(actor)
    ]
    if selected not in {choice["value"] for choice in choices}:
        choices.insert(
            0, {"value": selected, "label": f"{selected} (no such collection)"}
        )
    return choices


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """The settings, and (POST) changes to them."""
    actor = actor_of(request)
    current = site_settings.get_all(actor)
    if request.method != "POST":
        return _render(request, actor, _as_text(current))
    # A POST that changes nothing never reaches update(): refuse it here too.
    actor.require("settings:manage")
    # What was typed, for the settings the form sent; a missing one stays as it is.
    posted = {key: request.POST[key] for key in FIELDS if key in request.POST}
    try:
        changes = _changes(posted, current)
        if changes:
            site_settings.update(actor, changes)
    except EmDashError as error:
        messages.error(request, _refusal(error))
        return _render(
            request,
            actor,
            _as_text(current) | posted,
            errors=field_errors(error),
            status=error.status,
        )
    if changes:
        changed = get_text_list([FIELDS[key].label.lower() for key in changes], "and")
        messages.success(request, f"Settings saved: {changed}.")
    else:
        messages.info(request, "Nothing changed.")
    return redirect(SETTINGS_URL)


def _render(
    request: HttpRequest,
    actor: Actor,
    values: dict[str, str],
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    choices = _collection_choices(actor, values["home_collection"])
    choice_labels = {choice["value"]: choice["label"] for choice in choices}
    groups = [
        {
            "slug": group.slug,
            "heading": group.heading,
            "rows": [
                {
                    "field": field,
                    "id": f"setting-{field.key}",
                    "value": values[field.key],
                    "shown": choice_labels.get(values[field.key], "")
                    if field.widget == "collection"
                    else values[field.key],
                    "errors": errors.get(field.key, []),
                    "example": _date_example(values[field.key])
                    if field.widget == "strftime"
                    else "",
                }
                for field in group.fields
            ],
        }
        for group in GROUPS
    ]
    context = {
        "groups": groups,
        "collections": choices,
        "can_manage": actor.has("settings:manage"),
        "date_codes_url": DATE_CODES_URL,
    }
    return render(request, "emdash_admin/settings.html", context, status=status)
