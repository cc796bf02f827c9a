"""``emdash cron``: everything that is due, for a scheduler to run every minute."""

from emdash.cli import output
from emdash.cli.runtime import Session, setup_django, with_session


@with_session(remote=False)
def cron(session: Session) -> None:
    """Run what is due: publish scheduled entries whose time has come, then run
    plugins' cron tasks that are due.

    Nothing in the site keeps time while no request comes, so have a scheduler
    (cron, a systemd timer, your platform's cron trigger) run this every minute.
    A plugin task that fails is logged (`emdash plugin logs ID`); the rest run."""
    setup_django()
    from emdash.content.services import entries
    from emdash.plugins import cron as plugin_cron

    published = entries.publish_due()
    runs = plugin_cron.run_due()
    if session.json_output:
        session.show_json(
            {"published": published, "tasks": [run.to_json() for run in runs]}
        )
        return
    if published:
        noun = "entry" if len(published) == 1 else "entries"
        output.emit(
            f"Published {len(published)} scheduled {noun}: {', '.join(published)}"
        )
    for run in runs:
        said = f" ({run.message})" if run.message else ""
        output.emit(f"Ran {run.plugin} {run.task}: {run.outcome}{said}")
    if not published and not runs:
        output.emit("Nothing is due.")
