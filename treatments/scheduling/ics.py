"""iCalendar (.ics) output: a practitioner's subscription feed and one session's file.

Events carry their start and end as UTC instants ("Z"), never floating local times, so every
calendar app shows them at the right wall-clock time on both sides of a daylight-saving change
without needing the clinic's zone definition (DESIGN.md §6 "Time").

A calendar lives on phones and in third-party services, outside the clinic's access control,
so an event says as little as possible (DESIGN.md §6 "No patient data where it doesn't
belong"): "Microneedling", the patient's first name and initial, the room. No surname, no
indication, areas, screening or notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Practitioner, Session

PRODID = "-//Clinic//Microneedling sessions//EN"
UID_DOMAIN = "clinic"


def patient_label(first_name: str, last_name: str) -> str:
    """ "Jane D.": the first name and the initial of the last name, nothing more."""
    first = first_name.strip()
    initial = last_name.strip()[:1].upper()
    return f"{first} {initial}." if initial else first


def session_uid(session: Session) -> str:
    """Stable across reschedules, so a calendar app moves the event instead of duplicating it."""
    return f"{session.public_id}@{UID_DOMAIN}"


def session_event(
    session: Session, *, now: datetime, url_for: Callable[[Session], str] | None = None
) -> Event:
    """One VEVENT; `session` needs its patient and room loaded (Session.objects.for_calendar)."""
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    label = patient_label(session.patient.first_name, session.patient.last_name)
    event.add("summary", f"Microneedling – {label}")
    event.add("location", f"{settings.CLINIC_NAME}, {session.room.name}")
    event.add("description", f"Session {session.number}")
    event.add("status", "CONFIRMED" if session.is_active else "CANCELLED")
    event.add("transp", "OPAQUE")
    if session.status_changed_at is not None:
        event.add("last-modified", session.status_changed_at.astimezone(UTC))
    if url_for is not None:
        event.add("url", url_for(session))
    return event


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def practitioner_feed(
    practitioner: Practitioner,
    sessions: Iterable[Session],
    *,
    now: datetime | None = None,
    url_for: Callable[[Session], str] | None = None,
) -> bytes:
    """The subscription feed: one VEVENT per session given (the view picks which)."""
    now = now or timezone.now()
    calendar = _calendar(f"{settings.CLINIC_NAME} – {practitioner.display_name}")
    # Subscribing apps poll at their own pace; this is a hint, honoured by some.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for session in sessions:
        calendar.add_component(session_event(session, now=now, url_for=url_for))
    return calendar.to_ical()


def session_file(
    session: Session,
    *,
    now: datetime | None = None,
    url_for: Callable[[Session], str] | None = None,
) -> bytes:
    """A single-event calendar file for one session ("add to my calendar")."""
    now = now or timezone.now()
    calendar = _calendar(f"{settings.CLINIC_NAME} – session")
    calendar.add_component(session_event(session, now=now, url_for=url_for))
    return calendar.to_ical()
