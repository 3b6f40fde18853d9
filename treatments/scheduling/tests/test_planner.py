"""The series planner, with plain data and no database (house style §3).

Run: ``python -m pytest -p no:django -q treatments/scheduling/tests/test_planner.py``
"""

# ruff: noqa: S101 - pytest reports failures through plain asserts.

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from treatments.scheduling.planner import (
    Interval,
    NoFeasibleSeries,
    Resource,
    Slot,
    WorkingWindow,
    free_starts,
    local_datetime,
    plan_series,
    spacing_violations,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")

WEEKDAYS_9_TO_5 = tuple(WorkingWindow(weekday, time(9), time(17)) for weekday in range(5))
EVERY_DAY_10_TO_4 = tuple(WorkingWindow(weekday, time(10), time(16)) for weekday in range(7))

MONDAY = date(2026, 1, 5)  # a winter Monday in London: GMT, so local 09:00 is 09:00 UTC
FAR_FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


def at(tz: ZoneInfo, day: date, hour: int, minute: int = 0) -> datetime:
    """An existing local wall-clock time, as an aware datetime in ``tz``."""
    found = local_datetime(day, time(hour, minute), tz)
    assert found is not None, f"{day} {hour:02}:{minute:02} does not exist in {tz}"
    return found


def span(tz: ZoneInfo, day: date, start: tuple[int, int], end: tuple[int, int]) -> Interval:
    return Interval(at(tz, day, *start), at(tz, day, *end))


def whole_day(tz: ZoneInfo, day: date) -> Interval:
    return Interval(at(tz, day, 0), at(tz, day + timedelta(days=1), 0))


def plan(**overrides: Any) -> list[Slot]:
    arguments: dict[str, Any] = {
        "tz": LONDON,
        "working_hours": WEEKDAYS_9_TO_5,
        "time_off": (),
        "practitioner_busy": (),
        "rooms": (Resource(1),),
        "devices": (Resource(1),),
        "sessions": 4,
        "interval_days": 28,
        "min_interval_days": 14,
        "minutes": 90,
        "earliest": MONDAY,
    }
    arguments.update(overrides)
    return plan_series(**arguments)


def starts(tz: ZoneInfo, day: date, **overrides: Any) -> list[Slot]:
    arguments: dict[str, Any] = {
        "tz": tz,
        "day_from": day,
        "day_to": day,
        "minutes": 60,
        "working_hours": WEEKDAYS_9_TO_5,
        "time_off": (),
        "practitioner_busy": (),
        "rooms": (Resource(1),),
        "devices": (),
    }
    arguments.update(overrides)
    return free_starts(**arguments)


def local_labels(slots: list[Slot], tz: ZoneInfo) -> list[str]:
    return [slot.starts_at.astimezone(tz).strftime("%H:%M") for slot in slots]


def local_starts(slots: list[Slot], tz: ZoneInfo) -> list[tuple[date, time]]:
    return [
        (slot.starts_at.astimezone(tz).date(), slot.starts_at.astimezone(tz).time())
        for slot in slots
    ]


# --- a simple series -----------------------------------------------------------------------


def test_it_plans_four_sessions_28_days_apart_on_working_days_at_the_same_local_time() -> None:
    slots = plan()

    assert local_starts(slots, LONDON) == [
        (date(2026, 1, 5), time(9)),
        (date(2026, 2, 2), time(9)),
        (date(2026, 3, 2), time(9)),
        (date(2026, 3, 30), time(9)),  # the day after the clocks go forward
    ]
    assert [slot.starts_at.hour for slot in slots] == [9, 9, 9, 8]
    assert all(slot.starts_at.tzinfo is UTC for slot in slots)
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=90) for slot in slots)
    assert {(slot.room_id, slot.device_id) for slot in slots} == {(1, 1)}


def test_a_preferred_date_on_a_weekend_moves_to_the_next_working_day_at_the_same_time() -> None:
    slots = plan(sessions=2, interval_days=26)  # Monday + 26 days is a Saturday

    assert local_starts(slots, LONDON)[1] == (date(2026, 2, 2), time(9))


def test_it_plans_without_devices_when_the_protocol_needs_none() -> None:
    slots = plan(sessions=1, devices=())

    assert slots[0].device_id is None


def test_it_works_on_any_earliest_date_by_starting_at_the_next_working_day() -> None:
    slots = plan(sessions=1, earliest=date(2026, 1, 3))  # a Saturday

    assert local_starts(slots, LONDON) == [(MONDAY, time(9))]


# --- busy people, rooms and devices ----------------------------------------------------------


def test_a_busy_practitioner_pushes_the_session_to_the_next_free_start() -> None:
    second = date(2026, 2, 2)
    slots = plan(sessions=2, practitioner_busy=(span(LONDON, second, (8, 0), (10, 0)),))

    assert local_starts(slots, LONDON)[1] == (second, time(10))


def test_a_busy_practitioner_late_in_the_day_keeps_the_session_at_the_same_time() -> None:
    second = date(2026, 2, 2)
    slots = plan(sessions=2, practitioner_busy=(span(LONDON, second, (12, 0), (17, 0)),))

    assert local_starts(slots, LONDON)[1] == (second, time(9))


