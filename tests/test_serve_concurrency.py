"""Two `emdash serve` processes starting at once on one new PostgreSQL database."""

import secrets
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from tests.services import require_service
from tests.test_packaging import outside_env, serving

SERVER = "postgresql://postgres@127.0.0.1:5432"
# The editable install's script: this test is about start-up, not packaging.
EMDASH = Path(sys.executable).parent / "emdash"


@contextmanager
def fresh_database() -> Iterator[str]:
    """A uniquely named empty database, dropped afterwards; yields its URL."""
    name = f"emdash_serve_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


def demo_fingerprint(url: str) -> dict[str, int]:
    """Rows per table of the content app, and how many `posts` collections there are."""
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename LIKE 'content\\_%' ORDER BY tablename"
        ).fetchall()
        counts = {
            table: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for (table,) in tables
        }
        counts["posts collections"] = conn.execute(
            "SELECT count(*) FROM content_collection WHERE slug = 'posts'"
        ).fetchone()[0]
    return counts


def start_servers(url: str, count: int, tmp_path: Path) -> dict[str, int]:
    """Start ``count`` servers on ``url`` together; once all answer, count the rows."""
    secret = secrets.token_urlsafe(50)
    with ExitStack() as stack:
        servers = []
        for index in range(count):
            # Each process as if on its own machine: a data dir of its own.
            home = tmp_path / f"{url.rsplit('/', 1)[1]}-{index}"
            home.mkdir()
            env = outside_env(home / "data")
            env["DATABASE_URL"] = url
            env["EMDASH_SECRET_KEY"] = secret
            servers.append(stack.enter_context(serving(EMDASH, cwd=home, env=env)))
        for server in servers:
            server.wait_until_ok()
        return demo_fingerprint(url)


def test_two_processes_come_up_and_seed_the_demo_once(tmp_path: Path) -> None:
    require_service("postgres")

    with fresh_database() as reference_url:
        reference = start_servers(reference_url, 1, tmp_path)
    with fresh_database() as url:
        together = start_servers(url, 2, tmp_path)

    assert together["posts collections"] == 1
    assert together == reference
