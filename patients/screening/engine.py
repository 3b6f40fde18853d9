"""`screen()`: the rules applied to one intake, and the most severe finding as the outcome."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from patients.vocabulary import AREA_LABELS, QUESTIONS

from .outcomes import (
    CLEARED,
    DEFAULT_POLICY,
    DEFER,
    GATING,
    RULE_POSITION,
    RULESET_VERSION,
    SEVERITY,
    Policy,
    Result,
)
from .rules import findings as rule_findings


def screen(
    *,
    answers: Mapping[str, Any],
    areas: Collection[str],
    age: int,
    today: date,
    fitzpatrick: str | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> Result:
    """Screen cleaned intake answers for the planned areas (DESIGN.md §4.2, reference §1.2).

    ``answers`` must hold every question of the vocabulary, already cleaned (dates as
    ``date``): a question nobody asked must never count as "no", so a missing key raises
    ``ValueError`` rather than passing. The outcome is the most severe gating finding,
    ``blocked`` > ``defer`` > ``review``; advice alone leaves the result ``cleared``.
    Findings come most severe first, then in reference-table order. The result is valid
    until ``today + policy.result_valid_days``.
    """
    if isinstance(today, datetime):
        raise TypeError("today must be a date, not a datetime.")
    missing = [key for key in QUESTIONS if key not in answers]
    if missing:
        raise ValueError(f"Answers are missing questions: {', '.join(missing)}.")
    unknown_areas = sorted(set(areas) - AREA_LABELS.keys())
    if unknown_areas or not areas:
        raise ValueError(f"Areas must be known area codes and not empty: {unknown_areas}.")
    if type(age) is not int or age < 0:
        raise ValueError(f"Age must be a whole number of years, not {age!r}.")

    findings = sorted(
        rule_findings(
            answers=answers,
            areas=areas,
            age=age,
            today=today,
            fitzpatrick=fitzpatrick,
            policy=policy,
        ),
        key=lambda f: (SEVERITY[f.outcome], RULE_POSITION[f.rule]),
    )
    outcomes = {finding.outcome for finding in findings}
    outcome = next((o for o in GATING if o in outcomes), CLEARED)
    defer_dates = [f.defer_until for f in findings if f.outcome == DEFER and f.defer_until]
    return Result(
        outcome=outcome,
        findings=tuple(findings),
        ruleset_version=RULESET_VERSION,
        valid_until=today + timedelta(days=policy.result_valid_days),
        defer_until=max(defer_dates, default=None),
    )