def test_on_a_crowded_day_the_free_start_closest_to_the_usual_time_wins() -> None:
    second = date(2026, 2, 2)
    busy = (
        span(LONDON, MONDAY, (9, 0), (11, 0)),  # session 1 lands at 11:00
        span(LONDON, second, (9, 0), (11, 30)),
    )
    slots = plan(sessions=2, practitioner_busy=busy)

    assert local_labels(slots, LONDON) == ["11:00", "11:30"]


def test_when_two_free_starts_are_equally_close_the_earlier_one_wins() -> None:
    second = date(2026, 2, 2)
    busy = (
        span(LONDON, MONDAY, (9, 0), (12, 0)),  # session 1 lands at 12:00
        # 10:30 (ends 12:00) and 13:30 are the free starts nearest to 12:00, both 90 min away.
        span(LONDON, second, (12, 0), (13, 30)),
        span(LONDON, second, (9, 0), (10, 30)),
    )
    slots = plan(sessions=2, minutes=90, practitioner_busy=busy)

    assert local_labels(slots, LONDON) == ["12:00", "10:30"]


def test_a_busy_room_pushes_the_session_when_there_is_no_other_room() -> None:
    second = date(2026, 2, 2)
    room = Resource(1, busy=(span(LONDON, second, (9, 0), (9, 30)),))
    slots = plan(sessions=2, rooms=(room,))

    assert local_starts(slots, LONDON)[1] == (second, time(9, 30))


def test_only_one_room_busy_picks_another_room_at_the_same_time() -> None:
    second = date(2026, 2, 2)
    rooms = (
        Resource(7),
        Resource(2, busy=(span(LONDON, second, (9, 0), (9, 30)),)),
        Resource(5),
    )
    slots = plan(sessions=2, rooms=rooms)

    assert local_starts(slots, LONDON)[1] == (second, time(9))
    assert [slot.room_id for slot in slots] == [2, 5]  # the lowest free id


def test_a_busy_device_pushes_the_session_to_the_next_free_start() -> None:
    second = date(2026, 2, 2)
    device = Resource(1, busy=(span(LONDON, second, (9, 15), (10, 0)),))
    slots = plan(sessions=2, devices=(device,))

    assert local_starts(slots, LONDON)[1] == (second, time(10))


def test_a_device_out_of_service_makes_the_planner_use_another_device() -> None:
    second = date(2026, 2, 2)
    devices = (Resource(1, busy=(whole_day(LONDON, second),)), Resource(2))
    slots = plan(sessions=2, devices=devices)

    assert [(slot.device_id, slot.starts_at.astimezone(LONDON).hour) for slot in slots] == [
        (1, 9),
        (2, 9),
    ]


def test_time_off_skips_days() -> None:
    leave = Interval(at(LONDON, date(2026, 2, 2), 0), at(LONDON, date(2026, 2, 5), 0))
    slots = plan(sessions=3, time_off=(leave,))

    assert local_starts(slots, LONDON) == [
        (MONDAY, time(9)),
        (date(2026, 2, 5), time(9)),  # Thursday, after three days off
        (date(2026, 3, 5), time(9)),  # and the series carries on from there
    ]


def test_time_off_for_part_of_the_day_leaves_the_rest_of_it() -> None:
    slots = starts(LONDON, MONDAY, time_off=(span(LONDON, MONDAY, (9, 0), (16, 0)),))

    assert local_labels(slots, LONDON) == ["16:00"]


def test_several_windows_on_one_day_each_offer_their_own_starts() -> None:
    hours = (WorkingWindow(0, time(9), time(11)), WorkingWindow(0, time(13, 10), time(14, 10)))
    slots = starts(LONDON, MONDAY, working_hours=hours, step_minutes=30)

    assert local_labels(slots, LONDON) == ["09:00", "09:30", "10:00", "13:10"]


def test_a_session_must_fit_inside_one_window_even_when_two_windows_touch() -> None:
    hours = (WorkingWindow(0, time(9), time(12)), WorkingWindow(0, time(12), time(15)))
    slots = starts(LONDON, MONDAY, working_hours=hours, minutes=120, step_minutes=60)

    assert local_labels(slots, LONDON) == ["09:00", "10:00", "12:00", "13:00"]


def test_overlapping_windows_do_not_offer_the_same_start_twice() -> None:
    hours = (WorkingWindow(0, time(9), time(12)), WorkingWindow(0, time(10), time(13)))
    slots = starts(LONDON, MONDAY, working_hours=hours, minutes=60, step_minutes=60)

    assert local_labels(slots, LONDON) == ["09:00", "10:00", "11:00", "12:00"]


# --- back to back ----------------------------------------------------------------------------


def test_back_to_back_intervals_do_not_overlap() -> None:
    first = span(LONDON, MONDAY, (9, 0), (10, 0))
    second = span(LONDON, MONDAY, (10, 0), (11, 0))

    assert not first.overlaps(second)
    assert not second.overlaps(first)
    assert first.overlaps(span(LONDON, MONDAY, (9, 59), (10, 30)))
    assert first.overlaps(first)


