"""Content: collections, their entries, an entry's preview, publishing."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from emdash.admin.access import ADMIN_ROOT, actor_of, admin_required
from emdash.content.models import Entry, Status
from emdash.content.queries import EntryFilters, entry_counts, entry_url, list_entries
from emdash.content.services import entries
from emdash.content.services.collections import (
    field_specs,
    get_collection,
    list_collections,
)
from emdash.core.errors import EmDashError

PAGE_SIZE = 25
# Field types whose value reads as plain text in the preview.
TEXT_TYPES = frozenset(
    {"string", "text", "number", "integer", "boolean", "select", "url", "email", "slug"}
)


def entry_path(collection: str, entry_id: str) -> str:
    return f"{ADMIN_ROOT}content/{collection}/{entry_id}/"


@admin_required
def collection_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    collections = list_collections(actor)
    by_collection = entry_counts(actor).by_collection
    rows = [{"collection": c, "count": by_collection[c.slug]} for c in collections]
    return render(request, "emdash_admin/content/collections.html", {"rows": rows})


@admin_required
def entry_list(request: HttpRequest, collection: str) -> HttpResponse:
    actor = actor_of(request)
    found = get_collection(actor, collection)
    status = request.GET.get("status") or None
    cursor = request.GET.get("cursor") or None
    page = list_entries(
        actor,
        collection,
        filters=EntryFilters(status=status),
        sort="-updated_at",
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    context = {
        "collection": found,
        "entries": page.items,
        "next_cursor": page.next_cursor,
        "is_first_page": cursor is None,
        "status": status or "",
        "statuses": Status.choices,
    }
    return render(request, "emdash_admin/content/entries.html", context)


@admin_required
def entry(request: HttpRequest, collection: str, entry_id: str) -> HttpResponse:
    actor = actor_of(request)
    found = entries.get_entry(actor, collection, entry_id)
    context = {
        "entry": found,
        "preview": _preview(found),
        "can_publish": found.status != Status.TRASH
        and actor.can("content:publish", owner_id=found.author_id),
        "is_live": entries.is_live(found),
        "public_url": _public_url(found),
    }
    return render(request, "emdash_admin/content/entry.html", context)


@admin_required
@require_POST
def publish(request: HttpRequest, collection: str, entry_id: str) -> HttpResponse:
    return _transition(
        request, entries.publish_entry, collection, entry_id, done="Published."
    )


@admin_required
@require_POST
def unpublish(request: HttpRequest, collection: str, entry_id: str) -> HttpResponse:
    return _transition(
        request,
        entries.unpublish_entry,
        collection,
        entry_id,
        done="Unpublished: the entry is a draft again.",
    )


def _transition(
    request: HttpRequest,
    service: Callable[..., Entry],
    collection: str,
    entry_id: str,
    *,
    done: str,
) -> HttpResponse:
    """Publish or unpublish as the signed-in person; the service decides whether
    they may. The version the page showed guards against publishing a copy that
    changed since."""
    actor = actor_of(request)
    raw_version = request.POST.get("version", "")
    if not raw_version.isdigit():
        messages.error(request, "The form is incomplete; reload the page and retry.")
        return redirect(entry_path(collection, entry_id))
    try:
        service(actor, collection, entry_id, version=int(raw_version))
    except EmDashError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(entry_path(collection, entry_id))


def _preview(entry: Entry) -> list[dict[str, Any]]:
    """The working copy's fields as an editor reads them: Markdown as its
    rendered, sanitised HTML; simple values as text; the rest left out."""
    revision = entry.current_revision
    rendered = revision.rendered if revision else {}
    preview: list[dict[str, Any]] = []
    for spec in field_specs(entry.collection):
        value = entry.data.get(spec.slug)
        if spec.slug == entry.collection.title_field or value in (None, ""):
            continue
        label = spec.label or spec.slug.replace("_", " ").capitalize()
        if spec.type == "markdown" and spec.slug in rendered:
            # Revision.rendered is Markdown rendered and sanitised with nh3.
            html = mark_safe(rendered[spec.slug])  # noqa: S308
            preview.append({"label": label, "html": html})
        elif spec.type in TEXT_TYPES:
            preview.append({"label": label, "text": value})
    return preview


def _public_url(entry: Entry) -> str:
    pattern = entry.collection.url_pattern
    if not pattern or entry.live_revision is None:
        return ""
    return entry_url(pattern, entry.live_revision.slug)
