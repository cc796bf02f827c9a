"""Public pages: the home page and entries at their collections' URL patterns.

Every view reads the content epoch once and goes through the page cache; what a
view renders is plain data from the content queries, and the ``<head>`` tags
plugins add through ``page:metadata``.
"""

import re
from collections.abc import Callable
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponsePermanentRedirect,
)

from emdash.content.models import Visibility
from emdash.content.queries import (
    PublicEntry,
    check_entry_password,
    public_by_term,
    public_latest,
    public_term,
)
from emdash.content.services.taxonomies import terms_for_entries
from emdash.core import epoch, ratelimit
from emdash.core.client_ip import client_ip
from emdash.plugins import page_metadata
from emdash.plugins.page_metadata import Page
from emdash.site import cache
from emdash.site.rendering import render_page
from emdash.site.routing import resolve_entry
from emdash.site.snapshot import SiteSnapshot, site_snapshot
from emdash.site.templatetags.emdash_site import excerpt

NO_STORE = "private, no-store"
# Guesses at an entry's password per client address and entry.
PASSWORD_TRIES = 10
PASSWORD_WINDOW_SECONDS = 15 * 60
# /category/news/, /tag/python/: tried once no entry matches the path.
TERM_ARCHIVE = re.compile(r"/([a-z][a-z0-9_-]{0,62})/([^/]+)/")


def _page_context(
    request: HttpRequest,
    snapshot: SiteSnapshot,
    describe: Callable[[], Page] | None,
    **values: Any,
) -> dict[str, Any]:
    """What every template gets; ``describe`` tells plugins what the page is,
    and is called only when one adds to pages. Pages without it (404s, which
    are never cached: a flood of made-up paths must not turn into plugin calls)
    get nothing from plugins."""
    return {
        "site": snapshot.settings,
        "menu": snapshot.menu,
        "current_path": request.path,
        "plugin_metadata": (
            page_metadata.NOTHING
            if describe is None
            else page_metadata.contributions(describe, snapshot.settings)
        ),
        **values,
    }


def _not_found(request: HttpRequest, snapshot: SiteSnapshot) -> HttpResponse:
    context = _page_context(request, snapshot, None)
    return render_page(request, "404.html", context, status=404)


def _page_number(raw: str | None) -> int | None:
    if raw is None:
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        return None
    number = int(raw)
    return number if number >= 1 else None


def _page_url(path: str, number: int) -> str:
    return path if number == 1 else f"{path}?page={number}"


def _paged(
    request: HttpRequest,
    snapshot: SiteSnapshot,
    fetch: Callable[[int, int], list[PublicEntry]],
) -> dict[str, Any] | None:
    """The page of entries ``?page=`` asks for, with links to its neighbours;
    None for a page number that is invalid or past the end."""
    number = _page_number(request.GET.get("page"))
    if number is None:
        return None
    per_page = snapshot.settings["posts_per_page"]
    # One extra row says whether an older page exists.
    entries = fetch(per_page + 1, (number - 1) * per_page)
    if number > 1 and not entries:
        return None
    return {
        "entries": entries[:per_page],
        "page": number,
        "newer_url": _page_url(request.path, number - 1) if number > 1 else None,
        "older_url": (
            _page_url(request.path, number + 1) if len(entries) > per_page else None
        ),
    }


def home(request: HttpRequest) -> HttpResponse:
    state = cache.request_state(request)
    return cache.serve(request, state, lambda: _home(request, state))


def _home(request: HttpRequest, state: epoch.EpochState) -> HttpResponse:
    snapshot = site_snapshot(state)
    collection = snapshot.settings["home_collection"]
    paged = _paged(
        request,
        snapshot,
        lambda limit, offset: public_latest(collection, limit=limit, offset=offset),
    )
    if paged is None:
        return _not_found(request, snapshot)
    site = snapshot.settings
    context = _page_context(
        request,
        snapshot,
        lambda: Page(
            "home",
            request.path,
            title=site["title"],
            description=site["tagline"],
            canonical=_page_url(request.path, paged["page"]),
            number=paged["page"],
        ),
        **paged,
    )
    return render_page(request, "home.html", context)


