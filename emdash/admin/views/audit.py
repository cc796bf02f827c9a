"""The audit log: who did what, newest first, filtered by action."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from emdash.admin.access import actor_of, admin_required
from emdash.core.audit import AuditFilters, list_events

PAGE_SIZE = 50


@admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "").strip()
    cursor = request.GET.get("cursor") or None
    page = list_events(
        actor_of(request),
        AuditFilters(action=action or None),
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    context = {
        "events": page.items,
        "next_cursor": page.next_cursor,
        "is_first_page": cursor is None,
        "action": action,
    }
    return render(request, "emdash_admin/audit.html", context)
