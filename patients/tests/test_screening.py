"""The screening engine, rule by rule, window by window. Pure: no database, no clock."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patients.screening import (
    ADVISE,
    BLOCKED,
    CLEARED,
    DEFAULT_POLICY,
    DEFER,
    REVIEW,
    RULE_ORDER,
    RULE_REFERENCES,
    RULESET_VERSION,
    Finding,
    Policy,
    Result,
    add_months,
    age_on,
    format_date,
    screen,
)
from patients.vocabulary import AREAS, QUESTIONS, answers_to_json, clean_answers

TODAY = date(2026, 12, 1)


def clear_answers(**changes: Any) -> dict[str, Any]:
    """Cleaned answers that say "no" to everything, with ``changes`` applied."""
    answers: dict[str, Any] = {
        key: False for key, question in QUESTIONS.items() if question.kind == "bool"
    }
    answers.update(
        isotretinoin="never",
        isotretinoin_stopped_on=None,
        skin_cancer_in_area="none",
        diabetes="none",
        radiation_to_area="none",
        recent_injectables_in_area_days=None,
        recent_procedure_in_area_days=None,
    )
    assert answers.keys() == QUESTIONS.keys()
    answers.update(changes)
    return answers


def run(
    *,
    answers: dict[str, Any] | None = None,
    areas: tuple[str, ...] = ("cheeks",),
    age: int = 35,
    today: date = TODAY,
    fitzpatrick: str | None = "II",
    policy: Policy = DEFAULT_POLICY,
) -> Result:
    return screen(
        answers=clear_answers() if answers is None else answers,
        areas=areas,
        age=age,
        today=today,
        fitzpatrick=fitzpatrick,
        policy=policy,
    )


def rules(result: Result) -> dict[str, str]:
    return {finding.rule: finding.outcome for finding in result.findings}


def finding(result: Result, rule: str) -> Finding:
    (match,) = (f for f in result.findings if f.rule == rule)
    return match


# --- every rule on its own --------------------------------------------------------------

# (rule, answer changes, other screen() arguments, expected findings)
RULE_CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, str]]] = [
    ("pregnancy", {"pregnant_or_breastfeeding": True}, {}, {"pregnancy": BLOCKED}),
    ("isotretinoin_current", {"isotretinoin": "current"}, {}, {"isotretinoin_current": BLOCKED}),
    (
        "isotretinoin_recent",
        {"isotretinoin": "stopped", "isotretinoin_stopped_on": date(2026, 9, 1)},
        {},
        {"isotretinoin_recent": REVIEW},
    ),
    ("active_infection", {"active_infection_in_area": True}, {}, {"active_infection": DEFER}),
    ("active_cold_sore", {"active_cold_sore": True}, {}, {"active_cold_sore": DEFER}),
    ("hsv_history", {"cold_sore_history": True}, {}, {"hsv_history": REVIEW}),
    ("active_acne", {"active_acne_in_area": True}, {}, {"active_acne": DEFER}),
    ("open_skin", {"open_or_irritated_skin_in_area": True}, {}, {"open_skin": DEFER}),
    ("sunburn_or_tan", {"sunburn_or_tan_last_14_days": True}, {}, {"sunburn_or_tan": DEFER}),
    ("dermatitis_flare", {"dermatitis_flare_in_area": True}, {}, {"dermatitis_flare": DEFER}),
    ("koebner_history", {"koebner_condition_history": True}, {}, {"koebner_history": REVIEW}),
    ("skin_cancer_active", {"skin_cancer_in_area": "active"}, {}, {"skin_cancer_active": BLOCKED}),
    (
        "suspicious_lesion",
        {"new_or_changing_lesion_in_area": True},
        {},
        {"suspicious_lesion": BLOCKED},
    ),
    (
        "skin_cancer_treated",
        {"skin_cancer_in_area": "treated"},
        {},
        {"skin_cancer_treated": REVIEW},
    ),
    ("bleeding_disorder", {"bleeding_disorder": True}, {}, {"bleeding_disorder": BLOCKED}),
    ("anticoagulants", {"anticoagulants": True}, {}, {"anticoagulants": REVIEW}),
    ("keloid_history", {"keloid_history": True}, {}, {"keloid_history": REVIEW}),
    ("scleroderma", {"scleroderma": True}, {}, {"scleroderma": REVIEW}),
    ("autoimmune_disease", {"autoimmune_disease": True}, {}, {"autoimmune_disease": REVIEW}),
    ("immunosuppressed", {"immunosuppressed": True}, {}, {"immunosuppressed": REVIEW}),
    ("diabetes_uncontrolled", {"diabetes": "uncontrolled"}, {}, {"diabetes_uncontrolled": REVIEW}),
    ("radiation_current", {"radiation_to_area": "current"}, {}, {"radiation_current": DEFER}),
    ("radiation_past", {"radiation_to_area": "past"}, {}, {"radiation_past": REVIEW}),
    ("metal_allergy", {"metal_allergy": True}, {}, {"metal_allergy": BLOCKED}),
    ("anaesthetic_allergy", {"anaesthetic_allergy": True}, {}, {"anaesthetic_allergy": REVIEW}),
    ("cardiac_condition", {"cardiac_condition": True}, {}, {"cardiac_condition": REVIEW}),
    ("recent_scar", {"scar_or_stretch_marks_under_1_year": True}, {}, {"recent_scar": REVIEW}),
    (
        "recent_injectables",
        {"recent_injectables_in_area_days": 3},
        {},
        {"recent_injectables": REVIEW},
    ),
    ("recent_procedure", {"recent_procedure_in_area_days": 3}, {}, {"recent_procedure": DEFER}),
    (
        "photosensitising_medication",
        {"photosensitising_medication": True},
        {},
        {"photosensitising_medication": REVIEW},
    ),
    ("fitzpatrick_iv_vi", {}, {"fitzpatrick": "V"}, {"fitzpatrick_iv_vi": ADVISE}),
    ("tattoo_in_area", {"tattoo_in_area": True}, {}, {"tattoo_in_area": ADVISE}),
    ("age_under_18", {}, {"age": 17}, {"age_under_18": BLOCKED}),
    ("age_under_22", {}, {"age": 20}, {"age_under_22": REVIEW}),
    ("off_label_area", {}, {"areas": ("cheeks", "abdomen")}, {"off_label_area": REVIEW}),
    ("eyelids", {}, {"areas": ("eyelids",)}, {"eyelids": BLOCKED}),
    (
        "unresolved_reaction",
        {"unresolved_reaction_from_last_session": True},
        {},
        {"unresolved_reaction": DEFER, "unresolved_reaction_review": REVIEW},
    ),
]


def expected_outcome(outcomes: Any) -> str:
    for outcome in (BLOCKED, DEFER, REVIEW):
        if outcome in outcomes:
            return outcome
    return CLEARED


def test_clear_answers_from_an_adult_for_the_face_are_cleared_with_no_findings() -> None:
    result = run()

    assert result.outcome == CLEARED
    assert result.findings == ()
    assert result.defer_until is None
    assert result.cleared_for_treatment is True


@pytest.mark.parametrize(
    ("changes", "kwargs", "expected"),
    [case[1:] for case in RULE_CASES],
    ids=[case[0] for case in RULE_CASES],
)
def test_each_rule_alone_gives_exactly_its_own_finding(
    changes: dict[str, Any], kwargs: dict[str, Any], expected: dict[str, str]
) -> None:
    result = run(answers=clear_answers(**changes), **kwargs)

    assert rules(result) == expected
    assert result.outcome == expected_outcome(expected.values())


def test_the_rule_cases_cover_every_rule_the_engine_knows() -> None:
    covered = {rule for case in RULE_CASES for rule in case[3]}

    assert covered == set(RULE_ORDER)
    assert all(RULE_REFERENCES[rule].startswith("§1.") for rule in RULE_ORDER)


@pytest.mark.parametrize(
    "changes",
    [
        {"diabetes": "controlled"},
        {"isotretinoin": "stopped", "isotretinoin_stopped_on": date(2025, 1, 1)},
        {"recent_injectables_in_area_days": None, "recent_procedure_in_area_days": None},
        {"recent_injectables_in_area_days": 400, "recent_procedure_in_area_days": 400},
    ],
    ids=["controlled_diabetes", "isotretinoin_long_ago", "no_procedures", "old_procedures"],
)
def test_answers_that_carry_no_risk_give_no_finding(changes: dict[str, Any]) -> None:
    assert run(answers=clear_answers(**changes)).findings == ()


@pytest.mark.parametrize("fitzpatrick", [None, "I", "II", "III", "iii", "3"])
def test_skin_types_i_to_iii_or_unknown_give_no_advice(fitzpatrick: str | None) -> None:
    assert run(fitzpatrick=fitzpatrick).findings == ()


@pytest.mark.parametrize("fitzpatrick", ["IV", "V", "VI", "iv", " vi ", "4", "6"])
def test_skin_types_iv_to_vi_give_advice_only(fitzpatrick: str) -> None:
    result = run(fitzpatrick=fitzpatrick)

    assert rules(result) == {"fitzpatrick_iv_vi": ADVISE}
    assert result.outcome == CLEARED


@pytest.mark.parametrize(
    "areas",
    [("forehead", "periorbital", "nose", "cheeks", "perioral", "chin", "jawline", "neck")],
)
def test_face_and_neck_areas_are_on_label(areas: tuple[str, ...]) -> None:
    assert run(areas=areas).findings == ()


def test_the_off_label_finding_names_the_areas_outside_the_face_and_neck() -> None:
    result = run(areas=("thighs", "cheeks", "decolletage"))

    message = finding(result, "off_label_area").message
    assert "chest (décolletage), thighs" in message
    assert "cheeks" not in message


def test_eyelids_are_blocked_even_when_other_areas_are_fine() -> None:
    result = run(areas=("cheeks", "eyelids", "periorbital"))

    assert rules(result) == {"eyelids": BLOCKED}


# --- outcomes and precedence ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "kwargs", "outcome"),
    [
        (
            {
                "pregnant_or_breastfeeding": True,
                "active_acne_in_area": True,
                "anticoagulants": True,
                "tattoo_in_area": True,
            },
            {},
            BLOCKED,
        ),
        ({"active_acne_in_area": True, "anticoagulants": True}, {"fitzpatrick": "V"}, DEFER),
        ({"anticoagulants": True, "tattoo_in_area": True}, {"fitzpatrick": "V"}, REVIEW),
        ({"tattoo_in_area": True}, {"fitzpatrick": "VI"}, CLEARED),
        ({}, {}, CLEARED),
        ({"metal_allergy": True}, {"age": 20}, BLOCKED),
        ({"sunburn_or_tan_last_14_days": True}, {"areas": ("abdomen",)}, DEFER),
    ],
    ids=[
        "blocked_beats_defer_review_and_advice",
        "defer_beats_review_and_advice",
        "review_beats_advice",
        "advice_only_is_cleared",
        "no_findings_is_cleared",
        "blocked_beats_review",
        "defer_beats_review",
    ],
)
def test_the_most_severe_finding_sets_the_outcome(
    changes: dict[str, Any], kwargs: dict[str, Any], outcome: str
) -> None:
    result = run(answers=clear_answers(**changes), **kwargs)

    assert result.outcome == outcome
    assert result.cleared_for_treatment is (outcome == CLEARED)


def test_findings_come_most_severe_first_then_in_reference_table_order() -> None:
    answers = clear_answers(
        tattoo_in_area=True,
        anticoagulants=True,
        sunburn_or_tan_last_14_days=True,
        pregnant_or_breastfeeding=True,
        cold_sore_history=True,
        active_infection_in_area=True,
    )

    result = run(answers=answers, areas=("eyelids", "cheeks"), fitzpatrick="IV")

    assert [f.rule for f in result.findings] == [
        "pregnancy",
        "eyelids",
        "active_infection",
        "sunburn_or_tan",
        "hsv_history",
        "anticoagulants",
        "fitzpatrick_iv_vi",
        "tattoo_in_area",
    ]


def test_a_review_result_is_not_cleared_for_treatment_without_a_sign_off() -> None:
    result = run(answers=clear_answers(keloid_history=True))

    assert result.outcome == REVIEW
    assert result.cleared_for_treatment is False


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


# --- policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "changes", "kwargs", "expected"),
    [
        (
            {"isotretinoin_review_months": 12},
            {"isotretinoin": "stopped", "isotretinoin_stopped_on": date(2026, 3, 1)},
            {},
            {"isotretinoin_recent": REVIEW},
        ),
        (
            {"isotretinoin_review_months": 3},
            {"isotretinoin": "stopped", "isotretinoin_stopped_on": date(2026, 9, 1)},
            {},
            {},
        ),
        (
            {"recent_procedure_defer_days": 28},
            {"recent_procedure_in_area_days": 20},
            {},
            {"recent_procedure": DEFER},
        ),
        ({"recent_procedure_defer_days": 7}, {"recent_procedure_in_area_days": 7}, {}, {}),
        (
            {"recent_injectables_review_days": 180},
            {"recent_injectables_in_area_days": 90},
            {},
            {"recent_injectables": REVIEW},
        ),
        ({"recent_injectables_review_days": 0}, {"recent_injectables_in_area_days": 0}, {}, {}),
        ({"scleroderma_blocks": True}, {"scleroderma": True}, {}, {"scleroderma": BLOCKED}),
        (
            {"anaesthetic_allergy_blocks": True},
            {"anaesthetic_allergy": True},
            {},
            {"anaesthetic_allergy": BLOCKED},
        ),
        (
            {"bleeding_disorder_blocks": False},
            {"bleeding_disorder": True},
            {},
            {"bleeding_disorder": REVIEW},
        ),
        (
            {"stainless_steel_needles": False},
            {"metal_allergy": True},
            {},
            {"metal_allergy": REVIEW},
        ),
        ({"off_label_area_review": False}, {}, {"areas": ("abdomen", "thighs")}, {}),
        ({"minimum_age": 21}, {}, {"age": 20}, {"age_under_18": BLOCKED}),
        ({"review_age": 25}, {}, {"age": 24}, {"age_under_22": REVIEW}),
        ({"review_age": 18}, {}, {"age": 18}, {}),
    ],
    ids=[
        "longer_isotretinoin_window",
        "shorter_isotretinoin_window",
        "longer_procedure_window",
        "shorter_procedure_window",
        "longer_injectables_window",
        "no_injectables_window",
        "scleroderma_blocks",
        "anaesthetic_allergy_blocks",
        "bleeding_disorder_needs_review_instead",
        "metal_allergy_needs_review_with_other_needles",
        "off_label_areas_not_flagged",
        "higher_minimum_age",
        "higher_review_age",
        "no_review_age",
    ],
)
def test_policy_changes_the_windows_and_the_outcomes(
    policy: dict[str, Any],
    changes: dict[str, Any],
    kwargs: dict[str, Any],
    expected: dict[str, str],
) -> None:
    result = run(answers=clear_answers(**changes), policy=Policy.from_mapping(policy), **kwargs)

    assert rules(result) == expected


@pytest.mark.parametrize(
    ("policy", "changes", "defer_until"),
    [
        ({"sunburn_defer_days": 21}, {"sunburn_or_tan_last_14_days": True}, date(2026, 12, 22)),
        ({"active_condition_defer_days": 3}, {"active_cold_sore": True}, date(2026, 12, 4)),
        (
            {"recent_procedure_defer_days": 28},
            {"recent_procedure_in_area_days": 20},
            date(2026, 12, 9),
        ),
    ],
)
def test_policy_changes_the_deferral_dates(
    policy: dict[str, Any], changes: dict[str, Any], defer_until: date
) -> None:
    result = run(answers=clear_answers(**changes), policy=Policy.from_mapping(policy))

    assert result.defer_until == defer_until


def test_policy_changes_how_long_a_result_is_valid() -> None:
    result = run(policy=Policy(result_valid_days=3))

    assert result.valid_until == date(2026, 12, 4)


def test_policy_from_an_empty_mapping_is_the_default() -> None:
    assert Policy.from_mapping({}) == DEFAULT_POLICY


def test_policy_from_a_mapping_overrides_only_the_named_values() -> None:
    policy = Policy.from_mapping({"scleroderma_blocks": True, "sunburn_defer_days": 21})

    assert policy == replace(DEFAULT_POLICY, scleroderma_blocks=True, sunburn_defer_days=21)


def test_policy_from_a_mapping_rejects_unknown_settings() -> None:
    with pytest.raises(ValueError, match="sunburn_days"):
        Policy.from_mapping({"sunburn_days": 21, "scleroderma_blocks": True})


@pytest.mark.parametrize(
    "values",
    [
        {"sunburn_defer_days": "14"},
        {"sunburn_defer_days": 14.0},
        {"sunburn_defer_days": True},
        {"sunburn_defer_days": -1},
        {"scleroderma_blocks": 1},
        {"scleroderma_blocks": "yes"},
        {"minimum_age": 23, "review_age": 22},
    ],
)
def test_policy_rejects_values_of_the_wrong_kind(values: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Policy"):
        Policy.from_mapping(values)


def test_the_default_policy_uses_the_reference_values() -> None:
    assert DEFAULT_POLICY == Policy(
        isotretinoin_review_months=6,
        recent_procedure_defer_days=14,
        recent_injectables_review_days=14,
        sunburn_defer_days=14,
        active_condition_defer_days=7,
        minimum_age=18,
        review_age=22,
        result_valid_days=7,
        bleeding_disorder_blocks=True,
        scleroderma_blocks=False,
        anaesthetic_allergy_blocks=False,
        stainless_steel_needles=True,
        off_label_area_review=True,
    )


# --- messages ----------------------------------------------------------------------------

# Claims the clinical reference §0 corrects, and words that would bring them back.
FORBIDDEN = (
    "birth defect",
    "teratogen",
    "baby",
    "unborn",
    "foetus",
    "fetus",
    "spread",
    "centuries",
    "sensitive skin",
    "absorption",
    "absorb",
    "at home",
    "home use",
    "alcohol",
)


def every_message() -> list[str]:
    results = [
        run(answers=clear_answers(**changes), **kwargs) for _, changes, kwargs, _ in RULE_CASES
    ]
    everything = clear_answers(
        **{key: True for key, q in QUESTIONS.items() if q.kind == "bool"},
        isotretinoin="current",
        skin_cancer_in_area="treated",
        diabetes="uncontrolled",
        radiation_to_area="past",
        recent_injectables_in_area_days=1,
        recent_procedure_in_area_days=1,
    )
    every_policy_flip = Policy(
        bleeding_disorder_blocks=False,
        scleroderma_blocks=True,
        anaesthetic_allergy_blocks=True,
        stainless_steel_needles=False,
    )
    for policy in (DEFAULT_POLICY, every_policy_flip):
        results.append(
            run(
                answers=everything,
                areas=tuple(code for code, _ in AREAS),
                age=19,
                fitzpatrick="VI",
                policy=policy,
            )
        )
    stopped = clear_answers(isotretinoin="stopped", isotretinoin_stopped_on=date(2026, 11, 1))
    results.append(run(answers=stopped))
    results.append(
        run(answers=clear_answers(radiation_to_area="current", skin_cancer_in_area="active"))
    )
    return [found.message for result in results for found in result.findings]


def test_the_message_scan_sees_every_rule() -> None:
    assert len(every_message()) > len(RULE_ORDER)


@pytest.mark.parametrize("word", FORBIDDEN)
def test_no_message_repeats_a_claim_the_reference_corrects(word: str) -> None:
    offending = [message for message in every_message() if word in message.lower()]

    assert offending == []


def test_every_message_is_a_plain_sentence() -> None:
    for message in every_message():
        assert message[0].isupper(), message
        assert message.endswith("."), message
        assert "_" not in message, message


def test_the_anticoagulant_message_leaves_the_medicine_to_the_prescriber() -> None:
    message = finding(run(answers=clear_answers(anticoagulants=True)), "anticoagulants").message

    assert "prescriber decides" in message
    assert "Do not stop any prescribed medicine" in message


def test_the_pregnancy_message_gives_the_reason_the_reference_gives() -> None:
    message = finding(
        run(answers=clear_answers(pregnant_or_breastfeeding=True)), "pregnancy"
    ).message

    assert "safety has not been established" in message


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 12, 3), "3 December 2026"),
        (date(2027, 1, 1), "1 January 2027"),
        (date(2028, 2, 29), "29 February 2028"),
    ],
)
def test_dates_are_written_out_with_the_month_name(day: date, text: str) -> None:
    assert format_date(day) == text


# --- shape and bad input -----------------------------------------------------------------


def test_a_result_serialises_to_plain_json() -> None:
    answers = clear_answers(sunburn_or_tan_last_14_days=True, tattoo_in_area=True)

    data = run(answers=answers).to_json()

    assert json.loads(json.dumps(data)) == data
    assert data == {
        "outcome": DEFER,
        "findings": [
            {
                "rule": "sunburn_or_tan",
                "outcome": DEFER,
                "message": data["findings"][0]["message"],
                "defer_until": "2026-12-15",
            },
            {
                "rule": "tattoo_in_area",
                "outcome": ADVISE,
                "message": data["findings"][1]["message"],
                "defer_until": None,
            },
        ],
        "ruleset_version": RULESET_VERSION,
        "valid_until": "2026-12-08",
        "defer_until": "2026-12-15",
    }


def test_screening_refuses_answers_with_a_question_missing() -> None:
    answers = clear_answers()
    del answers["pregnant_or_breastfeeding"]

    with pytest.raises(ValueError, match="pregnant_or_breastfeeding"):
        run(answers=answers)


@pytest.mark.parametrize("areas", [(), ("cheeks", "elbow")])
def test_screening_refuses_empty_or_unknown_areas(areas: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="Areas"):
        run(areas=areas)


@pytest.mark.parametrize("age", [-1, 30.5, True])
def test_screening_refuses_an_age_that_is_not_whole_years(age: Any) -> None:
    with pytest.raises(ValueError, match="Age"):
        run(age=age)


def test_screening_refuses_an_unknown_skin_type() -> None:
    with pytest.raises(ValueError, match="Fitzpatrick"):
        run(fitzpatrick="VII")


def test_screening_refuses_a_datetime_for_today() -> None:
    with pytest.raises(TypeError, match="today"):
        run(today=datetime(2026, 12, 1, 9, 0))  # naive on purpose: it is refused


# --- properties over any valid answers ---------------------------------------------------


def answer_strategy() -> st.SearchStrategy[dict[str, Any]]:
    days = st.none() | st.integers(min_value=0, max_value=3650)
    per_key: dict[str, st.SearchStrategy[Any]] = {}
    for key, question in QUESTIONS.items():
        if question.kind == "bool":
            per_key[key] = st.booleans()
        elif question.kind == "choice":
            per_key[key] = st.sampled_from(question.choice_values)
        elif question.kind == "int":
            per_key[key] = days
    per_key["isotretinoin_stopped_on"] = st.dates(min_value=date(1990, 1, 1), max_value=TODAY)

    def fix_isotretinoin(answers: dict[str, Any]) -> dict[str, Any]:
        if answers["isotretinoin"] != "stopped":
            answers["isotretinoin_stopped_on"] = None
        return answers

    return st.fixed_dictionaries(per_key).map(fix_isotretinoin)


area_codes = st.lists(st.sampled_from([code for code, _ in AREAS]), min_size=1, unique=True)
skin_types = st.sampled_from([None, "I", "II", "III", "IV", "V", "VI"])


@given(
    answers=answer_strategy(),
    areas=area_codes,
    age=st.integers(min_value=0, max_value=110),
    fitzpatrick=skin_types,
)
def test_any_valid_answers_give_a_consistent_result(
    answers: dict[str, Any], areas: list[str], age: int, fitzpatrick: str | None
) -> None:
    result = screen(answers=answers, areas=areas, age=age, today=TODAY, fitzpatrick=fitzpatrick)

    outcomes = [f.outcome for f in result.findings]
    assert result.outcome == expected_outcome(outcomes)
    order = [
        ((BLOCKED, DEFER, REVIEW, ADVISE).index(f.outcome), RULE_ORDER.index(f.rule))
        for f in result.findings
    ]
    assert order == sorted(order)
    assert len({f.rule for f in result.findings}) == len(result.findings)
    deferrals = [f.defer_until for f in result.findings if f.outcome == DEFER]
    assert all(d is not None and d > TODAY for d in deferrals)
    assert result.defer_until == max(deferrals, default=None)


@given(answers=answer_strategy())
def test_cleaned_answers_survive_a_round_trip_through_json(answers: dict[str, Any]) -> None:
    stored = json.loads(json.dumps(answers_to_json(answers)))

    assert clean_answers(stored, today=TODAY) == answers
