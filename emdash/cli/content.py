"""``emdash content ...``: entries from draft to published and back; and
``emdash publish-due``."""

from typing import Annotated, Any

import typer

from emdash.cli import output
from emdash.cli.runtime import (
    DataOption,
    FileOption,
    Session,
    StdinFlag,
    read_json_object,
    setup_django,
    with_session,
)

app = typer.Typer(
    help="Entries: list, read, create, edit, publish, schedule, trash, restore.",
    no_args_is_help=True,
)

CollectionArg = Annotated[
    str, typer.Argument(help="The collection's slug, e.g. posts.")
]
EntryArg = Annotated[
    str,
    typer.Argument(help="The entry's id, or (locally) its slug.", show_default=False),
]
VersionOption = Annotated[
    int | None,
    typer.Option(
        "--version",
        help="The version you last read: the change is refused (VERSION_CONFLICT) "
        "if the entry has moved on since.",
    ),
]
TermOption = Annotated[
    list[str] | None,
    typer.Option(
        "--term",
        help="TAXONOMY:TERM to give the entry, e.g. tag:news (repeatable; replaces "
        "the entry's terms of each taxonomy named).",
    ),
]
SlugOption = Annotated[str | None, typer.Option("--slug", help="The entry's slug.")]


def parse_terms(values: list[str] | None) -> dict[str, list[str]] | None:
    """``["tag:a", "tag:b", "category:news"]`` -> ``{"tag": ["a", "b"], ...}``."""
    if not values:
        return None
    terms: dict[str, list[str]] = {}
    for value in values:
        taxonomy, _, term = value.partition(":")
        if not taxonomy or not term:
            raise typer.BadParameter(
                f"{value!r} is not TAXONOMY:TERM, e.g. tag:news", param_hint="--term"
            )
        terms.setdefault(taxonomy, []).append(term)
    return terms


def parse_field_filters(values: list[str] | None) -> dict[str, str]:
    """``["price.gte=10", "featured=true"]`` -> the API's ``field.<slug>[.<op>]``."""
    query = {}
    for value in values or []:
        key, sep, wanted = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(
                f"{value!r} is not SLUG=VALUE or SLUG.OP=VALUE", param_hint="--field"
            )
        query[f"field.{key}"] = wanted
    return query


def version_body(version: int | None) -> dict[str, Any] | None:
    return None if version is None else {"version": version}


@app.command("list")
@with_session
def list_entries(
    session: Session,
    collection: CollectionArg,
    status: Annotated[
        str | None,
        typer.Option(
            help="draft, pending, published, scheduled or trash "
            "(default: all but trash)."
        ),
    ] = None,
    term: Annotated[
        str | None, typer.Option(help="Only entries with TAXONOMY:TERM, e.g. tag:news.")
    ] = None,
    field_filters: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help="Filter on an indexed field: SLUG=VALUE, or SLUG.OP=VALUE with op "
            "lt, lte, gt or gte (repeatable).",
        ),
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            help="created_at, updated_at, published_at, title, slug or an "
            "indexed field; a leading - sorts descending."
        ),
    ] = "-created_at",
    limit: Annotated[int, typer.Option(help="Entries per page, 1-100.")] = 50,
    cursor: Annotated[
        str | None, typer.Option(help="The next_cursor of the previous page.")
    ] = None,
    all_pages: Annotated[
        bool, typer.Option("--all", help="Follow the cursor to the last page.")
    ] = False,
) -> None:
    """List entries of a collection, newest first."""
    query: dict[str, Any] = {
        "status": status,
        "term": term,
        "sort": sort,
        "limit": limit,
        "cursor": cursor,
        **parse_field_filters(field_filters),
    }
    page = session.client.call("content.list", query=query, collection=collection)
    if all_pages:
        items = list(page.items)
        while page.next_cursor:
            query["cursor"] = page.next_cursor
            page = session.client.call(
                "content.list", query=query, collection=collection
            )
            items += page.items
        page = page.model_copy(update={"items": items, "next_cursor": None})
    session.show(page, output.entry_page)


@app.command("get")
@with_session
def get_entry(session: Session, collection: CollectionArg, entry: EntryArg) -> None:
    """Show an entry: its working copy, which may differ from the live one."""
    found = session.client.call("content.get", collection=collection, entry=entry)
    session.show(found, output.entry)


@app.command("create")
@with_session
def create_entry(
    session: Session,
    collection: CollectionArg,
    data: DataOption = None,
    file: FileOption = None,
    stdin: StdinFlag = False,
    slug: SlugOption = None,
    status: Annotated[
        str | None,
        typer.Option(help="draft (default), pending, published or scheduled."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            help="With status scheduled (implied): when to publish, "
            "ISO 8601 with a timezone, e.g. 2030-01-01T09:00:00Z."
        ),
    ] = None,
    terms: TermOption = None,
) -> None:
    """Create an entry from its field values (JSON): a draft unless --status says."""
    body: dict[str, Any] = {"data": read_json_object(data, file, stdin)}
    if slug is not None:
        body["slug"] = slug
    if at is not None:
        body["scheduled_at"] = at
        status = status or "scheduled"
    if status is not None:
        body["status"] = status
    if (assigned := parse_terms(terms)) is not None:
        body["terms"] = assigned
    created = session.client.call("content.create", body=body, collection=collection)
    session.show(created, output.entry)


