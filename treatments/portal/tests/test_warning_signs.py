"""Screening a check-in's note for the reference's warning signs, in the patient's words
(treatments/portal/warning_signs.py; clinical reference §3). No database, no clock."""

import pytest

from treatments.portal import aftercare
from treatments.portal.warning_signs import (
    BREATHING,
    SWELLING,
    URGENT_CODES,
    is_urgent,
    screen_note,
    sign_text,
)

INFECTION = "infection"
COLD_SORE = "cold_sore"
ALLERGY = "allergy"
GLANDS = "glands"

RAISES = [
    ("There is yellow pus on my cheek", [INFECTION]),
    ("some puss coming out", [INFECTION]),
    ("Yellow discharge from a few spots", [INFECTION]),
    ("it's oozing clear stuff", [INFECTION]),
    ("the skin is weeping", [INFECTION]),
    ("I think it's infected", [INFECTION]),
    ("I have a fever", [INFECTION]),
    ("I feel feverish tonight", [INFECTION]),
    ("I've got a temperature", [INFECTION]),
    ("running a high temp since lunch", [INFECTION]),
    ("temperature of 38.4", [INFECTION]),
    ("Chills and aching", [INFECTION]),
    ("The redness is spreading to my neck", [INFECTION]),
    ("spreading redness around the jaw", [INFECTION]),
    ("redness getting worse every day", [INFECTION]),
    ("worsening redness", [INFECTION]),
    ("It's hot to touch and spreading", [INFECTION]),
    ("the pain is getting worse", [INFECTION]),
    ("crusting with pain on my chin", [INFECTION]),
    ("painful yellow crusts", [INFECTION]),
    ("Blisters around my lips", [COLD_SORE]),
    ("small blistering patch", [COLD_SORE]),
    ("I think I'm getting a cold sore", [COLD_SORE]),
    ("hives on my arms", [ALLERGY]),
    ("an itchy rash on the forehead", [ALLERGY]),
    ("my eyes are puffy", [ALLERGY]),
    ("swollen glands in my neck", [GLANDS]),
    ("I can't breathe properly", [BREATHING]),
    ("I cant breath", [BREATHING]),
    ("Short of breath since this morning", [BREATHING]),
    ("having trouble breathing", [BREATHING]),
    ("it's hard to breathe", [BREATHING]),
    ("I'm a bit wheezy", [BREATHING]),
    ("My throat feels tight", [SWELLING]),
    ("tightness in my throat", [SWELLING]),
    ("My lips swelling up", [SWELLING]),
    ("lips are really swollen", [SWELLING]),
    ("my face is swollen", ["allergy"]),  # reference §3: call the clinic, not 999
    ("my eyes are puffy", ["allergy"]),
    ("swelling of the tongue", [SWELLING]),
    ("swollen upper lip", [SWELLING]),
    # Negation is per clause: the part after "but", "and", a comma or a full stop counts.
    ("no pus but a fever", [INFECTION]),
    ("No fever and there is pus", [INFECTION]),
    ("Not infected. But now I have blisters", [COLD_SORE]),
    ("not red, and the swelling is spreading", [INFECTION]),
    ("No rash, but my lips are swelling", [SWELLING]),
    # Hedges are not negations.
    ("Not sure if it's pus", [INFECTION]),
    ("I don't know whether this is a blister", [COLD_SORE]),
    # Typographic apostrophes and capitals.
    ("I CAN\u2019T BREATHE", [BREATHING]),
    # Several at once come back in the reference's order, urgent ones last.
    (
        "There is yellow pus on my cheek and I have a fever, and my throat feels tight, "
        "can't breathe, blisters too",
        [INFECTION, COLD_SORE, BREATHING, SWELLING],
    ),
]

RAISES_NOTHING = [
    "",
    "All good, thank you!",
    "A bit red and dry but getting better every day",
    "Flaky on the chin, as you said it would be",
    "no fever",
    "No Fever, no pus",
    "not any pus",
    "there isn't any pus",
    "without blistering",
    "no signs of infection",
    "no fever or pus",
    "I don't have a temperature",
    "I do not feel feverish",
    "never had a cold sore",
    "free of blisters",
    "No trouble breathing",
    "not short of breath at all",
    "no shortness of breath and no swelling of the lips",
    "my throat isn't tight",
    "lips are not swollen",
    "the redness isn't spreading",
    "red but not getting worse",
    "the oozing has stopped",
    "the fever has gone",
    "Breathing is fine",
    "My face feels tight",  # expected on day 0 (reference §3); only the throat is urgent
    "It is sensitive to hot water",
    "purpose of the visit was acne scars",
]


@pytest.mark.parametrize(("note", "codes"), RAISES)
def test_a_note_naming_a_warning_sign_raises_its_code(note, codes):
    assert screen_note(note) == codes


@pytest.mark.parametrize("note", RAISES_NOTHING)
def test_a_note_with_no_sign_or_only_negated_ones_raises_nothing(note):
    assert screen_note(note) == []


def test_there_are_at_least_thirty_wordings_of_each_kind():
    assert len(RAISES) >= 30 and len(RAISES_NOTHING) >= 20


def test_the_codes_are_the_check_in_boxes_codes_or_the_two_urgent_ones():
    found = {code for _, codes in RAISES for code in codes}
    assert found <= aftercare.WARNING_CODES | URGENT_CODES
    assert URGENT_CODES == {BREATHING, SWELLING}
    assert not URGENT_CODES & aftercare.WARNING_CODES


def test_only_breathing_and_swelling_are_urgent():
    assert is_urgent([INFECTION, BREATHING])
    assert is_urgent([SWELLING])
    assert not is_urgent([INFECTION, COLD_SORE, ALLERGY])


def test_every_code_has_text_for_staff():
    assert sign_text(INFECTION) == aftercare.WARNING_TEXT[INFECTION]
    assert "breathing" in sign_text(BREATHING).lower()
    assert "throat" in sign_text(SWELLING).lower()
