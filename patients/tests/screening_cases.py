"""Shared answers, runners and per-rule cases for the screening engine tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from patients.screening import (
    ADVISE,
    BLOCKED,
    CLEARED,
    DEFAULT_POLICY,
    DEFER,
    REVIEW,
    Finding,
    Policy,
    Result,
    screen,
)
from patients.vocabulary import QUESTIONS

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
        antiviral_prophylaxis="not_prescribed",
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
    (
        "antiviral_not_taken",
        {"cold_sore_history": True, "antiviral_prophylaxis": "not_taking"},
        {},
        {"hsv_history": REVIEW, "antiviral_not_taken": REVIEW},
    ),
    (
        "antiviral_taken",
        {"cold_sore_history": True, "antiviral_prophylaxis": "taking"},
        {},
        {"hsv_history": REVIEW},
    ),
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
    (
        "cancer_treatment_current",
        {"immunosuppressed": True, "active_cancer_treatment": True},
        {},
        {"cancer_treatment_current": DEFER, "immunosuppressed": REVIEW},
    ),
    (
        "cancer_treatment_without_the_immune_answer",
        {"active_cancer_treatment": True},
        {},
        {"cancer_treatment_current": DEFER, "immunosuppressed": REVIEW},
    ),
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
