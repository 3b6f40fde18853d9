"""One clock (issue 9): every page, calendar file and message that shows a session says 09:00
for a 09:00 session, on both sides of both daylight-saving changes.

Storage is UTC and settings.TIME_ZONE is "UTC", so anything that formats a stored time
without `clinic.clock.local_format` (or the `local` template filter) shows 08:00 for a
09:00 BST session. The series below is six sessions at 09:00 in Europe/London (pytest.ini):
two in winter, three in summer and one after the autumn change. The Mondays after each
change are in it on purpose, so "24 hours before" lands on the other side of the change.

The expected words are written out here from plain dates (Python's own day and month names),
not made with `local_format`, so the test cannot agree with a wrong clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from clinic.tests.factories import PatientUserFactory
from patients import services as patient_services
from patients.tests.helpers import clear_answers
from treatments.messaging import render
from treatments.messaging.models import Message
from treatments.portal import services as portal
from treatments.portal.models import SessionChangeRequest
from treatments.portal.tests.helpers import client_for
from treatments.scheduling import charting, services
from treatments.scheduling.models import Session
from treatments.scheduling.tests.check_in_helpers import check_in

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NINE = dt.time(9)
# (day, the zone's abbreviation that day): every session at 09:00 on the clinic's clock.
SERIES = [
    (dt.date(2027, 2, 15), "GMT"),
    (dt.date(2027, 3, 15), "GMT"),
    (dt.date(2027, 3, 29), "BST"),  # the Monday after the clocks go forward (28 March)
    (dt.date(2027, 4, 26), "BST"),
    (dt.date(2027, 10, 18), "BST"),
    (dt.date(2027, 11, 1), "GMT"),  # the Monday after the clocks go back (31 October)
]
# The earliest series the course page proposes to another patient from Tuesday 2 March.
PROPOSAL_START = dt.date(2027, 3, 2)
PROPOSED = [
    (dt.date(2027, 3, 2), "GMT"),
    (dt.date(2027, 3, 30), "BST"),
    (dt.date(2027, 4, 27), "BST"),
    (dt.date(2027, 5, 25), "BST"),
]
BOOKED_AT = dt.datetime(2027, 2, 1, 10, 30, tzinfo=dt.UTC)  # a fortnight before the series
TREATED = 3  # the first three sessions are done when the aftercare pages are read
AFTER_TREATMENT = dt.datetime(2027, 3, 30, 11, tzinfo=dt.UTC)  # the day after session 3
RECORDS = [
    charting.AreaRecord(
        area="cheeks", device_setting_mm=Decimal("1.50"), passes=4, cartridge_lot="LOT-7"
    )
]

Shown = tuple[dt.date, str]  # a session as a page shows it: its local day and zone


def at_nine(day: dt.date, zone: ZoneInfo = LONDON) -> dt.datetime:
    return dt.datetime.combine(day, NINE, tzinfo=zone)


def travel(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


# --- How each place writes a session's time (by hand, from the date) ---------------------


def long_day(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def staff_when(day: dt.date, zone: str) -> list[str]:
    """Course page, session page, patient record: "Monday 29 March 2027, 09:00"."""
    return [f"{long_day(day)}, 09:00"]


def grid_when(day: dt.date, zone: str) -> list[str]:
    """A block on the week or day grid (a 120-minute acne-scar session)."""
    return ["09:00–11:00"]


def portal_when(day: dt.date, zone: str) -> list[str]:
    """The portal says the zone: "Monday 29 March 2027 at 09:00 BST"."""
    return [f"{long_day(day)} at 09:00 {zone}"]


def message_when(day: dt.date) -> str:
    """A message: "Monday 29 March at 09:00"."""
    return f"{day:%A} {day.day} {day:%B} at 09:00"


def reminders_due(day: dt.date, zone: str) -> list[str]:
    """The message log's due times for a session's check (T−7 days) and reminders (T−48 h,
    T−24 h): 09:00 on the clinic's clock even when the change falls in between."""
    return [
        f"{due:%a} {due.day} {due:%b} {due.year}, 09:00"
        for due in (day - dt.timedelta(days=n) for n in (7, 2, 1))
    ]


# --- The clinic, the patient and her series ----------------------------------------------


