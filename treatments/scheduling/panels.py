"""Scheduling's sections on pages of lower apps (`clinic.panels`): the patient's courses on
the patient record; on the dashboard, today's sessions with their arrival state and check-in
(front desk), the practitioner's day and what is coming up, depth flags, and the manager's
counts for the week."""

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from clinic import panels
from clinic.clock import clinic_today
from clinic.models import Role
from clinic.roles import FRONT_OFFICE, PLANNERS
from patients.models import Patient

from . import selectors
from .models import Practitioner, Session

UPCOMING_DAYS = 7
FLAG_DAYS = 7


def patient_courses(*, request: HttpRequest, patient: Patient) -> panels.Panel:
    """The patient's courses with their sessions, and "Plan a course" for practitioners (not
    on an archived record, which is read-only)."""
    courses = selectors.patient_courses(patient)
    is_open = not patient.is_archived
    return panels.Panel(
        template="scheduling/_patient_courses.html",
        context={
            "patient": patient,
            "courses": courses,
            "can_plan": is_open and request.user.has_role(*PLANNERS),
            "can_invite": is_open and request.user.has_role(*FRONT_OFFICE),
        },
        shown=tuple(course for course, _ in courses),
    )


def _own(request: HttpRequest) -> Practitioner | None:
    if not request.user.has_role(Role.PRACTITIONER):
        return None
    return Practitioner.objects.filter(user=request.user).first()


def todays_sessions(*, request: HttpRequest) -> panels.Panel | None:
    """Front desk (and the manager): every session today in time order, whether the patient
    has arrived, and "Check in" on each one still expected. A practitioner alone: their own
    day, and their booked sessions of the week ahead."""
    user = request.user
    today = clinic_today()
    if user.has_role(*FRONT_OFFICE):
        sessions = selectors.sessions_of_day(today)
        context = {"sessions": sessions, "everyone": True, "me": user.pk}
        return panels.Panel("scheduling/_dashboard_day.html", context, shown=tuple(sessions))
    mine = _own(request)
    if mine is None:
        return None
    sessions = selectors.sessions_of_day(today, practitioner=mine)
    start_of_tomorrow = selectors.local_day_bounds(today, today)[1]
    upcoming = selectors.upcoming_sessions(
        practitioner=mine,
        after=start_of_tomorrow,
        until=start_of_tomorrow + timedelta(days=UPCOMING_DAYS),
    )
    context = {"sessions": sessions, "upcoming": upcoming, "everyone": False, "me": user.pk}
    return panels.Panel("scheduling/_dashboard_day.html", context, shown=(*sessions, *upcoming))


def depth_flags(*, request: HttpRequest) -> panels.Panel | None:
    """Practitioners (their own sessions) and the manager (everyone's): settings charted above
    an area's flag in the last week, each with its reason and its session."""
    user = request.user
    if user.has_role(Role.MANAGER):
        practitioner = None
    elif user.has_role(Role.PRACTITIONER):
        practitioner = _own(request)
        if practitioner is None:
            return None
    else:
        return None
    since = timezone.now() - timedelta(days=FLAG_DAYS)
    total, records = selectors.depth_flags(since=since, practitioner=practitioner)
    return panels.Panel(
        "scheduling/_dashboard_depth_flags.html",
        {"records": records, "total": total, "days": FLAG_DAYS, "everyone": practitioner is None},
        shown=tuple(record.session for record in records),
    )


def week_counts(*, request: HttpRequest) -> panels.Panel | None:
    """The manager: this week's sessions by status (counts only)."""
    if not request.user.has_role(Role.MANAGER):
        return None
    today = clinic_today()
    monday = today - timedelta(days=today.weekday())
    counts = selectors.week_counts(monday)
    rows = [(label, counts[status]) for status, label in Session.Status.choices]
    return panels.Panel(
        "scheduling/_dashboard_week.html",
        {"rows": rows, "monday": monday, "total": sum(counts.values())},
    )


def connect() -> None:
    panels.register(panels.PATIENT_RECORD, patient_courses, order=10)
    panels.register(panels.DASHBOARD, todays_sessions, order=10)
    panels.register(panels.DASHBOARD, depth_flags, order=70)
    panels.register(panels.DASHBOARD, week_counts, order=90)
