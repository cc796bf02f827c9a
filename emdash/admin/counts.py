"""Entry counts for the dashboard and the collections list.

This read belongs in ``emdash.content.queries``; it lives here until that module
offers counts. Only staff reach the pages that show them (``admin_required``).
"""

from collections import Counter

from django.db.models import Count

from emdash.content.models import Entry, Status


def entry_counts() -> tuple[Counter[str], Counter[str]]:
    """Entries per status, and per collection (not counting the trash), in one
    query."""
    by_status: Counter[str] = Counter()
    by_collection: Counter[str] = Counter()
    rows = (
        Entry.objects.order_by()
        .values_list("collection__slug", "status")
        .annotate(count=Count("pk"))
    )
    for collection, status, count in rows:
        by_status[status] += count
        if status != Status.TRASH:
            by_collection[collection] += count
    return by_status, by_collection