@dataclass
class World:
    clinic: object
    desk: object
    planner: object
    patient: object
    course: object
    sessions: list[Session]
    planned: object  # another patient's course, planned and not booked (for the proposal)
    treated: bool = field(default=False)

    def shown(self, *numbers: int) -> list[tuple[Session, Shown]]:
        return [(self.sessions[n - 1], SERIES[n - 1]) for n in numbers]

    def treat(self) -> None:
        """Sessions 1 to 3 take place (screened again, checked in and charted on the day)."""
        if self.treated:
            return
        for session in self.sessions[:TREATED]:
            with travel(session.starts_at + dt.timedelta(minutes=5)):
                patient_services.intake_submit(
                    patient=self.patient,
                    answers=clear_answers(),
                    areas=["cheeks", "forehead"],
                    by=self.desk,
                )
                check_in(session, by=self.desk)
                charting.session_complete(session=session, records=RECORDS, by=self.planner)
        self.treated = True


@pytest.fixture
def world(clinic, acne_protocol, front_desk_user, practitioner_user, settings) -> World:
    # The front desk opens at 07:30, so "check-in opens at …" names no 08:00 of its own.
    settings.CLINIC_OPENS_AT = "07:30"
    with travel(BOOKED_AT):
        patient = clinic.screened_patient(
            front_desk_user, first_name="Ada", last_name="Lovelace", email="ada@example.com"
        )
        patient.portal_user = PatientUserFactory(
            username=patient.email, first_name="Ada", last_name="Lovelace"
        )
        patient.save(update_fields=["portal_user"])
        course = clinic.course(
            patient, protocol=acne_protocol, by=practitioner_user, sessions=len(SERIES)
        )
        sessions = services.course_book(
            course=course,
            slots=[
                services.SlotRequest(starts_at=at_nine(day), room=clinic.rooms[0])
                for day, _ in SERIES
            ],
            by=front_desk_user,
        )
        # Ada asks to move each one, so the staff portal page lists them all.
        for session in sessions:
            portal.change_request_create(
                session=session,
                kind=SessionChangeRequest.Kind.MOVE,
                note="",
                by=patient.portal_user,
            )
        other = clinic.screened_patient(front_desk_user, first_name="Bea")
        planned = clinic.course(other, protocol=acne_protocol, by=practitioner_user, sessions=4)
    return World(
        clinic=clinic,
        desk=front_desk_user,
        planner=practitioner_user,
        patient=patient,
        course=course,
        sessions=sessions,
        planned=planned,
    )


# --- Every page that shows a session's time -----------------------------------------------


Visit = tuple[str, list[Shown]]  # a URL and the sessions it shows


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # "staff" (the practitioner) or "patient" (Ada, in the portal)
    visits: Callable[[World], list[Visit]]
    shows: Callable[[dt.date, str], list[str]]
    after_treatment: bool = False  # read the day after session 3, once 1–3 are done


def _each(world: World, url: Callable[[Session], str], numbers=range(1, 7)) -> list[Visit]:
    return [(url(s), [shown]) for s, shown in world.shown(*numbers)]


def _all(url: str, numbers=range(1, 7)) -> list[Visit]:
    return [(url, [SERIES[n - 1] for n in numbers])]


