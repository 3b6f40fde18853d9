"""The questions, their groups and kinds, which answers expire, and the treatment areas."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final, Literal

QUESTIONNAIRE_VERSION: Final = "2026.12"

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
        "antiviral_prophylaxis",
        "choice",
        "If a prescriber has given you antiviral tablets to prevent cold sores before "
        "treatment, are you taking them as they told you?",
        choices=(
            ("not_prescribed", "No antiviral tablets were prescribed for me"),
            ("taking", "Yes, I am taking them as I was told"),
            ("not_taking", "They were prescribed, but I am not taking them as I was told"),
        ),
        group="medication",
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
        "active_cancer_treatment",
        "bool",
        "Are you having chemotherapy or radiotherapy at the moment, or is a course of either "
        "about to start?",
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
