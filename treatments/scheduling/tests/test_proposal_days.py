"""A proposal reads the calendar on the dates a series is likely to take, and the whole span
only when the search goes beyond them; the series is the same either way (issue 13 item 3)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from treatments.scheduling import planner, services
from treatments.scheduling.models import TimeOff
from treatments.scheduling.tests.factories import protocol
from treatments.scheduling.tests.planner_data import LONDON as PLANNER_LONDON
from treatments.scheduling.tests.planner_data import MONDAY, local_starts, plan, whole_day

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
START = dt.date(2026, 3, 9)  # a Monday


# --- The planner, with plain data -----------------------------------------------------------


def test_the_planner_says_when_its_search_reaches_a_working_day_it_was_not_given() -> None:
    busy = (whole_day(PLANNER_LONDON, MONDAY),)
    with pytest.raises(planner.DayNotKnown) as raised:
        plan(sessions=1, time_off=busy, known_days={MONDAY})
    assert raised.value.day == MONDAY + dt.timedelta(days=1)


def test_days_without_working_hours_need_not_be_known() -> None:
    friday = MONDAY + dt.timedelta(days=4)
    busy = (whole_day(PLANNER_LONDON, friday),)
    next_monday = MONDAY + dt.timedelta(days=7)
    slots = plan(sessions=1, earliest=friday, time_off=busy, known_days={friday, next_monday})
    assert local_starts(slots, PLANNER_LONDON)[0][0] == next_monday


def test_known_days_that_hold_the_series_give_the_series_of_the_whole_calendar() -> None:
    whole = plan(sessions=3)
    days = {slot.starts_at.astimezone(PLANNER_LONDON).date() for slot in whole}
    assert plan(sessions=3, known_days=days) == whole


def test_the_likely_days_grow_by_a_slip_for_each_session() -> None:
    first, second, third = services.likely_days(start=START, sessions=3, interval_days=28)
    slip, more = services.FIRST_SLIP_DAYS, services.SLIP_DAYS
    assert first == (START, START + dt.timedelta(days=slip))
    assert second == (START + dt.timedelta(days=28), START + dt.timedelta(days=28 + slip + more))
    assert third[1] == START + dt.timedelta(days=56 + slip + 2 * more)


def test_likely_days_that_touch_are_one_range() -> None:
    ranges = services.likely_days(start=START, sessions=12, interval_days=14)
    assert all(b[0] > a[1] + dt.timedelta(days=1) for a, b in zip(ranges, ranges[1:], strict=False))


# --- The service, on PostgreSQL -------------------------------------------------------------


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


def proposal(course) -> tuple[list[planner.Slot], int]:
    with CaptureQueriesContext(connection) as queries:
        slots = services.course_proposal(course=course, start=START)
    return slots, len(queries)


@pytest.mark.django_db
def test_a_series_that_slips_past_the_likely_days_is_planned_on_the_whole_calendar(
    frozen_now, clinic, front_desk_user, practitioner_user
):
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(
        patient, protocol=protocol("acne_scars"), by=practitioner_user, sessions=3
    )
    usual, usual_queries = proposal(course)
    assert usual[0].starts_at.astimezone(LONDON).date() == START

    # Away for three weeks from the start: the first session slips far beyond the first
    # likely days, so the proposal reads the whole span (more queries) and finds the day
    # after the leave, then the rest of the series from there.
    back = START + dt.timedelta(days=21)
    TimeOff.objects.create(
        practitioner=clinic.practitioner,
        starts_at=dt.datetime.combine(START, dt.time(0), LONDON),
        ends_at=dt.datetime.combine(back, dt.time(0), LONDON),
        reason="Leave",
    )
    slipped, slipped_queries = proposal(course)
    assert slipped_queries > usual_queries
    assert [s.starts_at.astimezone(LONDON).date() for s in slipped] == [
        back,
        back + dt.timedelta(days=28),
        back + dt.timedelta(days=56),
    ]
