"""The screening engine's time windows: isotretinoin, procedures, injectables, sunburn, age, how
long a result is valid, and the result's defer date."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from patients.screening import (
    BLOCKED,
    DEFER,
    REVIEW,
    add_months,
    age_on,
    format_date,
)
from patients.tests.screening_cases import (
    clear_answers,
    finding,
    rules,
    run,
)

# --- time windows ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stopped_on", "today", "review"),
    [
        (date(2026, 6, 3), date(2026, 12, 2), True),
        (date(2026, 6, 3), date(2026, 12, 3), False),
        (date(2026, 6, 3), date(2026, 12, 4), False),
        (date(2026, 6, 3), date(2026, 6, 3), True),
        # 31 August + 6 months is clamped to the end of February.
        (date(2026, 8, 31), date(2027, 2, 27), True),
        (date(2026, 8, 31), date(2027, 2, 28), False),
        (date(2026, 8, 31), date(2027, 3, 1), False),
        # ... which is the 29th in a leap year.
        (date(2027, 8, 31), date(2028, 2, 28), True),
        (date(2027, 8, 31), date(2028, 2, 29), False),
        (date(2027, 8, 31), date(2028, 3, 1), False),
        # Across the turn of the year, into a 30-day month.
        (date(2026, 12, 31), date(2027, 6, 29), True),
        (date(2026, 12, 31), date(2027, 6, 30), False),
        (date(2026, 12, 31), date(2027, 7, 1), False),
    ],
)
def test_isotretinoin_needs_review_until_six_calendar_months_after_the_last_dose(
    stopped_on: date, today: date, review: bool
) -> None:
    answers = clear_answers(isotretinoin="stopped", isotretinoin_stopped_on=stopped_on)

    result = run(answers=answers, today=today)

    assert rules(result) == ({"isotretinoin_recent": REVIEW} if review else {})


def test_the_isotretinoin_review_says_when_it_stops_being_needed() -> None:
    answers = clear_answers(isotretinoin="stopped", isotretinoin_stopped_on=date(2026, 8, 31))

    message = finding(run(answers=answers), "isotretinoin_recent").message

    assert "31 August 2026" in message
    assert "28 February 2027" in message


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 6, 3), 6, date(2026, 12, 3)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 10, 31), 1, date(2026, 11, 30)),
        (date(2026, 7, 15), 6, date(2027, 1, 15)),
        (date(2026, 1, 31), 12, date(2027, 1, 31)),
        (date(2026, 5, 20), 0, date(2026, 5, 20)),
    ],
)
def test_add_months_keeps_the_day_or_clamps_to_the_month_end(
    day: date, months: int, expected: date
) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("days_ago", "defer_until"),
    [
        (0, date(2026, 12, 15)),
        (12, date(2026, 12, 3)),
        (13, date(2026, 12, 2)),
        (14, None),
        (15, None),
    ],
)
def test_a_recent_procedure_defers_until_fourteen_days_have_passed(
    days_ago: int, defer_until: date | None
) -> None:
    result = run(answers=clear_answers(recent_procedure_in_area_days=days_ago))

    assert result.defer_until == defer_until
    if defer_until is None:
        assert result.findings == ()
    else:
        found = finding(result, "recent_procedure")
        assert (found.outcome, found.defer_until) == (DEFER, defer_until)
        assert format_date(defer_until) in found.message


@pytest.mark.parametrize(("days_ago", "review"), [(0, True), (13, True), (14, False), (15, False)])
def test_recent_injectables_need_review_within_fourteen_days(days_ago: int, review: bool) -> None:
    result = run(answers=clear_answers(recent_injectables_in_area_days=days_ago))

    assert rules(result) == ({"recent_injectables": REVIEW} if review else {})


@pytest.mark.parametrize(
    ("today", "defer_until"),
    [
        (date(2026, 12, 17), date(2026, 12, 31)),
        (date(2026, 12, 18), date(2027, 1, 1)),
        (date(2026, 12, 19), date(2027, 1, 2)),
    ],
)
def test_sunburn_defers_for_fourteen_days_from_today(today: date, defer_until: date) -> None:
    result = run(answers=clear_answers(sunburn_or_tan_last_14_days=True), today=today)

    found = finding(result, "sunburn_or_tan")
    assert found.defer_until == result.defer_until == defer_until
    assert f"Treatment is possible from {format_date(defer_until)}." in found.message


@pytest.mark.parametrize(
    "rule_answer",
    [
        {"active_infection_in_area": True},
        {"active_cold_sore": True},
        {"active_acne_in_area": True},
        {"open_or_irritated_skin_in_area": True},
        {"dermatitis_flare_in_area": True},
        {"radiation_to_area": "current"},
        {"unresolved_reaction_from_last_session": True},
    ],
)
def test_conditions_without_an_end_date_defer_a_week_and_are_asked_again(
    rule_answer: dict[str, Any],
) -> None:
    result = run(answers=clear_answers(**rule_answer))

    (deferral,) = (f for f in result.findings if f.outcome == DEFER)
    assert deferral.defer_until == date(2026, 12, 8)
    assert "8 December 2026" in deferral.message
    assert "ask again" in deferral.message


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (date(2008, 12, 3), date(2026, 12, 2), 17),
        (date(2008, 12, 3), date(2026, 12, 3), 18),
        (date(2008, 12, 3), date(2026, 12, 4), 18),
        # Born on 29 February: a year older on 1 March when there is no 29 February.
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2026, 3, 2), 18),
        (date(2004, 2, 29), date(2028, 2, 28), 23),
        (date(2004, 2, 29), date(2028, 2, 29), 24),
        (date(2004, 2, 29), date(2028, 3, 1), 24),
        (date(2026, 12, 1), date(2026, 12, 1), 0),
    ],
)
def test_age_on_counts_whole_years_from_the_birthday(born: date, today: date, age: int) -> None:
    assert age_on(born, today) == age


def test_age_on_refuses_a_birth_date_after_today() -> None:
    with pytest.raises(ValueError, match="after today"):
        age_on(date(2026, 12, 2), date(2026, 12, 1))


@pytest.mark.parametrize(
    ("born", "today", "expected"),
    [
        (date(2008, 12, 3), date(2026, 12, 2), {"age_under_18": BLOCKED}),
        (date(2008, 12, 3), date(2026, 12, 3), {"age_under_22": REVIEW}),
        (date(2008, 12, 3), date(2026, 12, 4), {"age_under_22": REVIEW}),
        (date(2004, 12, 3), date(2026, 12, 2), {"age_under_22": REVIEW}),
        (date(2004, 12, 3), date(2026, 12, 3), {}),
        (date(2004, 12, 3), date(2026, 12, 4), {}),
        (date(2008, 2, 29), date(2026, 2, 28), {"age_under_18": BLOCKED}),
        (date(2008, 2, 29), date(2026, 3, 1), {"age_under_22": REVIEW}),
        (date(2004, 2, 29), date(2026, 2, 28), {"age_under_22": REVIEW}),
        (date(2004, 2, 29), date(2026, 3, 1), {}),
        (date(2004, 2, 29), date(2026, 3, 2), {}),
    ],
)
def test_age_blocks_under_18_and_needs_review_under_22(
    born: date, today: date, expected: dict[str, str]
) -> None:
    result = run(age=age_on(born, today), today=today)

    assert rules(result) == expected


@pytest.mark.parametrize(
    ("today", "valid_until"),
    [
        (date(2026, 12, 1), date(2026, 12, 8)),
        (date(2026, 12, 28), date(2027, 1, 4)),
        (date(2028, 2, 25), date(2028, 3, 3)),
    ],
)
def test_a_result_is_valid_for_seven_days(today: date, valid_until: date) -> None:
    result = run(today=today)

    assert result.valid_until == valid_until
    assert result.is_valid_on(valid_until - timedelta(days=1)) is True
    assert result.is_valid_on(valid_until) is True
    assert result.is_valid_on(valid_until + timedelta(days=1)) is False


# --- defer_until of the result --------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "defer_until"),
    [
        ({"sunburn_or_tan_last_14_days": True}, date(2026, 12, 15)),
        (
            {"active_infection_in_area": True, "recent_procedure_in_area_days": 2},
            date(2026, 12, 13),
        ),
        (
            {"active_infection_in_area": True, "recent_procedure_in_area_days": 12},
            date(2026, 12, 8),
        ),
        (
            {
                "sunburn_or_tan_last_14_days": True,
                "active_acne_in_area": True,
                "recent_procedure_in_area_days": 10,
                "pregnant_or_breastfeeding": True,
            },
            date(2026, 12, 15),
        ),
        ({"anticoagulants": True}, None),
        ({"pregnant_or_breastfeeding": True}, None),
    ],
    ids=[
        "one_deferral",
        "procedure_later_than_infection",
        "infection_later_than_procedure",
        "three_deferrals_and_a_block",
        "review_only",
        "block_only",
    ],
)
def test_the_result_defers_until_the_latest_deferral(
    changes: dict[str, Any], defer_until: date | None
) -> None:
    result = run(answers=clear_answers(**changes))

    assert result.defer_until == defer_until
    for found in result.findings:
        assert (found.defer_until is not None) is (found.outcome == DEFER)
