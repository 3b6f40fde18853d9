"""The waitlist's sweep: beat runs `treatments.sweep_waitlist` every minute (as the outbox's).

It takes no arguments: the due work is rows (`FreedSlot.next_check_at`), each advanced in a
short transaction of its own (`services.slot_advance`), so two sweeps at once split the slots
(`SKIP LOCKED`) and a sweep that dies leaves them for the next."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)


def sweep() -> int:
    """End the entries left with nothing to wait for, then advance every open slot whose
    next look is due; how many slots were advanced."""
    now = timezone.now()
    try:
        services.entries_overtaken(now)
    except Exception:  # nor must this stop the slots
        logger.exception("waitlist: entries with nothing left to wait for could not be ended")
    done = 0
    for slot_id in services.due_slots(now):
        try:
            services.slot_advance(slot_id=slot_id, now=now)
        except Exception:  # one slot's trouble must not stop the others
            logger.exception("waitlist: slot %s could not be advanced", slot_id)
            continue
        done += 1
    return done


@shared_task(
    name="treatments.sweep_waitlist", ignore_result=True, soft_time_limit=45, time_limit=55
)
def sweep_waitlist() -> int:
    return sweep()