PAGES = [
    Page(
        "course page",
        "staff",
        lambda w: _all(reverse("treatments:course", args=[w.course.public_id])),
        staff_when,
    ),
    Page(
        "course proposal",
        "staff",
        lambda w: [
            (
                reverse("treatments:course", args=[w.planned.public_id])
                + f"?start={PROPOSAL_START.isoformat()}",
                PROPOSED,
            )
        ],
        staff_when,
    ),
    Page(
        "week calendar",
        "staff",
        lambda w: [
            (reverse("treatments:calendar") + f"?week={day.isoformat()}", [(day, zone)])
            for day, zone in SERIES
        ],
        grid_when,
    ),
    Page(
        "day calendar",
        "staff",
        lambda w: [
            (reverse("treatments:day") + f"?date={day.isoformat()}", [(day, zone)])
            for day, zone in SERIES
        ],
        grid_when,
    ),
    Page(
        "session page",
        "staff",
        lambda w: _each(w, lambda s: reverse("treatments:session", args=[s.public_id])),
        staff_when,
    ),
    Page(
        "patient record",
        "staff",
        lambda w: _all(reverse("patients:detail", args=[w.patient.public_id])),
        staff_when,
    ),
    Page(
        "message log (patient record)",
        "staff",
        lambda w: _all(reverse("patients:detail", args=[w.patient.public_id])),
        reminders_due,
    ),
    Page(
        "message log (session page)",
        "staff",
        lambda w: _each(w, lambda s: reverse("treatments:session", args=[s.public_id])),
        reminders_due,
    ),
    Page("staff portal page", "staff", lambda w: _all(reverse("portal:staff")), portal_when),
    Page("portal home", "patient", lambda w: _all(reverse("portal:home"), [1]), portal_when),
    Page(
        "portal home after a session",
        "patient",
        lambda w: _all(reverse("portal:home"), [3, 4]),  # the latest done and the next
        portal_when,
        after_treatment=True,
    ),
    Page("portal sessions", "patient", lambda w: _all(reverse("portal:sessions")), portal_when),
    Page(
        "portal pre-session page",
        "patient",
        lambda w: _each(w, lambda s: reverse("portal:pre_session", args=[s.public_id])),
        portal_when,
    ),
    Page(
        "portal change request",
        "patient",
        lambda w: _each(w, lambda s: reverse("portal:change_request", args=[s.public_id])),
        portal_when,
    ),
    Page(
        "portal aftercare page",
        "patient",
        lambda w: _each(
            w, lambda s: reverse("portal:aftercare", args=[s.public_id]), range(1, TREATED + 1)
        ),
        portal_when,
        after_treatment=True,
    ),
    Page(
        "portal check-in page",
        "patient",
        lambda w: _each(
            w, lambda s: reverse("portal:check_in", args=[s.public_id]), range(1, TREATED + 1)
        ),
        portal_when,
        after_treatment=True,
    ),
]


def page_text(html: str) -> str:
    """What a reader sees: the words, not the markup (a `<time datetime>` attribute or a
    hidden input stays an ISO instant in UTC, for machines), and not the grid's hour labels
    (07:00, 08:00, …), which are not the time of anything."""
    html = re.sub(r'<div class="cal-hour">[^<]*</div>', "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", html))


def around(text: str, words: str) -> list[str]:
    """Where `words` occur, for the failure message."""
    return [text[max(0, m.start() - 80) : m.end() + 40] for m in re.finditer(words, text)]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_page_shows_each_session_at_09_00_on_the_clinic_s_clock(page: Page, world: World):
    now = BOOKED_AT
    if page.after_treatment:
        world.treat()
        now = AFTER_TREATMENT
    with travel(now):
        client = client_for(world.planner if page.who == "staff" else world.patient.portal_user)
        for url, shown in page.visits(world):
            response = client.get(url)
            assert response.status_code == 200, url
            text = page_text(response.content.decode())
            for day, zone in shown:
                for words in page.shows(day, zone):
                    assert words in text, f"{page.name} {url}: {words!r} missing"
            assert "08:00" not in text, around(text, "08:00")


# --- Calendar files -----------------------------------------------------------------------


ICS_FILES = {
    "staff session file": (
        "staff",
        lambda w: _each(w, lambda s: reverse("treatments:session_ics", args=[s.public_id])),
    ),
    "portal session file": (
        "patient",
        lambda w: _each(w, lambda s: reverse("portal:session_ics", args=[s.public_id])),
    ),
    "practitioner feed": (
        "anyone",
        lambda w: _all(
            reverse("treatments:calendar_feed", args=[w.clinic.practitioner.calendar_token])
        ),
    ),
}


@pytest.mark.parametrize("name", ICS_FILES)
def test_every_calendar_file_starts_each_session_at_09_00_london(name: str, world: World):
    who, visits = ICS_FILES[name]
    with travel(BOOKED_AT):
        user = {"staff": world.planner, "patient": world.patient.portal_user}.get(who)
        client = client_for(user) if user else Client()  # a feed's token is its credential
        for url, shown in visits(world):
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            starts = sorted(
                event.decoded("dtstart")
                for event in Calendar.from_ical(response.content).walk("VEVENT")
            )
            assert [s.astimezone(LONDON).time() for s in starts] == [NINE] * len(shown)
            assert [s.astimezone(LONDON).date() for s in starts] == [day for day, _ in shown]
            for day, zone in shown:  # written as UTC: 09:00 GMT is 09:00Z, 09:00 BST 08:00Z
                utc_hour = "09" if zone == "GMT" else "08"
                assert f"DTSTART:{day:%Y%m%d}T{utc_hour}0000Z" in body


