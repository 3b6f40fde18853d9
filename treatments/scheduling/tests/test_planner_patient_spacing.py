"""The series planner keeps the minimum interval from the patient's sessions in other courses
on a shared area (issue 10 item 3; clinical-reference §2.1).

No database: plain data in, plain data out.
"""

# ruff: noqa: S101 - pytest reports failures through plain asserts.

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from treatments.scheduling.planner import NoFeasibleSeries
from treatments.scheduling.tests.planner_data import (
    EVERY_DAY_10_TO_4,
    LONDON,
    MONDAY,
    at,
    local_starts,
    plan,
)

JAN = 1


def jan(day: int, hour: int = 10) -> datetime:
    return at(LONDON, date(2026, JAN, day), hour)


@pytest.mark.parametrize(
    ("others", "overrides", "expected_days"),
    [
        pytest.param((), {}, [date(2026, 1, 5)], id="no-other-sessions"),
        pytest.param(
            (jan(5),), {}, [date(2026, 1, 19)], id="same-day-moves-on-by-the-minimum-interval"
        ),
        pytest.param(
            (jan(18),),
            {},
            # 5..31 January are fewer than 14 days from 18 January; 1 February is a Sunday
            [date(2026, 2, 2)],
            id="an-other-session-ahead-pushes-past-it",
        ),
        pytest.param(
            (at(LONDON, date(2025, 12, 22), 10),),
            {},
            [date(2026, 1, 5)],
            id="exactly-the-minimum-before-is-allowed",
        ),
        pytest.param(
            (at(LONDON, date(2025, 12, 23), 10),),
            {},
            [date(2026, 1, 6)],
            id="one-day-short-of-the-minimum-moves-a-day",
        ),
        pytest.param(
            (at(LONDON, date(2026, 3, 30), 10),),
            {},
            [date(2026, 1, 5)],
            id="far-away-sessions-change-nothing",
        ),
        pytest.param(
            (jan(5),),
            {"patient_min_interval_days": 21},
            [date(2026, 1, 26)],
            id="a-stricter-minimum-across-courses",
        ),
        pytest.param(
            (at(LONDON, date(2026, 2, 2), 10),),
            {"sessions": 2},
            # session 1 is 28 days before it; session 2, wanted on 2 February, waits 14 days
            [date(2026, 1, 5), date(2026, 2, 16)],
            id="a-later-session-of-the-series-skips-too-close-dates",
        ),
        pytest.param(
            (jan(5), jan(19)),
            {},
            [date(2026, 2, 2)],
            id="every-other-session-counts",
        ),
    ],
)
def test_no_session_is_proposed_closer_than_the_minimum_to_the_patients_other_sessions(
    others: tuple[datetime, ...], overrides: dict[str, Any], expected_days: list[date]
) -> None:
    arguments: dict[str, Any] = {"sessions": 1, "patient_sessions": others, **overrides}

    chosen = plan(**arguments)

    assert [slot.starts_at.astimezone(LONDON).date() for slot in chosen] == expected_days


def test_other_sessions_keep_the_series_at_its_wall_clock_time() -> None:
    chosen = plan(sessions=2, patient_sessions=(at(LONDON, date(2026, 2, 2), 10),))

    assert local_starts(chosen, LONDON) == [
        (date(2026, 1, 5), time(9)),
        (date(2026, 2, 16), time(9)),
    ]


def test_spacing_from_other_sessions_counts_local_calendar_days() -> None:
    # 00:30 BST on Monday 6 July is still 5 July in UTC: the 14 days run from 6 July.
    just_after_midnight = at(LONDON, date(2026, 7, 6), 0, 30)
    chosen = plan(
        sessions=1,
        working_hours=EVERY_DAY_10_TO_4,
        earliest=date(2026, 7, 6),
        patient_sessions=(just_after_midnight,),
    )

    assert chosen[0].starts_at.astimezone(LONDON).date() == date(2026, 7, 20)


def test_an_impossible_plan_says_the_other_courses_are_in_the_way() -> None:
    with pytest.raises(NoFeasibleSeries, match="at least 14 days from the patient's sessions"):
        plan(sessions=1, patient_sessions=(jan(5),), horizon_days=10)


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"patient_sessions": (datetime(2026, 1, 5, 10),)}, ValueError, "aware"),  # noqa: DTZ001
        ({"patient_sessions": ("2026-01-05",)}, TypeError, "datetime"),
        ({"patient_min_interval_days": 0}, ValueError, "patient_min_interval_days"),
    ],
)
def test_bad_other_sessions_are_refused(
    overrides: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        plan(**overrides)


def test_without_other_sessions_the_plan_is_unchanged() -> None:
    assert plan() == plan(patient_sessions=())
    assert plan()[0].starts_at.astimezone(LONDON).date() == MONDAY
