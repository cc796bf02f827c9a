"""Content epoch: a database counter bumped by every content write.

Page caches key on it, so one bump invalidates every cached page in every process.
Each process memoises the value for ``EPOCH_MEMO_SECONDS`` so a hot anonymous path
costs at most one small query per second. ``next_due_at`` sits beside it: the
earliest future scheduled publication, which bounds how long a page may be cached.
"""

import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from emdash.core.models import Epoch

CONTENT = "content"


@dataclass(frozen=True)
class EpochState:
    value: int
    next_due_at: datetime | None
    # Set by the content layer once a due time has passed without a write since:
    # the public view changed although the counter did not.
    due_marker: str = ""

    @property
    def key(self) -> str:
        """Changes whenever what the public sees may have changed."""
        return f"{self.value}.{self.due_marker}" if self.due_marker else str(self.value)


_memo: dict[str, tuple[float, EpochState]] = {}


_KEEP = object()


def bump(name: str = CONTENT, *, next_due_at: datetime | None | object = _KEEP) -> None:
    """Increment the epoch inside the caller's transaction; content writes also pass
    the recomputed next due time, other writes leave it as it is."""
    changes: dict[str, object] = {"value": F("value") + 1}
    if next_due_at is not _KEEP:
        changes["next_due_at"] = next_due_at
    if not Epoch.objects.filter(name=name).update(**changes):
        Epoch.objects.get_or_create(name=name, defaults={"value": 0})
        Epoch.objects.filter(name=name).update(**changes)
    _memo.pop(name, None)


def current(name: str = CONTENT) -> EpochState:
    now = time.monotonic()
    memo = _memo.get(name)
    if memo and now - memo[0] < settings.EPOCH_MEMO_SECONDS:
        return memo[1]
    row = Epoch.objects.filter(name=name).values_list("value", "next_due_at").first()
    state = EpochState(*row) if row else EpochState(0, None)
    _memo[name] = (now, state)
    return state


def forget_memo() -> None:
    _memo.clear()


def seconds_until_due(state: EpochState, *, cap: int) -> int:
    """How long something rendered now may be cached: ``cap``, or less if a
    scheduled entry goes live sooner. 0 means the due time has passed and the
    cached state may already be out of date."""
    if state.next_due_at is None:
        return cap
    remaining = (state.next_due_at - timezone.now()).total_seconds()
    return max(0, min(cap, int(remaining)))
