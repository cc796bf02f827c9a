"""The dashboard: recent content, counts, and for administrators the people."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from emdash.accounts.invites import list_invites
from emdash.accounts.users import list_users
from emdash.admin.access import actor_of, admin_required
from emdash.content.models import Collection, Entry, Status
from emdash.content.queries import entry_counts, list_entries
from emdash.content.services.collections import list_collections
from emdash.core.actors import Actor

RECENT = 10
STATUS_LABELS = {
    Status.DRAFT: "Drafts",
    Status.PENDING: "Pending review",
    Status.PUBLISHED: "Published",
    Status.SCHEDULED: "Scheduled",
    Status.TRASH: "In the trash",
}


@admin_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    collections = list_collections(actor)
    counts = entry_counts(actor)
    by_status, by_collection = counts.by_status, counts.by_collection
    context = {
        "recent": recent_entries(actor, collections),
        "status_counts": [
            {"status": status, "label": label, "count": by_status[status]}
            for status, label in STATUS_LABELS.items()
        ],
        "collections": [
            {"collection": c, "count": by_collection[c.slug]} for c in collections
        ],
    }
    if actor.has("users:read"):
        context["people"] = {
            "users": list_users(actor).count(),
            "invites": list_invites(actor).count()
            if actor.has("users:manage")
            else None,
        }
    return render(request, "emdash_admin/dashboard.html", context)


def recent_entries(actor: Actor, collections: list[Collection]) -> list[Entry]:
    """The latest changed entries across collections, through the same listing
    the API uses (so what the actor may see is decided there)."""
    latest: list[Entry] = []
    for collection in collections:
        page = list_entries(actor, collection.slug, sort="-updated_at", limit=RECENT)
        latest.extend(page.items)
    latest.sort(key=lambda entry: (entry.updated_at, entry.pk), reverse=True)
    return latest[:RECENT]
