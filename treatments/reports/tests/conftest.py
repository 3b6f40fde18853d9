"""A small clinic with known answers, worked out by hand, over two local weeks in London:
Monday 23 March to Sunday 5 April 2026. The clocks go forward at 01:00 GMT on Sunday
29 March (the first week is the daylight-saving week).

Ann Archer (the `practitioner_user`) works Mondays 09:00-17:00 and Sundays 00:00-04:00, and
takes Monday 30 March 13:00-17:00 off: 8 + 3 (the Sunday the clocks go forward loses an
hour) + 4 + 4 (a Sunday of BST) = 19 working hours. Ben Brook works Tuesdays 10:00-14:00:
8 hours. Cy Cole is off the rota (inactive) and counts for nothing. The clinic is open while
either works: 27 hours; Pen 1 is out of service on Tuesday 31 March 10:00-12:00: 25 hours.

Sessions (local times), with the hours that held their slot:

    #0  Ann  Mon  2 Mar 09:00 2h   completed  Room A        C1 (before the range)
    #1  Ann  Mon 23 Mar 09:00 2h   completed  Room A Pen 1  C1
    #2  Ann  Sun 29 Mar 00:30 GMT, 2h of real time (ends 03:30 BST)  no-show  Room A  C3
    #3  Ben  Tue 24 Mar 10:00 1h   cancelled by the clinic    Room A  C4
    #4  Ben  Tue 24 Mar 12:30 1h   cancelled by the patient   Room A  C5
    #5  Ben  Tue 24 Mar 11:00 1.5h completed  Room B Pen 1  C2
    #6  Ann  Mon 30 Mar 09:00 1.5h completed  Room A        C1
    #7  Ann  Mon 30 Mar 11:00 2h   booked     Room B Pen 1  C6
    #8  Ben  Tue 31 Mar 10:00 1h   cancelled by the patient   Room A  C7
    #9  Ann  Sun  5 Apr 01:00 2h   booked     Room A        C3
    #10 Ann  Sun 22 Mar 23:30 GMT 0.5h completed Room A    C8 (the day before the range)
    #11 Ann  Mon  6 Apr 00:30 BST 1h booked   Room A        C9 (5 April in UTC: after it)
    #12 Ann  Mon 30 Mar 00:30 BST 1h cancelled, who asked not recorded  C6
         (23:30 on Sunday 29 March in UTC: the local week of 30 March)
    #13 Ann  Mon 30 Mar 00:30 BST 1h completed Room A       C8

Booked hours: Ann 2+2+1.5+2+2+1 = 10.5 of 19 (55%); Ben 1.5 of 8 (19%); Room A
2+2+1.5+2+1 = 8.5 of 27 (31%); Room B 3.5 of 27 (13%); Pen 1 2+1.5+2 = 5.5 of 25 (22%);
Pen 3 0 of 27 (0%).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from clinic.tests.factories import UserFactory
from patients.tests.factories import PatientFactory
from treatments.messaging.models import Message
from treatments.reports.selectors import Period
from treatments.scheduling.models import Course, DeviceOutage, Practitioner, TimeOff
from treatments.scheduling.tests.factories import (
    CourseFactory,
    DeviceFactory,
    PractitionerFactory,
    RoomFactory,
    SessionFactory,
    WorkingHoursFactory,
)

from .factories import message, screening

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
PERIOD = Period(dt.date(2026, 3, 23), dt.date(2026, 4, 5))
WEEK_1, WEEK_2 = dt.date(2026, 3, 23), dt.date(2026, 3, 30)
NO_CONSENT = "The patient has not agreed to e-mail or SMS."
TOO_LATE = "Too late: the session has already started."


def local(y, m, d, h=0, minute=0) -> dt.datetime:
    """A time on the clinic's clock (never one the clocks skip)."""
    return dt.datetime(y, m, d, h, minute, tzinfo=LONDON)


@dataclass
class Known:
    ann: Practitioner
    ben: Practitioner
    period: Period = PERIOD


