"""What every page of the site needs besides its own content: the settings, the
primary menu and the collections' URL patterns. All three change only with a
content write, so they are read once per content epoch and kept in the
configured cache (shared by every process when it is Redis)."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from emdash.content.queries import public_collections_by_pattern
from emdash.content.services import menus
from emdash.core import epoch, site_settings

PRIMARY_MENU = "primary"


@dataclass(frozen=True)
class SiteSnapshot:
    settings: dict[str, Any]
    # Nested {"label", "url", "target", "children"} dicts.
    menu: list[dict[str, Any]]
    # (collection slug, url pattern) pairs.
    routes: tuple[tuple[str, str], ...]


def _links(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Menu items readers can follow: an entry link has no URL while its entry is
    not public, and is left out with its children."""
    return [
        {
            "label": item["label"],
            "url": item["url"],
            "target": item["target"],
            "children": _links(item["children"]),
        }
        for item in items
        if item["url"]
    ]


def _primary_menu() -> list[dict[str, Any]]:
    return _links(menus.public_menu(PRIMARY_MENU))


def site_snapshot(state: epoch.EpochState) -> SiteSnapshot:
    key = f"emdash:site:snapshot:{state.key}"
    snapshot = cache.get(key)
    if snapshot is not None:
        return snapshot
    snapshot = SiteSnapshot(
        settings=site_settings.public_settings(),
        menu=_primary_menu(),
        routes=tuple(public_collections_by_pattern()),
    )
    # Entry links in the menu change when a scheduled entry goes live.
    lifetime = epoch.seconds_until_due(state, cap=settings.PAGE_CACHE_SECONDS)
    if lifetime:
        cache.set(key, snapshot, lifetime)
    return snapshot