@app.command("update")
@with_session
def update_entry(
    session: Session,
    collection: CollectionArg,
    entry: EntryArg,
    version: Annotated[
        int,
        typer.Option(
            "--version",
            help="The version you last read (required): a stale one is refused "
            "with VERSION_CONFLICT and nothing is written.",
            show_default=False,
        ),
    ],
    data: DataOption = None,
    file: FileOption = None,
    stdin: StdinFlag = False,
    slug: SlugOption = None,
    terms: TermOption = None,
) -> None:
    """Edit an entry's working copy.

    The JSON is merged over its field values. A published entry stays live as it
    was until you publish it again."""
    body: dict[str, Any] = {"version": version}
    changes = read_json_object(data, file, stdin, required=False)
    if changes is not None:
        body["data"] = changes
    if slug is not None:
        body["slug"] = slug
    if (assigned := parse_terms(terms)) is not None:
        body["terms"] = assigned
    updated = session.client.call(
        "content.update", body=body, collection=collection, entry=entry
    )
    session.show(updated, output.entry)


@app.command("delete")
@with_session
def trash_entry(
    session: Session,
    collection: CollectionArg,
    entry: EntryArg,
    version: VersionOption = None,
) -> None:
    """Move an entry to the trash: it leaves the site at once; restore undoes it."""
    trashed = session.client.call(
        "content.trash", query={"version": version}, collection=collection, entry=entry
    )
    session.show(trashed, output.entry)


def _transition(name: str, help_text: str) -> None:
    """Register ``content <name>``: a POST of just the version to the entry."""

    @with_session
    def run(
        session: Session,
        collection: CollectionArg,
        entry: EntryArg,
        version: VersionOption = None,
    ) -> None:
        changed = session.client.call(
            f"content.{name}",
            body=version_body(version),
            collection=collection,
            entry=entry,
        )
        session.show(changed, output.entry)

    app.command(name, help=help_text)(run)


_transition("publish", "Publish the working copy now.")
_transition("unpublish", "Take an entry off the site; it becomes a draft.")
_transition("restore", "Bring an entry back from the trash, as a draft.")
_transition("submit", "Submit a draft for review (status pending).")


@app.command("schedule")
@with_session
def schedule_entry(
    session: Session,
    collection: CollectionArg,
    entry: EntryArg,
    at: Annotated[
        str,
        typer.Option(
            help="When to publish: ISO 8601 with a timezone, "
            "e.g. 2030-01-01T09:00:00Z.",
            show_default=False,
        ),
    ],
    version: VersionOption = None,
) -> None:
    """Publish the working copy at a future time.

    It goes live at that time with no process running; `emdash publish-due` then
    records the change of status."""
    body: dict[str, Any] = {"scheduled_at": at}
    if version is not None:
        body["version"] = version
    scheduled = session.client.call(
        "content.schedule", body=body, collection=collection, entry=entry
    )
    session.show(scheduled, output.entry)


@app.command("duplicate")
@with_session
def duplicate_entry(
    session: Session, collection: CollectionArg, entry: EntryArg
) -> None:
    """Copy an entry into a new draft with a fresh slug."""
    copy = session.client.call("content.duplicate", collection=collection, entry=entry)
    session.show(copy, output.entry)


@app.command("revisions")
@with_session
def list_revisions(
    session: Session, collection: CollectionArg, entry: EntryArg
) -> None:
    """List an entry's revisions, newest first (one per save)."""
    found = session.client.call("content.revisions", collection=collection, entry=entry)
    session.show(found, output.revisions)


@app.command("restore-revision")
@with_session
def restore_revision(
    session: Session,
    collection: CollectionArg,
    entry: EntryArg,
    revision: Annotated[str, typer.Argument(help="The revision's id.")],
    version: VersionOption = None,
) -> None:
    """Make an old revision the working copy again (as a new revision, unpublished)."""
    restored = session.client.call(
        "content.restore_revision",
        body=version_body(version),
        collection=collection,
        entry=entry,
        revision=revision,
    )
    session.show(restored, output.entry)


@with_session(remote=False)
def publish_due(session: Session) -> None:
    """Mark scheduled entries whose time has come as published.

    Readers see them from their time on regardless; this records their status and
    runs their publish hooks."""
    setup_django()
    from emdash.content.services import entries

    flipped = entries.publish_due()
    if session.json_output:
        session.show_json({"published": flipped})
    elif flipped:
        noun = "entry" if len(flipped) == 1 else "entries"
        output.emit(f"Published {len(flipped)} scheduled {noun}: {', '.join(flipped)}")
    else:
        output.emit("Nothing is due.")