def test_intervals_compare_instants_not_wall_clocks_across_zones() -> None:
    summer = date(2026, 7, 1)
    in_london = span(LONDON, summer, (10, 0), (11, 0))  # 09:00-10:00 UTC
    in_utc = Interval(
        datetime(2026, 7, 1, 10, 30, tzinfo=UTC), datetime(2026, 7, 1, 11, 0, tzinfo=UTC)
    )

    assert not in_london.overlaps(in_utc)
    assert in_london.end == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def test_intervals_in_the_fold_compare_as_instants() -> None:
    fall_back = date(2026, 10, 25)  # London: 02:00 BST becomes 01:00 GMT
    first_one_thirty = datetime.combine(fall_back, time(1, 30), tzinfo=LONDON)  # 00:30 UTC
    second_one_fifteen = datetime.combine(fall_back, time(1, 15, fold=1), tzinfo=LONDON)

    # By the wall clock 01:15 is before 01:30; as instants it is 45 minutes after.
    crossing = Interval(first_one_thirty, second_one_fifteen)

    assert crossing.end - crossing.start == timedelta(minutes=45)
    assert crossing.overlaps(
        Interval(second_one_fifteen - timedelta(minutes=1), second_one_fifteen)
    )


def test_an_empty_interval_overlaps_nothing() -> None:
    instant = at(LONDON, MONDAY, 10)

    assert not Interval(instant, instant).overlaps(span(LONDON, MONDAY, (9, 0), (11, 0)))


def test_a_session_may_start_exactly_when_a_busy_interval_ends() -> None:
    busy = (span(LONDON, MONDAY, (8, 0), (9, 30)),)
    slots = plan(sessions=1, practitioner_busy=busy, rooms=(Resource(1, busy=busy),))

    assert local_labels(slots, LONDON) == ["09:30"]


def test_a_session_may_end_exactly_when_a_busy_interval_starts() -> None:
    busy = (span(LONDON, MONDAY, (10, 30), (17, 0)),)
    slots = plan(sessions=1, minutes=90, practitioner_busy=busy, devices=(Resource(1, busy=busy),))

    assert local_labels(slots, LONDON) == ["09:00"]


def test_a_session_may_end_exactly_when_the_working_window_closes() -> None:
    slots = starts(LONDON, MONDAY, minutes=90)

    assert local_labels(slots, LONDON)[-1] == "15:30"


# --- daylight saving -------------------------------------------------------------------------

SERIES_ACROSS_DST = [
    # zone, first Sunday, spring-forward Sunday, fall-back Sunday, UTC hour of 10:00 winter, summer
    pytest.param(
        LONDON, date(2026, 3, 22), date(2026, 3, 29), date(2026, 10, 25), (10, 9), id="London"
    ),
    pytest.param(
        NEW_YORK, date(2026, 3, 1), date(2026, 3, 8), date(2026, 11, 1), (15, 14), id="New_York"
    ),
]


@pytest.mark.parametrize(("tz", "first", "spring", "fall", "utc_hours"), SERIES_ACROSS_DST)
def test_a_weekly_series_across_spring_forward_and_fall_back_keeps_10_00_local_time(
    tz: ZoneInfo, first: date, spring: date, fall: date, utc_hours: tuple[int, int]
) -> None:
    last = fall + timedelta(days=7)
    sessions = (last - first).days // 7 + 1
    slots = plan(
        tz=tz,
        working_hours=EVERY_DAY_10_TO_4,
        sessions=sessions,
        interval_days=7,
        min_interval_days=7,
        earliest=first,
    )

    dates = [slot.starts_at.astimezone(tz).date() for slot in slots]
    assert dates == [first + timedelta(weeks=n) for n in range(sessions)]
    assert {spring, fall} <= set(dates)
    assert {slot.starts_at.astimezone(tz).time() for slot in slots} == {time(10)}
    by_date = dict(zip(dates, slots, strict=True))
    winter, summer = utc_hours
    assert by_date[first].starts_at.hour == winter
    assert by_date[spring].starts_at.hour == summer  # the clocks went forward that night
    assert by_date[fall].starts_at.hour == winter  # and back again
    assert by_date[last].starts_at.hour == winter
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=90) for slot in slots)


def test_a_monthly_series_keeps_its_local_time_while_the_utc_hour_changes() -> None:
    slots = plan(
        tz=NEW_YORK,
        working_hours=EVERY_DAY_10_TO_4,
        sessions=4,
        earliest=date(2026, 2, 15),
    )

    assert local_labels(slots, NEW_YORK) == ["10:00"] * 4
    assert [slot.starts_at.hour for slot in slots] == [15, 14, 14, 14]


def test_an_evening_series_counts_days_by_the_local_date_not_the_utc_date() -> None:
    evenings = tuple(WorkingWindow(weekday, time(18), time(22)) for weekday in range(7))
    # 20:00 in New York is already tomorrow in UTC; the series still runs 28 local days apart.
    busy_until_eight = span(NEW_YORK, date(2026, 3, 1), (18, 0), (20, 0))
    slots = plan(
        tz=NEW_YORK,
        working_hours=evenings,
        sessions=3,
        minutes=60,
        earliest=date(2026, 3, 1),
        practitioner_busy=(busy_until_eight,),
    )

    assert local_starts(slots, NEW_YORK) == [
        (date(2026, 3, 1), time(20)),
        (date(2026, 3, 29), time(20)),
        (date(2026, 4, 26), time(20)),
    ]
    assert [slot.starts_at.date() for slot in slots] == [
        date(2026, 3, 2),
        date(2026, 3, 30),
        date(2026, 4, 27),
    ]


