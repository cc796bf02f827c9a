"""``emdash taxonomy ...``: categories, tags and custom taxonomies, and their terms."""

from typing import Annotated

import typer

from emdash.cli import output
from emdash.cli.runtime import Session, with_session

app = typer.Typer(help="Taxonomies and their terms.", no_args_is_help=True)

TaxonomyArg = Annotated[str, typer.Argument(help="The taxonomy's slug, e.g. tag.")]


@app.command("list")
@with_session
def list_taxonomies(session: Session) -> None:
    """List the taxonomies and the collections that use them."""
    session.show(session.client.call("taxonomy.list"), output.taxonomies)


@app.command("create")
@with_session
def create_taxonomy(
    session: Session,
    slug: TaxonomyArg,
    label: Annotated[
        str, typer.Option(help="Human name, e.g. Tags.", show_default=False)
    ],
    hierarchical: Annotated[
        bool, typer.Option(help="Terms nest (like categories); flat otherwise (tags).")
    ] = False,
    collections: Annotated[
        list[str] | None,
        typer.Option("--collection", help="A collection that uses it (repeatable)."),
    ] = None,
) -> None:
    """Create a taxonomy."""
    body = {
        "slug": slug,
        "label": label,
        "hierarchical": hierarchical,
        "collections": collections or [],
    }
    session.show(session.client.call("taxonomy.create", body=body), output.taxonomy)


@app.command("terms")
@with_session
def list_terms(session: Session, taxonomy: TaxonomyArg) -> None:
    """List a taxonomy's terms."""
    found = session.client.call("taxonomy.terms", taxonomy=taxonomy)
    session.show(found, output.terms)


@app.command("add-term")
@with_session
def add_term(
    session: Session,
    taxonomy: TaxonomyArg,
    name: Annotated[str, typer.Option(help="The term's name.", show_default=False)],
    slug: Annotated[
        str | None, typer.Option(help="Made from the name when left out.")
    ] = None,
    parent: Annotated[
        str | None, typer.Option(help="The parent term's slug (hierarchical only).")
    ] = None,
    description: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Add a term to a taxonomy."""
    body = {"name": name}
    for key, value in (
        ("slug", slug),
        ("parent", parent),
        ("description", description),
    ):
        if value is not None:
            body[key] = value
    added = session.client.call("taxonomy.add_term", body=body, taxonomy=taxonomy)
    session.show(added, output.term)
