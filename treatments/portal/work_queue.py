"""What the portal adds to the dashboard's work queue (issue 11 item 7), each read in a fixed
number of queries: the sessions of the coming week whose pre-session check nobody has answered
yet, and the patients' open requests to cancel or move."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from clinic.clock import clinic_today
from treatments.scheduling.models import Session
from treatments.scheduling.selectors import QUEUE_LIMIT, local_day_bounds

from . import aftercare
from .models import PreSessionCheck, SessionChangeRequest


def pre_session_missing() -> tuple[int, list[Session]]:
    """Booked sessions from now to the end of the 7th day ahead (the check opens 7 days
    before, `pre_session.pre_session_opens_on`) with no pre-session check answered: how many,
    and the soonest QUEUE_LIMIT with their patient. Front desk asks by phone, or at check-in."""
    today = clinic_today()
    until = local_day_bounds(today, today + timedelta(days=aftercare.PRE_SESSION_WINDOW_DAYS))[1]
    answered = PreSessionCheck.objects.filter(session=OuterRef("pk"))
    sessions = Session.objects.filter(
        status=Session.Status.BOOKED, starts_at__gt=timezone.now(), starts_at__lt=until
    ).exclude(Exists(answered))
    shown = list(
        sessions.select_related("patient", "practitioner").order_by("starts_at", "id")[:QUEUE_LIMIT]
    )
    return sessions.count(), shown


def open_change_requests() -> tuple[int, list[SessionChangeRequest]]:
    """Open requests to cancel or move, soonest session first: how many, and the first
    QUEUE_LIMIT."""
    requests = SessionChangeRequest.objects.filter(status=SessionChangeRequest.Status.OPEN)
    shown = list(
        requests.select_related("patient", "session__practitioner").order_by(
            "session__starts_at", "id"
        )[:QUEUE_LIMIT]
    )
    return requests.count(), shown
