"""Who may open an admin page, and how a service's refusal reaches the person.

Every admin response is ``never_cache`` (``Cache-Control: no-store``): the pages
carry personal data, links and tokens that no browser or proxy should keep.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from emdash.accounts.users import actor_for_user
from emdash.core.actors import Actor
from emdash.core.errors import EmDashError, ValidationFailed

ADMIN_ROOT = "/_emdash/admin/"
LOGIN_URL = ADMIN_ROOT + "login/"
# What sets a member of staff apart from a subscriber: they work on unpublished content
# (and so read content; a custom role could hold one without the other).
ADMIN_ACCESS = ("content:read", "content:read_drafts")


def has_admin_access(actor: Actor) -> bool:
    return all(actor.has(permission) for permission in ADMIN_ACCESS)


# The title of an error page, by HTTP status.
HEADINGS = {
    400: "Something is wrong with this request",
    401: "Sign in to continue",
    403: "You cannot do this",
    404: "Not found",
    409: "This cannot be done right now",
    410: "This link cannot be used",
    422: "Check what you entered",
    429: "Too many attempts",
}

View = Callable[..., HttpResponse]

ACTOR_ATTRIBUTE = "_emdash_admin_actor"


def actor_of(request: HttpRequest) -> Actor:
    """The signed-in person as the services know them: worked out once a request
    (the access check, the view and the navigation all ask) and kept on it."""
    actor: Actor | None = getattr(request, ACTOR_ATTRIBUTE, None)
    if actor is None or actor.user_id != request.user.pk:
        actor = actor_for_user(request.user)  # type: ignore[arg-type]
        setattr(request, ACTOR_ATTRIBUTE, actor)
    return actor


def login_redirect(request: HttpRequest) -> HttpResponse:
    # Only a page can be come back to: a form posted from an expired session cannot.
    if request.method in ("GET", "HEAD"):
        return redirect(f"{LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
    return redirect(LOGIN_URL)


def error_page(
    request: HttpRequest,
    error: EmDashError,
    *,
    status: int | None = None,
    hint: str = "",
    hint_url: str = "",
    hint_label: str = "",
) -> HttpResponse:
    """A page that says what went wrong, with the error's HTTP status and,
    optionally, what to do next (``hint`` and a link)."""
    status = status or error.status
    signed_in = request.user.is_authenticated
    context = {
        "error": error,
        "heading": HEADINGS.get(status, "Something went wrong"),
        "hint": hint,
        "hint_url": hint_url,
        "hint_label": hint_label,
        "layout": "emdash_admin/layout.html"
        if signed_in
        else "emdash_admin/auth_layout.html",
    }
    return render(request, "emdash_admin/error.html", context, status=status)


def signed_in_required(view: View) -> View:
    """For pages every signed-in person may open (their account). Anonymous
    visitors are sent to sign in; a service error becomes an error page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return login_redirect(request)
        try:
            return view(request, *args, **kwargs)
        except EmDashError as error:
            return error_page(request, error)

    return never_cache(wrapper)


def admin_required(view: View) -> View:
    """For the admin proper: signed in and allowed to work on content. A
    subscriber gets a page saying their account has no admin access."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_admin_access(actor_of(request)):
            return render(request, "emdash_admin/no_access.html", status=403)
        return view(request, *args, **kwargs)

    return signed_in_required(wrapper)


def field_errors(error: EmDashError) -> dict[str, list[str]]:
    """A validation error's per-field problems, as the form templates list them."""
    if isinstance(error, ValidationFailed):
        return {name: [problem] for name, problem in error.fields.items()}
    return {}


def stash(request: HttpRequest, key: str, value: dict[str, Any]) -> None:
    """Keep a value shown once (a new token, an invite link) for the page the
    redirect after a POST lands on. It sits in the session row only until then."""
    request.session[f"emdash_admin.{key}"] = value


def take(request: HttpRequest, key: str) -> dict[str, Any] | None:
    return request.session.pop(f"emdash_admin.{key}", None)


def describe(error: EmDashError) -> str:
    """An error's message with its per-field problems, for a flash message."""
    problems = field_errors(error)
    if not problems:
        return error.message
    details = "; ".join(
        f"{name.replace('_', ' ')}: {text[0]}" for name, text in problems.items()
    )
    return f"{error.message} ({details})"
