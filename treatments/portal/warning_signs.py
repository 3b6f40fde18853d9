"""Warning signs in a patient's own words: screening a check-in's free-text note for the red
flags of the clinical reference §3 ("Call the clinic if...", and its urgent row).

A note that names a sign raises the same finding as the ticked box (`aftercare.WARNING_CODES`);
two signs have no box and a code of their own, and are urgent: trouble breathing, and swelling
of the lips, tongue or throat (or a tight throat). The patient is told at once to call
emergency services for those. Swelling of the face or eyes alone is the allergy box: "call the
clinic" in the reference, not an emergency.

Pure on purpose: text in, codes out; no ORM, no clock. The screen leans towards raising: a
sign counts unless a negation ("no", "not", "without", "n't", "never", "free of", ...) comes
before it in the same clause, or "gone"/"cleared" after it. Clauses end at punctuation and at
"but", "and", "because", "except" and the like, so "no pus but a fever" raises the fever while
"no pus or fever" raises nothing. Hedges ("not sure if", "don't know whether") do not negate.
When in doubt it raises: a practitioner reads every note anyway.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from . import aftercare

BREATHING: Final = "breathing"
SWELLING: Final = "swelling"

# The urgent signs (clinical reference §3, last row): call emergency services, not the clinic.
URGENT_CODES: Final[frozenset[str]] = frozenset({BREATHING, SWELLING})

# What staff read for a code; the reference's wording for the boxes, and these two.
SIGN_TEXT: Final[Mapping[str, str]] = {
    **aftercare.WARNING_TEXT,
    BREATHING: "Trouble breathing or shortness of breath",
    SWELLING: "Swelling of the face, lips, tongue or throat, or a tight throat",
}
# The order codes are reported in: the boxes' order, then the urgent ones.
ORDER: Final[tuple[str, ...]] = (*(s.code for s in aftercare.WARNING_SIGNS), BREATHING, SWELLING)


@dataclass(frozen=True)
class _Sign:
    code: str
    pattern: re.Pattern[str]
    # A pattern with a gap ("red ... spreading") also checks the gap for a negation.
    gap: bool = False


def _sign(code: str, pattern: str, *, gap: bool = False) -> _Sign:
    return _Sign(code, re.compile(pattern, re.IGNORECASE), gap)


_BREATHE = r"breath(?:e|es|ing)?\b"
# Up to three linking words: "lips are really swollen", "throat has gone tight".
_LINK = (
    r"(?:(?:is|are|has|have|feels?|feeling|looks?|looking|getting|got|gone|going|become|"
    r"becoming|started|starting|keeps?|very|really|so|quite|a\s+bit|a\s+little|all|been|up)"
    r"\s+){0,3}"
)
_SWOLLEN = r"(?:swelling|swollen|swelled|swell|puffy|puffing|puffed)\b"
_MOUTH_FACE = r"(?:lips?|tongue|mouth|throat)\b"
# Face or eyes swelling: the allergy box (reference §3), not an emergency on its own.
_FACE_EYES = r"(?:face|eyes?|eyelids?)\b"
# A gap within a sentence, for signs named in two parts ("red ... spreading").
_GAP = r"[^.;:!?\n]{0,40}?"
_WORSE = (
    r"(?:spreading|spreads|spread|getting\s+worse|gets\s+worse|got\s+worse|worse|worsening|"
    r"increasing|growing|bigger|larger)\b"
)
_PAIN = r"(?:pain\w*|sore|hurt\w*|tender|sting\w*|throb\w*)\b"

SIGNS: Final[tuple[_Sign, ...]] = (
    # Infection: pus, yellow crusts or oozing, fever, redness or warmth that spreads or
    # worsens, pain getting worse, crusting with pain.
    _sign("infection", r"\bpus+\b|\bpus[\s-]*filled\b|\bpustules?\b"),
    _sign(
        "infection",
        r"\b(?:yellow\w*|green\w*|cloudy|smelly|white)\s+(?:discharge|fluid|liquid|gunk|goo|"
        r"stuff|crusts?|crusting|crusty|scabs?|ooze)\b",
    ),
    _sign("infection", r"\bhoney[\s-]*colou?red\b|\bdischarg(?:e|es|ing)\b"),
    _sign("infection", r"\booz(?:e|es|ed|ing|y)\b|\bweep(?:s|ing|y)\b"),
    _sign("infection", r"\binfect(?:ed|ion|ions)\b"),
    _sign("infection", r"\bfever(?:s|ish)?\b|\bchills\b|\bshiver(?:s|ing|y)\b"),
    _sign(
        "infection",
        r"\b(?:a|my|high|raised|running\s+a)\s+temp(?:erature)?\b|"
        r"\btemperature\s+(?:of|is|was)\b|\b3[89](?:[.,]\d)?\s*°?\s*c\b",
    ),
    _sign(
        "infection",
        r"\b(?:spreading|worsening|increasing|growing|expanding)\s+(?:\w+\s+)?"
        r"(?:redness|red|rash|swelling|warmth|heat|pain)\b",
    ),
    _sign(
        "infection",
        r"\b(?:redness|red|swelling|swollen|warmth|warm|heat|hot|pain|painful|rash)\b"
        + _GAP
        + r"\b"
        + _WORSE,
        gap=True,
    ),
    _sign(
        "infection",
        r"\bcrust\w*\b" + _GAP + r"\b" + _PAIN + r"|\b" + _PAIN + _GAP + r"\bcrust\w*",
        gap=True,
    ),
    # Cold sore (HSV): blisters, often clustered around the lips.
    _sign("cold_sore", r"\bblister\w*|\bcold[\s-]*sores?\b|\bhsv\b|\bherpe\w*"),
    # Allergy: hives, an itchy rash, swollen eyes.
    _sign(
        "allergy",
        r"\bhives\b|\bwelts\b|\bitch\w*\s+rash\b|\brash\b" + _GAP + r"\bitch\w*",
        gap=True,
    ),
    _sign(
        "allergy",
        r"\b(?:eyes?|eyelids?)\s+"
        + _LINK
        + _SWOLLEN
        + r"|\b(?:swollen|puffy)\s+(?:eyes?|eyelids?)\b",
    ),
    # Swollen glands in the neck.
    _sign(
        "glands",
        r"\b(?:swollen|tender|sore)\s+(?:lymph\s+)?(?:glands?|nodes?)\b|"
        r"\b(?:glands?|lymph\s+nodes?)\s+" + _LINK + r"(?:swollen|swelling|up|tender|sore)\b",
    ),
    # Urgent: trouble breathing.
    _sign(
        BREATHING,
        r"\b(?:trouble|difficulty|difficulties|problems?|struggling|struggle|hard(?:\s+time)?|"
        r"harder|can'?t|cannot|can\s+not|couldn'?t|unable\s+to|not\s+able\s+to)"
        r"\s+(?:in\s+|to\s+|with\s+|getting\s+)?(?:my\s+)?" + _BREATHE,
    ),
    _sign(
        BREATHING,
        r"\bshort(?:ness)?\s+of\s+breath\b|\bbreathless\w*|\bwheez\w*|\bgasping\b|"
        r"\bcan'?t\s+(?:catch|get)\s+my\s+breath\b|"
        r"\bbreathing\s+" + _LINK + r"(?:difficult|hard|laboured|labored|heavy|tight)\b",
    ),
    # Swelling of the face or eyes: a possible allergy, "call the clinic" (reference §3).
    _sign(
        "allergy",
        r"\b(?:swollen|swelling|puffy|puffed[\s-]up)\s+(?:up\s+)?(?:\w+\s+)?" + _FACE_EYES + r"|"
        r"\bswell\w*\s+(?:up\s+)?(?:of|in|on|around)\s+(?:the\s+|my\s+|both\s+)?"
        + _FACE_EYES
        + r"|\b"
        + _FACE_EYES
        + r"\s*"
        + _LINK
        + _SWOLLEN,
    ),
    # Urgent: swelling of the lips, tongue or throat; a tight or closing throat.
    _sign(
        SWELLING,
        r"\b(?:swollen|swelling|puffy|puffed[\s-]up)\s+(?:up\s+)?(?:\w+\s+)?" + _MOUTH_FACE,
    ),
    _sign(
        SWELLING,
        r"\bswell\w*\s+(?:up\s+)?(?:of|in|on|around)\s+(?:the\s+|my\s+|both\s+)?" + _MOUTH_FACE,
    ),
    _sign(SWELLING, r"\b" + _MOUTH_FACE + r"\s*" + _LINK + _SWOLLEN),
    _sign(
        SWELLING,
        r"\bthroat\s+" + _LINK + r"(?:tight\w*|closing|closed)\b|\btight\s+throat\b|"
        r"\b(?:tightness|closing)\s+(?:in|of)\s+(?:my\s+|the\s+)?throat\b",
    ),
)

# A clause ends at punctuation or at a word that starts a new thought.
_BOUNDARY = re.compile(
    r"[.;:!?()\n,]|\s[-–—]\s|\b(?:but|and|because|however|although|though|yet|except|"
    r"apart\s+from|other\s+than|while|whereas|now|then|plus|also)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:no|not|none|never|without|nor|neither|nothing|free\s+of|free\s+from|absence\s+of|"
    r"lack\s+of|stopped|cannot|dont|doesnt|didnt|havent|hasnt|hadnt|isnt|arent|wasnt|werent|"
    r"cant|wont)\b|n't\b",
    re.IGNORECASE,
)
_AFTER_NEGATION = re.compile(
    r"\b(?:gone|went\s+away|cleared|resolved|settled|disappeared|stopped|none)\b", re.IGNORECASE
)
# Hedges that look like negations and are not: "not sure if it's pus" still names pus.
_HEDGE = re.compile(
    r"\b(?:not|don'?t|doesn'?t|didn'?t|can'?t|couldn'?t|cannot)\s+(?:\w+\s+)?"
    r"(?:sure|certain|know|tell)\b|\bno\s+idea\b",
    re.IGNORECASE,
)


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    # Hedges are blanked out (same length, so positions stay), leaving the sign they hedge.
    return _HEDGE.sub(lambda m: " " * len(m.group(0)), text)


def _clause_start(text: str, at: int) -> int:
    start = 0
    for m in _BOUNDARY.finditer(text, 0, at):
        start = m.end()
    return start


def _clause_end(text: str, at: int) -> int:
    m = _BOUNDARY.search(text, at)
    return m.start() if m else len(text)


def _negated(text: str, match: re.Match[str], sign: _Sign) -> bool:
    before = text[_clause_start(text, match.start()) : match.start()]
    if _NEGATION.search(before):
        return True
    if sign.gap and _NEGATION.search(match.group(0)):
        return True
    after = text[match.end() : _clause_end(text, match.end())]
    return bool(_AFTER_NEGATION.search(after))


def screen_note(text: str) -> list[str]:
    """The warning-sign codes a check-in note names, in `ORDER` (clinical reference §3).

    Codes are `aftercare.WARNING_CODES` where a box exists, or `breathing` / `swelling`
    (`URGENT_CODES`). A sign negated in its own clause ("no fever", "without blistering",
    "no signs of infection") raises nothing.
    """
    text = _normalise(text or "")
    found: set[str] = set()
    for sign in SIGNS:
        if sign.code in found:
            continue
        # Every start, not only non-overlapping matches: "not red and the swelling is
        # spreading" must still find the swelling once the red is negated.
        match = sign.pattern.search(text)
        while match is not None:
            if not _negated(text, match, sign):
                found.add(sign.code)
                break
            match = sign.pattern.search(text, match.start() + 1)
    return [code for code in ORDER if code in found]


def is_urgent(codes: list[str]) -> bool:
    """Whether the patient must be told to call emergency services now."""
    return bool(URGENT_CODES.intersection(codes))


def sign_text(code: str) -> str:
    return SIGN_TEXT.get(code, code)
