"""Celery tasks for the outbox: they take ids only and call treatments.sending.

`treatments.sweep_outbox` runs every minute from beat (CELERY_BEAT_SCHEDULE); it enqueues
one `treatments.send_message` per due message. Neither uses an eta or countdown: a retry is
a later `due_at` that a later sweep picks up (a Redis broker would re-deliver long-delayed
tasks). The send task's hard time limit stays well below MESSAGE_LEASE_SECONDS, so a row is
only taken back from a worker that is really gone.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import sending
from .sending import sweep

__all__ = ["send_message", "sweep", "sweep_outbox"]

# One beat tick claims at most this many batches (500 each by default), so a backlog after
# an outage drains at up to 5,000 messages a minute without one sweep running for long.
SWEEP_MAX_BATCHES = 10


@shared_task(name="treatments.sweep_outbox", ignore_result=True, soft_time_limit=45, time_limit=55)
def sweep_outbox() -> int:
    """Claim due messages batch by batch (each batch its own short transaction)."""
    total = 0
    for _ in range(SWEEP_MAX_BATCHES):
        claimed = sweep()
        total += len(claimed)
        if len(claimed) < settings.MESSAGE_BATCH_SIZE:
            break
    return total


@shared_task(
    name="treatments.send_message",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=45,
    time_limit=60,
)
def send_message(message_id: int) -> str:
    """Send one message by its id (safe to run twice: only one run can claim it)."""
    return sending.send(message_id)
