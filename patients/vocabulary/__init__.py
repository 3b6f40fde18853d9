"""The intake vocabulary: the questions a patient answers before microneedling.

This is DESIGN.md §4.1 in code. Each key's meaning comes from the clinical reference §1.2;
which answers expire (must be asked again before every session) comes from the reference's
"Which answers expire" list and the rows marked "Re-ask: Yes".

Pure Python on purpose: no Django, no clock. Callers pass ``today`` in, so the rules can be
tested without a database and give the same answer whenever they run.
"""

from .answers import (
    AnswersInvalid,
    answers_to_json,
    clean_answers,
    clean_areas,
    negative_answers,
)
from .on_the_day import ON_THE_DAY_KEYS, clean_confirmation
from .questions import (
    AREA_LABELS,
    AREAS,
    EXPIRING_KEYS,
    FACE_AREAS,
    GROUPS,
    MAX_DAYS,
    MIN_DATE,
    MISSING,
    NOT_IN_CHECK,
    QUESTIONNAIRE_VERSION,
    QUESTIONS,
    STABLE_KEYS,
    UNKNOWN,
    Kind,
    Question,
)

__all__ = [
    "AREAS",
    "AREA_LABELS",
    "AnswersInvalid",
    "EXPIRING_KEYS",
    "FACE_AREAS",
    "GROUPS",
    "Kind",
    "MAX_DAYS",
    "MIN_DATE",
    "MISSING",
    "NOT_IN_CHECK",
    "ON_THE_DAY_KEYS",
    "QUESTIONNAIRE_VERSION",
    "QUESTIONS",
    "Question",
    "STABLE_KEYS",
    "UNKNOWN",
    "answers_to_json",
    "clean_answers",
    "clean_areas",
    "clean_confirmation",
    "negative_answers",
]
