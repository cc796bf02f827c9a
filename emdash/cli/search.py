"""``emdash search QUERY``: full-text search over entries."""

from typing import Annotated

import typer

from emdash.cli import output
from emdash.cli.runtime import Session, with_session


@with_session
def search(
    session: Session,
    query: Annotated[str, typer.Argument(help="The words to look for.")],
    collections: Annotated[
        list[str] | None,
        typer.Option("--collection", help="Only this collection (repeatable)."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many matches, 1-100.")] = 20,
) -> None:
    """Search entries, best match first.

    Every word must match; the last one also matches as a prefix."""
    found = session.client.call(
        "search", query={"q": query, "collection": collections, "limit": limit}
    )
    session.show(found, output.search_results)