@pytest.mark.parametrize(
    ("tz", "day", "label"),
    [
        pytest.param(LONDON, date(2026, 3, 29), time(1, 30), id="London"),
        pytest.param(NEW_YORK, date(2026, 3, 8), time(2, 30), id="New_York"),
    ],
)
def test_local_datetime_returns_none_inside_the_spring_forward_gap(
    tz: ZoneInfo, day: date, label: time
) -> None:
    assert local_datetime(day, label, tz) is None
    assert local_datetime(day - timedelta(days=1), label, tz) is not None


@pytest.mark.parametrize(
    ("tz", "day", "first_occurrence"),
    [
        pytest.param(
            LONDON, date(2026, 10, 25), datetime(2026, 10, 25, 0, 30, tzinfo=UTC), id="London"
        ),
        pytest.param(
            NEW_YORK, date(2026, 11, 1), datetime(2026, 11, 1, 5, 30, tzinfo=UTC), id="New_York"
        ),
    ],
)
def test_local_datetime_picks_the_first_occurrence_in_the_fall_back_fold(
    tz: ZoneInfo, day: date, first_occurrence: datetime
) -> None:
    found = local_datetime(day, time(1, 30), tz)

    assert found is not None
    assert found.astimezone(UTC) == first_occurrence
    assert found.astimezone(UTC).astimezone(tz).fold == 0  # not the second 01:30
    assert (found.hour, found.minute) == (1, 30)


def test_local_datetime_ignores_a_fold_flag_on_the_time_it_is_given() -> None:
    found = local_datetime(date(2026, 10, 25), time(1, 30, fold=1), LONDON)

    assert found is not None
    assert found.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_local_datetime_refuses_an_aware_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_datetime(MONDAY, time(9, tzinfo=UTC), LONDON)


NIGHT = (time(0), time(4))
TRANSITION_NIGHTS = [
    # zone, day, the local labels a 60-minute session may start at between 00:00 and 04:00
    pytest.param(
        LONDON,
        date(2026, 3, 29),
        ["00:00", "00:15", "00:30", "00:45", "02:00", "02:15", "02:30", "02:45", "03:00"],
        id="London-spring",
    ),
    pytest.param(
        LONDON,
        date(2026, 10, 25),
        [f"{h:02}:{m:02}" for h in range(3) for m in (0, 15, 30, 45)] + ["03:00"],
        id="London-fall",
    ),
    pytest.param(
        NEW_YORK,
        date(2026, 3, 8),
        [f"{h:02}:{m:02}" for h in range(2) for m in (0, 15, 30, 45)] + ["03:00"],
        id="New_York-spring",
    ),
    pytest.param(
        NEW_YORK,
        date(2026, 11, 1),
        [f"{h:02}:{m:02}" for h in range(3) for m in (0, 15, 30, 45)] + ["03:00"],
        id="New_York-fall",
    ),
]


@pytest.mark.parametrize(("tz", "day", "labels"), TRANSITION_NIGHTS)
def test_working_hours_across_a_clock_change_offer_each_existing_time_once(
    tz: ZoneInfo, day: date, labels: list[str]
) -> None:
    hours = (WorkingWindow(day.weekday(), *NIGHT),)
    slots = starts(tz, day, working_hours=hours, minutes=60)

    assert local_labels(slots, tz) == labels
    instants = [slot.starts_at for slot in slots]
    assert instants == sorted(set(instants))
    for slot in slots:
        local = slot.starts_at.astimezone(tz)
        assert local.fold == 0  # never the second run of a repeated hour
        exists = local_datetime(day, local.time(), tz)
        assert exists is not None
        assert exists.astimezone(UTC) == slot.starts_at
        assert slot.ends_at - slot.starts_at == timedelta(minutes=60)  # real elapsed time
    # The window closes when the clock first shows 04:00.
    assert slots[-1].ends_at == at(tz, day, 4)


def test_a_session_across_the_fold_lasts_its_real_length_not_its_wall_clock_length() -> None:
    fall_back = date(2026, 10, 25)
    hours = (WorkingWindow(fall_back.weekday(), *NIGHT),)
    slots = starts(LONDON, fall_back, working_hours=hours, minutes=60)

    one_thirty = next(s for s in slots if s.starts_at.astimezone(LONDON).time() == time(1, 30))
    assert one_thirty.starts_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert one_thirty.ends_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 again, GMT
    assert one_thirty.ends_at.astimezone(LONDON).strftime("%H:%M%z") == "01:30+0000"


