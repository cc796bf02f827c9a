"""Remote mode: the same commands over HTTP against a real server (pytest-django's
live server, serving the real REST API) on the same database as the local
transport, so the two can be compared byte for byte."""

import json

import pytest
from pytest_django.live_server_helper import LiveServer

from emdash.accounts.tokens import create_token
from emdash.content import seed
from emdash.content.models import Entry
from emdash.content.services import entries
from emdash.core.actors import SYSTEM
from tests.cli.conftest import emdash, fails, json_of, ok, sample_seed

pytestmark = pytest.mark.django_db(transaction=True)

# Every read command, with {heron} standing for an entry id.
READS = [
    ["schema", "list"],
    ["schema", "get", "posts"],
    ["content", "list", "posts"],
    ["content", "list", "posts", "--status", "published", "--sort", "title"],
    ["content", "list", "posts", "--limit", "1"],
    ["content", "get", "posts", "{heron}"],
    ["content", "revisions", "posts", "{heron}"],
    ["taxonomy", "list"],
    ["taxonomy", "terms", "topics"],
    ["menu", "list"],
    ["menu", "get", "primary"],
    ["search", "heron"],
    ["export"],
]


@pytest.fixture
def heron() -> str:
    """The sample site, with one published entry edited since (a working draft)."""
    seed.apply_seed(sample_seed())
    entry = Entry.objects.get(slug="heron-at-dawn")
    entries.update_entry(
        SYSTEM, "posts", entry.pk, {"version": entry.version, "data": {"body": "New"}}
    )
    return entry.pk


@pytest.mark.parametrize("mode", [["--json"], []], ids=["json", "plain"])
def test_local_and_remote_print_the_same_bytes(
    remote: list[str], heron: str, mode: list[str]
) -> None:
    for command in READS:
        args = [part.format(heron=heron) for part in command] + mode

        local = ok(*args)
        over_http = ok(*args, *remote)

        assert over_http == local, args
        assert local.strip(), args


def test_the_environment_names_the_remote_site(
    live_server: LiveServer, heron: str
) -> None:
    token = create_token(SYSTEM, name="cli", scopes=["admin"]).plaintext
    env = {"EMDASH_URL": live_server.url, "EMDASH_TOKEN": token}

    result = emdash("content", "get", "posts", heron, "--json", env=env)

    assert result.exit_code == 0, result.output
    assert result.stdout == ok("content", "get", "posts", heron, "--json")


def test_an_entrys_life_over_http(remote: list[str]) -> None:
    fields = {"fields": [{"slug": "title", "type": "string", "required": True}]}
    json_of(
        "schema", "create", "posts", "--label", "Posts", "--supports", "scheduling",
        "--data", json.dumps(fields), *remote,
    )  # fmt: skip
    created = json_of(
        "content", "create", "posts", "--data", '{"title": "Over the wire"}', *remote
    )
    entry_id = created["id"]

    def step(*args: str) -> dict:
        return json_of("content", *args, "posts", entry_id, *remote)

    assert (
        step("update", "--version", "1", "--data", '{"title": "Edited"}')["title"]
        == "Edited"
    )
    assert step("publish", "--version", "2")["status"] == "published"
    assert step("unpublish")["status"] == "draft"
    assert step("schedule", "--at", "2099-01-01T09:00:00Z")["status"] == "scheduled"
    assert step("delete")["status"] == "trash"
    assert step("restore")["status"] == "draft"
    assert step("submit")["status"] == "pending"
    revisions = step("revisions")["items"]
    assert [r["title"] for r in revisions] == ["Edited", "Over the wire"]
    restored = json_of(
        "content", "restore-revision", "posts", entry_id, revisions[1]["id"], *remote
    )
    assert restored["title"] == "Over the wire"
    assert step("duplicate")["slug"] == "over-the-wire-2"
    # Written over HTTP, read in-process: one database, one answer.
    assert json_of("content", "get", "posts", entry_id) == step("get")


