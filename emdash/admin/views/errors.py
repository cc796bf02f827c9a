"""Answers for addresses under the admin that name no page."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from emdash.admin.access import error_page
from emdash.core.errors import NotFound


@never_cache
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """The admin's own 404, so the public site (and its caching) never answers
    an admin address."""
    return error_page(
        request,
        NotFound("There is no admin page at this address.", code="PAGE_NOT_FOUND"),
        hint_url="/_emdash/admin/",
        hint_label="Go to the dashboard",
    )
