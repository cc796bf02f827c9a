"""Full-page cache and HTTP caching headers for anonymous readers.

A page is stored under the content epoch, so one write invalidates every cached
page in every process, and for no longer than the time until the next scheduled
publication, so a page never outlives the moment its content changes on its own.
The same bound goes to browsers and CDNs in ``Cache-Control``. The plugins epoch
joins the key, since plugins add to pages (``page:metadata``): installing,
updating, enabling or disabling a plugin, or changing its settings, retires
every cached page too.
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags

from emdash.content.queries import public_state
from emdash.core import epoch
from emdash.core.epoch import EpochState, seconds_until_due
from emdash.plugins.services import REGISTRY_EPOCH

CACHE_STATUS_HEADER = "X-EmDash-Cache"
# Never public pages: the API and (later) the admin; static files too.
API_AND_ADMIN_PREFIX = "/_emdash/"
PRIVATE = "private, no-cache"


@dataclass(frozen=True)
class CachedPage:
    content: bytes
    content_type: str
    expires_at: float  # wall-clock seconds; bounds max-age on a hit


def bypasses_cache(request: HttpRequest) -> bool:
    """Only anonymous reads share a cache: a signed-in session or a bearer token may
    one day see more than the public does."""
    return (
        request.method not in {"GET", "HEAD"}
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or "HTTP_AUTHORIZATION" in request.META
    )


def _digest(request: HttpRequest) -> str:
    return hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]


def _public(response: HttpResponse, lifetime: int) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={lifetime}, s-maxage={lifetime}"
    return response


def _matches(request: HttpRequest, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    return any(tag.removeprefix("W/") == etag for tag in parse_etags(header))


LOOKED_UP = "_emdash_page_cache_looked_up"
STATE = "_emdash_public_state"
PLUGINS_EPOCH = "_emdash_plugins_epoch"


def request_state(request: HttpRequest) -> EpochState:
    """The public state the middleware read for this request, or a fresh read."""
    return getattr(request, STATE, None) or public_state()


def _plugins_epoch(request: HttpRequest) -> int:
    """The plugins epoch the middleware read for this request, or a fresh read
    (memoised per process like the content epoch: no query while it is fresh)."""
    read = getattr(request, PLUGINS_EPOCH, None)
    return read if read is not None else epoch.current(REGISTRY_EPOCH).value


def _identity(
    request: HttpRequest, state: EpochState, plugins: int
) -> tuple[int, str, str]:
    """How long a page may live, its validator and its cache key."""
    lifetime = seconds_until_due(state, cap=settings.PAGE_CACHE_SECONDS)
    version = f"{state.key}-{plugins}"
    digest = _digest(request)
    return lifetime, f'"{version}-{digest}"', f"emdash:page:{version}:{digest}"


def _lookup(
    request: HttpRequest, lifetime: int, etag: str, key: str
) -> HttpResponse | None:
    """A 304 or the cached page, or None when the view must render."""
    # Past the due time the page may change at any moment: no validator, no cache.
    if not lifetime:
        return None
    if _matches(request, etag):
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return _public(response, lifetime)
    page: CachedPage | None = cache.get(key)
    if page is None:
        return None
    remaining = min(lifetime, int(page.expires_at - time.time()))
    if remaining <= 0:
        return None
    response = HttpResponse(page.content, content_type=page.content_type)
    response["ETag"] = etag
    response[CACHE_STATUS_HEADER] = "hit"
    return _public(response, remaining)


class PageCacheMiddleware:
    """Answers cache hits for public pages before sessions, CSRF and
    authentication run, which is most of the cost of a hit. Misses go on to the
    view, whose ``serve`` renders and stores them without looking again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not bypasses_cache(request) and not request.path.startswith(
            (API_AND_ADMIN_PREFIX, settings.STATIC_URL)
        ):
            state = public_state()
            plugins = _plugins_epoch(request)
            lifetime, etag, key = _identity(request, state, plugins)
            hit = _lookup(request, lifetime, etag, key)
            if hit is not None:
                return hit
            setattr(request, LOOKED_UP, True)
            setattr(request, STATE, state)
            setattr(request, PLUGINS_EPOCH, plugins)
        return self.get_response(request)


def serve(
    request: HttpRequest, state: EpochState, build: Callable[[], HttpResponse]
) -> HttpResponse:
    """Answer from the page cache, or ``build`` the response and cache it.

    A response that sets its own ``Cache-Control`` (a password page), a cookie or
    a CSRF token is passed through untouched and never stored; only 200s are stored.
    """
    if bypasses_cache(request):
        response = build()
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = PRIVATE
        return response

    lifetime, etag, key = _identity(request, state, _plugins_epoch(request))
    if not getattr(request, LOOKED_UP, False):
        hit = _lookup(request, lifetime, etag, key)
        if hit is not None:
            return hit

    response = build()
    if (
        response.has_header("Cache-Control")
        or response.cookies
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    ):
        return response
    _public(response, lifetime)
    if lifetime and response.status_code == 200:
        response["ETag"] = etag
        response[CACHE_STATUS_HEADER] = "miss"
        page = CachedPage(
            content=response.content,
            content_type=response["Content-Type"],
            expires_at=time.time() + lifetime,
        )
        cache.set(key, page, lifetime)
    return response
