"""The intake vocabulary: the questions a patient answers before microneedling.

This is DESIGN.md §4.1 in code. Each key's meaning comes from the clinical reference §1.2;
which answers expire (must be asked again before every session) comes from the reference's
"Which answers expire" list and the rows marked "Re-ask: Yes".

Pure Python on purpose: no Django, no clock. Callers pass ``today`` in, so the rules can be
tested without a database and give the same answer whenever they run.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Final, Literal

QUESTIONNAIRE_VERSION: Final = "2026.11"

Kind = Literal["bool", "choice", "date", "int"]

MIN_DATE: Final = date(1900, 1, 1)
MAX_DAYS: Final = 3650

MISSING: Final = "This question must be answered."
UNKNOWN: Final = "Unknown question."
NOT_IN_CHECK: Final = "This question is not part of this check."

GROUPS: Final[tuple[tuple[str, str], ...]] = (
    ("medication", "Pregnancy and medication"),
    ("skin_today", "Your skin today"),
    ("history", "Medical history"),
    ("recent", "Recent procedures"),
)


@dataclass(frozen=True)
class Question:
    """One intake question.

    ``label`` is worded the way a receptionist asks it aloud. ``choices`` holds
    ``(value, label)`` pairs for ``kind == "choice"`` and is empty otherwise. ``expires`` means
    the answer must be collected again before every session (§1.2 "re-ask"). ``nullable``
    means ``None`` is a valid answer ("none" or "not applicable").
    """

    key: str
    kind: Kind
    label: str
    choices: tuple[tuple[str, str], ...]
    expires: bool
    group: str
    nullable: bool = False

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)


def _q(
    key: str,
    kind: Kind,
    label: str,
    *,
    group: str,
    expires: bool,
    choices: tuple[tuple[str, str], ...] = (),
    nullable: bool = False,
) -> Question:
    return Question(
        key=key,
        kind=kind,
        label=label,
        choices=choices,
        expires=expires,
        group=group,
        nullable=nullable,
    )


_IN_AREA = "where we plan to treat"

# Same order as the table in DESIGN.md §4.1, which follows the reference §1.2 rows.
_QUESTION_LIST: Final[tuple[Question, ...]] = (
    _q(
        "pregnant_or_breastfeeding",
        "bool",
        "Are you pregnant or breastfeeding?",
        group="medication",
        expires=True,
    ),
    _q(
        "isotretinoin",
        "choice",
        "Have you ever taken isotretinoin tablets for acne, such as Accutane or Roaccutane?",
        choices=(
            ("never", "No, never"),
            ("current", "Yes, I take it now"),
            ("stopped", "Yes, but I have stopped"),
        ),
        group="medication",
        expires=True,
    ),
    _q(
        "isotretinoin_stopped_on",
        "date",
        "If you have stopped isotretinoin, on what date did you take the last dose?",
        group="medication",
        expires=True,
        nullable=True,
    ),
    _q(
        "active_infection_in_area",
        "bool",
        f"Do you have any skin infection {_IN_AREA}, such as warts, impetigo, "
        "a fungal rash or an infected spot?",
        group="skin_today",
        expires=True,
    ),
    _q(
        "active_cold_sore",
        "bool",
        "Do you have a cold sore at the moment?",
        group="skin_today",
        expires=True,
    ),
    _q(
        "cold_sore_history",
        "bool",
        "Do you get cold sores, or have you had one since your last visit?",
        group="history",
        expires=True,
    ),
    _q(
        "active_acne_in_area",
        "bool",
        f"Do you have inflamed acne {_IN_AREA}: red spots, spots with pus, or cysts?",
        group="skin_today",
        expires=True,
    ),
    _q(
        "open_or_irritated_skin_in_area",
        "bool",
        f"Is the skin {_IN_AREA} broken, cut, sore, or red and irritated today?",
        group="skin_today",
        expires=True,
    ),
    _q(
        "sunburn_or_tan_last_14_days",
        "bool",
        "In the last 2 weeks, have you been sunburnt, or had a strong tan from the sun, "
        "a sunbed, or a spray or cream tan?",
        group="skin_today",
        expires=True,
    ),
    _q(
        "dermatitis_flare_in_area",
        "bool",
        f"Do you have a flare of eczema, psoriasis, rosacea or dermatitis {_IN_AREA}?",
        group="skin_today",
        expires=True,
    ),
    _q(
        "koebner_condition_history",
        "bool",
        "Have you ever had psoriasis, vitiligo or lichen planus, even if it is quiet now?",
        group="history",
        expires=False,
    ),
    _q(
        "new_or_changing_lesion_in_area",
        "bool",
        f"Is there a new or changing mole or spot {_IN_AREA}, or one a doctor has not checked?",
        group="skin_today",
        expires=True,
    ),
    _q(
        "skin_cancer_in_area",
        "choice",
        f"Have you had skin cancer {_IN_AREA}?",
        choices=(
            ("none", "No"),
            ("active", "Yes, and it is still there or still being treated"),
            ("treated", "Yes, in the past, and treatment has finished"),
        ),
        group="history",
        expires=False,
    ),
    _q(
        "bleeding_disorder",
        "bool",
        "Do you have a bleeding or clotting disorder, such as haemophilia or a low platelet count?",
        group="history",
        expires=False,
    ),
    _q(
        "anticoagulants",
        "bool",
        "Do you take blood thinners, such as warfarin, apixaban, rivaroxaban, clopidogrel or "
        "daily aspirin, or take anti-inflammatory painkillers or fish oil regularly?",
        group="medication",
        expires=True,
    ),
    _q(
        "keloid_history",
        "bool",
        "Have you ever had raised, thick scars, called keloid or hypertrophic scars?",
        group="history",
        expires=False,
    ),
    _q(
        "scleroderma",
        "bool",
        "Do you have scleroderma or another collagen vascular disease?",
        group="history",
        expires=False,
    ),
    _q(
        "autoimmune_disease",
        "bool",
        "Do you have an autoimmune disease, such as lupus or rheumatoid arthritis, "
        "or take medicine for one?",
        group="history",
        expires=True,
    ),
    _q(
        "immunosuppressed",
        "bool",
        "Do you have any treatment that weakens the immune system, such as chemotherapy, "
        "high-dose steroids, transplant medicines or biologic injections?",
        group="medication",
        expires=True,
    ),
    _q(
        "diabetes",
        "choice",
        "Do you have diabetes?",
        choices=(
            ("none", "No"),
            ("controlled", "Yes, and it is well controlled"),
            ("uncontrolled", "Yes, and it is not well controlled"),
        ),
        group="history",
        expires=True,
    ),
    _q(
        "radiation_to_area",
        "choice",
        f"Have you had radiotherapy {_IN_AREA}?",
        choices=(
            ("none", "No"),
            ("past", "Yes, in the past"),
            ("current", "Yes, I am having it now"),
        ),
        group="history",
        expires=True,
    ),
    _q(
        "cardiac_condition",
        "bool",
        "Do you have a heart condition, or a pacemaker or other device fitted for your heart?",
        group="history",
        expires=False,
    ),
    _q(
        "metal_allergy",
        "bool",
        "Are you allergic to stainless steel, nickel or any other metal?",
        group="history",
        expires=False,
    ),
    _q(
        "anaesthetic_allergy",
        "bool",
        "Are you allergic to numbing creams or local anaesthetics, such as lidocaine, "
        "prilocaine, tetracaine or benzocaine?",
        group="history",
        expires=False,
    ),
    _q(
        "recent_injectables_in_area_days",
        "int",
        "How many days ago did you last have filler, anti-wrinkle injections or threads "
        f"{_IN_AREA}? Leave it empty if you never have.",
        group="recent",
        expires=True,
        nullable=True,
    ),
    _q(
        "recent_procedure_in_area_days",
        "int",
        "How many days ago did you last have a peel, laser, dermabrasion, waxing or "
        f"hair-removal cream {_IN_AREA}? Leave it empty if you never have.",
        group="recent",
        expires=True,
        nullable=True,
    ),
    _q(
        "scar_or_stretch_marks_under_1_year",
        "bool",
        f"Is there a scar or stretch mark {_IN_AREA} that is less than a year old?",
        group="skin_today",
        expires=False,
    ),
    _q(
        "photosensitising_medication",
        "bool",
        "Do you take any medicine or supplement that makes you burn more easily in the sun, "
        "such as some antibiotics, some water tablets or St John's wort?",
        group="medication",
        expires=True,
    ),
    _q(
        "unresolved_reaction_from_last_session",
        "bool",
        "After your last microneedling session, is there any reaction that has not settled, "
        "such as redness, dark patches, lumps or an infection?",
        group="recent",
        expires=True,
    ),
    _q(
        "tattoo_in_area",
        "bool",
        f"Do you have a tattoo or permanent make-up {_IN_AREA}?",
        group="skin_today",
        expires=False,
    ),
)

QUESTIONS: Final[Mapping[str, Question]] = MappingProxyType({q.key: q for q in _QUESTION_LIST})

EXPIRING_KEYS: Final[frozenset[str]] = frozenset(k for k, q in QUESTIONS.items() if q.expires)
STABLE_KEYS: Final[frozenset[str]] = frozenset(k for k, q in QUESTIONS.items() if not q.expires)

AREAS: Final[tuple[tuple[str, str], ...]] = (
    ("forehead", "Forehead"),
    ("periorbital", "Around the eyes (outside the eye socket rim)"),
    ("eyelids", "Eyelids"),
    ("nose", "Nose"),
    ("cheeks", "Cheeks"),
    ("perioral", "Around the mouth"),
    ("chin", "Chin"),
    ("jawline", "Jawline"),
    ("neck", "Neck"),
    ("decolletage", "Chest (décolletage)"),
    ("hands", "Hands"),
    ("arms", "Arms"),
    ("abdomen", "Abdomen"),
    ("back", "Back"),
    ("buttocks", "Buttocks"),
    ("thighs", "Thighs"),
)
AREA_LABELS: Final[Mapping[str, str]] = MappingProxyType(dict(AREAS))
FACE_AREAS: Final[frozenset[str]] = frozenset(
    {"forehead", "periorbital", "eyelids", "nose", "cheeks", "perioral", "chin", "jawline"}
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
