"""The series planner: the minimum interval, bad arguments, impossible plans and never the past.

Run: ``python -m pytest -p no:django -q treatments/scheduling/tests/test_planner_spacing.py``
"""

# ruff: noqa: S101 - pytest reports failures through plain asserts.

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from treatments.scheduling.planner import (
    Interval,
    NoFeasibleSeries,
    Resource,
    Slot,
    WorkingWindow,
    spacing_violations,
)
from treatments.scheduling.tests.planner_data import (
    FAR_FUTURE,
    LONDON,
    MONDAY,
    NEW_YORK,
    UTC_ZONE,
    at,
    local_labels,
    local_starts,
    plan,
    starts,
    whole_day,
)

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
