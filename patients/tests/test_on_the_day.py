"""The answers confirmed aloud at check-in (clinical reference §1.2 "confirmed verbally on the
day") and how the ticks are checked: pure, no database."""

import datetime as dt

import pytest

from patients.vocabulary import (
    EXPIRING_KEYS,
    MISSING,
    NOT_IN_CHECK,
    ON_THE_DAY_KEYS,
    STABLE_KEYS,
    UNKNOWN,
    AnswersInvalid,
    answers_to_json,
    clean_confirmation,
    negative_answers,
)
from patients.vocabulary.on_the_day import (
    BOTH,
    NOTHING_TO_CONFIRM,
    SAME_AS_BEFORE,
    TOPICS,
    UNTICKED,
)

TODAY = dt.date(2026, 3, 9)
EARLIER = answers_to_json(negative_answers())


def confirm(confirmed=ON_THE_DAY_KEYS, changed=None, earlier=EARLIER):
    return clean_confirmation(
        confirmed=list(confirmed), changed=changed or {}, earlier=earlier, today=TODAY
    )


def problems(**kwargs) -> dict[str, list[str]]:
    with pytest.raises(AnswersInvalid) as refused:
        confirm(**kwargs)
    return refused.value.errors


def all_but(*keys):
    return [k for k in ON_THE_DAY_KEYS if k not in keys]


# --- Which answers ---------------------------------------------------------------------------


def test_the_reference_list_is_asked_with_the_vocabularys_own_questions():
    assert set(ON_THE_DAY_KEYS) == {
        "pregnant_or_breastfeeding",  # pregnancy or breastfeeding
        "isotretinoin",  # current medicines
        "isotretinoin_stopped_on",
        "anticoagulants",
        "immunosuppressed",
        "active_cancer_treatment",  # treatment status (row 19)
        "photosensitising_medication",
        "antiviral_prophylaxis",  # antivirals; "prophylaxis taken?" (row 6)
        "active_infection_in_area",  # active acne, infection, cold sore, flare in the area
        "active_cold_sore",
        "cold_sore_history",  # "any cold sores since last visit?" (row 6)
        "active_acne_in_area",
        "open_or_irritated_skin_in_area",
        "dermatitis_flare_in_area",
        "sunburn_or_tan_last_14_days",  # sun or tan in the last 14 days
        "recent_procedure_in_area_days",  # peels, laser, waxing since the last visit
        "recent_injectables_in_area_days",  # fillers, toxin, threads
        "new_or_changing_lesion_in_area",  # new or changing moles
        "unresolved_reaction_from_last_session",  # reactions after the previous session
    }
    assert len(ON_THE_DAY_KEYS) == len(set(ON_THE_DAY_KEYS))
    assert ON_THE_DAY_KEYS[0] == "pregnant_or_breastfeeding"  # the reference's order


def test_every_answer_confirmed_on_the_day_was_asked_in_the_pre_session_check():
    """What makes the portal's "we will confirm them with you on the day" true: each answer
    read back at check-in is one the patient gave in the pre-session check."""
    assert set(ON_THE_DAY_KEYS) <= EXPIRING_KEYS
    assert not set(ON_THE_DAY_KEYS) & STABLE_KEYS


def test_every_answer_of_the_day_has_a_topic_for_the_session_page():
    assert set(TOPICS) == set(ON_THE_DAY_KEYS)


# --- The ticks --------------------------------------------------------------------------------


def test_every_answer_confirmed_is_no_change():
    assert confirm() == {}


def test_a_changed_answer_comes_back_as_it_is_stored():
    changed = {
        "pregnant_or_breastfeeding": True,
        "isotretinoin": "stopped",
        "isotretinoin_stopped_on": "2025-12-01",
        "recent_injectables_in_area_days": 10,
    }
    assert confirm(confirmed=all_but(*changed), changed=changed) == changed


def test_a_date_typed_on_a_form_is_stored_as_iso():
    changed = {"isotretinoin": "stopped", "isotretinoin_stopped_on": dt.date(2025, 12, 1)}
    found = confirm(confirmed=all_but(*changed), changed=changed)
    assert found["isotretinoin_stopped_on"] == "2025-12-01"