# --- Messages -----------------------------------------------------------------------------


# Each kind of message that names a session's time, and which sessions its e-mail names: its
# own, or the whole series (the booking confirmation; its SMS names the first).
MESSAGES = {
    Message.Kind.BOOKING_CONFIRMATION: "series",
    Message.Kind.PRE_SESSION_CHECK: "own",
    Message.Kind.REMINDER_48H: "own",
    Message.Kind.REMINDER_24H: "own",
}


@pytest.mark.parametrize("kind", list(MESSAGES))
@pytest.mark.parametrize("channel", ["email", "sms"])
def test_every_message_that_names_a_session_says_09_00(kind: str, channel: str, world: World):
    day_of = {s.pk: day for s, (day, _) in zip(world.sessions, SERIES, strict=True)}
    messages = list(Message.objects.filter(kind=kind).select_related("patient", "session"))
    assert messages
    with travel(BOOKED_AT):
        for message in messages:
            days = [day_of[message.session_id]]
            if channel == "sms":
                text = render.render_sms(message)
            else:
                rendered = render.render_email(message)
                text = " ".join([rendered.subject, rendered.text, rendered.html])
                if MESSAGES[kind] == "series":
                    days = [day for day, _ in SERIES]
            text = re.sub(r"\s+", " ", text)
            for day in days:
                assert message_when(day) in text, f"{kind} by {channel}: {day} missing"
            assert "08:00" not in text, around(text, "08:00")


# --- Another clinic, another zone ---------------------------------------------------------


NEW_YORK = ZoneInfo("America/New_York")
# New York springs forward on 14 March 2027: 09:00 EST is 14:00Z, 09:00 EDT is 13:00Z.
NEW_YORK_SERIES = [(dt.date(2027, 3, 1), "EST"), (dt.date(2027, 3, 15), "EDT")]

NEW_YORK_PAGES = [  # (name, who, the URLs and the sessions each shows, how it shows them)
    (
        "course page",
        "staff",
        lambda course, sessions: [
            (reverse("treatments:course", args=[course.public_id]), NEW_YORK_SERIES)
        ],
        staff_when,
    ),
    (
        "session page",
        "staff",
        lambda course, sessions: [
            (reverse("treatments:session", args=[s.public_id]), [shown])
            for s, shown in zip(sessions, NEW_YORK_SERIES, strict=True)
        ],
        staff_when,
    ),
    (
        "portal sessions",
        "patient",
        lambda course, sessions: [(reverse("portal:sessions"), NEW_YORK_SERIES)],
        portal_when,
    ),
]


@pytest.mark.parametrize(
    ("who", "visits", "shows"), [p[1:] for p in NEW_YORK_PAGES], ids=[p[0] for p in NEW_YORK_PAGES]
)
def test_the_clinic_s_zone_is_a_setting_not_london(
    who, visits, shows, settings, clinic, acne_protocol, front_desk_user, practitioner_user
):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    with travel(BOOKED_AT):
        patient = clinic.screened_patient(front_desk_user, email="ny@example.com")
        patient.portal_user = PatientUserFactory(username=patient.email)
        patient.save(update_fields=["portal_user"])
        course = clinic.course(patient, protocol=acne_protocol, by=practitioner_user, sessions=2)
        sessions = services.course_book(
            course=course,
            slots=[
                services.SlotRequest(starts_at=at_nine(day, NEW_YORK), room=clinic.rooms[0])
                for day, _ in NEW_YORK_SERIES
            ],
            by=front_desk_user,
        )
        client = client_for(practitioner_user if who == "staff" else patient.portal_user)
        for url, shown in visits(course, sessions):
            response = client.get(url)
            assert response.status_code == 200, url
            text = page_text(response.content.decode())
            for day, zone in shown:
                for words in shows(day, zone):
                    assert words in text, f"{url}: {words!r} missing"
            for london_or_utc in ("13:00", "14:00"):  # the stored instants in London or UTC
                assert london_or_utc not in text, around(text, london_or_utc)
