"""The series planner across daylight-saving changes: gaps, folds and local wall-clock times.

Run: ``python -m pytest -p no:django -q treatments/scheduling/tests/test_planner_dst.py``
"""

# ruff: noqa: S101 - pytest reports failures through plain asserts.

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from treatments.scheduling.planner import (
    WorkingWindow,
    local_datetime,
)
from treatments.scheduling.tests.planner_data import (
    EVERY_DAY_10_TO_4,
    LONDON,
    MONDAY,
    NEW_YORK,
    at,
    local_labels,
    local_starts,
    plan,
    span,
    starts,
)

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