def test_nothing_ticked_names_every_answer_of_the_day_at_once():
    found = problems(confirmed=[])
    assert found == {key: [UNTICKED] for key in ON_THE_DAY_KEYS}


def test_an_answer_left_out_is_named_and_the_others_pass():
    found = problems(confirmed=all_but("active_cold_sore", "anticoagulants"))
    assert found == {"anticoagulants": [UNTICKED], "active_cold_sore": [UNTICKED]}


def test_an_answer_ticked_both_ways_is_refused():
    found = problems(changed={"active_cold_sore": True})
    assert found == {"active_cold_sore": [BOTH]}


@pytest.mark.parametrize(
    ("extra", "message"),
    [("keloid_history", NOT_IN_CHECK), ("favourite_colour", UNKNOWN)],
)
def test_a_question_outside_the_confirmation_is_refused_wherever_it_is_sent(extra, message):
    assert problems(confirmed=[*ON_THE_DAY_KEYS, extra]) == {"confirmed": [f"{extra!r}: {message}"]}
    assert problems(changed={extra: True}) == {f"changed.{extra}": [message]}


def test_confirmed_must_be_a_list_and_changed_an_object():
    with pytest.raises(AnswersInvalid) as refused:
        clean_confirmation(confirmed="all", changed={}, earlier=EARLIER, today=TODAY)
    assert list(refused.value.errors) == ["confirmed"]
    with pytest.raises(AnswersInvalid) as refused:
        clean_confirmation(confirmed=[], changed=[], earlier=EARLIER, today=TODAY)
    assert list(refused.value.errors) == ["changed"]


def test_a_confirmed_list_holding_something_other_than_keys_is_refused():
    found = problems(confirmed=[*ON_THE_DAY_KEYS, 7])
    assert found == {"confirmed": [f"7: {UNKNOWN}"]}


def test_a_new_answer_must_fit_the_question():
    found = problems(
        confirmed=all_but("pregnant_or_breastfeeding", "recent_procedure_in_area_days"),
        changed={"pregnant_or_breastfeeding": "yes", "recent_procedure_in_area_days": -3},
    )
    assert found == {
        "changed.pregnant_or_breastfeeding": ["Answer true or false."],
        "changed.recent_procedure_in_area_days": ["Enter a number of days from 0 to 3650."],
    }


def test_a_changed_answer_that_is_the_earlier_one_is_told_to_be_confirmed():
    found = problems(
        confirmed=all_but("active_acne_in_area"), changed={"active_acne_in_area": False}
    )
    assert found == {"changed.active_acne_in_area": [SAME_AS_BEFORE]}


def test_only_an_answer_given_before_can_be_confirmed():
    earlier = {k: v for k, v in EARLIER.items() if k != "unresolved_reaction_from_last_session"}
    assert problems(earlier=earlier) == {
        "unresolved_reaction_from_last_session": [NOTHING_TO_CONFIRM]
    }
    changed = {"unresolved_reaction_from_last_session": False}
    assert confirm(confirmed=all_but(*changed), changed=changed, earlier=earlier) == changed


def test_a_stopped_isotretinoin_needs_its_stop_date_among_the_new_answers():
    found = problems(confirmed=all_but("isotretinoin"), changed={"isotretinoin": "stopped"})
    assert found == {
        "isotretinoin_stopped_on": [
            "Enter the date of the last dose, because isotretinoin was stopped."
        ]
    }


def test_problems_of_every_kind_come_back_in_one_round():
    found = problems(
        confirmed=all_but("anticoagulants", "active_cold_sore", "active_acne_in_area"),
        changed={"active_cold_sore": "often", "active_acne_in_area": False, "tattoo_in_area": 1},
    )
    assert found == {
        "changed.tattoo_in_area": [NOT_IN_CHECK],
        "anticoagulants": [UNTICKED],
        "changed.active_cold_sore": ["Answer true or false."],
        "changed.active_acne_in_area": [SAME_AS_BEFORE],
    }
    assert MISSING not in str(found)
