from django.db import models

from emdash.core.ids import new_id


class AuditEvent(models.Model):
    """One row per write, made inside the same transaction as the write."""

    id = models.CharField(
        primary_key=True, max_length=26, default=new_id, editable=False
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.action} {self.target_type}:{self.target_id} by {self.actor_label}"
        )


class Epoch(models.Model):
    """A counter every process agrees on. ``content`` is bumped by every content write;
    ``next_due_at`` is the earliest future scheduled publication, so caches can expire
    no later than it."""

    name = models.CharField(primary_key=True, max_length=32)
    value = models.BigIntegerField(default=0)
    next_due_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class SiteSetting(models.Model):
    key = models.CharField(primary_key=True, max_length=64)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key


class RateLimitCounter(models.Model):
    """One rate-limit window's count, for processes that share no cache.

    ``key`` is :func:`emdash.core.ratelimit.counter_key`: an HMAC, never the raw
    address, and it names the window, so a new window is a new row.
    """

    key = models.CharField(primary_key=True, max_length=96)
    count = models.PositiveIntegerField()
    # Past this the window is over (with a grace for lagging clocks): the row may go.
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}={self.count}"
