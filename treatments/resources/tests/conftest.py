"""The setup tests' clinic: `treatments/conftest.py`'s (a practitioner working Mon-Fri
09:00-17:00 in Europe/London, Rooms A and B, Pen 1), sessions booked on Monday 2 March 2026 at
08:00 UTC, and the manager acting an hour later (`at(NOW)`)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from treatments.scheduling import services as scheduling

LONDON = ZoneInfo("Europe/London")
BOOKED_AT = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)  # Monday 2 March 2026, 08:00 GMT
NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def local(y, m, d, h=0, minute=0):
    """A time on the clinic's clock (a fixed offset at these dates, away from the changes)."""
    return dt.datetime(y, m, d, h, minute, tzinfo=LONDON)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def now():
    with at(NOW):
        yield NOW


@pytest.fixture
def book(clinic, acne_protocol, front_desk_user, practitioner_user):
    """`book(start, ...)`: a screened, consenting patient's course booked at BOOKED_AT, one
    session per start (120 minutes, the acne protocol's), in Room A unless `room` is given."""

    def _book(*starts, first_name="Jane", room=None, device=None, interval_days=28):
        with at(BOOKED_AT):
            patient = clinic.screened_patient(
                front_desk_user, first_name=first_name, last_name="Doe"
            )
            course = clinic.course(
                patient,
                protocol=acne_protocol,
                by=practitioner_user,
                sessions=len(starts),
                interval_days=interval_days,
            )
            slots = [
                scheduling.SlotRequest(starts_at=start, room=room or clinic.rooms[0], device=device)
                for start in starts
            ]
            return scheduling.course_book(course=course, slots=slots, by=front_desk_user)

    return _book