def test_a_window_that_closes_inside_the_gap_closes_when_the_clock_jumps() -> None:
    spring = date(2026, 3, 29)  # London: 01:00 GMT becomes 02:00 BST
    hours = (WorkingWindow(spring.weekday(), time(0), time(1, 30)),)
    slots = starts(LONDON, spring, working_hours=hours, minutes=30)

    assert local_labels(slots, LONDON) == ["00:00", "00:15", "00:30"]
    assert slots[-1].ends_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_window_that_opens_inside_the_gap_opens_when_the_clock_jumps() -> None:
    spring = date(2026, 3, 29)
    hours = (WorkingWindow(spring.weekday(), time(1, 30), time(3, 0)),)
    slots = starts(LONDON, spring, working_hours=hours, minutes=30)

    assert local_labels(slots, LONDON) == ["02:00", "02:15", "02:30"]
    assert slots[0].starts_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_window_spanning_the_fold_is_worked_without_a_break() -> None:
    fall_back = date(2026, 10, 25)  # London: 02:00 BST becomes 01:00 GMT
    hours = (WorkingWindow(fall_back.weekday(), time(1, 30), time(2, 30)),)
    slots = starts(LONDON, fall_back, working_hours=hours, minutes=120, step_minutes=30)

    # From the first 01:30 to 02:30 GMT is two real hours, so one 120-minute session fits.
    assert [(s.starts_at, s.ends_at) for s in slots] == [
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 2, 30, tzinfo=UTC))
    ]


def test_a_series_whose_usual_time_does_not_exist_one_day_takes_the_nearest_time() -> None:
    spring = date(2026, 3, 29)
    hours = tuple(WorkingWindow(weekday, time(0), time(4)) for weekday in range(7))
    slots = plan(
        working_hours=hours,
        sessions=2,
        minutes=30,
        interval_days=7,
        min_interval_days=7,
        earliest=date(2026, 3, 22),
        practitioner_busy=(span(LONDON, date(2026, 3, 22), (0, 0), (1, 30)),),
    )

    # 01:30 does not exist on the 29th: 02:00 is 30 wall-clock minutes away, 00:45 is 45.
    assert local_starts(slots, LONDON) == [(date(2026, 3, 22), time(1, 30)), (spring, time(2))]


# --- minimum interval ------------------------------------------------------------------------


def test_spacing_violations_finds_sessions_that_are_too_close() -> None:
    series = [
        at(LONDON, date(2026, 3, 1), 10),
        at(LONDON, date(2026, 3, 15), 10),  # 14 days: fine
        at(LONDON, date(2026, 3, 28), 10),  # 13 days: too close
        at(LONDON, date(2026, 4, 30), 10),
        at(LONDON, date(2026, 4, 30), 15),  # the same day
    ]

    assert spacing_violations(series, tz=LONDON, min_interval_days=14) == [2, 4]
    assert spacing_violations(series[:2], tz=LONDON, min_interval_days=14) == []
    assert spacing_violations([], tz=LONDON, min_interval_days=14) == []


def test_spacing_violations_reports_indexes_of_the_sessions_in_time_order() -> None:
    shuffled = [
        at(LONDON, date(2026, 3, 20), 10),
        at(LONDON, date(2026, 3, 1), 10),
        at(LONDON, date(2026, 3, 10), 10),
    ]

    assert spacing_violations(shuffled, tz=LONDON, min_interval_days=14) == [1, 2]


def test_spacing_is_counted_in_local_calendar_days_not_utc_days() -> None:
    evening = at(NEW_YORK, date(2026, 3, 1), 20)  # already 2 March in UTC
    morning = at(NEW_YORK, date(2026, 3, 15), 8)  # after the clocks went forward

    assert evening.astimezone(UTC).date() == date(2026, 3, 2)
    assert spacing_violations([evening, morning], tz=NEW_YORK, min_interval_days=14) == []
    assert spacing_violations([evening, morning], tz=UTC_ZONE, min_interval_days=14) == [1]


def test_spacing_violations_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        spacing_violations(
            [datetime(2026, 3, 1, 10), datetime(2026, 3, 2, 10)],  # noqa: DTZ001 - the point
            tz=LONDON,
            min_interval_days=14,
        )


def test_a_fully_booked_preferred_date_moves_the_session_later_never_earlier() -> None:
    preferred = date(2026, 1, 19)  # Monday + 14 days
    slots = plan(
        sessions=2,
        interval_days=14,
        min_interval_days=14,
        practitioner_busy=(whole_day(LONDON, preferred),),
    )

    assert local_starts(slots, LONDON) == [(MONDAY, time(9)), (date(2026, 1, 20), time(9))]
    assert spacing_violations([s.starts_at for s in slots], tz=LONDON, min_interval_days=14) == []


def test_plan_series_never_proposes_sessions_closer_than_the_minimum_interval() -> None:
    busy = tuple(whole_day(LONDON, MONDAY + timedelta(days=n)) for n in range(14, 40, 2))
    slots = plan(sessions=5, interval_days=14, min_interval_days=14, practitioner_busy=busy)

    assert spacing_violations([s.starts_at for s in slots], tz=LONDON, min_interval_days=14) == []
    local_dates = [s.starts_at.astimezone(LONDON).date() for s in slots]
    assert all((b - a).days >= 14 for a, b in zip(local_dates, local_dates[1:], strict=False))


