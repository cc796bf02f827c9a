"""What every command shares: the options all of them take, the session that
holds the client and the output mode, reading JSON input, and failing cleanly.

Nothing here imports Django: ``emdash --help`` and remote commands never load it.
"""

import functools
import inspect
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Concatenate

import typer

from emdash.core.errors import EmDashError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import RenderableType

    from emdash.cli.client import Client

JsonFlag = Annotated[
    bool,
    typer.Option(
        "--json", help="Print the JSON the REST API returns instead of a table."
    ),
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="EMDASH_URL",
        help="Work on the site at this address over its REST API "
        "(default: the local site, in-process).",
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", envvar="EMDASH_TOKEN", help="API token for --url."),
]
DataOption = Annotated[
    str | None, typer.Option("--data", help="The JSON input, inline.")
]
FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file", exists=True, dir_okay=False, help="Read the JSON input from a file."
    ),
]
StdinFlag = Annotated[
    bool, typer.Option("--stdin", help="Read the JSON input from standard input.")
]


class CommandFailed(EmDashError):
    """Input the command itself cannot use (a file that is not JSON, ...),
    reported like an API error."""

    code = "INVALID_INPUT"


def setup_django() -> None:
    """Load Django for in-process work, once; reuse it when it is already loaded
    (as under the test runner)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emdash.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()


@dataclass
class Session:
    """One command run: where it works (local or ``url``) and how it prints."""

    json_output: bool
    url: str | None = None
    token: str | None = None
    _client: "Client | None" = field(default=None, init=False, repr=False)

    @property
    def client(self) -> "Client":
        if self._client is None:
            from emdash.cli.client import Client

            self._client = Client.connect(url=self.url, token=self.token)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def show[M: "BaseModel"](
        self, model: M, render: Callable[[M], "RenderableType"]
    ) -> None:
        """Print ``model``: its JSON with --json, else what ``render`` makes of it."""
        if self.json_output:
            sys.stdout.write(model.model_dump_json() + "\n")
            return
        from emdash.cli.output import emit

        emit(render(model))

    def show_json(self, value: Any, *, indent: int | None = None) -> None:
        """Print a value that has no API model (reports, exports) as JSON, compact
        like the API's unless ``indent`` is given."""
        separators = None if indent else (",", ":")
        text = json.dumps(
            value, ensure_ascii=False, indent=indent, separators=separators
        )
        sys.stdout.write(text + "\n")


def with_session[**P](
    func: Callable[Concatenate[Session, P], None] | None = None,
    *,
    remote: bool = True,
) -> Any:
    """Make ``func(session, ...)`` a command taking --json (and --url and --token
    when it can work on a remote site), with errors reported on one line of
    stderr and exit status 1. Used bare, or as ``with_session(remote=False)``."""
    if func is None:
        return functools.partial(with_session, remote=remote)

    own = list(inspect.signature(func).parameters.values())[1:]
    common = [
        inspect.Parameter(
            "json_output",
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=JsonFlag,
        )
    ]
    if remote:
        common += [
            inspect.Parameter(
                "url",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=UrlOption,
            ),
            inspect.Parameter(
                "token",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=TokenOption,
            ),
        ]

    @functools.wraps(func)
    def run(
        *args: Any,
        json_output: bool,
        url: str | None = None,
        token: str | None = None,
        **kwargs: Any,
    ) -> None:
        from emdash.cli.client import ApiError

        session = Session(json_output=json_output, url=url or None, token=token or None)
        try:
            func(session, *args, **kwargs)
        except (ApiError, EmDashError) as raised:
            # Local-only commands call services directly; their errors read the same.
            error = (
                raised if isinstance(raised, ApiError) else ApiError.from_domain(raised)
            )
            typer.echo(error.as_json() if json_output else error.line(), err=True)
            raise typer.Exit(1) from None
        finally:
            session.close()

    # Typer reads the parameters from the signature: the command's own, then ours.
    run.__signature__ = inspect.Signature([*own, *common])  # type: ignore[attr-defined]
    return run


def read_json(
    data: str | None, file: Path | None, stdin: bool, *, required: bool = True
) -> Any:
    """The JSON given by exactly one of --data, --file and --stdin (or None when
    none is given and ``required`` is false)."""
    given = [
        name
        for name, value in [("--data", data), ("--file", file), ("--stdin", stdin)]
        if value
    ]
    if len(given) > 1:
        raise typer.BadParameter(f"give one of {', '.join(given)}, not several")
    if not given:
        if required:
            raise typer.BadParameter(
                "give the JSON input with --data, --file or --stdin"
            )
        return None
    if data is not None:
        source, text = "--data", data
    elif file is not None:
        source, text = str(file), file.read_text(encoding="utf-8")
    else:
        source, text = "standard input", sys.stdin.read()
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CommandFailed(f"{source} is not valid JSON: {exc}") from None


def read_json_object(
    data: str | None, file: Path | None, stdin: bool, *, required: bool = True
) -> dict[str, Any] | None:
    value = read_json(data, file, stdin, required=required)
    if value is not None and not isinstance(value, dict):
        raise CommandFailed('the JSON input must be an object, like {"title": "Hello"}')
    return value
