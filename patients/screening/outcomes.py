"""The screening vocabulary of outcomes, the rule codes with their reference rows, the clinic's
policy windows, and the plain results the engine returns."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from patients.vocabulary import FACE_AREAS

RULESET_VERSION: Final = "2026.12-1"

BLOCKED: Final = "blocked"
DEFER: Final = "defer"
REVIEW: Final = "review"
ADVISE: Final = "advise"
CLEARED: Final = "cleared"

# Most severe first. A result takes the outcome of its most severe gating finding.
SEVERITY: Final[Mapping[str, int]] = MappingProxyType({BLOCKED: 0, DEFER: 1, REVIEW: 2, ADVISE: 3})
GATING: Final = (BLOCKED, DEFER, REVIEW)

# Every rule code, in the order of the reference table, with the row it comes from.
# Findings are sorted by severity, then by their position here.
RULE_REFERENCES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "pregnancy": "§1.2 row 1",
        "isotretinoin_current": "§1.2 row 2",
        "isotretinoin_recent": "§1.2 row 3",
        "active_infection": "§1.2 row 4",
        "active_cold_sore": "§1.2 row 5",
        "hsv_history": "§1.2 row 6",
        "antiviral_not_taken": "§1.2 row 6",
        "active_acne": "§1.2 row 7",
        "open_skin": "§1.2 row 8",
        "sunburn_or_tan": "§1.2 row 9",
        "dermatitis_flare": "§1.2 row 10",
        "koebner_history": "§1.2 row 11",
        "skin_cancer_active": "§1.2 row 12",
        "suspicious_lesion": "§1.2 row 12",
        "skin_cancer_treated": "§1.2 row 13",
        "bleeding_disorder": "§1.2 row 14",
        "anticoagulants": "§1.2 row 15",
        "keloid_history": "§1.2 row 16",
        "scleroderma": "§1.2 row 17",
        "autoimmune_disease": "§1.2 row 18",
        "cancer_treatment_current": "§1.2 row 19",
        "immunosuppressed": "§1.2 row 19",
        "diabetes_uncontrolled": "§1.2 row 20",
        "radiation_current": "§1.2 row 21",
        "radiation_past": "§1.2 row 21",
        "metal_allergy": "§1.2 row 22",
        "anaesthetic_allergy": "§1.2 row 23",
        "cardiac_condition": "§1.2 row 24",
        "recent_scar": "§1.2 row 25",
        "recent_injectables": "§1.2 row 26",
        "recent_procedure": "§1.2 row 27",
        "photosensitising_medication": "§1.2 row 29",
        "fitzpatrick_iv_vi": "§1.2 row 30",
        "tattoo_in_area": "§1.2 row 31",
        "age_under_18": "§1.2 row 32",
        "age_under_22": "§1.2 row 32",
        "off_label_area": "§1.1 FDA-authorised indication",
        "eyelids": "§1.2 row 33",
        "unresolved_reaction": "§1.2 row 34",
        "unresolved_reaction_review": "§1.2 row 34",
    }
)
# Deferrals a practitioner may override with a documented reason: only inflamed acne (§1.2
# row 7, "DEFER (clinician may override)"), e.g. a few mild spots, or spots outside the area.
OVERRIDABLE_DEFERS: Final[frozenset[str]] = frozenset({"active_acne"})
RULE_ORDER: Final[tuple[str, ...]] = tuple(RULE_REFERENCES)
RULE_POSITION: Final[Mapping[str, int]] = MappingProxyType(
    {code: i for i, code in enumerate(RULE_ORDER)}
)

# §1.1: the FDA-authorised indications cover the face and the neck.
ON_LABEL_AREAS: Final[frozenset[str]] = FACE_AREAS | {"neck"}

_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_FITZPATRICK: Final[Mapping[str, int]] = MappingProxyType(
    {
        **{roman: n for n, roman in enumerate(("I", "II", "III", "IV", "V", "VI"), start=1)},
        **{str(n): n for n in range(1, 7)},
    }
)


# §1.2: stable history is re-confirmed "every 6–12 months"; a clinic may ask more often.
MAX_HISTORY_VALID_MONTHS: Final = 12


@dataclass(frozen=True)
class Policy:
    """Clinic policy: the windows and choices the reference leaves to the clinic.

    Defaults are the reference's values; the medical director may change them (settings pass
    a dict to :meth:`from_mapping`). Whole numbers are days unless the name says months.

    - ``isotretinoin_review_months``: review while isotretinoin was stopped less than this
      many months ago (§1.2 row 3; the 6 months come from the drug insert, not microneedling
      evidence).
    - ``recent_procedure_defer_days``: defer after a peel, laser, waxing… in the area
      (§1.2 row 27, commonly 1–4 weeks).
    - ``recent_injectables_review_days``: review after filler, toxin or threads in the area
      (§1.2 row 26: no standard exists).
    - ``sunburn_defer_days``: defer after sunburn or a strong tan (§1.2 row 9, 2 weeks).
    - ``active_condition_defer_days``: earliest new date for defers whose end the answers
      cannot tell (infection, cold sore, acne, open skin, flare, current radiotherapy,
      unresolved reaction); the check at that visit asks again.
    - ``minimum_age``: block below this age (§1.2 row 32).
    - ``review_age``: review below this age; SkinPen is authorised for adults 22 or older.
    - ``result_valid_days``: how long a result stays valid (§1.2: answers collected no more
      than 7 days before the session).
    - ``bleeding_disorder_blocks``: §1.2 row 14, "BLOCK … or physician clearance per policy".
    - ``scleroderma_blocks``: §1.2 row 17, "BLOCK or REVIEW"; the summary lists REVIEW.
    - ``anaesthetic_allergy_blocks``: §1.2 row 23, labelled BLOCK, "in practice REVIEW".
    - ``stainless_steel_needles``: §1.2 row 22, metal allergy blocks steel needles and is a
      review for other needle materials.
    - ``off_label_area_review``: §1.1, areas outside the face and neck are off-label and
      need a clinician's confirmation.
    - ``history_valid_months``: how long the stable history of a full intake stands (§1.2:
      "re-confirmed at the start of each series or every 6–12 months"). A course is not
      started, and no answer is carried into a pre-session check, from an older intake.
      At most 12, the reference's longest.
    """

    isotretinoin_review_months: int = 6
    recent_procedure_defer_days: int = 14
    recent_injectables_review_days: int = 14
    sunburn_defer_days: int = 14
    active_condition_defer_days: int = 7
    minimum_age: int = 18
    review_age: int = 22
    result_valid_days: int = 7
    bleeding_disorder_blocks: bool = True
    scleroderma_blocks: bool = False
    anaesthetic_allergy_blocks: bool = False
    stainless_steel_needles: bool = True
    off_label_area_review: bool = True
    history_valid_months: int = 6

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(field.default, bool):
                if type(value) is not bool:
                    raise ValueError(f"Policy {field.name} must be true or false, not {value!r}.")
            elif type(value) is not int or value < 0:
                raise ValueError(f"Policy {field.name} must be a whole number >= 0, not {value!r}.")
        if self.minimum_age > self.review_age:
            raise ValueError("Policy minimum_age cannot be above review_age.")
        if not 1 <= self.history_valid_months <= MAX_HISTORY_VALID_MONTHS:
            raise ValueError(
                "Policy history_valid_months must be from 1 to "
                f"{MAX_HISTORY_VALID_MONTHS}, not {self.history_valid_months!r}."
            )

    def history_current_on(self, taken_on: date, day: date) -> bool:
        """A full intake taken on ``taken_on`` still stands on ``day``: it is at most
        ``history_valid_months`` old (taken on 3 January, it stands until 3 July)."""
        return day <= add_months(taken_on, self.history_valid_months)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Policy:
        """Build a policy from settings: known names override the defaults, unknown fail.

        A misspelt setting must not silently fall back to a default.
        """
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown screening policy settings: {', '.join(unknown)}.")
        return cls(**values)


DEFAULT_POLICY: Final = Policy()


@dataclass(frozen=True)
class Finding:
    """One rule that applies: its stable code, outcome, a sentence to read aloud, and for
    ``defer`` the first date treatment is possible."""

    rule: str
    outcome: str
    message: str
    defer_until: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "outcome": self.outcome,
            "message": self.message,
            "defer_until": self.defer_until.isoformat() if self.defer_until else None,
        }


@dataclass(frozen=True)
class Result:
    """The engine's verdict on one set of answers (DESIGN.md §4.2)."""

    outcome: str
    findings: tuple[Finding, ...]
    ruleset_version: str
    valid_until: date
    defer_until: date | None

    @property
    def cleared_for_treatment(self) -> bool:
        """True only for ``cleared``. A ``review`` result is cleared only by a practitioner's
        sign-off, which is stored outside the engine."""
        return self.outcome == CLEARED

    def is_valid_on(self, day: date) -> bool:
        """The result may be used for a session on ``day`` up to and including
        ``valid_until``."""
        return day <= self.valid_until

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "findings": [finding.to_json() for finding in self.findings],
            "ruleset_version": self.ruleset_version,
            "valid_until": self.valid_until.isoformat(),
            "defer_until": self.defer_until.isoformat() if self.defer_until else None,
        }


def format_date(day: date) -> str:
    """``3 December 2026``: spelled out so nobody misreads day and month; no locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the end of a short month
    (31 August + 6 months = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(born: date, today: date) -> int:
    """Age in whole years on ``today``. Someone born on 29 February turns a year older on
    1 March in years without a 29 February."""
    if born > today:
        raise ValueError("Date of birth is after today.")
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def days_phrase(n: int) -> str:
    if n == 0:
        return "today"
    return "1 day ago" if n == 1 else f"{n} days ago"


def fitzpatrick_type(value: str) -> int:
    try:
        return _FITZPATRICK[value.strip().upper()]
    except KeyError:
        raise ValueError(f"Unknown Fitzpatrick type {value!r}; expected I to VI.") from None
