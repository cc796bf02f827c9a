"""Seed files: a site's schema and content in one JSON document.

A theme ships one (``themes/<name>/seed.json``) for its demo content, ``emdash seed
FILE`` applies one, and ``emdash export`` writes one that ``emdash import-json``
loads into another site. Everything goes through the services, in one transaction.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeFloat
from pydantic import ValidationError as SchemaError

from emdash.content.models import Collection, Entry
from emdash.content.services import collections, entries, menus, taxonomies
from emdash.core import site_settings
from emdash.core.actors import SYSTEM, Actor
from emdash.core.errors import ValidationFailed
from emdash.paths import themes_dir

KINDS = ("settings", "collections", "taxonomies", "terms", "entries", "menus")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedCollection(_Strict):
    slug: str
    label: str
    label_singular: str = ""
    description: str = ""
    url_pattern: str = ""
    supports: list[str] | None = None
    title_field: str = "title"
    # Field definitions as the schema service takes them; it checks them.
    fields: list[dict[str, Any]] = Field(default_factory=list)


class SeedTerm(_Strict):
    slug: str
    name: str
    description: str = ""
    parent: str | None = None


class SeedTaxonomy(_Strict):
    slug: str
    label: str
    label_singular: str = ""
    hierarchical: bool = False
    collections: list[str] = Field(default_factory=list)
    terms: list[SeedTerm] = Field(default_factory=list)


class EntryRef(_Strict):
    collection: str
    slug: str


class SeedEntry(_Strict):
    collection: str
    slug: str
    status: Literal["draft", "pending", "published", "scheduled"] = "draft"
    data: dict[str, Any] = Field(default_factory=dict)
    terms: dict[str, list[str]] = Field(default_factory=dict)
    seo: dict[str, Any] | None = None
    scheduled_at: AwareDatetime | None = None
    published_at: AwareDatetime | None = None
    published_days_ago: NonNegativeFloat | None = None


class SeedMenuItem(_Strict):
    label: str
    url: str | None = None
    entry: EntryRef | None = None
    target: str = ""
    children: list["SeedMenuItem"] = Field(default_factory=list)


class SeedMenu(_Strict):
    slug: str
    label: str
    items: list[SeedMenuItem] = Field(default_factory=list)


class Seed(_Strict):
    settings: dict[str, Any] = Field(default_factory=dict)
    collections: list[SeedCollection] = Field(default_factory=list)
    taxonomies: list[SeedTaxonomy] = Field(default_factory=list)
    entries: list[SeedEntry] = Field(default_factory=list)
    menus: list[SeedMenu] = Field(default_factory=list)


@dataclass
class SeedReport:
    """What a seed created and what it found already there, by kind: collections
    and taxonomies by slug, terms as ``taxonomy:slug``, entries as
    ``collection/slug``, settings by key."""

    created: dict[str, list[str]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )
    skipped: dict[str, list[str]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )

    def as_dict(self) -> dict[str, dict[str, list[str]]]:
        return {"created": self.created, "skipped": self.skipped}


def parse_seed(data: Any) -> Seed:
    """Check a seed document's shape; raise ValidationFailed naming each problem
    by its path (``entries.2.slug``)."""
    try:
        return Seed.model_validate(data)
    except SchemaError as exc:
        problems = {
            ".".join(str(part) for part in error["loc"]) or "seed": error["msg"]
            for error in exc.errors()
        }
        raise ValidationFailed("The seed file is invalid.", fields=problems) from None


def apply_seed(data: dict[str, Any], *, actor: Actor = SYSTEM) -> SeedReport:
    """Apply a seed document: all of it in one transaction, or nothing.

    The document is a JSON object with these keys, each optional::

        {"settings": {"title": "My site", ...},
         "collections": [{"slug", "label", "label_singular"?, "description"?,
                          "url_pattern"?, "supports"?, "title_field"?,
                          "fields": [{"slug", "type", "label"?, "required"?, ...}]}],
         "taxonomies": [{"slug", "label", "label_singular"?, "hierarchical"?,
                         "collections": [...],
                         "terms": [{"slug", "name", "description"?, "parent"?}]}],
         "entries": [{"collection", "slug", "status"?, "data": {...},
                      "terms"?: {"taxonomy": ["term-slug"]}, "seo"?,
                      "scheduled_at"?, "published_at"? | "published_days_ago"?}],
         "menus": [{"slug", "label",
                    "items": [{"label", "url"} | {"label", "entry":
                              {"collection", "slug"}}, with "target"?,
                              "children"?: [...]]}]}

    It is idempotent: collections, taxonomies, terms, entries (by collection and
    slug) and menus that already exist are left as they are and reported as
    skipped; a setting is applied only while the site still has its default
    value (one the site has changed is kept). A term's parent is a slug in the
    same taxonomy, listed before or after it; a menu item's entry is found by
    slug once the entries exist. Entries default to draft. ``published_at`` or
    ``published_days_ago`` set a published entry's publication date, and
    entries are created oldest first.
    """
    seed = parse_seed(data)
    report = SeedReport()
    with transaction.atomic():
        _apply_settings(actor, seed.settings, report)
        _apply_collections(actor, seed.collections, report)
        _apply_taxonomies(actor, seed.taxonomies, report)
        _apply_entries(actor, seed.entries, report)
        _apply_menus(actor, seed.menus, report)
    return report


def _apply_settings(actor: Actor, wanted: dict[str, Any], report: SeedReport) -> None:
    current = site_settings.get_all()
    changes = {}
    for key, value in wanted.items():
        # Unknown keys go to the service, which names them in its error.
        if key in current and (
            current[key] == value or current[key] != site_settings.DEFAULTS[key]
        ):
            report.skipped["settings"].append(key)
        else:
            changes[key] = value
    if changes:
        site_settings.update(actor, changes)
        report.created["settings"] += list(changes)


def _apply_collections(
    actor: Actor, wanted: list[SeedCollection], report: SeedReport
) -> None:
    existing = {c.slug for c in collections.list_collections(actor)}
    for collection in wanted:
        if collection.slug in existing:
            report.skipped["collections"].append(collection.slug)
            continue
        collections.create_collection(actor, collection.model_dump(exclude_none=True))
        existing.add(collection.slug)
        report.created["collections"].append(collection.slug)


def _apply_taxonomies(
    actor: Actor, wanted: list[SeedTaxonomy], report: SeedReport
) -> None:
    existing = {t.slug for t in taxonomies.list_taxonomies(actor)}
    for taxonomy in wanted:
        if taxonomy.slug in existing:
            report.skipped["taxonomies"].append(taxonomy.slug)
        else:
            taxonomies.create_taxonomy(
                actor, taxonomy.model_dump(exclude={"terms"}, exclude_none=True)
            )
            existing.add(taxonomy.slug)
            report.created["taxonomies"].append(taxonomy.slug)
        _apply_terms(actor, taxonomy, report)


def _apply_terms(actor: Actor, taxonomy: SeedTaxonomy, report: SeedReport) -> None:
    present = {t.slug for t in taxonomies.list_terms(actor, taxonomy.slug)}
    waiting = []
    for term in taxonomy.terms:
        if term.slug in present:
            report.skipped["terms"].append(f"{taxonomy.slug}:{term.slug}")
        else:
            waiting.append(term)
    # Parents first, whatever order the file lists them in.
    while waiting:
        ready = [t for t in waiting if t.parent is None or t.parent in present]
        if not ready:
            # A missing parent or a loop: the service names the first problem.
            ready = waiting[:1]
        for term in ready:
            taxonomies.create_term(
                actor, taxonomy.slug, term.model_dump(exclude_none=True)
            )
            present.add(term.slug)
            report.created["terms"].append(f"{taxonomy.slug}:{term.slug}")
        waiting = [t for t in waiting if t not in ready]


def _published_when(entry: SeedEntry, now: datetime) -> datetime:
    if entry.published_at is not None:
        return entry.published_at
    return now - timedelta(days=entry.published_days_ago or 0)


def _apply_entries(actor: Actor, wanted: list[SeedEntry], report: SeedReport) -> None:
    now = timezone.now()
    # A stable sort: entries without a date keep their place among equals.
    for entry in sorted(wanted, key=lambda e: _published_when(e, now)):
        name = f"{entry.collection}/{entry.slug}"
        if find_entry_id(entry.collection, entry.slug) is not None:
            report.skipped["entries"].append(name)
            continue
        values = entry.model_dump(
            include={"slug", "status", "data", "terms", "seo", "scheduled_at"},
            exclude_none=True,
        )
        if values.get("status") == "published" and (
            entry.published_at is not None or entry.published_days_ago is not None
        ):
            values["published_at"] = _published_when(entry, now)
        entries.create_entry(actor, entry.collection, values)
        report.created["entries"].append(name)


def find_entry_id(collection: str, slug: str) -> str | None:
    """The id of the entry at ``slug`` in ``collection`` (any status), or None."""
    return (
        Entry.objects.filter(collection__slug=collection, slug=slug)
        .values_list("pk", flat=True)
        .first()
    )


def _menu_items(
    items: list[SeedMenuItem], path: str, errors: dict[str, str]
) -> list[dict[str, Any]]:
    """The items as the menu service takes them, entry links turned into ids."""
    resolved = []
    for index, item in enumerate(items):
        where = f"{path}.{index}"
        values: dict[str, Any] = {"label": item.label, "target": item.target}
        if item.url is not None:
            values["url"] = item.url
        if item.entry is not None:
            entry_id = find_entry_id(item.entry.collection, item.entry.slug)
            if entry_id is None:
                errors[f"{where}.entry"] = (
                    f"no entry '{item.entry.slug}' in '{item.entry.collection}'"
                )
            values["entry"] = entry_id
        values["children"] = _menu_items(item.children, f"{where}.children", errors)
        resolved.append(values)
    return resolved


def _apply_menus(actor: Actor, wanted: list[SeedMenu], report: SeedReport) -> None:
    existing = {m.slug for m in menus.list_menus(actor)}
    for index, menu in enumerate(wanted):
        if menu.slug in existing:
            report.skipped["menus"].append(menu.slug)
            continue
        errors: dict[str, str] = {}
        items = _menu_items(menu.items, f"menus.{index}.items", errors)
        if errors:
            raise ValidationFailed("A menu links to a missing entry.", fields=errors)
        menus.save_menu(actor, menu.slug, label=menu.label, items=items)
        existing.add(menu.slug)
        report.created["menus"].append(menu.slug)


def demo_seed_path(theme: str = "default") -> Path:
    return themes_dir() / theme / "seed.json"


def seed_demo_if_empty() -> bool:
    """Load the default theme's demo content into a brand-new site: one with no
    collections and no users, while ``EMDASH_DEMO`` allows it. Returns whether it
    did. Callers that may run at once (several ``emdash serve``) hold
    ``startup_lock("startup")`` around it, so the check and the seed are one step.
    """
    if not settings.DEMO_CONTENT:
        return False
    if Collection.objects.exists() or get_user_model().objects.exists():
        return False
    apply_seed(json.loads(demo_seed_path().read_text(encoding="utf-8")))
    return True
