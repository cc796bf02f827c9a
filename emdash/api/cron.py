"""``POST /_emdash/api/cron``: run what is due, for a scheduler that can only
call a URL (a serverless platform's cron trigger). ``emdash cron`` does the same."""

from django.http import HttpRequest
from ninja import Router

from emdash.api.auth import actor_of
from emdash.plugins import cron
from emdash.plugins.schemas import ScheduledRunOut, scheduled_run_out

router = Router(tags=["cron"])


@router.post(
    "",
    response=ScheduledRunOut,
    operation_id="run_cron",
    url_name="run_cron",
    summary="Publish the scheduled entries whose time has come, then run the "
    "plugins' cron tasks that are due",
    description="Needs `cron:run`: administrators, or a token with the `cron:run` "
    "scope (a scheduler's token need hold nothing else). Call it every minute; "
    "each task's turn runs once however many calls overlap. A task that fails is "
    "reported here and in the plugin's log, and the others still run.",
)
def run_cron(request: HttpRequest) -> ScheduledRunOut:
    return scheduled_run_out(cron.run_scheduled(actor_of(request)))
