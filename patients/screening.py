"""The screening engine: may this patient be microneedled, and if not, why not.

DESIGN.md §4.2 in code. Every rule comes from a row of the clinical reference's table §1.2
(or §1.1 for off-label areas), and its outcome from the reference's "Clinician-judgement vs
automatic block" summary:

- ``blocked``: the session cannot be booked or performed;
- ``defer``: not before ``defer_until``; the check at the next visit asks again;
- ``review``: a practitioner must sign off with a reason (the sign-off is stored outside
  the engine);
- ``advise``: information for the plan; it never gates a session;
- ``cleared``: no findings, or only advice.

Windows the reference marks [Conv] or [Inference] are clinic policy: they live in
:class:`Policy`, with the reference's values as defaults.

Pure Python on purpose: it takes cleaned answers (see ``patients.vocabulary``), the planned
areas, the patient's age and ``today``, and returns plain data. No Django, no clock.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

from patients.vocabulary import AREA_LABELS, FACE_AREAS, QUESTIONS

RULESET_VERSION: Final = "2026.11-1"

BLOCKED: Final = "blocked"
DEFER: Final = "defer"
REVIEW: Final = "review"
ADVISE: Final = "advise"
CLEARED: Final = "cleared"

# Most severe first. A result takes the outcome of its most severe gating finding.
_SEVERITY: Final[Mapping[str, int]] = MappingProxyType({BLOCKED: 0, DEFER: 1, REVIEW: 2, ADVISE: 3})
_GATING: Final = (BLOCKED, DEFER, REVIEW)

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
RULE_ORDER: Final[tuple[str, ...]] = tuple(RULE_REFERENCES)
_RULE_POSITION: Final[Mapping[str, int]] = MappingProxyType(
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


def _days(n: int) -> str:
    if n == 0:
        return "today"
    return "1 day ago" if n == 1 else f"{n} days ago"


def _fitzpatrick_type(value: str) -> int:
    try:
        return _FITZPATRICK[value.strip().upper()]
    except KeyError:
        raise ValueError(f"Unknown Fitzpatrick type {value!r}; expected I to VI.") from None


def _findings(
    *,
    answers: Mapping[str, Any],
    areas: Collection[str],
    age: int,
    today: date,
    fitzpatrick: str | None,
    policy: Policy,
) -> Iterator[Finding]:
    """Yield every finding, one block per row of the reference table."""

    def review(rule: str, message: str) -> Finding:
        return Finding(rule, REVIEW, message)

    def blocked(rule: str, message: str) -> Finding:
        return Finding(rule, BLOCKED, message)

    def defer(rule: str, message: str, until: date) -> Finding:
        return Finding(
            rule, DEFER, f"{message} Treatment is possible from {format_date(until)}.", until
        )

    # Conditions whose end the answers cannot tell: offer a date, and ask again then.
    recheck = today + timedelta(days=policy.active_condition_defer_days)

    def defer_until_cleared(rule: str, message: str) -> Finding:
        return Finding(
            rule,
            DEFER,
            f"{message} The earliest new date is {format_date(recheck)}, "
            "and we will ask again then.",
            recheck,
        )

    # Row 1.
    if answers["pregnant_or_breastfeeding"]:
        yield blocked(
            "pregnancy",
            "Pregnant or breastfeeding: microneedling is not performed while this applies, "
            "because its safety has not been established.",
        )

    # Rows 2 and 3.
    if answers["isotretinoin"] == "current":
        yield blocked(
            "isotretinoin_current",
            "Taking isotretinoin (such as Accutane or Roaccutane): microneedling is not "
            "performed while it is being taken, because the device maker lists current use "
            "as a reason not to treat.",
        )
    elif answers["isotretinoin"] == "stopped":
        stopped_on: date | None = answers["isotretinoin_stopped_on"]
        months = policy.isotretinoin_review_months
        if stopped_on is None:
            yield review(
                "isotretinoin_recent",
                "Isotretinoin stopped on an unknown date: a practitioner must review before "
                "treatment.",
            )
        elif today < (review_ends := add_months(stopped_on, months)):
            yield review(
                "isotretinoin_recent",
                f"Isotretinoin stopped on {format_date(stopped_on)}, less than {months} "
                "months ago: a practitioner must review before treatment. "
                f"From {format_date(review_ends)} this no longer needs a review.",
            )

    # Row 4.
    if answers["active_infection_in_area"]:
        yield defer_until_cleared(
            "active_infection",
            "Skin infection where we plan to treat: treatment must wait until it has "
            "cleared, because needles can carry germs deeper into the skin.",
        )

    # Rows 5 and 6.
    if answers["active_cold_sore"]:
        yield defer_until_cleared(
            "active_cold_sore",
            "Cold sore at the moment: treatment must wait until it has fully healed, "
            "because needling can carry the virus to nearby skin and cause scarring.",
        )
    if answers["cold_sore_history"]:
        yield review(
            "hsv_history",
            "Gets cold sores: a practitioner must review before treatment, because needling "
            "can bring on a new one. The prescriber decides whether antiviral tablets are "
            "needed beforehand.",
        )

    # Rows 7 to 10.
    if answers["active_acne_in_area"]:
        yield defer_until_cleared(
            "active_acne",
            "Inflamed acne spots where we plan to treat: treatment must wait until the "
            "breakout has calmed down, because the device is not used on inflamed or "
            "irritated skin.",
        )
    if answers["open_or_irritated_skin_in_area"]:
        yield defer_until_cleared(
            "open_skin",
            "Broken, sore or irritated skin where we plan to treat: treatment must wait "
            "until it has healed, because the device must not be used on open or "
            "irritated skin.",
        )
    if answers["sunburn_or_tan_last_14_days"]:
        yield defer(
            "sunburn_or_tan",
            "Sunburn or a strong tan in the last 2 weeks: treatment must wait, because the "
            "skin is irritated and more likely to develop dark patches.",
            today + timedelta(days=policy.sunburn_defer_days),
        )
    if answers["dermatitis_flare_in_area"]:
        yield defer_until_cleared(
            "dermatitis_flare",
            "Eczema, psoriasis, rosacea or dermatitis flaring where we plan to treat: "
            "treatment must wait until the flare has settled, because the skin's barrier "
            "is damaged.",
        )

    # Row 11.
    if answers["koebner_condition_history"]:
        yield review(
            "koebner_history",
            "Has had psoriasis, vitiligo or lichen planus: a practitioner must review before "
            "treatment, because skin injury can bring the condition out at the treated site, "
            "usually 10 to 20 days later.",
        )

    # Rows 12 and 13.
    if answers["skin_cancer_in_area"] == "active":
        yield blocked(
            "skin_cancer_active",
            "Skin cancer where we plan to treat: that area is not treated while the cancer "
            "is there.",
        )
    elif answers["skin_cancer_in_area"] == "treated":
        yield review(
            "skin_cancer_treated",
            "Skin cancer treated in the past where we plan to treat: a practitioner must "
            "review before treatment and may ask the patient's doctor or dermatologist to "
            "confirm it is safe.",
        )
    if answers["new_or_changing_lesion_in_area"]:
        yield blocked(
            "suspicious_lesion",
            "New, changing or unchecked mole or spot where we plan to treat: that area is "
            "not treated until a doctor has checked the spot.",
        )

    # Row 14.
    if answers["bleeding_disorder"]:
        if policy.bleeding_disorder_blocks:
            yield blocked(
                "bleeding_disorder",
                "Bleeding or clotting disorder: microneedling is not performed, because the "
                "device maker lists it as a reason not to treat.",
            )
        else:
            yield review(
                "bleeding_disorder",
                "Bleeding or clotting disorder: a practitioner must review before treatment "
                "and needs written clearance from the patient's doctor.",
            )

    # Row 15.
    if answers["anticoagulants"]:
        yield review(
            "anticoagulants",
            "Takes blood-thinning medicine: a practitioner must review before treatment, "
            "because bleeding and bruising are more likely. Do not stop any prescribed "
            "medicine for this: only the prescriber decides about it.",
        )

    # Row 16.
    if answers["keloid_history"]:
        yield review(
            "keloid_history",
            "Has had keloid or raised, thick scars: a practitioner must review before "
            "treatment, because needling can trigger abnormal scarring. A test spot may be "
            "suggested.",
        )

    # Row 17.
    if answers["scleroderma"]:
        reason = "because the skin's collagen and healing are affected."
        if policy.scleroderma_blocks:
            yield blocked(
                "scleroderma",
                "Scleroderma or another collagen vascular disease: this clinic does not "
                f"perform microneedling, {reason}",
            )
        else:
            yield review(
                "scleroderma",
                "Scleroderma or another collagen vascular disease: a practitioner must "
                f"review before treatment, {reason}",
            )

    # Rows 18 to 20.
    if answers["autoimmune_disease"]:
        yield review(
            "autoimmune_disease",
            "Autoimmune disease, or medicine for one: a practitioner must review before "
            "treatment, because the condition can flare and healing can be slower.",
        )
    if answers["immunosuppressed"]:
        yield review(
            "immunosuppressed",
            "Treatment that weakens the immune system: a practitioner must review before "
            "treatment, because infection is more likely and healing can be slower.",
        )
    if answers["diabetes"] == "uncontrolled":
        yield review(
            "diabetes_uncontrolled",
            "Diabetes that is not well controlled: a practitioner must review before "
            "treatment, because healing can be slower and infection more likely.",
        )

    # Row 21: a review, deferred while radiotherapy is going on.
    if answers["radiation_to_area"] == "current":
        yield defer_until_cleared(
            "radiation_current",
            "Having radiotherapy where we plan to treat: treatment must wait until the "
            "radiotherapy has finished, because skin treated with radiation heals poorly.",
        )
    elif answers["radiation_to_area"] == "past":
        yield review(
            "radiation_past",
            "Had radiotherapy where we plan to treat: a practitioner must review before "
            "treatment, because skin treated with radiation heals poorly.",
        )

    # Row 22.
    if answers["metal_allergy"]:
        if policy.stainless_steel_needles:
            yield blocked(
                "metal_allergy",
                "Allergic to stainless steel, nickel or other metals: microneedling with "
                "steel needles is not performed, because it can cause an allergic reaction.",
            )
        else:
            yield review(
                "metal_allergy",
                "Allergic to stainless steel, nickel or other metals: a practitioner must "
                "check the needle material before treatment.",
            )

    # Row 23.
    if answers["anaesthetic_allergy"]:
        if policy.anaesthetic_allergy_blocks:
            yield blocked(
                "anaesthetic_allergy",
                "Allergic to numbing creams or local anaesthetics: this clinic does not "
                "perform microneedling in this case, because the device maker lists it as a "
                "reason not to treat.",
            )
        else:
            yield review(
                "anaesthetic_allergy",
                "Allergic to numbing creams or local anaesthetics: a practitioner must "
                "review before treatment, and may treat without numbing cream or with a "
                "different product.",
            )

    # Rows 24 and 25.
    if answers["cardiac_condition"]:
        yield review(
            "cardiac_condition",
            "Heart condition: a practitioner must review before treatment, because the "
            "device maker lists heart conditions as a reason for caution.",
        )
    if answers["scar_or_stretch_marks_under_1_year"]:
        yield review(
            "recent_scar",
            "Scar or stretch mark less than a year old where we plan to treat: a "
            "practitioner must review before treatment, because the device has not been "
            "tested on recent scars.",
        )

    # Row 26.
    injectables_days: int | None = answers["recent_injectables_in_area_days"]
    if injectables_days is not None and injectables_days < policy.recent_injectables_review_days:
        yield review(
            "recent_injectables",
            f"Filler, anti-wrinkle injections or threads {_days(injectables_days)} where we "
            "plan to treat: a practitioner must decide whether to treat now, "
            "because there is no agreed waiting time.",
        )

    # Row 27.
    procedure_days: int | None = answers["recent_procedure_in_area_days"]
    window = policy.recent_procedure_defer_days
    if procedure_days is not None and procedure_days < window:
        yield defer(
            "recent_procedure",
            "Peel, laser, dermabrasion, waxing or hair-removal cream "
            f"{_days(procedure_days)} where we plan to treat: treatment must wait so the skin "
            "can settle.",
            today + timedelta(days=window - procedure_days),
        )

    # Row 29 (row 28, topical products before the session, is aftercare advice, not asked).
    if answers["photosensitising_medication"]:
        yield review(
            "photosensitising_medication",
            "Takes medicine that makes the skin burn more easily in the sun: a practitioner "
            "must review before treatment, because sun damage and dark patches are more "
            "likely.",
        )

    # Rows 30 and 31: advice only.
    if fitzpatrick is not None and _fitzpatrick_type(fitzpatrick) >= 4:
        yield Finding(
            "fitzpatrick_iv_vi",
            ADVISE,
            "Skin type IV to VI: this is not a reason to avoid treatment, but dark patches "
            "after treatment are more likely, so use gentle settings and strict sun "
            "protection.",
        )
    if answers["tattoo_in_area"]:
        yield Finding(
            "tattoo_in_area",
            ADVISE,
            "Tattoo or permanent make-up where we plan to treat: do not needle over it, and "
            "mark it on the treatment map.",
        )

    # Row 32, then §1.1 (off-label areas), then row 33.
    if age < policy.minimum_age:
        yield blocked(
            "age_under_18",
            f"Age {age}, under the clinic's minimum age of {policy.minimum_age}: "
            "microneedling is not performed.",
        )
    elif age < policy.review_age:
        yield review(
            "age_under_22",
            f"Age {age}: the device is authorised for adults aged {policy.review_age} and "
            "over, so a practitioner must confirm treatment.",
        )
    off_label = [code for code in AREA_LABELS if code in areas and code not in ON_LABEL_AREAS]
    if off_label and policy.off_label_area_review:
        names = ", ".join(AREA_LABELS[code].lower() for code in off_label)
        yield review(
            "off_label_area",
            f"Areas outside the face and neck: {names}. The device is authorised for the "
            "face and neck only, so a practitioner must confirm treatment of these areas.",
        )
    if "eyelids" in areas:
        yield blocked(
            "eyelids",
            "Eyelids: this area is never treated, because the skin inside the bony rim "
            "around the eye is too thin. Remove it from the plan.",
        )

    # Row 34: defer, and a practitioner must see the reaction first.
    if answers["unresolved_reaction_from_last_session"]:
        yield defer_until_cleared(
            "unresolved_reaction",
            "A reaction after the last session has not settled: treatment must wait until "
            "it has, because treating over it adds to the injury.",
        )
        yield review(
            "unresolved_reaction_review",
            "A reaction after the last session has not settled: a practitioner must see it "
            "before the next session, because some reactions need medical treatment.",
        )


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
        _findings(
            answers=answers,
            areas=areas,
            age=age,
            today=today,
            fitzpatrick=fitzpatrick,
            policy=policy,
        ),
        key=lambda f: (_SEVERITY[f.outcome], _RULE_POSITION[f.rule]),
    )
    outcomes = {finding.outcome for finding in findings}
    outcome = next((o for o in _GATING if o in outcomes), CLEARED)
    defer_dates = [f.defer_until for f in findings if f.outcome == DEFER and f.defer_until]
    return Result(
        outcome=outcome,
        findings=tuple(findings),
        ruleset_version=RULESET_VERSION,
        valid_until=today + timedelta(days=policy.result_valid_days),
        defer_until=max(defer_dates, default=None),
    )
