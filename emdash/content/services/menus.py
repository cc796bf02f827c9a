"""Menus: named trees of links, to URLs or to entries."""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from emdash.content import slugs
from emdash.content.models import Entry, Menu, MenuItem, Visibility
from emdash.content.queries import entry_url
from emdash.content.services.entries import is_live
from emdash.core import audit, epoch
from emdash.core.actors import Actor
from emdash.core.errors import NotFound, ValidationFailed

ITEM_KEYS = frozenset({"label", "url", "entry", "target", "children"})
MAX_DEPTH = 5
MAX_ITEMS = 500


def list_menus(actor: Actor) -> list[Menu]:
    actor.require("menus:read")
    return list(Menu.objects.all())


def get_menu(actor: Actor, slug: str) -> Menu:
    actor.require("menus:read")
    return _menu(slug)


def _menu(slug: str) -> Menu:
    try:
        return Menu.objects.get(slug=slug)
    except Menu.DoesNotExist:
        raise NotFound(f"No menu '{slug}'.", code="MENU_NOT_FOUND") from None


def menu_tree(menu: Menu) -> list[dict[str, Any]]:
    """The menu's items as nested dicts (see ``items_tree``)."""
    return items_tree(menu.items.all())


def public_menu(slug: str) -> list[dict[str, Any]]:
    """A menu's tree for the public site in one query; empty when there is none."""
    return items_tree(MenuItem.objects.filter(menu__slug=slug))


def items_tree(items: QuerySet[MenuItem]) -> list[dict[str, Any]]:
    """Nest items under their parents. An item linking to an entry gets the
    entry's public URL while it is live and not private, and no URL otherwise."""
    rows = list(
        items.select_related("entry__collection", "entry__live_revision").order_by(
            "sort_order", "id"
        )
    )
    children: dict[int | None, list[MenuItem]] = {}
    for item in rows:
        children.setdefault(item.parent_id, []).append(item)

    def build(parent_id: int | None) -> list[dict[str, Any]]:
        return [
            {
                "label": item.label,
                "url": item.url or _entry_link(item.entry),
                "entry": item.entry_id,
                "target": item.target,
                "children": build(item.pk),
            }
            for item in children.get(parent_id, [])
        ]

    return build(None)


def _entry_link(entry: Entry | None) -> str:
    if entry is None or entry.live_revision is None:
        return ""
    if entry.visibility == Visibility.PRIVATE or not is_live(entry):
        return ""
    return entry_url(entry.collection.url_pattern, entry.live_revision.slug)


def _check_items(
    items: Any, path: str, depth: int, errors: dict[str, str], count: list[int]
) -> None:
    if not isinstance(items, list):
        errors[path] = "must be a list"
        return
    if depth > MAX_DEPTH:
        errors[path] = f"menus nest at most {MAX_DEPTH} levels"
        return
    for index, item in enumerate(items):
        where = f"{path}.{index}"
        count[0] += 1
        if not isinstance(item, dict):
            errors[where] = "must be an object"
            continue
        for key in sorted(set(item) - ITEM_KEYS):
            errors[f"{where}.{key}"] = "unknown property"
        if not isinstance(item.get("label"), str) or not item["label"].strip():
            errors[f"{where}.label"] = "is required"
        url, entry = item.get("url"), item.get("entry")
        if bool(url) == bool(entry):
            errors[where] = "needs exactly one of url or entry"
        elif url is not None and (not isinstance(url, str) or len(url) > 500):
            errors[f"{where}.url"] = "must be a string of at most 500 characters"
        elif isinstance(url, str) and url.lower().lstrip().startswith(
            ("javascript:", "data:")
        ):
            errors[f"{where}.url"] = "must be an http(s) URL, a path or a fragment"
        if item.get("target") not in (None, "", "_blank"):
            errors[f"{where}.target"] = "must be empty or _blank"
        _check_items(
            item.get("children", []), f"{where}.children", depth + 1, errors, count
        )


def _entry_ids(items: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for item in items:
        if item.get("entry"):
            found.add(str(item["entry"]))
        found |= _entry_ids(item.get("children", []))
    return found


def save_menu(
    actor: Actor, slug: str, *, label: str | None = None, items: Any = None
) -> Menu:
    """Create or replace a menu with the given tree of items."""
    actor.require("menus:manage")
    slug = slugs.clean_slug(slug, reserved=frozenset())
    errors: dict[str, str] = {}
    count = [0]
    _check_items(items if items is not None else [], "items", 1, errors, count)
    if count[0] > MAX_ITEMS:
        errors["items"] = f"a menu holds at most {MAX_ITEMS} items"
    if not errors and items:
        wanted = _entry_ids(items)
        missing = wanted - set(
            Entry.objects.filter(pk__in=wanted).values_list("pk", flat=True)
        )
        if missing:
            errors["items"] = f"no such entry: {', '.join(sorted(missing))}"
    if errors:
        raise ValidationFailed("The menu is invalid.", fields=errors)
    with transaction.atomic():
        menu, created = Menu.objects.get_or_create(
            slug=slug, defaults={"label": label or slug.title()}
        )
        if label and menu.label != label:
            menu.label = label
            menu.save()
        if items is not None:
            menu.items.all().delete()
            _insert(menu, items, None)
        audit.record(
            actor,
            "menu.create" if created else "menu.update",
            target_type="menu",
            target_id=slug,
        )
        epoch.bump()
    return menu


def _insert(menu: Menu, items: list[dict[str, Any]], parent: MenuItem | None) -> None:
    for order, item in enumerate(items):
        row = MenuItem.objects.create(
            menu=menu,
            parent=parent,
            label=item["label"].strip(),
            url=item.get("url") or "",
            entry_id=item.get("entry") or None,
            target=item.get("target") or "",
            sort_order=order,
        )
        _insert(menu, item.get("children", []), row)


def delete_menu(actor: Actor, slug: str) -> None:
    actor.require("menus:manage")
    menu = _menu(slug)
    with transaction.atomic():
        menu.delete()
        audit.record(actor, "menu.delete", target_type="menu", target_id=slug)
        epoch.bump()
