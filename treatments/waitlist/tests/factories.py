"""Waitlist test data: patients waiting for their course's next session, and sessions that
are then cancelled to free a time. Booking and cancelling go through the services."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from treatments.scheduling import services as scheduling
from treatments.scheduling.models import Course, Session
from treatments.scheduling.tests.factories import SessionFactory
from treatments.waitlist import services

LONDON = ZoneInfo("Europe/London")
# The tests' "now": Monday 2 March 2026, 10:00 in London (UTC in winter), outside quiet hours.
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def local(y, m, d, h, minute=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=LONDON)


def waiting_course(clinic, desk, *, last=None, protocol, planned=2, **patient_fields) -> Course:
    """A screened patient's booked course with its first session done on `last` (default
    Monday 16 February 2026 10:00) and one left to book."""
    patient = clinic.screened_patient(desk, **patient_fields)
    return course_to_book(clinic, patient, last=last, protocol=protocol, planned=planned)


def course_to_book(clinic, patient, *, protocol, last=None, planned=2) -> Course:
    """`patient`'s booked course with its first session done on `last` (default Monday 16
    February 2026 10:00) and the next one still to book."""
    course = Course.objects.create(
        patient=patient,
        practitioner=clinic.practitioner,
        protocol=protocol,
        areas=["cheeks", "forehead"],
        planned_sessions=planned,
        interval_days=28,
        status=Course.Status.BOOKED,
        created_by=clinic.practitioner.user,
    )
    SessionFactory(
        course=course,
        room=clinic.rooms[1],
        number=1,
        starts_at=last or local(2026, 2, 16, 10),
        minutes=protocol.session_minutes,
        status=Session.Status.COMPLETED,
    )
    return course


def wait(clinic, desk, *, protocol, last=None, patient_fields=None, **entry_fields):
    """A waitlist entry (through `entry_add`) for a new `waiting_course`."""
    course = waiting_course(clinic, desk, last=last, protocol=protocol, **(patient_fields or {}))
    return services.entry_add(course=course, by=desk, **entry_fields)


def cancelled_session(clinic, desk, *, starts_at, protocol, room=None) -> Session:
    """Another patient's booked session at `starts_at`, then cancelled by the clinic: its
    time is freed (a `FreedSlot`)."""
    session = SessionFactory(
        course__practitioner=clinic.practitioner,
        course__protocol=protocol,
        course__patient__first_name="Alice",
        room=room or clinic.rooms[0],
        device=clinic.device,
        starts_at=starts_at,
        minutes=protocol.session_minutes,
    )
    return scheduling.session_cancel(session=session, reason="Patient unwell", by=desk)
