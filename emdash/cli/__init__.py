"""The ``emdash`` command: run a site, and drive one (local or remote) from a
shell or an agent. docs/cli.md is the reference."""

import typer

from emdash.cli import (
    content,
    cron,
    menu,
    plugins,
    roles,
    schema,
    search,
    serve,
    taxonomy,
    tokens,
    transfer,
    users,
)

app = typer.Typer(
    name="emdash",
    help="EmDash: run a site, and drive one from the command line. Commands work "
    "on the local site in-process, or on a remote one with --url and --token "
    "(or EMDASH_URL and EMDASH_TOKEN); --json prints what the REST API returns.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback's local variables could hold a token.
    pretty_exceptions_show_locals=False,
)

app.command("serve")(serve.serve)
app.command("migrate")(serve.migrate)
app.command("seed")(transfer.seed)
app.command("publish-due")(content.publish_due)
app.command("cron")(cron.cron)
app.command("setup-url")(users.setup_url)
app.add_typer(content.app, name="content")
app.add_typer(schema.app, name="schema")
app.command("search")(search.search)
app.add_typer(taxonomy.app, name="taxonomy")
app.add_typer(menu.app, name="menu")
app.add_typer(users.app, name="user")
app.add_typer(roles.app, name="role")
app.add_typer(tokens.app, name="token")
app.add_typer(plugins.app, name="plugin")
app.command("export")(transfer.export)
app.command("import-json")(transfer.import_json)


def main() -> None:
    app()
