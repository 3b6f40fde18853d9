"""Celery tasks for the outbox: they take ids only and call treatments.messaging.sending.

`treatments.sweep_outbox` runs every minute from beat (CELERY_BEAT_SCHEDULE); it claims every
due message, batch by batch, and enqueues one `treatments.send_messages` per
MESSAGE_SEND_BATCH ids (one task per message cost more in Celery's overhead than the send
itself). Neither uses an eta or countdown: a retry is a later `due_at` that a later sweep
picks up (a Redis broker would re-deliver long-delayed tasks). A batch's messages are claimed
with one conditional UPDATE (`sending.send_batch`), so a batch delivered twice still sends each
message once; the send task's hard time limit stays well below MESSAGE_LEASE_SECONDS, so a
row is only taken back from a worker that is really gone.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from time import monotonic

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from . import sending
from .models import Message
from .sending import (
    ENQUEUE_RETRY_POLICY,
    UNFINISHED,
    UNFINISHED_LAST,
)

Status = Message.Status
logger = logging.getLogger(__name__)

__all__ = ["send_message", "send_messages", "sweep", "sweep_outbox"]

# One beat tick claims batches until nothing due is left or this many seconds went by (well
# inside its soft time limit): a backlog after an outage is enqueued at once and drains at
# the workers' pace, not at a fixed number of batches a minute. Claiming is quick (a few
# queries and one publish per MESSAGE_SEND_BATCH messages), so the budget is rarely reached.
SWEEP_BUDGET_SECONDS = 30
# A send task stops taking new messages from its batch after this long and hands the rest
# back to the next sweep, so it ends well inside its soft time limit (and its claims, all made
# at its start, well inside MESSAGE_LEASE_SECONDS).
SEND_BUDGET_SECONDS = 120


@shared_task(name="treatments.sweep_outbox", ignore_result=True, soft_time_limit=45, time_limit=55)
def sweep_outbox() -> int:
    """Claim due messages batch by batch (each batch its own short transaction)."""
    total = 0
    started = monotonic()
    while monotonic() - started < SWEEP_BUDGET_SECONDS:
        claimed = sweep()
        total += len(claimed)
        if len(claimed) < settings.MESSAGE_BATCH_SIZE:
            break
    return total


@shared_task(
    name="treatments.send_messages",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=SEND_BUDGET_SECONDS + 60,
    time_limit=SEND_BUDGET_SECONDS + 75,
)
def send_messages(message_ids: list[int]) -> int:
    """Send a batch of messages by id (safe to run twice: the second run claims nothing that
    the first took). Returns how many this run sent."""
    return sending.send_batch(message_ids, budget=SEND_BUDGET_SECONDS)


@shared_task(
    name="treatments.send_message",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=45,
    time_limit=60,
)
def send_message(message_id: int) -> str:
    """Send one message by its id (safe to run twice: only one run can claim it). The sweep
    enqueues `send_messages` now; this stays for tasks published before it did."""
    return sending.send(message_id)


# --- The sweep ----------------------------------------------------------------------------


def sweep(now: datetime | None = None, batch_size: int | None = None) -> list[int]:
    """Claim up to a batch of due messages and, after commit, enqueue send tasks for them
    (MESSAGE_SEND_BATCH ids each).

    A constant number of queries whatever the batch holds:
        1. UPDATE the rows stuck in `sending` past the lease (back to pending, or failed
           when that was the last attempt)
        2. SELECT … FOR UPDATE SKIP LOCKED the due ids, oldest first
        3. UPDATE those ids' `enqueued_at` (skipped when nothing is due)
    Two sweeps at the same moment claim disjoint sets. Returns the claimed ids.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.MESSAGE_BATCH_SIZE
    lease_start = now - timedelta(seconds=settings.MESSAGE_LEASE_SECONDS)
    with transaction.atomic():
        recovered = Message.objects.filter(status=Status.SENDING, claimed_at__lt=lease_start)
        recovered = recovered.update(
            status=Case(
                When(attempts__gte=settings.MESSAGE_MAX_ATTEMPTS, then=Value(Status.FAILED)),
                default=Value(Status.PENDING),
            ),
            last_error=Case(
                When(attempts__gte=settings.MESSAGE_MAX_ATTEMPTS, then=Value(UNFINISHED_LAST)),
                default=Value(UNFINISHED),
            ),
            claimed_at=None,
            enqueued_at=None,
            updated_at=now,
        )
        if recovered:
            logger.warning("outbox: %d messages were stuck in sending past the lease", recovered)
        due = (
            Message.objects.filter(status=Status.PENDING, due_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lease_start))
            .order_by("due_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        else:  # SQLite: its write transactions are serialised (BEGIN IMMEDIATE) anyway
            due = due.select_for_update()
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        if ids:
            Message.objects.filter(pk__in=ids).update(enqueued_at=now, updated_at=now)
            transaction.on_commit(partial(_enqueue, ids, now))
    return ids


def _enqueue(ids: list[int], stamp: datetime) -> None:
    """Publish one send task per MESSAGE_SEND_BATCH ids. A broker that is down must not break
    the caller: the rows not published are released (`enqueued_at` back to null) for the next
    sweep; if even that fails, the lease brings them back."""
    size = settings.MESSAGE_SEND_BATCH
    for start in range(0, len(ids), size):
        try:
            send_messages.apply_async(
                (ids[start : start + size],), retry=True, retry_policy=ENQUEUE_RETRY_POLICY
            )
        except Exception as exc:  # the broker's errors vary by transport
            unsent = ids[start:]
            logger.warning(
                "outbox: the broker refused a send task (%s); %d messages wait for the next sweep",
                type(exc).__name__,
                len(unsent),
            )
            release(unsent, stamp)
            return


def release(ids: list[int], stamp: datetime | None = None) -> None:
    """Hand pending messages back to the next sweep (`enqueued_at` back to null): their task
    was not published, or stopped before them. With `stamp`, only rows still stamped by that
    sweep. A database that fails here leaves them to the lease."""
    pending = Message.objects.filter(pk__in=ids, status=Status.PENDING)
    if stamp is not None:
        pending = pending.filter(enqueued_at=stamp)
    try:
        pending.update(enqueued_at=None)
    except DatabaseError:
        logger.warning("outbox: could not release %d messages; the lease will", len(ids))
