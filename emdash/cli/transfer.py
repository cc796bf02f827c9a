"""``emdash seed``, ``emdash export`` and ``emdash import-json``: a site's schema
and content as one JSON document in the seed format (docs/cli.md, "Seed files")."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from emdash.cli import output
from emdash.cli.runtime import CommandFailed, Session, setup_django, with_session

if TYPE_CHECKING:
    from emdash.cli.client import Client

# A page as large as the API allows, to export in as few requests as possible.
EXPORT_PAGE = 100


def load_json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CommandFailed(f"{path} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise CommandFailed(f"cannot read {path}: {exc.strerror}") from None


def apply_file(session: Session, path: Path) -> None:
    """Apply a seed document in one transaction and print what it did."""
    document = load_json_file(path)
    if not isinstance(document, dict):
        raise CommandFailed(f"{path} must hold a JSON object (a seed or an export)")
    setup_django()
    from emdash.content.seed import apply_seed

    report = apply_seed(document).as_dict()
    if session.json_output:
        session.show_json(report)
    else:
        output.emit(output.seed_report(report))


FileArg = Annotated[Path, typer.Argument(dir_okay=False, help="A JSON file.")]


@with_session(remote=False)
def seed(
    session: Session,
    file: Annotated[
        Path | None,
        typer.Argument(
            dir_okay=False,
            help="A seed file (default: the default theme's demo content).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Apply a seed file to the local site.

    What exists (by slug) is kept, the rest is created, all in one transaction."""
    if file is None:
        setup_django()
        from emdash.content.seed import demo_seed_path

        file = demo_seed_path()
    apply_file(session, file)


@with_session(remote=False)
def import_json(session: Session, file: FileArg) -> None:
    """Load an export (from `emdash export`) into the local site.

    Collections, taxonomies, terms, entries and menus that exist (by slug) are
    kept; a bad file changes nothing."""
    apply_file(session, file)


@with_session
def export(
    session: Session,
    output_file: Annotated[
        Path | None,
        typer.Option("--output", "-o", dir_okay=False, help="Write to this file."),
    ] = None,
) -> None:
    """Write the site's schema and content as one JSON document.

    Settings, collections, taxonomies, entries (all but the trash) and menus, in
    the seed format, to stdout or --output."""
    document, left_out = collect_export(session.client)
    for message in left_out:
        typer.echo(f"warning: {message}", err=True)
    if output_file is None:
        session.show_json(document, indent=2)
        return
    output_file.write_text(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    counts = {
        kind: len(document[kind])
        for kind in ("collections", "taxonomies", "entries", "menus")
    }
    if session.json_output:
        session.show_json({"output": str(output_file), **counts})
    else:
        listed = ", ".join(f"{kind}: {count}" for kind, count in counts.items())
        output.emit(f"Exported to {output_file} ({listed}).")


def collect_export(client: "Client") -> tuple[dict[str, Any], list[str]]:
    """The site as a seed document, and what had to be left out of it."""
    settings = client.call("settings.get").root
    collections = client.call("schema.list").items
    taxonomies = []
    for taxonomy in client.call("taxonomy.list").items:
        terms = client.call("taxonomy.terms", taxonomy=taxonomy.slug).items
        taxonomies.append(
            {
                **taxonomy.model_dump(),
                "terms": [term.model_dump(exclude_none=True) for term in terms],
            }
        )
    entries = []
    located: dict[str, dict[str, str]] = {}
    now = datetime.now(UTC)
    for collection in collections:
        for entry in _all_entries(client, collection.slug):
            located[entry.id] = {"collection": entry.collection, "slug": entry.slug}
            entries.append(_export_entry(entry, now))
    left_out: list[str] = []
    menus = [
        {
            "slug": menu.slug,
            "label": menu.label,
            "items": _export_items(menu.slug, menu.items, located, left_out),
        }
        for menu in client.call("menu.list").items
    ]
    document = {
        "settings": settings,
        "collections": [c.model_dump() for c in collections],
        "taxonomies": taxonomies,
        "entries": entries,
        "menus": menus,
    }
    return document, left_out


def _all_entries(client: "Client", collection: str) -> list[Any]:
    query: dict[str, Any] = {"sort": "created_at", "limit": EXPORT_PAGE}
    page = client.call("content.list", query=query, collection=collection)
    found = list(page.items)
    while page.next_cursor:
        query["cursor"] = page.next_cursor
        page = client.call("content.list", query=query, collection=collection)
        found += page.items
    return found


def _export_entry(entry: Any, now: datetime) -> dict[str, Any]:
    status = entry.status
    # A scheduled entry whose time has passed is live: it is exported as published.
    pending = status == "scheduled" and entry.scheduled_at > now
    if status == "scheduled" and not pending:
        status = "published"
    exported: dict[str, Any] = {
        "collection": entry.collection,
        "slug": entry.slug,
        "status": status,
        "data": entry.data,
        "terms": {
            tax: [t["slug"] for t in items] for tax, items in entry.terms.items()
        },
    }
    if entry.seo:
        exported["seo"] = entry.seo
    if pending:
        exported["scheduled_at"] = entry.scheduled_at.isoformat()
    elif entry.published_at:
        exported["published_at"] = entry.published_at.isoformat()
    return exported


def _export_items(
    menu: str, items: list[Any], located: dict[str, dict[str, str]], left_out: list[str]
) -> list[dict[str, Any]]:
    exported = []
    for item in items:
        values: dict[str, Any] = {"label": item.label}
        if item.entry:
            if item.entry not in located:
                left_out.append(
                    f"menu {menu}: left out {item.label!r}, which links to entry "
                    f"{item.entry} (in the trash)"
                )
                continue
            values["entry"] = located[item.entry]
        else:
            values["url"] = item.url
        if item.target:
            values["target"] = item.target
        if item.children:
            values["children"] = _export_items(menu, item.children, located, left_out)
        exported.append(values)
    return exported
