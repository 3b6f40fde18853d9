"""The waitlist's sections on lower apps' pages (`clinic.panels`): on a course page, its
waitlist entries and their offers (or the button to wait); on the dashboard, the freed
times that found no one."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from clinic import panels
from clinic.roles import STAFF
from treatments.scheduling.models import Course
from treatments.scheduling.selectors import QUEUE_LIMIT, course_progress

from . import selectors
from .models import WaitlistEntry


def course_waitlist(*, request: HttpRequest, course: Course) -> panels.Panel | None:
    entries = selectors.course_waitlist(course)
    waiting = any(e.status == WaitlistEntry.Status.WAITING for e in entries)
    can_wait = (
        not waiting and course.status == Course.Status.BOOKED and course_progress(course).open > 0
    )
    if not entries and not can_wait:
        return None
    offers = [offer for entry in entries for offer in entry.offers.all()]
    return panels.Panel(
        template="waitlist/_course_panel.html",
        context={"waitlist_entries": entries, "can_wait": can_wait, "course": course},
        shown=tuple([*entries, *offers]),
    )


def unfilled(*, request: HttpRequest) -> panels.Panel | None:
    if not request.user.has_role(*STAFF):
        return None
    shown, total = selectors.unfilled_slots(timezone.now(), QUEUE_LIMIT)
    return panels.Panel(
        template="waitlist/_dashboard_unfilled.html",
        context={"unfilled": shown, "total": total},
    )


def connect() -> None:
    panels.register(panels.COURSE_PAGE, course_waitlist, order=70)
    panels.register(panels.DASHBOARD, unfilled, order=45)