def test_schema_taxonomy_menu_and_token_writes_over_http(remote: list[str]) -> None:
    json_of("schema", "create", "books", "--label", "Books", *remote)
    field = json_of(
        "schema", "add-field", "books", "title", "--type", "string", *remote
    )
    report = json_of("schema", "remove-field", "books", "title", *remote)
    json_of(
        "taxonomy",
        "create",
        "tags",
        "--label",
        "Tags",
        "--collection",
        "books",
        *remote,
    )
    term = json_of("taxonomy", "add-term", "tags", "--name", "Sci-fi", *remote)
    menu = json_of(
        "menu", "set", "footer", "--data", '[{"label": "Home", "url": "/"}]', *remote
    )
    token = json_of(
        "token", "create", "--name", "deploy", "--scope", "content:read", *remote
    )

    assert (field["slug"], field["type"]) == ("title", "string")
    assert report["applied"] is True
    assert term == {
        "slug": "sci-fi",
        "name": "Sci-fi",
        "description": "",
        "parent": None,
    }
    assert [item["label"] for item in menu["items"]] == ["Home"]
    assert token["token"].startswith("ec_pat_")
    assert json_of("schema", "get", "books") == json_of(
        "schema", "get", "books", *remote
    )


def test_api_errors_read_as_they_do_locally(remote: list[str], heron: str) -> None:
    stale = ["content", "update", "posts", heron, "--version", "1", "--data", "{}"]
    missing = ["content", "get", "posts", "01J00000000000000000000000"]

    for args in (stale, missing, [*stale, "--json"]):
        assert fails(*args, *remote).stderr == fails(*args).stderr

    assert fails(*stale, *remote).stderr.startswith("error: VERSION_CONFLICT: Entry ")
    assert Entry.objects.get(pk=heron).version == 2


def test_authentication_errors(live_server: LiveServer, heron: str) -> None:
    url = ["--url", live_server.url]

    bad = fails("content", "list", "posts", *url, "--token", "ec_pat_nope")
    anonymous_write = fails(
        "content", "create", "posts", "--data", '{"title": "x"}', *url
    )
    anonymous_read = json_of("content", "list", "posts", *url)

    assert bad.stderr == "error: INVALID_TOKEN: The token is unknown or revoked.\n"
    assert anonymous_write.stderr == (
        "error: UNAUTHENTICATED: Writing needs a bearer token "
        "(Authorization: Bearer ec_pat_...) or a signed-in session.\n"
    )
    # Without a token, only what the public sees: live entries, as published.
    assert sorted(e["slug"] for e in anonymous_read["items"]) == [
        "first-frost",
        "heron-at-dawn",
    ]


def test_a_site_that_is_not_there_or_not_emdash(live_server: LiveServer) -> None:
    unreachable = fails("schema", "list", "--url", "http://127.0.0.1:9")
    not_emdash = fails("schema", "list", "--url", f"{live_server.url}/elsewhere")

    assert unreachable.stderr.startswith(
        "error: UNREACHABLE: Could not reach http://127.0.0.1:9: "
    )
    assert not_emdash.stderr == (
        f"error: HTTP_404: GET {live_server.url}/elsewhere/_emdash/api/schema/"
        "collections answered 404 Not Found\n"
    )


@pytest.mark.parametrize(
    "args",
    [["seed"], ["import-json", "export.json"], ["publish-due"], ["migrate"]],
)
def test_local_only_commands_refuse_a_url(args: list[str]) -> None:
    result = fails(*args, "--url", "http://localhost:8000", code=2)

    assert "No such option: --url" in result.stderr


def test_json_errors_are_one_line_of_json(remote: list[str]) -> None:
    result = fails("schema", "get", "nope", "--json", *remote)

    assert json.loads(result.stderr) == {
        "error": {
            "code": "COLLECTION_NOT_FOUND",
            "message": "No collection 'nope'.",
            "details": {},
        }
    }
    assert result.stderr.count("\n") == 1
