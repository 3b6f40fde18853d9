"""The screening engine's clinic policy, the wording of its messages, and its refusals of bad
input."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patients.screening import (
    ADVISE,
    BLOCKED,
    DEFAULT_POLICY,
    DEFER,
    REVIEW,
    RULE_ORDER,
    RULESET_VERSION,
    Policy,
    format_date,
    screen,
)
from patients.tests.screening_cases import (
    RULE_CASES,
    TODAY,
    clear_answers,
    expected_outcome,
    finding,
    rules,
    run,
)
from patients.vocabulary import AREAS, QUESTIONS, answers_to_json, clean_answers

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
