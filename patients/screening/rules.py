"""Every rule of the clinical reference's table §1.2 (and §1.1 for off-label areas): one block
per row, each yielding its findings."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from patients.vocabulary import AREA_LABELS

from .outcomes import (
    ADVISE,
    BLOCKED,
    DEFER,
    ON_LABEL_AREAS,
    REVIEW,
    Finding,
    Policy,
    add_months,
    days_phrase,
    fitzpatrick_type,
    format_date,
)


def findings(
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
    if answers["antiviral_prophylaxis"] == "not_taking":
        yield review(
            "antiviral_not_taken",
            "Antiviral tablets were prescribed to prevent a cold sore, but are not being "
            "taken as directed: a practitioner must review before treatment.",
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
    if answers["active_cancer_treatment"]:
        yield defer_until_cleared(
            "cancer_treatment_current",
            "Having chemotherapy or radiotherapy at the moment: treatment must wait until it "
            "has finished, because infection is more likely and healing is slower.",
        )
    if answers["immunosuppressed"] or answers["active_cancer_treatment"]:
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
            f"Filler, anti-wrinkle injections or threads {days_phrase(injectables_days)} where we "
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
            f"{days_phrase(procedure_days)} where we plan to treat: treatment must wait so the "
            "skin can settle.",
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
    if fitzpatrick is not None and fitzpatrick_type(fitzpatrick) >= 4:
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
