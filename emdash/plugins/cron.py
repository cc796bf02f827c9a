"""Plugin cron tasks: a plugin declares named tasks in its manifest (``"cron":
{"digest": {"every": "1d"}}``) and handles the ``cron`` hook; ``run_due`` runs
those whose time has come.

No process stays up to keep time (a site may scale to zero), so a scheduler
outside the site calls ``emdash cron`` (or ``POST /_emdash/api/cron``) every
minute or so; ``run_scheduled`` is what both do. A task runs at the
first run after it is seen, then about every ``every``; a task that was due
several times over (the plugin was disabled, nobody ran cron) runs once, not
once per missed turn. Claiming a turn is a compare-and-set on the task's row, so
two cron runs at once never run the same turn twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from emdash.content.services import entries
from emdash.core.actors import SYSTEM, Actor
from emdash.plugins import runtime
from emdash.plugins.manifest import TaskSpec
from emdash.plugins.models import PluginTask

HOOK = "cron"


@dataclass(frozen=True)
class TaskRun:
    """One task's turn: how the plugin's call ended (``ok``, ``unchanged``,
    ``rejected`` or ``failed``, with the reason in ``message``)."""

    plugin: str
    task: str
    scheduled_at: datetime
    outcome: str
    message: str = ""


@dataclass(frozen=True)
class ScheduledRun:
    """What one run did: the entries it published, the plugin tasks it ran."""

    published: list[str]
    tasks: list[TaskRun]


def run_scheduled(actor: Actor) -> ScheduledRun:
    """Everything that is due: publish the scheduled entries whose time has come,
    then run the plugins' due tasks. Needs ``cron:run`` (administrators, or a
    scheduler's token with that scope)."""
    actor.require("cron:run")
    return ScheduledRun(published=entries.publish_due(actor), tasks=run_due())


def run_due(*, now: datetime | None = None) -> list[TaskRun]:
    """Run each enabled plugin's cron tasks that are due, once each, in the
    plugins' priority order."""
    now = now or timezone.now()
    runs: list[TaskRun] = []
    for plugin in runtime.registry().by_hook.get(HOOK, ()):
        tasks = plugin.manifest.cron
        # Tasks an update dropped no longer keep a schedule.
        PluginTask.objects.filter(plugin_id=plugin.id).exclude(
            name__in=list(tasks)
        ).delete()
        for name, spec in tasks.items():
            turn = _claim(plugin.id, name, spec, now)
            if turn is None:
                continue
            scheduled_at, last_run_at = turn
            payload = {
                "task": name,
                "scheduled_at": scheduled_at.isoformat(),
                "last_run_at": last_run_at.isoformat() if last_run_at else None,
            }
            for _, outcome in runtime.run_each(
                HOOK, payload, SYSTEM, runtime.accept_as_is, only=plugin.id
            ):
                runs.append(
                    TaskRun(
                        plugin.id, name, scheduled_at, outcome.kind, outcome.message
                    )
                )
    return runs


def _claim(
    plugin_id: str, name: str, spec: TaskSpec, now: datetime
) -> tuple[datetime, datetime | None] | None:
    """Take the task's turn if it is due: when it was due and when it last ran;
    None when it is not due, or another cron run took the turn first."""
    every = timedelta(seconds=spec.every_seconds)
    task = _task(plugin_id, name, now)
    if task is None:
        return None
    if task.next_run_at > now + every:
        # The interval got shorter in an update: the next turn comes sooner.
        PluginTask.objects.filter(pk=task.pk, next_run_at=task.next_run_at).update(
            next_run_at=now + every
        )
        return None
    if task.next_run_at > now:
        return None
    following = task.next_run_at + every
    taken = PluginTask.objects.filter(pk=task.pk, next_run_at=task.next_run_at).update(
        next_run_at=following if following > now else now + every, last_run_at=now
    )
    return (task.next_run_at, task.last_run_at) if taken else None


def _task(plugin_id: str, name: str, now: datetime) -> PluginTask | None:
    """The task's row, made due now the first time it is seen; None when the
    plugin was uninstalled a moment ago."""
    task = PluginTask.objects.filter(plugin_id=plugin_id, name=name).first()
    if task is not None:
        return task
    try:
        with transaction.atomic():
            return PluginTask.objects.create(
                plugin_id=plugin_id, name=name, next_run_at=now
            )
    except IntegrityError:  # another cron run made it, or the plugin just went
        return PluginTask.objects.filter(plugin_id=plugin_id, name=name).first()
