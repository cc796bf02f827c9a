"""``emdash cron``: everything that is due, for a scheduler to run every minute."""

from emdash.cli import output
from emdash.cli.runtime import Session, with_session


@with_session
def cron(session: Session) -> None:
    """Run what is due: publish scheduled entries whose time has come, then run
    plugins' cron tasks that are due.

    Nothing in the site keeps time while no request comes, so have a scheduler
    (cron, a systemd timer, your platform's cron trigger) run this every minute;
    on a remote site (--url) the token needs the cron:run scope. A plugin task
    that fails is logged (`emdash plugin logs ID`); the rest run."""
    session.show(session.client.call("cron.run"), output.scheduled_run)
