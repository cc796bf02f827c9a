"""Roles: the built-in ladder (read only) and custom roles, named bundles of
permissions. The role services enforce who may do what (``users:read`` to see,
``users:manage`` to change, never a role above your own); these pages show their
refusals as messages and field errors."""

from collections import Counter
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from emdash.accounts import roles, users
from emdash.accounts.roles import RoleInfo
from emdash.admin.access import ADMIN_ROOT, actor_of, admin_required, field_errors
from emdash.core.errors import EmDashError
from emdash.core.permissions import ALL_PERMISSIONS

ROLES_URL = ADMIN_ROOT + "roles/"
# Actions whose generic label ("Delete permanent") reads badly.
ACTION_LABELS = {"delete_permanent": "Delete permanently"}
OWNER_WORDS = {"own": "their own", "any": "everyone's"}


def role_url(slug: str) -> str:
    return f"{ROLES_URL}{slug}/"


def permission_label(permission: str) -> str:
    """``content:edit_own`` → "Edit their own"; the group names the object."""
    action = permission.partition(":")[2]
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    verb, _, owner = action.rpartition("_")
    if verb and owner in OWNER_WORDS:
        return f"{verb.replace('_', ' ').capitalize()} {OWNER_WORDS[owner]}"
    return action.replace("_", " ").capitalize()


def permission_groups() -> list[dict[str, Any]]:
    """Every permission, grouped by what it is about (the part before ':')."""
    grouped: dict[str, list[str]] = {}
    for permission in sorted(ALL_PERMISSIONS):
        grouped.setdefault(permission.partition(":")[0], []).append(permission)
    return [
        {
            "label": group.replace("_", " ").capitalize(),
            "permissions": [
                {
                    "value": permission,
                    "label": permission_label(permission),
                    "id": "permission-" + permission.replace(":", "-"),
                }
                for permission in permissions
            ],
        }
        for group, permissions in grouped.items()
    ]


def summary(granted: frozenset[str]) -> list[dict[str, str]]:
    """What a role may do, one line per group it touches: "all" when it holds
    the whole group, else the actions it holds."""
    lines = []
    for group in permission_groups():
        held = [p for p in group["permissions"] if p["value"] in granted]
        if not held:
            continue
        whole = len(held) == len(group["permissions"]) > 1
        actions = "all" if whole else ", ".join(p["label"].lower() for p in held)
        lines.append({"group": group["label"], "actions": actions})
    return lines


def _empty_form() -> dict[str, Any]:
    return {
        "slug": "",
        "name": "",
        "description": "",
        "permissions": [],
        "errors": {},
    }


def _copied_form(request: HttpRequest) -> dict[str, Any] | None:
    """A create form holding another role's permissions (``?from=editor``): a
    custom role often starts as a built-in one with a few changes."""
    source = request.GET.get("from", "")
    if not source:
        return None
    permissions = roles.get_role(actor_of(request), source).permissions
    return _empty_form() | {"permissions": sorted(permissions)}


def _posted_form(request: HttpRequest) -> dict[str, Any]:
    return {
        "slug": request.POST.get("slug", "").strip(),
        "name": request.POST.get("name", "").strip(),
        "description": request.POST.get("description", "").strip(),
        "permissions": request.POST.getlist("permissions"),
        "errors": {},
    }


def _form_errors(error: EmDashError) -> dict[str, list[str]]:
    if error.code == "ROLE_EXISTS":
        return {"slug": ["is taken by another role"]}
    return field_errors(error)


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def role_list(request: HttpRequest) -> HttpResponse:
    """The roles, and (POST) a new custom role."""
    if request.method != "POST":
        return _roles_page(request, form=_copied_form(request))
    form = _posted_form(request)
    try:
        created = roles.create_role(
            actor_of(request),
            slug=form["slug"],
            name=form["name"],
            description=form["description"],
            permissions=form["permissions"],
        )
    except EmDashError as error:
        form["errors"] = _form_errors(error)
        messages.error(request, error.message)
        return _roles_page(request, form=form, status=error.status)
    messages.success(request, f"The role “{created.name}” is created.")
    return redirect(ROLES_URL)


def _roles_page(
    request: HttpRequest,
    *,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = actor_of(request)
    all_roles = roles.list_roles(actor)
    holders = Counter(users.list_users(actor).values_list("role", flat=True))
    rows = [
        {
            "role": role,
            "summary": summary(role.permissions),
            "holders": holders[role.slug],
        }
        for role in all_roles
    ]
    context = {
        "built_in": [row for row in rows if row["role"].built_in],
        "custom": [row for row in rows if not row["role"].built_in],
        "can_manage": actor.has("users:manage"),
        "groups": permission_groups(),
        "slug_pattern": roles.SLUG.pattern,
        "form": form or _empty_form(),
    }
    return render(request, "emdash_admin/roles.html", context, status=status)


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def role_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """One role: its permissions, and (POST) changes to a custom role."""
    actor = actor_of(request)
    role = roles.get_role(actor, slug)
    if request.method != "POST":
        return _role_page(request, role)
    form = _posted_form(request)
    try:
        updated = roles.update_role(
            actor,
            slug,
            name=form["name"],
            description=form["description"],
            permissions=form["permissions"],
        )
    except EmDashError as error:
        form["errors"] = _form_errors(error)
        messages.error(request, error.message)
        return _role_page(request, role, form=form, status=error.status)
    messages.success(request, f"The role “{updated.name}” is saved.")
    return redirect(ROLES_URL)


def _role_page(
    request: HttpRequest,
    role: RoleInfo,
    *,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = actor_of(request).has("users:manage")
    context = {
        "role": role,
        "summary": summary(role.permissions),
        "can_manage": can_manage,
        "can_edit": can_manage and not role.built_in,
        "groups": permission_groups(),
        "action": role_url(role.slug),
        "form": form
        or {
            "slug": role.slug,
            "name": role.name,
            "description": role.description,
            "permissions": sorted(role.permissions),
            "errors": {},
        },
    }
    return render(request, "emdash_admin/role_edit.html", context, status=status)


@admin_required
@require_POST
def role_delete(request: HttpRequest, slug: str) -> HttpResponse:
    actor = actor_of(request)
    role = roles.get_role(actor, slug)
    try:
        roles.delete_role(actor, slug)
    except EmDashError as error:
        messages.error(request, error.message)
        return redirect(role_url(slug))
    messages.success(request, f"The role “{role.name}” is deleted.")
    return redirect(ROLES_URL)