# --- arguments and impossible plans ----------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"sessions": 0}, id="no sessions"),
        pytest.param({"minutes": 0}, id="zero minutes"),
        pytest.param({"minutes": -30}, id="negative minutes"),
        pytest.param({"interval_days": 10, "min_interval_days": 14}, id="interval below minimum"),
        pytest.param({"interval_days": 0, "min_interval_days": 0}, id="zero minimum interval"),
        pytest.param({"step_minutes": 0}, id="zero step"),
        pytest.param({"horizon_days": 0}, id="zero horizon"),
        pytest.param({"not_before": datetime(2026, 1, 5, 9)}, id="naive not_before"),  # noqa: DTZ001
    ],
)
def test_plan_series_rejects_invalid_arguments(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        plan(**overrides)


def test_free_starts_rejects_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        starts(LONDON, MONDAY, minutes=0)
    with pytest.raises(ValueError):
        starts(LONDON, MONDAY, step_minutes=-15)
    with pytest.raises(ValueError):
        starts(LONDON, MONDAY, day_to=MONDAY - timedelta(days=1))


def test_the_building_blocks_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        Interval(at(LONDON, MONDAY, 10), at(LONDON, MONDAY, 9))
    with pytest.raises(ValueError):
        Interval(datetime(2026, 1, 5, 9), at(LONDON, MONDAY, 10))  # noqa: DTZ001
    with pytest.raises(ValueError):
        WorkingWindow(0, time(17), time(9))
    with pytest.raises(ValueError):
        WorkingWindow(7, time(9), time(17))
    with pytest.raises(ValueError):
        Slot(at(LONDON, MONDAY, 10), at(LONDON, MONDAY, 10), room_id=1, device_id=None)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        pytest.param({"working_hours": ()}, "no working hours", id="no working hours"),
        pytest.param({"rooms": ()}, "no rooms", id="no rooms"),
        pytest.param(
            {"minutes": 600},
            "session 1 has no free slot within 366 days from 2026-01-05: "
            "a 600-minute session is longer than every working window",
            id="session longer than any window",
        ),
        pytest.param(
            {"devices": (Resource(1, busy=(Interval(at(LONDON, MONDAY, 0), FAR_FUTURE),)),)},
            "session 1 has no free slot within 366 days from 2026-01-05",
            id="the only device out of service",
        ),
    ],
)
def test_an_impossible_plan_raises_no_feasible_series_with_a_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    with pytest.raises(NoFeasibleSeries) as raised:
        plan(**overrides)

    assert raised.value.reason == reason
    assert str(raised.value) == reason


def test_a_later_session_without_room_within_the_horizon_names_that_session() -> None:
    leave = Interval(at(LONDON, date(2026, 3, 1), 0), at(LONDON, date(2026, 6, 1), 0))

    with pytest.raises(NoFeasibleSeries, match="^session 3 has no free slot within 30 days"):
        plan(time_off=(leave,), horizon_days=30)


# --- never the past --------------------------------------------------------------------------


def test_not_before_excludes_starts_in_the_past() -> None:
    now = at(LONDON, MONDAY, 11, 7)
    slots = starts(LONDON, MONDAY, not_before=now)

    assert local_labels(slots, LONDON)[0] == "11:15"
    assert all(slot.starts_at >= now for slot in slots)


def test_not_before_moves_the_whole_series_to_after_now() -> None:
    now = at(LONDON, MONDAY, 11, 7)
    slots = plan(not_before=now, earliest=MONDAY - timedelta(days=30))

    assert local_starts(slots, LONDON)[0] == (MONDAY, time(11, 15))
    assert local_labels(slots, LONDON) == ["11:15"] * 4


def test_not_before_on_a_later_day_starts_the_search_that_day() -> None:
    now = at(LONDON, date(2026, 1, 7), 16, 0)
    slots = plan(sessions=1, not_before=now)

    assert local_starts(slots, LONDON) == [(date(2026, 1, 8), time(9))]


# --- properties ------------------------------------------------------------------------------

ZONES = (LONDON, NEW_YORK, UTC_ZONE)
TRANSITIONS = (date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1))
FIVE_MINUTES = timedelta(minutes=5)


