"""The intake vocabulary: which questions exist, and what counts as an answer. Pure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from patients.vocabulary import (
    AREAS,
    EXPIRING_KEYS,
    FACE_AREAS,
    GROUPS,
    MISSING,
    NOT_IN_CHECK,
    QUESTIONNAIRE_VERSION,
    QUESTIONS,
    STABLE_KEYS,
    UNKNOWN,
    AnswersInvalid,
    answers_to_json,
    clean_answers,
    clean_areas,
)

TODAY = date(2026, 12, 1)

# DESIGN.md §4.1, in its order.
DESIGN_KEYS = [
    "pregnant_or_breastfeeding",
    "isotretinoin",
    "isotretinoin_stopped_on",
    "active_infection_in_area",
    "active_cold_sore",
    "cold_sore_history",
    "antiviral_prophylaxis",  # not in DESIGN.md §4.1: reference §1.2 row 6 ("prophylaxis taken?")
    "active_acne_in_area",
    "open_or_irritated_skin_in_area",
    "sunburn_or_tan_last_14_days",
    "dermatitis_flare_in_area",
    "koebner_condition_history",
    "new_or_changing_lesion_in_area",
    "skin_cancer_in_area",
    "bleeding_disorder",
    "anticoagulants",
    "keloid_history",
    "scleroderma",
    "autoimmune_disease",
    "immunosuppressed",
    "active_cancer_treatment",  # not in DESIGN.md §4.1: reference §1.2 row 19 (defer during it)
    "diabetes",
    "radiation_to_area",
    "cardiac_condition",
    "metal_allergy",
    "anaesthetic_allergy",
    "recent_injectables_in_area_days",
    "recent_procedure_in_area_days",
    "scar_or_stretch_marks_under_1_year",
    "photosensitising_medication",
    "unresolved_reaction_from_last_session",
    "tattoo_in_area",
]

# Reference §1.2: stable history, re-confirmed each series rather than each session.
DESIGN_STABLE_KEYS = {
    "keloid_history",
    "bleeding_disorder",
    "scleroderma",
    "metal_allergy",
    "anaesthetic_allergy",
    "cardiac_condition",
    "koebner_condition_history",
    "skin_cancer_in_area",
    "scar_or_stretch_marks_under_1_year",
    "tattoo_in_area",
}


def raw_answers(**changes: Any) -> dict[str, Any]:
    """A full intake as JSON would bring it: "no" to everything, with ``changes`` applied."""
    answers: dict[str, Any] = {
        key: False for key, question in QUESTIONS.items() if question.kind == "bool"
    }
    answers.update(
        isotretinoin="never",
        isotretinoin_stopped_on=None,
        skin_cancer_in_area="none",
        diabetes="none",
        antiviral_prophylaxis="not_prescribed",
        radiation_to_area="none",
        recent_injectables_in_area_days=None,
        recent_procedure_in_area_days=None,
    )
    answers.update(changes)
    return answers


def errors_for(raw: object, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(AnswersInvalid) as caught:
        clean_answers(raw, today=TODAY, **kwargs)
    return caught.value.errors


# --- the vocabulary itself ------------------------------------------------------------------


def test_the_questionnaire_has_a_version() -> None:
    assert QUESTIONNAIRE_VERSION == "2026.12"


def test_the_vocabulary_has_exactly_the_design_keys_in_order() -> None:
    assert list(QUESTIONS) == DESIGN_KEYS
    assert all(question.key == key for key, question in QUESTIONS.items())


def test_the_answers_that_expire_are_those_the_reference_says_to_ask_again() -> None:
    assert set(DESIGN_KEYS) - DESIGN_STABLE_KEYS == EXPIRING_KEYS
    assert DESIGN_STABLE_KEYS == STABLE_KEYS
    assert not EXPIRING_KEYS & STABLE_KEYS


@pytest.mark.parametrize("key", DESIGN_KEYS)
def test_every_question_is_well_formed(key: str) -> None:
    question = QUESTIONS[key]

    assert question.kind in {"bool", "choice", "date", "int"}
    assert question.group in {code for code, _ in GROUPS}
    assert "?" in question.label
    assert "_" not in question.label
    assert bool(question.choices) is (question.kind == "choice")
    assert question.nullable is (question.kind in {"date", "int"})


def test_every_group_has_questions_and_a_title() -> None:
    assert [code for code, _ in GROUPS] == ["medication", "skin_today", "history", "recent"]
    for code, title in GROUPS:
        assert title
        assert any(question.group == code for question in QUESTIONS.values())


def test_choice_questions_offer_the_design_choices() -> None:
    assert QUESTIONS["isotretinoin"].choice_values == ("never", "current", "stopped")
    assert QUESTIONS["skin_cancer_in_area"].choice_values == ("none", "active", "treated")
    assert QUESTIONS["diabetes"].choice_values == ("none", "controlled", "uncontrolled")
    assert QUESTIONS["radiation_to_area"].choice_values == ("none", "past", "current")


def test_the_areas_are_the_design_codes_in_order() -> None:
    assert [code for code, _ in AREAS] == [
        "forehead",
        "periorbital",
        "eyelids",
        "nose",
        "cheeks",
        "perioral",
        "chin",
        "jawline",
        "neck",
        "decolletage",
        "hands",
        "arms",
        "abdomen",
        "back",
        "buttocks",
        "thighs",
    ]
    assert FACE_AREAS == {
        "forehead",
        "periorbital",
        "eyelids",
        "nose",
        "cheeks",
        "perioral",
        "chin",
        "jawline",
    }


# --- clean_answers: what passes ----------------------------------------------------------


def test_a_full_intake_of_noes_is_clean() -> None:
    assert clean_answers(raw_answers(), today=TODAY) == raw_answers()


def test_dates_come_back_as_dates_and_numbers_as_numbers() -> None:
    raw = raw_answers(
        isotretinoin="stopped",
        isotretinoin_stopped_on="2026-06-03",
        recent_procedure_in_area_days=0,
        recent_injectables_in_area_days=3650,
    )

    cleaned = clean_answers(raw, today=TODAY)

    assert cleaned["isotretinoin_stopped_on"] == date(2026, 6, 3)
    assert cleaned["recent_procedure_in_area_days"] == 0
    assert cleaned["recent_injectables_in_area_days"] == 3650


@pytest.mark.parametrize(
    "stopped_on", ["2026-12-01", "1900-01-01", date(2026, 12, 1), date(2000, 2, 29)]
)
def test_a_stop_date_up_to_today_is_accepted(stopped_on: object) -> None:
    raw = raw_answers(isotretinoin="stopped", isotretinoin_stopped_on=stopped_on)

    cleaned = clean_answers(raw, today=TODAY)

    assert isinstance(cleaned["isotretinoin_stopped_on"], date)


def test_answers_to_json_writes_dates_as_iso_strings() -> None:
    cleaned = clean_answers(
        raw_answers(isotretinoin="stopped", isotretinoin_stopped_on="2026-06-03"), today=TODAY
    )

    stored = answers_to_json(cleaned)

    assert stored["isotretinoin_stopped_on"] == "2026-06-03"
    assert stored["pregnant_or_breastfeeding"] is False
    assert clean_answers(stored, today=TODAY) == cleaned


# --- clean_answers: what fails -----------------------------------------------------------


def test_a_missing_answer_never_counts_as_no() -> None:
    raw = raw_answers()
    del raw["bleeding_disorder"]

    assert errors_for(raw) == {"bleeding_disorder": [MISSING]}
    assert MISSING == "This question must be answered."


def test_a_null_answer_to_a_yes_no_question_is_missing() -> None:
    assert errors_for(raw_answers(anticoagulants=None)) == {"anticoagulants": [MISSING]}


def test_an_unknown_question_is_refused() -> None:
    raw = raw_answers(likes_cats=True)

    assert errors_for(raw) == {"likes_cats": [UNKNOWN]}
    assert UNKNOWN == "Unknown question."


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("pregnant_or_breastfeeding", 1),
        ("pregnant_or_breastfeeding", 0),
        ("pregnant_or_breastfeeding", "yes"),
        ("pregnant_or_breastfeeding", "false"),
        ("pregnant_or_breastfeeding", []),
        ("recent_procedure_in_area_days", 1.5),
        ("recent_procedure_in_area_days", 3.0),
        ("recent_procedure_in_area_days", True),
        ("recent_procedure_in_area_days", "3"),
        ("recent_procedure_in_area_days", -1),
        ("recent_procedure_in_area_days", 3651),
        ("recent_injectables_in_area_days", False),
        ("isotretinoin", "sometimes"),
        ("isotretinoin", "Never"),
        ("isotretinoin", None),
        ("diabetes", True),
        ("radiation_to_area", ["past"]),
        ("skin_cancer_in_area", ""),
    ],
)
def test_answers_of_the_wrong_type_are_refused(key: str, value: object) -> None:
    errors = errors_for(raw_answers(**{key: value}))

    assert list(errors) == [key]


@pytest.mark.parametrize(
    "stopped_on",
    [
        "03/06/2026",
        "2026-6-3",
        "20260603",
        "2026-W23-3",
        "2026-13-01",
        "2026-02-30",
        "2026-06-03T10:00:00",
        20260603,
        datetime(2026, 6, 3, 10, 0),  # refused whatever its zone
        "1899-12-31",
        "2026-12-02",
        date(2027, 1, 1),
    ],
)
def test_a_stop_date_that_is_malformed_future_or_before_1900_is_refused(
    stopped_on: object,
) -> None:
    raw = raw_answers(isotretinoin="stopped", isotretinoin_stopped_on=stopped_on)

    assert list(errors_for(raw)) == ["isotretinoin_stopped_on"]


def test_a_future_date_says_so() -> None:
    raw = raw_answers(isotretinoin="stopped", isotretinoin_stopped_on="2026-12-02")

    assert errors_for(raw) == {"isotretinoin_stopped_on": ["This date cannot be in the future."]}


def test_a_bad_choice_lists_the_choices() -> None:
    assert errors_for(raw_answers(diabetes="borderline")) == {
        "diabetes": ["Choose one of: none, controlled, uncontrolled."]
    }


def test_isotretinoin_stopped_needs_the_stop_date() -> None:
    raw = raw_answers(isotretinoin="stopped", isotretinoin_stopped_on=None)

    assert list(errors_for(raw)) == ["isotretinoin_stopped_on"]


@pytest.mark.parametrize("isotretinoin", ["never", "current"])
def test_a_stop_date_is_refused_unless_isotretinoin_was_stopped(isotretinoin: str) -> None:
    raw = raw_answers(isotretinoin=isotretinoin, isotretinoin_stopped_on="2026-06-03")

    assert errors_for(raw) == {
        "isotretinoin_stopped_on": ["Leave this empty unless isotretinoin was stopped."]
    }


def test_every_problem_is_reported_at_once() -> None:
    raw = raw_answers(
        pregnant_or_breastfeeding="yes",
        diabetes="borderline",
        recent_procedure_in_area_days=1.5,
        isotretinoin="stopped",
        isotretinoin_stopped_on=None,
        likes_cats=True,
    )
    del raw["tattoo_in_area"]

    assert set(errors_for(raw)) == {
        "pregnant_or_breastfeeding",
        "diabetes",
        "recent_procedure_in_area_days",
        "isotretinoin_stopped_on",
        "likes_cats",
        "tattoo_in_area",
    }


@pytest.mark.parametrize("raw", [None, [], "answers", 42, [("pregnant_or_breastfeeding", False)]])
def test_answers_that_are_not_an_object_are_refused(raw: object) -> None:
    errors = errors_for(raw)

    assert list(errors) == ["answers"]


def test_answers_invalid_is_a_value_error_carrying_the_messages() -> None:
    error = AnswersInvalid({"diabetes": ["Choose one."]})

    assert isinstance(error, ValueError)
    assert error.errors == {"diabetes": ["Choose one."]}


# --- the pre-session check: only the answers that expire -------------------------------------


def expiring_answers(**changes: Any) -> dict[str, Any]:
    return {key: value for key, value in raw_answers(**changes).items() if key in EXPIRING_KEYS}


def test_the_pre_session_check_needs_only_the_answers_that_expire() -> None:
    cleaned = clean_answers(expiring_answers(), today=TODAY, keys=EXPIRING_KEYS)

    assert cleaned.keys() == EXPIRING_KEYS


def test_the_pre_session_check_still_needs_every_answer_that_expires() -> None:
    raw = expiring_answers()
    del raw["pregnant_or_breastfeeding"]

    assert errors_for(raw, keys=EXPIRING_KEYS) == {"pregnant_or_breastfeeding": [MISSING]}


def test_the_pre_session_check_refuses_stable_answers_and_unknown_ones() -> None:
    raw = expiring_answers()
    raw.update(keloid_history=True, likes_cats=True)

    assert errors_for(raw, keys=EXPIRING_KEYS) == {
        "keloid_history": [NOT_IN_CHECK],
        "likes_cats": [UNKNOWN],
    }


def test_the_pre_session_check_still_checks_the_isotretinoin_stop_date() -> None:
    raw = expiring_answers(isotretinoin="stopped")

    assert list(errors_for(raw, keys=EXPIRING_KEYS)) == ["isotretinoin_stopped_on"]


@pytest.mark.parametrize(
    "keys",
    [{"pregnant_or_breastfeeding", "shoe_size"}, {"isotretinoin"}, {"isotretinoin_stopped_on"}],
)
def test_asking_for_unknown_or_half_a_pair_of_keys_is_a_programming_error(
    keys: set[str],
) -> None:
    with pytest.raises(ValueError) as caught:
        clean_answers({}, today=TODAY, keys=keys)

    assert not isinstance(caught.value, AnswersInvalid)


# --- clean_areas -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["cheeks"], ["cheeks"]),
        (["neck", "forehead", "cheeks"], ["forehead", "cheeks", "neck"]),
        (["neck", "cheeks", "neck", "cheeks"], ["cheeks", "neck"]),
        (("thighs", "abdomen"), ["abdomen", "thighs"]),
    ],
    ids=["one_area", "put_in_area_order", "duplicates_collapsed", "tuple_accepted"],
)
def test_areas_come_back_unique_and_in_area_order(raw: object, expected: list[str]) -> None:
    assert clean_areas(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [[], None, "cheeks", {"cheeks"}, {"cheeks": True}, ["cheeks", "elbow"], ["cheeks", 1], [None]],
    ids=["empty", "null", "a_string", "a_set", "an_object", "unknown", "a_number", "null_item"],
)
def test_areas_that_are_empty_unknown_or_not_a_list_are_refused(raw: object) -> None:
    with pytest.raises(AnswersInvalid) as caught:
        clean_areas(raw)

    assert list(caught.value.errors) == ["areas"]
    assert caught.value.errors["areas"]


def test_every_unknown_area_is_named() -> None:
    with pytest.raises(AnswersInvalid) as caught:
        clean_areas(["elbow", "cheeks", "knee", "elbow"])

    assert caught.value.errors == {"areas": ["Unknown area: 'elbow'.", "Unknown area: 'knee'."]}
