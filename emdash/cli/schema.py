"""``emdash schema ...``: collections and their fields, defined at run time."""

import json
from typing import Annotated, Any

import typer

from emdash.cli import output
from emdash.cli.runtime import (
    CommandFailed,
    DataOption,
    FileOption,
    Session,
    StdinFlag,
    read_json_object,
    with_session,
)

app = typer.Typer(
    help="Collections and fields: list, show, create, change.", no_args_is_help=True
)

CollectionArg = Annotated[
    str, typer.Argument(help="The collection's slug, e.g. posts.")
]
FieldArg = Annotated[str, typer.Argument(help="The field's slug, e.g. title.")]
LabelOption = Annotated[str | None, typer.Option(help="Human name, e.g. Blog posts.")]
SupportsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--supports",
        help="A feature to switch on (repeatable): drafts, revisions, scheduling, "
        "search, seo, comments, paywall.",
    ),
]
UrlPatternOption = Annotated[
    str | None,
    typer.Option(help="Where entries live on the site, e.g. /blog/{slug}/."),
]
TYPE_HELP = (
    "string, text, markdown, number, integer, boolean, datetime, select, "
    "multi_select, url, email, slug, image, file, reference, repeater, json."
)
DefaultOption = Annotated[
    str | None,
    typer.Option(help="Default value as JSON (text that is not JSON is a string)."),
]
ValidationOption = Annotated[
    str | None,
    typer.Option(
        help='Rules as a JSON object, e.g. {"max_length": 80} or '
        '{"options": ["a", "b"]}.'
    ),
]
HelpTextOption = Annotated[str | None, typer.Option(help="A hint for editors.")]


def parse_default(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_validation(text: str) -> dict[str, Any]:
    try:
        rules = json.loads(text)
    except ValueError as exc:
        raise CommandFailed(f"--validation is not valid JSON: {exc}") from None
    if not isinstance(rules, dict):
        raise CommandFailed("--validation must be a JSON object")
    return rules


def given(**values: Any) -> dict[str, Any]:
    """The options the caller gave, leaving out the ones left unset."""
    return {key: value for key, value in values.items() if value is not None}


@app.command("list")
@with_session
def list_collections(session: Session) -> None:
    """List the collections and their fields."""
    session.show(session.client.call("schema.list"), output.collections)


@app.command("get")
@with_session
def get_collection(session: Session, collection: CollectionArg) -> None:
    """Show a collection's settings and fields."""
    found = session.client.call("schema.get", collection=collection)
    session.show(found, output.collection)


@app.command("create")
@with_session
def create_collection(
    session: Session,
    slug: CollectionArg,
    label: LabelOption = None,
    label_singular: Annotated[
        str | None, typer.Option(help="Name of one entry, e.g. Post.")
    ] = None,
    description: Annotated[str | None, typer.Option()] = None,
    url_pattern: UrlPatternOption = None,
    supports: SupportsOption = None,
    data: DataOption = None,
    file: FileOption = None,
    stdin: StdinFlag = False,
) -> None:
    """Create a collection, with its fields.

    Give the fields in the JSON input, as {"fields": [{"slug": "title", "type":
    "string", "required": true}, ...]}; the options override the same keys of
    the JSON."""
    definition = read_json_object(data, file, stdin, required=False) or {}
    definition |= given(
        slug=slug,
        label=label,
        label_singular=label_singular,
        description=description,
        url_pattern=url_pattern,
        supports=supports,
    )
    created = session.client.call("schema.create", body=definition)
    session.show(created, output.collection)


@app.command("update")
@with_session
def update_collection(
    session: Session,
    collection: CollectionArg,
    label: LabelOption = None,
    label_singular: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    url_pattern: UrlPatternOption = None,
    supports: SupportsOption = None,
) -> None:
    """Change a collection's labels, URL pattern or features.

    --supports replaces the list of features: give every one the collection keeps."""
    changes = given(
        label=label,
        label_singular=label_singular,
        description=description,
        url_pattern=url_pattern,
        supports=supports,
    )
    if not changes:
        raise typer.BadParameter("give at least one change, e.g. --label")
    updated = session.client.call("schema.update", body=changes, collection=collection)
    session.show(updated, output.collection)


@app.command("add-field")
@with_session
def add_field(
    session: Session,
    collection: CollectionArg,
    field: FieldArg,
    field_type: Annotated[
        str, typer.Option("--type", help=TYPE_HELP, show_default=False)
    ],
    label: LabelOption = None,
    required: Annotated[bool, typer.Option(help="Entries must have a value.")] = False,
    unique: Annotated[bool, typer.Option(help="No two entries share a value.")] = False,
    indexed: Annotated[
        bool, typer.Option(help="Filterable and sortable in listings.")
    ] = False,
    searchable: Annotated[bool, typer.Option(help="Part of full-text search.")] = False,
    default: DefaultOption = None,
    validation: ValidationOption = None,
    help_text: HelpTextOption = None,
) -> None:
    """Add a field. Existing entries get its default, if it has one."""
    definition = given(
        slug=field,
        type=field_type,
        label=label,
        required=required,
        unique=unique,
        indexed=indexed,
        searchable=searchable,
        default=parse_default(default) if default is not None else None,
        validation=parse_validation(validation) if validation is not None else None,
        help_text=help_text,
    )
    added = session.client.call(
        "schema.add_field", body=definition, collection=collection
    )
    session.show(added, output.field)


@app.command("update-field")
@with_session
def update_field(
    session: Session,
    collection: CollectionArg,
    field: FieldArg,
    field_type: Annotated[str | None, typer.Option("--type", help=TYPE_HELP)] = None,
    label: LabelOption = None,
    required: Annotated[bool | None, typer.Option("--required/--not-required")] = None,
    unique: Annotated[bool | None, typer.Option("--unique/--not-unique")] = None,
    indexed: Annotated[bool | None, typer.Option("--indexed/--not-indexed")] = None,
    searchable: Annotated[
        bool | None, typer.Option("--searchable/--not-searchable")
    ] = None,
    default: DefaultOption = None,
    validation: ValidationOption = None,
    help_text: HelpTextOption = None,
    force: Annotated[
        bool, typer.Option(help="Clear stored values that cannot be converted.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Report what would happen; change nothing.")
    ] = False,
) -> None:
    """Change a field's definition, converting stored values.

    A new --type converts every stored value; values that cannot be converted
    fail the change (FIELD_CONVERSION_FAILED) unless --force clears them."""
    changes = given(
        type=field_type,
        label=label,
        required=required,
        unique=unique,
        indexed=indexed,
        searchable=searchable,
        default=parse_default(default) if default is not None else None,
        validation=parse_validation(validation) if validation is not None else None,
        help_text=help_text,
    )
    if not changes:
        raise typer.BadParameter("give at least one change, e.g. --type text")
    report = session.client.call(
        "schema.update_field",
        body=changes,
        query={"force": force, "dry_run": dry_run},
        collection=collection,
        field=field,
    )
    session.show(report, output.field_change)


@app.command("remove-field")
@with_session
def remove_field(session: Session, collection: CollectionArg, field: FieldArg) -> None:
    """Remove a field and its values from every entry (revisions keep them)."""
    report = session.client.call(
        "schema.remove_field", collection=collection, field=field
    )
    session.show(report, output.field_change)
