"""Repairing a booked course (issue 11 item 3): a session added to replace a cancelled or
missed one, a cancelled or missed session dropped (not to be replaced), the whole course
cancelled, and the one rule for when a course is completed (`course_settle`).

Each workflow is keyword-only and atomic and writes its own audit rows; the patient is told
through the signals `treatments.messaging` listens to."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.clock import local_format, to_local
from clinic.errors import Conflict, Invalid
from clinic.models import User

from . import availability, selectors, signals
from .models import CancelledBy, Course, Practitioner, Session
from .services import (
    SlotRequest,
    _check_slot,
    _free_device,
    _lock_resources,
    lock_session,
    require_clearance,
    transition,
)
from .spacing import lock_patient, require_confirmed, require_spacing_across_courses

Action = audit.Action
WHEN = "l j F H:i"


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("A reason is required.", fields={"reason": [f"Say why {what}."]})
    return reason[:300]


def _initiator(initiated_by: str) -> str:
    if initiated_by not in CancelledBy.values:
        raise Invalid(
            "Say who asked for the cancellation.",
            fields={"initiated_by": ["Choose the patient or the clinic."]},
        )
    return initiated_by


def _lock_course(course: Course) -> Course:
    return (
        Course.objects.select_for_update(of=("self",))
        .select_related("patient", "practitioner", "protocol")
        .get(pk=course.pk)
    )


def course_settle(course: Course) -> bool:
    """Mark a booked course `completed` when every planned session was done or dropped and
    none is still booked (`selectors.Progress.complete`); True when it just did. Only then do
    the results reviews go out (clinical reference §4)."""
    if course.status != Course.Status.BOOKED or not selectors.course_progress(course).complete:
        return False
    Course.objects.filter(pk=course.pk).update(status=Course.Status.COMPLETED)
    course.status = Course.Status.COMPLETED
    return True


def _renumber(course: Course) -> None:
    """Number the course's booked and done sessions 1, 2, 3… in time order (a cancelled or
    missed one keeps its number). Two updates, so the unique number never clashes midway."""
    sessions = list(
        course.sessions.filter(status__in=[*Session.ACTIVE, Session.Status.COMPLETED]).order_by(
            "starts_at", "pk"
        )
    )
    if all(s.number == place for place, s in enumerate(sessions, start=1)):
        return
    for place, s in enumerate(sessions, start=1):
        s.number = 100 + place
    Session.objects.bulk_update(sessions, ["number"])
    for s in sessions:
        s.number -= 100
    Session.objects.bulk_update(sessions, ["number"])


@transaction.atomic
def course_add_session(
    *,
    course: Course,
    slot: SlotRequest,
    by: User,
    confirm_short_interval: bool = False,
    practitioner: Practitioner | None = None,
    request: HttpRequest | None = None,
) -> Session:
    """Book one session in a booked course in place of a cancelled or missed one that is not
    dropped: the same checks as booking (the clearance rule, the protocol's minimum interval
    to its neighbours in the course and to the patient's other courses on a shared area, the
    practitioner's hours and time off, free room and device). The course's sessions are then
    numbered in time order, and the patient gets a confirmation and its reminders.

    `practitioner` books it with another practitioner than the course's (a waitlist offer of
    a time freed in their diary); their hours, time off and sessions are checked instead."""
    course = _lock_course(course)
    if course.status != Course.Status.BOOKED:
        raise Conflict(
            "Only a booked course can have a session added; this one is "
            f"{course.get_status_display().lower()}."
        )
    if course.patient.is_archived:
        raise Conflict("This patient is archived.")
    if not selectors.course_progress(course).open:
        raise Conflict(
            f"All {course.planned_sessions} planned sessions are booked, done or dropped: "
            "there is none to replace."
        )
    start = slot.starts_at
    minimum = course.protocol.min_interval_days
    day = to_local(start).date()
    for other in course.sessions.filter(status__in=[*Session.ACTIVE, Session.Status.COMPLETED]):
        if abs((day - to_local(other.starts_at).date()).days) < minimum:
            raise Invalid(
                "Too close to another session of the course.",
                fields={
                    "starts_at": [
                        f"At least {minimum} days from session {other.number} "
                        f"({local_format(other.starts_at, WHEN)})."
                    ]
                },
            )
    lock_patient(course.patient_id)
    short = require_spacing_across_courses(course, [start])
    require_clearance(course.patient, course.areas, [day])
    practitioner = _lock_resources(
        practitioner.pk if practitioner else course.practitioner_id,
        {slot.room.pk},
        {slot.device.pk} if slot.device else set(),
    ).practitioner
    end = start + timedelta(minutes=course.protocol.session_minutes)
    taken = availability.taken(practitioner_id=practitioner.pk, spans=[(start, end)])
    _check_slot(
        practitioner=practitioner,
        room=slot.room,
        device=slot.device,
        start=start,
        end=end,
        field="starts_at",
        taken=taken,
    )
    device_id = slot.device.pk if slot.device else _free_device(start, end, taken)
    require_confirmed(short, confirm_short_interval=confirm_short_interval)
    session = Session.objects.create(
        course=course,
        patient=course.patient,
        practitioner=practitioner,
        room=slot.room,
        device_id=device_id,
        number=100,  # its place is given by `_renumber`
        starts_at=start,
        ends_at=end,
    )
    _renumber(course)
    session.refresh_from_db(fields=["number"])
    signals.sessions_booked.send(sender=Session, sessions=[session])
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=session,
        request=request,
        detail={"replacement": True, **({"short_interval_confirmed": short} if short else {})},
    )
    return session


@transaction.atomic
def session_drop(
    *, session: Session, reason: str, by: User, request: HttpRequest | None = None
) -> Session:
    """Record that a cancelled or missed session will not be replaced, with the reason. The
    course completes without it once the rest is done; when this was all that was left, it
    completes now and the results reviews go out."""
    session = lock_session(session)
    if session.status not in (Session.Status.CANCELLED, Session.Status.NO_SHOW):
        raise Conflict("Only a cancelled or missed session can be marked as not replaced.")
    if session.dropped_reason:
        raise Conflict("This session is already marked as not replaced.")
    course = _lock_course(session.course)
    if course.status != Course.Status.BOOKED:
        raise Conflict(f"This course is {course.get_status_display().lower()}.")
    reason = _reason(reason, "it will not be replaced")
    progress = selectors.course_progress(course)
    if not progress.open:
        raise Conflict("Every planned session is booked, done or dropped: nothing is left open.")
    if progress.done == 0 and progress.active == 0 and progress.open == 1:
        raise Conflict("Nothing of this course was done: cancel the course instead.")
    session.dropped_reason = reason
    session.save(update_fields=["dropped_reason"])
    audit.record(
        actor=by, action=Action.UPDATE, obj=session, request=request, detail={"dropped": True}
    )
    if course_settle(course):
        last = course.sessions.filter(status=Session.Status.COMPLETED).order_by("-starts_at")[0]
        signals.course_completed.send(sender=Course, course=course, session=last)
    return session


@transaction.atomic
def course_cancel(
    *,
    course: Course,
    reason: str,
    by: User,
    initiated_by: str = CancelledBy.CLINIC,
    request: HttpRequest | None = None,
) -> Course:
    """Cancel a planned or booked course as a whole, with the reason: each of its booked
    sessions is cancelled with it (their reminders too), and the patient is told once, in
    one message that lists them (`course_cancelled`). No results reviews follow. Refused
    while a session is checked in: complete or cancel that one first."""
    course = _lock_course(course)
    if course.status not in (Course.Status.PLANNED, Course.Status.BOOKED):
        raise Conflict(f"This course is already {course.get_status_display().lower()}.")
    reason = _reason(reason, "the course is cancelled")
    initiated_by = _initiator(initiated_by)
    checked_in = course.sessions.filter(status=Session.Status.CHECKED_IN).first()
    if checked_in is not None:
        raise Conflict(
            f"Session {checked_in.number} is checked in: complete or cancel it first. "
            "Nothing was cancelled."
        )
    now = timezone.now()
    sessions = list(
        Session.objects.select_for_update(of=("self",))
        .select_related("patient")
        .filter(course=course, status=Session.Status.BOOKED)
        .order_by("starts_at")
    )
    with audit.together():  # each session's row and the course's in one INSERT
        for session in sessions:
            session.cancel_reason = reason
            session.cancel_initiated_by = initiated_by
            transition(session, Session.Status.CANCELLED, by, request, with_course=True)
        course.status = Course.Status.CANCELLED
        course.cancel_reason, course.cancel_initiated_by = reason, initiated_by
        course.cancelled_at = now
        course.save(
            update_fields=["status", "cancel_reason", "cancel_initiated_by", "cancelled_at"]
        )
        audit.record(
            actor=by,
            action=Action.TRANSITION,
            obj=course,
            request=request,
            detail={"to": "cancelled", "sessions": len(sessions), "initiated_by": initiated_by},
        )
    signals.course_cancelled.send(sender=Course, course=course, sessions=sessions)
    return course
