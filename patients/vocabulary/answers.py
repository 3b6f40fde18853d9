"""Checking a patient's answers and areas against the questions, and storing them."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from .questions import (
    AREA_LABELS,
    AREAS,
    MAX_DAYS,
    MIN_DATE,
    MISSING,
    NOT_IN_CHECK,
    QUESTIONS,
    UNKNOWN,
    Question,
)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class AnswersInvalid(ValueError):
    """The answers do not fit the vocabulary; ``errors`` maps a field key to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors: dict[str, list[str]] = {key: list(msgs) for key, msgs in errors.items()}
        super().__init__(self.errors)


def _clean_value(question: Question, value: Any, today: date) -> tuple[Any, str | None]:
    """Return ``(cleaned, error)`` for one answer; exactly one of them is meaningful."""
    if value is None:
        return None, None if question.nullable else MISSING
    if question.kind == "bool":
        # 0/1 and "yes"/"no" are refused: a typed bool is the only unambiguous answer.
        if type(value) is not bool:
            return None, "Answer true or false."
        return value, None
    if question.kind == "choice":
        if not isinstance(value, str) or value not in question.choice_values:
            return None, "Choose one of: " + ", ".join(question.choice_values) + "."
        return value, None
    if question.kind == "int":
        if type(value) is not int:
            return None, "Enter a whole number of days."
        if not 0 <= value <= MAX_DAYS:
            return None, f"Enter a number of days from 0 to {MAX_DAYS}."
        return value, None
    # date
    if isinstance(value, datetime):
        return None, "Enter a date as YYYY-MM-DD, without a time."
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return None, "Enter a real date as YYYY-MM-DD."
    else:
        return None, "Enter a date as YYYY-MM-DD."
    if parsed > today:
        return None, "This date cannot be in the future."
    if parsed < MIN_DATE:
        return None, "This date cannot be before 1900."
    return parsed, None


def clean_answers(
    raw: object, *, today: date, keys: Collection[str] | None = None
) -> dict[str, Any]:
    """Validate a JSON-like answers object against the vocabulary (DESIGN.md §4.1).

    Every key in ``keys`` (default: every question) must be present, because a question
    nobody asked must never count as "no"; keys outside ``keys`` are refused. Dates come back
    as ``datetime.date``. ``isotretinoin_stopped_on`` is required when ``isotretinoin`` is
    ``"stopped"`` and must be empty otherwise (§1.2 row 3 needs the stop date). All problems
    are collected and raised together as one :class:`AnswersInvalid`.

    ``keys`` is the pre-session check's subset (``EXPIRING_KEYS``). It must name known
    questions and keep ``isotretinoin`` and its stop date together; anything else is a
    programming error and raises ``ValueError``.
    """
    allowed = frozenset(QUESTIONS if keys is None else keys)
    if not allowed <= QUESTIONS.keys():
        raise ValueError(f"Unknown question keys: {sorted(allowed - QUESTIONS.keys())}")
    if len(allowed & {"isotretinoin", "isotretinoin_stopped_on"}) == 1:
        raise ValueError("isotretinoin and isotretinoin_stopped_on must be asked together.")

    if not isinstance(raw, dict):
        raise AnswersInvalid({"answers": ["Answers must be a JSON object of question: answer."]})

    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key in raw:
        if key not in allowed:
            errors.setdefault(str(key), []).append(NOT_IN_CHECK if key in QUESTIONS else UNKNOWN)
    for key in QUESTIONS:  # vocabulary order, so errors and output read in form order
        if key not in allowed:
            continue
        if key not in raw:
            errors.setdefault(key, []).append(MISSING)
            continue
        value, error = _clean_value(QUESTIONS[key], raw[key], today)
        if error is not None:
            errors.setdefault(key, []).append(error)
        else:
            cleaned[key] = value

    if "isotretinoin" in cleaned and "isotretinoin_stopped_on" in cleaned:
        stopped = cleaned["isotretinoin"] == "stopped"
        stopped_on = cleaned["isotretinoin_stopped_on"]
        if stopped and stopped_on is None:
            errors.setdefault("isotretinoin_stopped_on", []).append(
                "Enter the date of the last dose, because isotretinoin was stopped."
            )
        elif not stopped and stopped_on is not None:
            errors.setdefault("isotretinoin_stopped_on", []).append(
                "Leave this empty unless isotretinoin was stopped."
            )

    if errors:
        raise AnswersInvalid(errors)
    return cleaned


def clean_areas(raw: object) -> list[str]:
    """Validate the planned treatment areas: a non-empty list of known area codes.

    Repeated codes are collapsed; the result is in ``AREAS`` order. Problems are raised as
    ``AnswersInvalid({"areas": [...]})``.
    """
    if not isinstance(raw, list | tuple):
        raise AnswersInvalid({"areas": ["Areas must be a list of area codes."]})
    if not raw:
        raise AnswersInvalid({"areas": ["Choose at least one area to treat."]})
    messages: list[str] = []
    chosen: set[str] = set()
    for item in raw:
        if not isinstance(item, str):
            messages.append("Each area must be an area code (text).")
        elif item not in AREA_LABELS:
            messages.append(f"Unknown area: {item!r}.")
        else:
            chosen.add(item)
    if messages:
        raise AnswersInvalid({"areas": list(dict.fromkeys(messages))})
    return [code for code, _ in AREAS if code in chosen]


def answers_to_json(cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """Turn cleaned answers back into JSON-safe values (dates as ISO strings) for storing."""
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in cleaned.items()
    }


def negative_answers(**changes: Any) -> dict[str, Any]:
    """A full answer set saying "no"/"none" to everything, with `changes` applied.

    For demo data, benchmarks and tests; never a default for a real patient, whose every
    question must be asked.
    """
    answers: dict[str, Any] = {}
    for key, question in QUESTIONS.items():
        if question.kind == "bool":
            answers[key] = False
        elif question.kind == "choice":
            answers[key] = question.choice_values[0]
        else:
            answers[key] = None
    answers.update(changes)
    return answers
