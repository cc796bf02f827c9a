"""Running ``emdash`` in this process as a user types it. The local transport
reuses the test's Django set-up, so commands work on the test database."""

import json
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer
from typer.testing import CliRunner, Result

from emdash.accounts.tokens import create_token
from emdash.cli import app
from emdash.core.actors import SYSTEM


def emdash(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin, env=env)


def ok(*args: str, stdin: str | None = None) -> str:
    """Stdout of a run that must succeed."""
    result = emdash(*args, stdin=stdin)
    assert result.exit_code == 0, (
        f"emdash {' '.join(args)} exited {result.exit_code}:\n{result.output}"
    )
    return result.stdout


def json_of(*args: str, stdin: str | None = None) -> Any:
    """The parsed --json output of a run that must succeed."""
    return json.loads(ok(*args, "--json", stdin=stdin))


def fails(*args: str, stdin: str | None = None, code: int = 1) -> Result:
    """A run that must exit with ``code`` cleanly: a message, never a traceback."""
    result = emdash(*args, stdin=stdin)
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def usage_error(stderr: str) -> str:
    """The message of a usage error (exit 2), out of the box it is drawn in."""
    return " ".join(stderr.replace("│", " ").split())


def url_and_token(live_server: LiveServer, *scopes: str) -> list[str]:
    """--url and --token (a new operator token with ``scopes``) for the live server."""
    token = create_token(SYSTEM, name="cli", scopes=list(scopes)).plaintext
    return ["--url", live_server.url, "--token", token]


@pytest.fixture
def remote(live_server: LiveServer) -> list[str]:
    """--url and --token (admin) for the live server."""
    return url_and_token(live_server, "admin")


def sample_seed() -> dict[str, Any]:
    """A small site in the seed format: two collections, nested categories, tags,
    entries in several states and a nested menu pointing at an entry."""
    return {
        "settings": {"title": "Field Notes", "posts_per_page": 5},
        "collections": [
            {
                "slug": "posts",
                "label": "Posts",
                "label_singular": "Post",
                "url_pattern": "/posts/{slug}/",
                "supports": ["drafts", "revisions", "scheduling", "search", "seo"],
                "fields": [
                    {
                        "slug": "title",
                        "type": "string",
                        "required": True,
                        "searchable": True,
                    },
                    {"slug": "body", "type": "markdown", "searchable": True},
                ],
            },
            {
                "slug": "pages",
                "label": "Pages",
                "url_pattern": "/{slug}/",
                "fields": [{"slug": "title", "type": "string", "required": True}],
            },
        ],
        "taxonomies": [
            {
                "slug": "topics",
                "label": "Topics",
                "hierarchical": True,
                "collections": ["posts"],
                # A child listed before its parent.
                "terms": [
                    {"slug": "birds", "name": "Birds", "parent": "nature"},
                    {"slug": "nature", "name": "Nature"},
                ],
            },
            {
                "slug": "tags",
                "label": "Tags",
                "collections": ["posts"],
                "terms": [{"slug": "river", "name": "river"}],
            },
        ],
        "entries": [
            {
                "collection": "posts",
                "slug": "heron-at-dawn",
                "status": "published",
                "data": {"title": "A heron at dawn", "body": "Grey *and* still."},
                "terms": {"topics": ["birds"], "tags": ["river"]},
                "seo": {"description": "One bird, one river."},
                "published_days_ago": 1,
            },
            {
                "collection": "posts",
                "slug": "first-frost",
                "status": "published",
                "data": {"title": "First frost", "body": "The meadow went white."},
                "terms": {"topics": ["nature"]},
                "published_days_ago": 30,
            },
            {
                "collection": "posts",
                "slug": "kingfisher",
                "data": {"title": "Kingfisher (draft)"},
            },
            {
                "collection": "posts",
                "slug": "owls",
                "status": "scheduled",
                "scheduled_at": "2099-01-01T09:00:00Z",
                "data": {"title": "Owls at night"},
            },
            {
                "collection": "pages",
                "slug": "about",
                "status": "published",
                "data": {"title": "About"},
            },
        ],
        "menus": [
            {
                "slug": "primary",
                "label": "Primary",
                "items": [
                    {"label": "Home", "url": "/"},
                    {
                        "label": "About",
                        "entry": {"collection": "pages", "slug": "about"},
                        "children": [
                            {
                                "label": "Elsewhere",
                                "url": "https://example.com/",
                                "target": "_blank",
                            },
                        ],
                    },
                ],
            }
        ],
    }
