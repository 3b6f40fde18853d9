"""Which courses a practitioner must confirm before booking: the device's authorised uses
(clinical reference §1.1) and the pigmentation flag (§2.1, §2.2).

Pure on purpose, like the planner: plain values in, flags out. The screening engine already
flags off-label areas and ages from the intake; these flags are about what the course is
for, which only the course knows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from patients.vocabulary import FACE_AREAS

# §1.1: SkinPen is authorised for facial acne scars (adults 22 and over) and, since K202243,
# wrinkles of the neck for Fitzpatrick skin types II to IV.
NECK_WRINKLE_TYPES: Final = frozenset({"II", "III", "IV"})
DARKER_TYPES: Final = frozenset({"IV", "V", "VI"})
AUTHORISED_USES: Final = "acne scars on the face, and wrinkles of the neck for skin types II to IV"


@dataclass(frozen=True)
class CourseFlag:
    code: str
    message: str
    reference: str


def course_flags(
    *, indication: str, indication_label: str, areas: Collection[str], fitzpatrick: str
) -> tuple[CourseFlag, ...]:
    """The flags a practitioner confirms, with a note, before the course is booked.

    - ``off_label_indication``: anything but facial acne scars, or neck wrinkles in skin
      types II to IV, is off-label for the device: flag it for a clinician rather than
      block it (§1.1 "App implication"). Acne scars outside the face are left to the
      screening's own off-label-area finding, so the practitioner is not asked twice.
    - ``pigmentation``: pigmentation and melasma are always flagged for the clinician
      (melasma and post-inflammatory hyperpigmentation risk, §2.1), more so for skin types
      IV to VI (§2.2), and need the skin type recorded.
    """
    flags: list[CourseFlag] = []
    areas = set(areas)
    neck_wrinkles = indication == "fine_lines" and areas == {"neck"}
    if neck_wrinkles and not fitzpatrick:
        flags.append(
            CourseFlag(
                "off_label_indication",
                "Neck wrinkles are an authorised use only for skin types II to IV, and no skin "
                "type is recorded: record it, and a practitioner must confirm this course.",
                "§1.1",
            )
        )
    elif neck_wrinkles and fitzpatrick not in NECK_WRINKLE_TYPES:
        flags.append(
            CourseFlag(
                "off_label_indication",
                f"Neck wrinkles in skin type {fitzpatrick}: the device is authorised for types "
                "II to IV only, so a practitioner must confirm this course.",
                "§1.1",
            )
        )
    elif indication != "acne_scars" and not neck_wrinkles:
        where = "on the face" if areas <= FACE_AREAS else "on these areas"
        flags.append(
            CourseFlag(
                "off_label_indication",
                f"{indication_label} {where} is not an authorised use of the device (it is "
                f"authorised for {AUTHORISED_USES}): a practitioner must confirm this course.",
                "§1.1",
            )
        )
    if indication == "pigmentation":
        message = (
            "Pigmentation or melasma: a practitioner must confirm this course, because "
            "melasma can worsen and dark patches can follow treatment. Plan it with daily "
            "sunscreen and topical therapy, and keep the depth at 1.5 mm or less."
        )
        if not fitzpatrick:
            message += " No skin type is recorded: record it first."
        elif fitzpatrick in DARKER_TYPES:
            message += (
                f" Skin type {fitzpatrick} makes dark patches after treatment more likely: "
                "use conservative settings."
            )
        flags.append(CourseFlag("pigmentation", message, "§2.1, §2.2"))
    return tuple(flags)
