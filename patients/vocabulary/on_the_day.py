"""The answers confirmed aloud at check-in, and checking what the front desk ticked.

Clinical reference §1.2: the answers that expire are collected no more than 7 days before a
session "and confirmed verbally on the day". These are the reference's "Which answers
expire" list, in its order, as the vocabulary asks them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from .answers import AnswersInvalid, answers_to_json, clean_answers
from .questions import MISSING, NOT_IN_CHECK, QUESTIONS, UNKNOWN

# The reference's list, with the question keys that ask it. "Antivirals" (new medicines) has
# no question of its own yet: when the vocabulary gains one, it belongs here too.
ON_THE_DAY_KEYS: Final[tuple[str, ...]] = (
    # Pregnancy or breastfeeding.
    "pregnant_or_breastfeeding",
    # Current medicines: isotretinoin, anticoagulants, immunosuppressants (and chemotherapy
    # or radiotherapy under way, row 19), photosensitisers, antivirals (row 6).
    "isotretinoin",
    "isotretinoin_stopped_on",
    "anticoagulants",
    "immunosuppressed",
    "active_cancer_treatment",
    "photosensitising_medication",
    "antiviral_prophylaxis",
    # Active acne, infection, cold sore, eczema or psoriasis flare in the area; open skin.
    "active_infection_in_area",
    "active_cold_sore",
    "cold_sore_history",  # row 6: "any cold sores since last visit?"
    "active_acne_in_area",
    "open_or_irritated_skin_in_area",
    "dermatitis_flare_in_area",
    # Sunburn, tan or self-tanner in the last 14 days.
    "sunburn_or_tan_last_14_days",
    # Procedures since the last visit: peels, laser, waxing; fillers, toxin, threads.
    "recent_procedure_in_area_days",
    "recent_injectables_in_area_days",
    # New or changing moles or skin lesions.
    "new_or_changing_lesion_in_area",
    # Reactions after the previous session.
    "unresolved_reaction_from_last_session",
)

# What each answer is about, in a few words: "Confirmed on the day by …: pregnancy, …".
TOPICS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "pregnant_or_breastfeeding": "pregnancy or breastfeeding",
        "isotretinoin": "isotretinoin",
        "isotretinoin_stopped_on": "isotretinoin stop date",
        "anticoagulants": "blood thinners",
        "immunosuppressed": "treatment that weakens the immune system",
        "active_cancer_treatment": "chemotherapy or radiotherapy",
        "antiviral_prophylaxis": "antiviral tablets",
        "cold_sore_history": "cold sores since the last visit",
        "photosensitising_medication": "medicines that make the skin burn easily",
        "active_infection_in_area": "skin infection",
        "active_cold_sore": "cold sore",
        "active_acne_in_area": "inflamed acne",
        "open_or_irritated_skin_in_area": "broken or irritated skin",
        "dermatitis_flare_in_area": "eczema, psoriasis, rosacea or dermatitis flare",
        "sunburn_or_tan_last_14_days": "sunburn or tan",
        "recent_procedure_in_area_days": "peel, laser or waxing",
        "recent_injectables_in_area_days": "filler, anti-wrinkle injections or threads",
        "new_or_changing_lesion_in_area": "new or changing spots",
        "unresolved_reaction_from_last_session": "reaction after the last session",
    }
)

UNTICKED: Final = "Tick whether the patient confirmed this answer or it has changed."
BOTH: Final = "Tick this answer as confirmed or as changed, not both."
NOTHING_TO_CONFIRM: Final = (
    "There is no earlier answer to confirm: ask the question and give the answer as changed."
)
SAME_AS_BEFORE: Final = "This is the answer the patient gave before: tick it as confirmed."


def topic(key: str) -> str:
    return TOPICS.get(key, key.replace("_", " "))


def clean_confirmation(
    *,
    confirmed: object,
    changed: object,
    earlier: Mapping[str, Any],
    today: date,
    keys: Sequence[str] = ON_THE_DAY_KEYS,
) -> dict[str, Any]:
    """Check what the front desk ticked at check-in against the patient's `earlier` answers.

    Every key in `keys` is either in `confirmed` (the patient says it is unchanged) or in
    `changed` with the new answer: a question nobody ticked never counts as confirmed. Only
    an answer the patient gave before can be confirmed, and a "changed" answer must differ
    from it. The new answers must fit the vocabulary together with the confirmed ones (a stop
    date only when isotretinoin was stopped). All problems are raised together as one
    :class:`AnswersInvalid`: a key's tick problems under the key, a new answer's under
    ``changed.<key>``, keys outside `keys` under ``confirmed`` or ``changed.<key>``.

    Returns the changed answers, JSON-safe (dates as ISO strings); empty when every answer
    was confirmed.
    """
    if isinstance(confirmed, str) or not isinstance(confirmed, Collection):
        raise AnswersInvalid({"confirmed": ["A list of the question keys confirmed unchanged."]})
    if not isinstance(changed, Mapping):
        raise AnswersInvalid({"changed": ["An object of question key: new answer."]})
    asked = frozenset(keys)
    errors: dict[str, list[str]] = {}
    ticked = set()
    for key in confirmed:
        if not isinstance(key, str) or key not in asked:
            reason = NOT_IN_CHECK if isinstance(key, str) and key in QUESTIONS else UNKNOWN
            errors.setdefault("confirmed", []).append(f"{key!r}: {reason}")
        else:
            ticked.add(key)
    for key in changed:
        if key not in asked:
            reason = NOT_IN_CHECK if key in QUESTIONS else UNKNOWN
            errors.setdefault(f"changed.{key}", []).append(reason)

    for key in keys:
        if key in ticked and key in changed:
            errors.setdefault(key, []).append(BOTH)
        elif key not in ticked and key not in changed:
            errors.setdefault(key, []).append(UNTICKED)
        elif key in ticked and key not in earlier:
            errors.setdefault(key, []).append(NOTHING_TO_CONFIRM)

    answers = {key: earlier[key] for key in ticked if key in earlier}
    answers.update({key: value for key, value in changed.items() if key in asked})
    cleaned: dict[str, Any] = {}
    wrong: set[str] = set()
    try:
        cleaned = clean_answers(answers, today=today, keys=asked)
    except AnswersInvalid as exc:
        for key, messages in exc.errors.items():
            wrong.add(key)
            if key in changed:
                errors.setdefault(f"changed.{key}", []).extend(messages)
            elif messages != [MISSING]:  # an unticked key is already said above
                errors.setdefault(key, []).extend(messages)
    for key in keys:
        if key in changed and key not in wrong and key in earlier:
            if answers_to_json({key: changed[key]})[key] == earlier[key]:
                errors.setdefault(f"changed.{key}", []).append(SAME_AS_BEFORE)
    if errors:
        raise AnswersInvalid(errors)
    stored = answers_to_json(cleaned)
    return {key: stored[key] for key in keys if key in changed}
