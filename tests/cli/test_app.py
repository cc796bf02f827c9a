"""The command as a whole: its help, its start-up cost, and its operation table
against the REST API it mirrors."""

import re
import subprocess
import sys

import pytest
from pydantic import RootModel

from emdash.api import api
from emdash.cli.models import NoContent
from emdash.cli.operations import operations
from tests.cli.conftest import ok

COMMANDS = [
    "serve",
    "migrate",
    "seed",
    "publish-due",
    "cron",
    "setup-url",
    "search",
    "export",
    "import-json",
    "content",
    "schema",
    "taxonomy",
    "menu",
    "user",
    "role",
    "token",
    "plugin",
]
PLACEHOLDER = re.compile(r"\{[^}]+\}")


def test_help_lists_every_command() -> None:
    listed = re.findall(r"^│ (\S+)", ok("--help"), flags=re.MULTILINE)

    assert listed[1:] == COMMANDS  # after the --help option itself


def run_python(code: str) -> str:
    result = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_help_and_remote_commands_do_not_load_django() -> None:
    loaded = run_python(
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from emdash.cli import app\n"
        "runner = CliRunner()\n"
        "assert runner.invoke(app, ['--help']).exit_code == 0\n"
        "remote = runner.invoke(app, ['schema', 'list', '--url', 'http://127.0.0.1:9'])\n"
        "assert remote.stderr.startswith('error: UNREACHABLE'), remote.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )

    assert loaded == "[]\n"


def api_routes() -> dict[tuple[str, str], dict]:
    """(METHOD, path with {} placeholders) -> the OpenAPI operation."""
    routes = {}
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method, spec in methods.items():
            key = (
                method.upper(),
                PLACEHOLDER.sub("{}", path.removeprefix("/_emdash/api")),
            )
            routes[key] = spec
    return routes


@pytest.mark.parametrize("name", sorted(operations()))
def test_every_operation_is_a_route_of_the_api_with_the_same_answer(name: str) -> None:
    op = operations()[name]
    components = api.get_openapi_schema()["components"]["schemas"]

    spec = api_routes().get((op.method, PLACEHOLDER.sub("{}", op.path)))

    assert spec is not None, f"{op.method} {op.path} is not an API route"
    success = next(code for code in spec["responses"] if code.startswith("2"))
    if success == "204":
        assert op.output is NoContent
        assert callable(op.local)
        return
    schema = spec["responses"][success]["content"]["application/json"]["schema"]
    # A route answering one of several models (an install or its dry run) must
    # list the operation's among them.
    names = [ref["$ref"].rsplit("/", 1)[1] for ref in schema.get("anyOf", [schema])]
    name = names[0] if len(names) == 1 else op.output.__name__
    assert name in names
    answer = components[name]
    if not issubclass(op.output, RootModel):
        mirrored = op.output.model_json_schema()
        assert list(mirrored["properties"]) == list(answer["properties"])
        assert sorted(mirrored.get("required", [])) == sorted(
            answer.get("required", [])
        )
    assert callable(op.local)