@pytest.fixture
def known(practitioner_user, manager_user) -> Known:
    ann = PractitionerFactory(user=practitioner_user, display_name="Ann Archer")
    ben = PractitionerFactory(display_name="Ben Brook")
    cy = PractitionerFactory(display_name="Cy Cole", active=False)
    WorkingHoursFactory(practitioner=ann, weekday=0, start=dt.time(9), end=dt.time(17))
    WorkingHoursFactory(practitioner=ann, weekday=6, start=dt.time(0), end=dt.time(4))
    WorkingHoursFactory(practitioner=ben, weekday=1, start=dt.time(10), end=dt.time(14))
    WorkingHoursFactory(practitioner=cy, weekday=2, start=dt.time(9), end=dt.time(17))
    TimeOff.objects.create(
        practitioner=ann, starts_at=local(2026, 3, 30, 13), ends_at=local(2026, 3, 30, 17)
    )
    room_a, room_b = RoomFactory(name="Room A"), RoomFactory(name="Room B")
    RoomFactory(name="Room C", active=False)
    pen_1 = DeviceFactory(name="Pen 1", serial="SN-1")
    DeviceFactory(name="Pen 2", serial="SN-2", active=False)
    DeviceFactory(name="Pen 3", serial="SN-3")
    DeviceOutage.objects.create(
        device=pen_1, starts_at=local(2026, 3, 31, 10), ends_at=local(2026, 3, 31, 12)
    )

    patients = [PatientFactory(first_name=f"P{n}", last_name="Known") for n in range(10)]

    def course(n, practitioner, **fields) -> Course:
        return CourseFactory(patient=patients[n], practitioner=practitioner, **fields)

    c1 = course(1, ann, planned_sessions=4)
    c2 = course(2, ben, planned_sessions=1, status=Course.Status.COMPLETED)
    c3 = course(3, ann)
    c4 = course(
        4,
        ben,
        status=Course.Status.CANCELLED,
        cancel_reason="Moved away",
        cancel_initiated_by="patient",
        cancelled_at=dt.datetime(2026, 3, 25, 10, tzinfo=UTC),
    )
    c5 = course(
        5,
        ben,
        status=Course.Status.CANCELLED,
        cancel_reason="Changed their mind",
        cancel_initiated_by="patient",
        cancelled_at=dt.datetime(2026, 3, 24, 13, tzinfo=UTC),
    )
    c6, c7, c8, c9 = course(6, ann), course(7, ben), course(8, ann), course(9, ann)

    def session(course, number, starts_at, minutes, status, room=room_a, **fields):
        return SessionFactory(
            course=course,
            number=number,
            starts_at=starts_at,
            minutes=minutes,
            status=status,
            room=room,
            **fields,
        )

    def cancelled(by: str) -> dict:
        return {"cancel_reason": "Test", "cancel_initiated_by": by}

    session(c1, 1, local(2026, 3, 2, 9), 120, "completed")  # 0
    session(c1, 2, local(2026, 3, 23, 9), 120, "completed", device=pen_1)  # 1
    session(c3, 1, dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC), 120, "no_show")  # 2
    session(c4, 1, local(2026, 3, 10, 10), 60, "completed")  # c4's first, before the range
    session(c4, 2, local(2026, 3, 24, 10), 60, "cancelled", **cancelled("clinic"))  # 3
    session(c5, 1, local(2026, 3, 24, 12, 30), 60, "cancelled", **cancelled("patient"))  # 4
    s5 = session(c2, 1, local(2026, 3, 24, 11), 90, "completed", room=room_b, device=pen_1)
    session(c1, 3, local(2026, 3, 30, 9), 90, "completed")  # 6
    s7 = session(c6, 1, local(2026, 3, 30, 11), 120, "booked", room=room_b, device=pen_1)
    s8 = session(c7, 1, local(2026, 3, 31, 10), 60, "cancelled", **cancelled("patient"))
    s9 = session(c3, 2, local(2026, 4, 5, 1), 120, "booked")
    session(c8, 1, local(2026, 3, 22, 23, 30), 30, "completed")  # 10
    s11 = session(c9, 1, local(2026, 4, 6, 0, 30), 60, "booked")
    session(c6, 2, local(2026, 3, 30, 0, 30), 60, "cancelled", **cancelled(""))  # 12
    s13 = session(c8, 2, local(2026, 3, 30, 0, 30), 60, "completed")

    # Screenings: week 1 cleared, review, defer; week 2 blocked (00:30 BST on Monday 30
    # March, Sunday in UTC), cleared, cleared at 23:30 BST on the range's last day; outside:
    # the evening before the range, and 00:30 BST on the day after it.
    screening(patients[1], local(2026, 3, 28, 12), "cleared")
    screening(patients[2], local(2026, 3, 24, 10), "review", "hsv_history")
    screening(patients[3], local(2026, 3, 25, 10), "defer", "active_cold_sore", "hsv_history")
    screening(patients[4], local(2026, 3, 30, 0, 30), "blocked", "pregnancy")
    screening(patients[5], local(2026, 4, 2, 15), "cleared", "tattoo_in_area")
    screening(patients[6], local(2026, 4, 5, 23, 30), "cleared")
    screening(patients[1], local(2026, 3, 22, 23, 30), "cleared", "hsv_history")
    screening(patients[9], local(2026, 4, 6, 0, 30), "blocked", "pregnancy")

    # Messages by when they were due.
    S = Message.Status
    message(s7, "booking_confirmation", S.SENT, local(2026, 3, 23, 12))
    message(s9, "reminder_48h", S.SKIPPED, local(2026, 4, 3, 1), NO_CONSENT)
    message(s9, "reminder_24h", S.SKIPPED, local(2026, 4, 4, 1), NO_CONSENT)
    message(s5, "reminder_24h", S.FAILED, local(2026, 3, 23, 11), "Provider said no")
    message(s5, "aftercare", S.SENT, local(2026, 3, 24, 12, 30))
    message(s8, "reminder_24h", S.CANCELLED, local(2026, 3, 30, 10), "The session was cancelled.")
    message(s11, "booking_confirmation", S.SENT, local(2026, 3, 22, 23, 30))  # before
    message(s13, "checkin_24h", S.PENDING, local(2026, 3, 31, 9))
    message(s5, "reminder_48h", S.SKIPPED, local(2026, 3, 23, 9), TOO_LATE)
    Message.objects.create(
        kind="staff_invite",
        channel="email",
        recipient=UserFactory(username="new-hire"),
        ref="invite-1",
        due_at=local(2026, 3, 25, 9),
    )
    Message.objects.create(
        patient=patients[3],
        kind="practitioner_alert",
        channel="email",
        recipient=practitioner_user,
        ref="flag-1",
        due_at=local(2026, 3, 26, 9),
        status=S.SENT,
        sent_at=local(2026, 3, 26, 9),
    )
    return Known(ann=ann, ben=ben)
