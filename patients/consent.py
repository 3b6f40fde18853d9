"""Consent templates. A signed consent records the version it was signed against; a course
can be booked only with a treatment consent of the CURRENT version (bump the version when
the text changes, and patients sign again).

The treatment text follows the clinical reference (§0, §1.1, §2.3, §3) and repeats none of
the claims it corrects.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentTemplate:
    kind: str
    version: str
    title: str
    required: bool
    text: tuple[str, ...]


TEMPLATES: dict[str, ConsentTemplate] = {
    "treatment": ConsentTemplate(
        kind="treatment",
        version="2026.11",
        title="Consent to microneedling treatment",
        required=True,
        text=(
            "Microneedling (collagen induction therapy) uses a device with fine, sterile, "
            "single-use needles to make tiny channels in the skin. A numbing cream is usually "
            "applied first. The procedure normally takes 30 to 60 minutes, depending on the "
            "area.",
            "A course is usually several sessions about four weeks apart. Results develop "
            "over weeks to months; they vary from person to person and are not guaranteed.",
            "Expected effects: redness like a moderate sunburn, tightness, sensitivity, "
            "pinpoint bleeding and some swelling, which usually settle within a few days, and "
            "dryness or flaking for up to a week.",
            "Possible risks include infection, a cold-sore flare, allergic or irritant "
            "reactions (including to the numbing cream), darkening of the skin (more likely "
            "in darker skin types), red or firm bumps (granulomas), lines or raised scarring, "
            "and swollen glands. I will follow the aftercare instructions and contact the "
            "clinic if I notice any warning signs.",
            "I have answered the health questions truthfully and will tell the clinic before "
            "each session about any change: pregnancy or breastfeeding, new medicines "
            "(including isotretinoin, blood thinners, antibiotics, immunosuppressants), new "
            "procedures or injectables, cold sores, breakouts or rashes, new or changing "
            "moles, or a reaction that lasted from the last session.",
            "I understand that only products approved by the clinic will be applied to my "
            "skin during and after treatment, and that I can withdraw this consent at any "
            "time before or during a session.",
        ),
    ),
    "clinical_photos": ConsentTemplate(
        kind="clinical_photos",
        version="2026.11",
        title="Clinical photographs (optional)",
        required=False,
        text=(
            "The clinic may take standardised photographs of the treated area before and "
            "after sessions to assess results. They are kept in my clinical record and are "
            "not shared outside the clinic without my separate permission.",
        ),
    ),
    "marketing": ConsentTemplate(
        kind="marketing",
        version="2026.11",
        title="Marketing (optional)",
        required=False,
        text=(
            "The clinic may send me news and offers. This is separate from appointment and "
            "aftercare messages, and I can withdraw it at any time.",
        ),
    ),
}


def current_version(kind: str) -> str:
    return TEMPLATES[kind].version
