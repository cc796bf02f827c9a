"""``emdash serve`` and ``emdash migrate``: bring the local site's database up to
date (and, on a brand-new site, load the demo content and print the one-time
setup URL), then serve it."""

import os
import sys
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from emdash.cli import output
from emdash.cli.runtime import Session, setup_django, with_session


def default_workers() -> int:
    """One sync worker per core this process may run on: sync Django is CPU-bound
    here, and measured ~1.6x faster under WSGI workers than under ASGI."""
    return max(1, len(os.sched_getaffinity(0)))


def migrate_database() -> list[str]:
    """Apply pending migrations; return their names (``app.0001_initial``)."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", interactive=False, verbosity=0)
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


@dataclass(frozen=True)
class PreparedSite:
    migrations_applied: list[str]
    demo_seeded: bool
    needs_setup: bool
    # A fresh setup URL, or None: the site has an administrator, or a setup URL
    # printed earlier (by another process starting at once) still works.
    setup_url: str | None


def prepare_site() -> PreparedSite:
    """Migrate, seed the demo content if the site is brand new, and issue a setup
    URL if it has no administrator, holding the start-up lock so that processes
    starting together take turns: the first does the work, the others find it
    done (and do not revoke the setup URL the first printed)."""
    from emdash.accounts import setup
    from emdash.content.seed import seed_demo_if_empty
    from emdash.core.locks import startup_lock

    with startup_lock("startup"):
        applied = migrate_database()
        seeded = seed_demo_if_empty()
        needs_setup = setup.needs_setup()
        url = None
        if needs_setup and not setup.setup_link_waiting():
            url = setup.issue_setup_url(created_by="emdash serve")
    return PreparedSite(applied, seeded, needs_setup, url)


def setup_notice(site: PreparedSite) -> list[str]:
    if site.setup_url:
        return [
            "",
            "No administrator yet. Open this one-time URL to set up the site:",
            site.setup_url,
        ]
    if site.needs_setup:
        return [
            "",
            "No administrator yet. A setup URL printed earlier (by this or another "
            "process) still works; `emdash setup-url` prints a fresh one.",
        ]
    return []


def run_gunicorn(host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "sync",
                # Django is loaded already: workers fork from it rather than load it.
                "preload_app": True,
                "proc_name": "emdash",
                "errorlog": "-",
                "loglevel": "warning",
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from emdash.wsgi import application

            return application

    Server().run()


@with_session(remote=False)
def serve(
    session: Session,
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes (default: one per CPU core)."),
    ] = None,
) -> None:
    """Migrate, seed a brand-new site with demo content, and serve it.

    The demo content goes only into a site with no collections and no users,
    unless EMDASH_DEMO=0. While the site has no administrator, it prints a one-time
    setup URL. The site is served by gunicorn until stopped."""
    # Links the site prints use its URL; a browser needs a name, not an IP address.
    os.environ.setdefault("EMDASH_SITE_URL", f"http://localhost:{port}")
    setup_django()
    from django.conf import settings
    from django.db import connections

    site = prepare_site()
    # The workers fork from this process, so none may inherit its connection.
    connections.close_all()
    workers = workers or default_workers()
    if session.json_output:
        session.show_json(
            {
                "url": settings.SITE_URL,
                "bind": f"{host}:{port}",
                "workers": workers,
                "migrations_applied": site.migrations_applied,
                "demo_seeded": site.demo_seeded,
                "needs_setup": site.needs_setup,
                "setup_url": site.setup_url,
            }
        )
    else:
        lines = []
        if site.migrations_applied:
            count = len(site.migrations_applied)
            lines.append(f"Applied {count} database migration(s).")
        if site.demo_seeded:
            lines.append("Loaded the demo content.")
        lines += [
            f"EmDash is running at {settings.SITE_URL}",
            f"(listening on {host}:{port} with {workers} worker(s); Ctrl+C stops it)",
        ]
        # Written as they are: rich would fold a long URL, breaking a copy.
        sys.stdout.write("\n".join(lines + setup_notice(site)) + "\n")
    # Out before gunicorn takes over the process (stdout may be a pipe).
    sys.stdout.flush()
    run_gunicorn(host, port, workers)


@with_session(remote=False)
def migrate(session: Session) -> None:
    """Apply pending database migrations to the local site."""
    setup_django()
    from emdash.core.locks import startup_lock

    with startup_lock("startup"):
        applied = migrate_database()
    if session.json_output:
        session.show_json({"applied": applied})
    elif applied:
        output.emit(f"Applied {len(applied)} migration(s).")
    else:
        output.emit("The database is up to date.")
