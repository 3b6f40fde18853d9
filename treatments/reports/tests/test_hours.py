"""Working hours laid on local dates, as real time (pure: no database, no clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from treatments.reports import hours
from treatments.scheduling.planner import Interval, WorkingWindow, window_span

LONDON = ZoneInfo("Europe/London")
H = dt.timedelta(hours=1)


def at(y, m, d, h=0, minute=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=LONDON)


def worked(first, last, *windows, off=()) -> float:
    calendar = hours.Calendar(first, last, LONDON)
    return hours.total(calendar.working(windows, off)) / H


NIGHT = WorkingWindow(6, dt.time(0), dt.time(4))  # Sundays 00:00-04:00
DAY = WorkingWindow(6, dt.time(9), dt.time(17))  # Sundays 09:00-17:00


def test_a_window_across_the_spring_forward_hour_is_an_hour_shorter_that_day():
    spring = dt.date(2026, 3, 29)
    assert worked(spring, spring, NIGHT) == 3
    assert worked(spring, spring, DAY) == 8


def test_a_window_across_the_fall_back_hour_is_an_hour_longer_that_day():
    autumn = dt.date(2026, 10, 25)
    assert worked(autumn, autumn, NIGHT) == 5
    assert worked(autumn, autumn, DAY) == 8


def test_a_window_ending_inside_the_skipped_hour_ends_when_the_clocks_jump():
    until_0130 = WorkingWindow(6, dt.time(0), dt.time(1, 30))
    assert worked(dt.date(2026, 3, 29), dt.date(2026, 3, 29), until_0130) == 1


def test_only_the_weekdays_of_the_windows_count_and_both_ends_of_the_range_are_included():
    monday = WorkingWindow(0, dt.time(9), dt.time(17))
    assert worked(dt.date(2026, 3, 2), dt.date(2026, 3, 16), monday) == 24  # three Mondays
    assert worked(dt.date(2026, 3, 3), dt.date(2026, 3, 8), monday) == 0


def test_time_off_is_cut_out_of_the_working_hours_once():
    monday = WorkingWindow(0, dt.time(9), dt.time(17))
    off = [
        Interval(at(2026, 3, 2, 8), at(2026, 3, 2, 10)),  # starts before the window
        Interval(at(2026, 3, 2, 9, 30), at(2026, 3, 2, 11)),  # overlaps the first
        Interval(at(2026, 3, 2, 16), at(2026, 3, 3, 9)),  # runs past its end
    ]
    assert worked(dt.date(2026, 3, 2), dt.date(2026, 3, 2), monday, off=off) == 5


def test_merged_joins_overlapping_and_touching_time():
    a = Interval(at(2026, 3, 2, 9), at(2026, 3, 2, 12))
    b = Interval(at(2026, 3, 2, 11), at(2026, 3, 2, 13))
    c = Interval(at(2026, 3, 2, 13), at(2026, 3, 2, 14))
    d = Interval(at(2026, 3, 2, 15), at(2026, 3, 2, 16))
    assert hours.merged([d, c, b, a]) == [Interval(a.start, c.end), d]
    assert hours.total(hours.merged([a, b, c, d])) == 6 * H


def test_every_day_of_a_year_matches_the_planners_own_window_span():
    """The calendar's arithmetic on days the clocks keep is the planner's answer too."""
    first, last = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    windows = [
        WorkingWindow(weekday, start, end)
        for weekday in range(7)
        for start, end in ((dt.time(0), dt.time(4)), (dt.time(1, 30), dt.time(2, 30)),
                           (dt.time(9), dt.time(17, 45)), (dt.time(23), dt.time(23, 59)))
    ]  # fmt: skip
    calendar = hours.Calendar(first, last, LONDON)
    for day in hours.days(first, last):
        for window in windows:
            if window.weekday == day.weekday():
                expected = window_span(day, window, LONDON)
                assert calendar._span(day, window) == expected, (day, window)
