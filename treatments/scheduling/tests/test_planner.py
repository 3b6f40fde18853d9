"""The series planner, with plain data and no database (house style §3): simple series, busy
people, rooms and devices, back-to-back intervals.

Run: ``python -m pytest -p no:django -q treatments/scheduling/tests/test_planner.py``
"""

# ruff: noqa: S101 - pytest reports failures through plain asserts.

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from treatments.scheduling.planner import (
    Interval,
    Resource,
    WorkingWindow,
)
from treatments.scheduling.tests.planner_data import (
    LONDON,
    MONDAY,
    at,
    local_labels,
    local_starts,
    plan,
    span,
    starts,
    whole_day,
)

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
