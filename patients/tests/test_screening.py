"""The screening engine, rule by rule, and how findings combine into an outcome (house style §3:
plain data, no database)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from patients.screening import (
    ADVISE,
    BLOCKED,
    CLEARED,
    DEFER,
    REVIEW,
    RULE_ORDER,
    RULE_REFERENCES,
)
from patients.tests.screening_cases import (
    RULE_CASES,
    clear_answers,
    expected_outcome,
    finding,
    rules,
    run,
)


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