def _term_archive(
    request: HttpRequest, snapshot: SiteSnapshot, taxonomy: str, term_slug: str
) -> HttpResponse:
    """``/<taxonomy>/<term>/``: the live entries filed under a term."""
    term = public_term(taxonomy, term_slug)
    if term is None:
        return _not_found(request, snapshot)
    paged = _paged(
        request,
        snapshot,
        lambda limit, offset: public_by_term(
            taxonomy, term_slug, limit=limit, offset=offset
        ),
    )
    if paged is None:
        return _not_found(request, snapshot)
    context = _page_context(
        request,
        snapshot,
        lambda: Page(
            "archive",
            request.path,
            title=term.name,
            description=term.description,
            canonical=_page_url(request.path, paged["page"]),
            number=paged["page"],
            term=term,
        ),
        term=term,
        **paged,
    )
    return render_page(request, "archive.html", context)


def entry_page(request: HttpRequest) -> HttpResponse:
    """Any other path: an entry at one of the collections' URL patterns, or 404."""
    state = cache.request_state(request)
    return cache.serve(request, state, lambda: _entry_page(request, state))


def _entry_page(request: HttpRequest, state: epoch.EpochState) -> HttpResponse:
    snapshot = site_snapshot(state)
    path = request.path_info
    entry = resolve_entry(path, snapshot.routes)
    if entry is None:
        if not path.endswith("/") and resolve_entry(f"{path}/", snapshot.routes):
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(
                f"{request.path}/" + (f"?{query}" if query else "")
            )
        archive = TERM_ARCHIVE.fullmatch(path)
        if archive:
            return _term_archive(request, snapshot, *archive.groups())
        return _not_found(request, snapshot)
    if entry.visibility == Visibility.PASSWORD:
        return _password_entry(request, snapshot, entry)
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _render_entry(request, snapshot, entry)


def _render_entry(
    request: HttpRequest,
    snapshot: SiteSnapshot,
    entry: PublicEntry,
    *,
    locked: bool = False,
    wrong_password: bool = False,
    too_many_attempts: bool = False,
    status: int = 200,
) -> HttpResponse:
    terms = {} if locked else terms_for_entries([entry.id]).get(entry.id, {})
    canonical = entry.seo.get("canonical") or entry.url

    def describe() -> Page:
        # A protected entry's excerpt is its body's: never handed to plugins.
        protected = entry.visibility == Visibility.PASSWORD
        return Page(
            "entry",
            request.path,
            title=entry.title,
            description=entry.seo.get("description")
            or ("" if protected else excerpt(entry)),
            canonical=canonical,
            entry=entry,
            terms=terms,
        )

    context = _page_context(
        request,
        snapshot,
        describe,
        entry=entry,
        terms=terms,
        locked=locked,
        wrong_password=wrong_password,
        too_many_attempts=too_many_attempts,
        canonical=canonical,
    )
    templates = [f"entry-{entry.collection}.html", "entry.html"]
    return render_page(request, templates, context, status=status)


def _password_entry(
    request: HttpRequest, snapshot: SiteSnapshot, entry: PublicEntry
) -> HttpResponse:
    """The body only for a POST with the right password; nothing here is cached.
    Guesses are rate limited per client address and entry."""
    if request.method == "POST":
        try:
            ratelimit.check_and_hit(
                "entry-password",
                f"{client_ip(request)} {entry.id}",
                limit=PASSWORD_TRIES,
                window_seconds=PASSWORD_WINDOW_SECONDS,
            )
        except ratelimit.RateLimited as limited:
            response = _render_entry(
                request,
                snapshot,
                entry,
                locked=True,
                too_many_attempts=True,
                status=limited.status,
            )
            response["Retry-After"] = str(limited.retry_after)
            response["Cache-Control"] = NO_STORE
            return response
        given = request.POST.get("password", "")
        unlocked = check_entry_password(entry.id, given)
        response = _render_entry(
            request,
            snapshot,
            entry,
            locked=not unlocked,
            wrong_password=not unlocked,
            status=200 if unlocked else 403,
        )
    elif request.method in {"GET", "HEAD"}:
        response = _render_entry(request, snapshot, entry, locked=True)
    else:
        response = HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    response["Cache-Control"] = NO_STORE
    return response
