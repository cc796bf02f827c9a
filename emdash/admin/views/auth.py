"""Signing in and out, first-run setup and accepting an invite.

The passkey ceremonies run in the browser (``passkeys.js``) against the REST API;
these pages hold the forms, and say clearly when a one-time link cannot be used.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from emdash.accounts import invites, signin
from emdash.accounts import setup as setup_service
from emdash.accounts.enrolment import email_error
from emdash.admin.access import ADMIN_ROOT, LOGIN_URL, error_page
from emdash.core.errors import EmDashError
from emdash.core.ratelimit import RateLimited

# The same words whether or not the address has an account (the API says them too).
LINK_SENT = "If that address has an account, a sign-in link is on its way."

# A one-time link that was never valid is a bad request; one that was valid but is
# spent (used, expired, withdrawn) is gone. Other errors keep their own status (a
# site already set up is a conflict).
LINK_STATUSES = {
    "LINK_INVALID": 400,
    "LINK_EXPIRED": 410,
    "LINK_USED": 410,
    "LINK_REVOKED": 410,
    "USER_DISABLED": 403,
}


def _link_error(
    request: HttpRequest,
    error: EmDashError,
    *,
    hint: str,
    hint_url: str = LOGIN_URL,
    hint_label: str = "Go to the sign-in page",
) -> HttpResponse:
    return error_page(
        request,
        error,
        status=LINK_STATUSES.get(error.code, error.status),
        hint=hint,
        hint_url=hint_url,
        hint_label=hint_label,
    )


def _safe_next(request: HttpRequest, target: str | None) -> str:
    """Where to go after signing in: an admin page on this site, or nowhere."""
    if not target or not target.startswith(ADMIN_ROOT):
        return ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


def _login_page(
    request: HttpRequest,
    *,
    next_url: str = "",
    email: str = "",
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "needs_setup": setup_service.needs_setup(),
        "next": next_url,
        "email": email,
        "errors": errors or {},
    }
    return render(request, "emdash_admin/login.html", context, status=status)


@never_cache
@require_safe
def login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url or ADMIN_ROOT)
    return _login_page(request, next_url=next_url)


@never_cache
@require_POST
def request_link(request: HttpRequest) -> HttpResponse:
    """Email a sign-in link. The answer never says whether the address exists."""
    email = request.POST.get("email", "").strip()
    if problem := email_error(email):
        return _login_page(
            request, email=email, errors={"email": [problem]}, status=400
        )
    try:
        signin.request_sign_in_link(request, email)
    except RateLimited as error:
        messages.error(request, error.message)
        return _login_page(request, email=email, status=error.status)
    messages.success(request, LINK_SENT)
    return redirect(LOGIN_URL)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks the person to confirm (mail scanners follow links but do not post
    forms, so they cannot use the link up); POST signs them in."""
    hint = "Sign-in links work once and for 15 minutes. Ask for a new one."
    if request.method == "POST":
        try:
            signin.redeem_sign_in_link(request, token)
        except EmDashError as error:
            return _link_error(request, error, hint=hint)
        return redirect(ADMIN_ROOT)
    try:
        link = signin.check_sign_in_link(token)
    except EmDashError as error:
        return _link_error(request, error, hint=hint)
    return render(request, "emdash_admin/sign_in_link.html", {"email": link.email})


@never_cache
@require_safe
def setup(request: HttpRequest, token: str) -> HttpResponse:
    """Name the site and register the first administrator's passkey."""
    try:
        setup_service.check_token(token)
    except setup_service.AlreadySetUp as error:
        return _link_error(
            request,
            error,
            hint="The first administrator has been created. Sign in with your passkey.",
        )
    except EmDashError as error:
        return _link_error(
            request,
            error,
            hint=(
                "Run emdash setup-url on the server for a fresh setup link "
                "(emdash serve prints one too)."
            ),
            hint_url="",
        )
    return render(request, "emdash_admin/setup.html", {"token": token})


@never_cache
@require_safe
def invite(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invite: choose a display name, register a passkey."""
    try:
        link = invites.check_token(token)
    except EmDashError as error:
        return _link_error(
            request,
            error,
            hint="Ask the person who invited you to send a new invite.",
        )
    context = {"token": token, "email": link.email, "role": link.role}
    return render(request, "emdash_admin/invite.html", context)


@never_cache
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    signin.log_out(request)
    messages.info(request, "You are signed out.")
    return redirect(LOGIN_URL)
