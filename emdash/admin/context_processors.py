"""What every admin page's layout needs: the site's name, the navigation and the
signed-in person's role."""

from typing import Any

from django.http import HttpRequest

from emdash.accounts.roles import role_name
from emdash.admin.access import ADMIN_ACCESS, ADMIN_ROOT, actor_of
from emdash.core.site_settings import public_settings

# (label, path under the admin, the permissions that show it; empty: everyone)
NAVIGATION: list[tuple[str, str, tuple[str, ...]]] = [
    ("Dashboard", "", ADMIN_ACCESS),
    ("Content", "content/", ADMIN_ACCESS),
    ("Users", "users/", ("users:read",)),
    ("Roles", "roles/", ("users:read",)),
    ("Audit log", "audit/", ("audit:read",)),
    ("Settings", "settings/", ("settings:read",)),
    ("Account", "account/", ()),
]


def admin(request: HttpRequest) -> dict[str, Any]:
    # Other Django templates (API docs, emails) need none of this.
    if not request.path.startswith(ADMIN_ROOT):
        return {}
    context: dict[str, Any] = {"site_title": public_settings()["title"]}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        actor = actor_of(request)
        context["current_role_name"] = role_name(user.role)
        context["nav_items"] = [
            {
                "label": label,
                "url": ADMIN_ROOT + path,
                "active": _is_current(request.path, ADMIN_ROOT + path),
            }
            for label, path, permissions in NAVIGATION
            if all(actor.has(permission) for permission in permissions)
        ]
    return context


def _is_current(current: str, url: str) -> bool:
    return current == url if url == ADMIN_ROOT else current.startswith(url)