@functools.cache
def _clock(tz_key: str, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """(instant, wall clock) for every UTC minute around ``day``: a brute-force reference."""
    tz = ZoneInfo(tz_key)
    first = datetime.combine(day, time(), tzinfo=UTC) - timedelta(hours=14)
    instants = (first + timedelta(minutes=n) for n in range(52 * 60))
    return tuple((u, u.astimezone(tz).replace(tzinfo=None)) for u in instants)


@functools.cache
def _first_shown(tz: ZoneInfo, day: date, label: time) -> tuple[datetime, bool]:
    """The first instant the clock on ``day`` shows ``label`` or later, and whether exactly."""
    wall = datetime.combine(day, label)
    for instant, shown in _clock(tz.key, day):
        if shown >= wall:
            return instant, shown == wall
    raise AssertionError("the reference clock is too short")


@functools.cache
def _existing_labels(tz_key: str, day: date) -> dict[datetime, datetime]:
    """Each wall-clock minute shown on ``day`` -> the first instant it is shown."""
    labels: dict[datetime, datetime] = {}
    for instant, shown in _clock(tz_key, day):
        if shown.date() == day:
            labels.setdefault(shown, instant)
    return labels


def _overlap(a_start: datetime, a_end: datetime, b: Interval) -> bool:
    return (
        a_start.timestamp() < b.end.timestamp()
        and b.start.timestamp() < a_end.timestamp()
        and b.start != b.end
    )


@dataclass
class Scenario:
    tz: ZoneInfo
    working_hours: tuple[WorkingWindow, ...]
    time_off: tuple[Interval, ...]
    practitioner_busy: tuple[Interval, ...]
    rooms: tuple[Resource, ...]
    devices: tuple[Resource, ...]
    minutes: int
    step_minutes: int
    not_before: datetime | None
    first_day: date

    def common(self) -> dict[str, Any]:
        return {
            "tz": self.tz,
            "working_hours": self.working_hours,
            "time_off": self.time_off,
            "practitioner_busy": self.practitioner_busy,
            "rooms": self.rooms,
            "devices": self.devices,
            "minutes": self.minutes,
            "step_minutes": self.step_minutes,
            "not_before": self.not_before,
        }

    def window_containing(self, slot: Slot) -> WorkingWindow | None:
        """An independent check that ``slot`` starts on the grid of, and fits in, one window."""
        local = slot.starts_at.astimezone(self.tz)
        day = local.date()
        label = local.replace(tzinfo=None)
        for window in self.working_hours:
            if window.weekday != day.weekday():
                continue
            offset = label - datetime.combine(day, window.start)
            on_grid = offset >= timedelta(0) and offset % timedelta(minutes=self.step_minutes) == (
                timedelta(0)
            )
            opens, _ = _first_shown(self.tz, day, window.start)
            closes, _ = _first_shown(self.tz, day, window.end)
            if on_grid and opens <= slot.starts_at and slot.ends_at <= closes:
                return window
        return None

    def assert_valid(self, slot: Slot) -> None:
        start, end = slot.starts_at, slot.ends_at
        assert start.utcoffset() == timedelta(0)
        assert end - start == timedelta(minutes=self.minutes)
        local = start.astimezone(self.tz)
        assert local.fold == 0, "a repeated wall-clock time is offered at its first occurrence"
        assert _existing_labels(self.tz.key, local.date()).get(local.replace(tzinfo=None)) == start
        assert self.window_containing(slot) is not None
        if self.not_before is not None:
            assert start >= self.not_before
        for busy in (*self.time_off, *self.practitioner_busy):
            assert not _overlap(start, end, busy)
        for resources, chosen in ((self.rooms, slot.room_id), (self.devices, slot.device_id)):
            if not resources:
                assert chosen is None
                continue
            free = [r.id for r in resources if not any(_overlap(start, end, b) for b in r.busy)]
            assert chosen == min(free)


def _quarter(n: int) -> time:
    return time(n // 4, n % 4 * 15)


@st.composite
def _windows(draw: st.DrawFn, first_day: date) -> tuple[WorkingWindow, ...]:
    windows = []
    weekdays = draw(st.sets(st.integers(0, 6), max_size=7)) | {first_day.weekday()}
    for weekday in sorted(weekdays):
        for _ in range(draw(st.integers(1, 2))):
            # Half the windows sit in the small hours, where the clocks change.
            first = draw(st.one_of(st.integers(0, 16), st.integers(0, 23 * 4 - 1)))
            last = min(first + draw(st.integers(2, 40)), 24 * 4 - 1)
            start = _quarter(first)
            if draw(st.booleans()):
                start = start.replace(minute=start.minute + 5)  # a grid not on the quarter hour
            if start < _quarter(last):
                windows.append(WorkingWindow(weekday, start, _quarter(last)))
    if not windows:
        windows.append(WorkingWindow(0, time(9), time(17)))
    return tuple(windows)


def _intervals(base: datetime, within_minutes: int, max_size: int, longest: int) -> Any:
    one = st.builds(
        lambda offset, length: Interval(
            base + offset * FIVE_MINUTES, base + (offset + length) * FIVE_MINUTES
        ),
        # Often near the start, where the first sessions land; sometimes anywhere.
        st.one_of(
            st.integers(0, min(within_minutes, 4 * 24 * 60) // 5),
            st.integers(0, within_minutes // 5),
        ),
        st.integers(1, longest // 5),
    )
    return st.lists(one, max_size=max_size).map(tuple)


def _resources(base: datetime, within_minutes: int, min_size: int, max_size: int) -> Any:
    return st.lists(
        _intervals(base, within_minutes, max_size=4, longest=600),
        min_size=min_size,
        max_size=max_size,
    ).map(
        lambda busy_lists: tuple(
            Resource(id=10 * (n + 1), busy=busy) for n, busy in enumerate(busy_lists)
        )
    )


@st.composite
def _scenarios(draw: st.DrawFn, *, days_of_busy: int) -> Scenario:
    tz = draw(st.sampled_from(ZONES))
    first_day = draw(st.sampled_from(TRANSITIONS)) + timedelta(days=draw(st.integers(-9, 3)))
    base = datetime.combine(first_day, time(), tzinfo=UTC) - timedelta(days=1)
    within = days_of_busy * 24 * 60
    not_before = None
    if draw(st.booleans()):
        not_before = base + draw(st.integers(0, 3 * 24 * 60)) * timedelta(minutes=1)
    return Scenario(
        tz=tz,
        working_hours=draw(_windows(first_day)),
        time_off=draw(_intervals(base, within, max_size=2, longest=3 * 24 * 60)),
        practitioner_busy=draw(_intervals(base, within, max_size=10, longest=300)),
        rooms=draw(_resources(base, within, min_size=1, max_size=3)),
        devices=draw(_resources(base, within, min_size=0, max_size=2)),
        minutes=draw(st.integers(1, 36)) * 5,
        step_minutes=draw(st.sampled_from((5, 10, 15, 30))),
        not_before=not_before,
        first_day=first_day,
    )


PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(scenario=_scenarios(days_of_busy=5), days=st.integers(1, 3))
def test_free_starts_are_exactly_the_free_grid_times_that_fit_a_window(
    scenario: Scenario, days: int
) -> None:
    day_to = scenario.first_day + timedelta(days=days - 1)
    slots = free_starts(day_from=scenario.first_day, day_to=day_to, **scenario.common())

    instants = [slot.starts_at for slot in slots]
    event("some free starts" if slots else "no free starts")
    assert instants == sorted(set(instants))
    labels = [slot.starts_at.astimezone(scenario.tz).replace(tzinfo=None) for slot in slots]
    assert len(labels) == len(set(labels)), "a wall-clock time is never offered twice"
    for slot in slots:
        scenario.assert_valid(slot)
        assert scenario.first_day <= slot.starts_at.astimezone(scenario.tz).date() <= day_to

    # And nothing free is missing: brute force over every grid label of every window.
    expected: set[datetime] = set()
    length = timedelta(minutes=scenario.minutes)
    for offset in range(days):
        day = scenario.first_day + timedelta(days=offset)
        shown = _existing_labels(scenario.tz.key, day)
        for window in scenario.working_hours:
            if window.weekday != day.weekday():
                continue
            label = datetime.combine(day, window.start)
            while label < datetime.combine(day, window.end):
                start = shown.get(label)
                label += timedelta(minutes=scenario.step_minutes)
                if start is None:
                    continue
                candidate = Slot(start, start + length, room_id=0, device_id=None)
                if scenario.window_containing(candidate) is None:
                    continue
                if scenario.not_before is not None and start < scenario.not_before:
                    continue
                end = start + length
                if any(
                    _overlap(start, end, b)
                    for b in (*scenario.time_off, *scenario.practitioner_busy)
                ):
                    continue
                if all(any(_overlap(start, end, b) for b in r.busy) for r in scenario.rooms):
                    continue
                if scenario.devices and all(
                    any(_overlap(start, end, b) for b in d.busy) for d in scenario.devices
                ):
                    continue
                expected.add(start)
    assert set(instants) == expected


@PROPERTY_SETTINGS
@given(
    scenario=_scenarios(days_of_busy=70),
    sessions=st.integers(1, 4),
    min_interval_days=st.integers(1, 14),
    extra_interval_days=st.integers(0, 14),
)
def test_a_planned_series_fits_working_hours_avoids_everything_busy_and_is_spaced(
    scenario: Scenario, sessions: int, min_interval_days: int, extra_interval_days: int
) -> None:
    interval_days = min_interval_days + extra_interval_days
    horizon_days = 30
    try:
        slots = plan_series(
            earliest=scenario.first_day,
            sessions=sessions,
            interval_days=interval_days,
            min_interval_days=min_interval_days,
            horizon_days=horizon_days,
            **scenario.common(),
        )
    except NoFeasibleSeries as error:
        assert error.reason.startswith("session ")
        event("no feasible series")
        return
    event("a series was planned")

    assert len(slots) == sessions
    for slot in slots:
        scenario.assert_valid(slot)
    for i, slot in enumerate(slots):
        for other in slots[i + 1 :]:
            assert not slot.interval.overlaps(other.interval)
    local_dates = [slot.starts_at.astimezone(scenario.tz).date() for slot in slots]
    assert all(
        (later - earlier).days >= min_interval_days
        for earlier, later in zip(local_dates, local_dates[1:], strict=False)
    )
    starts_ = [slot.starts_at for slot in slots]
    assert spacing_violations(starts_, tz=scenario.tz, min_interval_days=min_interval_days) == []

    # Session 1 is the earliest free start; each later one is on the first date from its
    # preferred date that has any free start, at the free time nearest session 1's local time.
    first_search_day = scenario.first_day
    if scenario.not_before is not None:
        first_search_day = max(first_search_day, scenario.not_before.astimezone(scenario.tz).date())
    common = scenario.common()
    earliest_free = free_starts(
        day_from=first_search_day,
        day_to=first_search_day + timedelta(days=horizon_days - 1),
        **common,
    )
    assert slots[0] == earliest_free[0]
    usual = slots[0].starts_at.astimezone(scenario.tz).replace(tzinfo=None).time()
    for n in range(1, sessions):
        preferred = local_dates[n - 1] + timedelta(days=interval_days)
        common["practitioner_busy"] = (
            *scenario.practitioner_busy,
            *(slot.interval for slot in slots[:n]),
        )
        day = preferred
        while not (options := free_starts(day_from=day, day_to=day, **common)):
            day += timedelta(days=1)
        assert local_dates[n] == day

        def distance(slot: Slot) -> tuple[timedelta, datetime]:
            wall = slot.starts_at.astimezone(scenario.tz).replace(tzinfo=None)
            return abs(wall - datetime.combine(wall.date(), usual)), slot.starts_at

        assert slots[n] == min(options, key=distance)
