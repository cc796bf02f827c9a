"""The one way the public site turns data into HTML.

Views hand ``render_page`` plain data (``PublicEntry`` dataclasses, dicts, lists,
strings): never ORM objects or querysets, so a template can never query or write
the database. Today the default theme's Django templates render it through a
dedicated engine; the theme system swaps this function's inside for a Jinja2
sandbox without changing any view.
"""

import dataclasses
from collections.abc import Mapping
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template import Engine, RequestContext

from emdash.paths import themes_dir

THEME = "default"


@cache
def theme_engine() -> Engine:
    """A template engine that sees only the theme's templates and filters."""
    templates = themes_dir() / THEME / "templates"
    filesystem = "django.template.loaders.filesystem.Loader"
    # DEBUG re-reads templates on every render so theme edits show at once.
    loaders = (
        [filesystem]
        if settings.DEBUG
        else [("django.template.loaders.cached.Loader", [filesystem])]
    )
    return Engine(
        dirs=[templates],
        loaders=loaders,
        debug=settings.DEBUG,
        builtins=[
            "django.templatetags.static",
            "emdash.site.templatetags.emdash_site",
        ],
    )


def _check_plain(value: Any, where: str) -> None:
    if isinstance(value, Model | QuerySet):
        raise TypeError(f"{where} is a {type(value).__name__}; pass plain data")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_plain(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _check_plain(getattr(value, field.name), f"{where}.{field.name}")


def render_page(
    request: HttpRequest,
    template_name: str | list[str],
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """Render a theme template; a list of names uses the first that exists."""
    _check_plain(context, "context")
    engine = theme_engine()
    template = (
        engine.get_template(template_name)
        if isinstance(template_name, str)
        else engine.select_template(template_name)
    )
    html = template.render(RequestContext(request, context))
    return HttpResponse(html, status=status)
