"""The one clearance rule ("may this patient be treated on these areas on these days?") and
the holds that stop treatment until a practitioner releases them.

The clock is fixed: 1 March 2027, 09:30 in London (GMT). A clear intake taken then is valid
until 8 March 2027; a peel 4 days ago defers treatment until 11 March 2027.
"""

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients import selectors
from patients.models import ScreeningResult
from patients.tests.conftest import HOLD_SUFFIX, PEEL_4_DAYS_AGO, REACTION, TODAY, Clinic, march

pytestmark = pytest.mark.django_db


def _sign_off_review(c: Clinic, areas=("cheeks",), **answers) -> None:
    c.consent()
    result = c.intake(areas, **answers)
    assert result.outcome == ScreeningResult.Outcome.REVIEW
    c.sign_off(result)


def _hold_then_release(c: Clinic) -> None:
    c.ready()
    c.release(c.hold())


def _blocked_then_consent_and_hold_missing(c: Clinic) -> None:
    c.intake(pregnant_or_breastfeeding=True)
    c.hold()


def _blocked_for_eyelids_then_new_intake_without(c: Clinic) -> None:
    c.ready(areas=("cheeks", "eyelids"))
    c.new_intake_an_hour_later(areas=("cheeks",))


def _review_for_abdomen_then_new_intake_without(c: Clinic) -> None:
    c.ready(areas=("cheeks", "abdomen"))
    c.new_intake_an_hour_later(areas=("cheeks",))


def _clear_then_blocked(c: Clinic) -> None:
    c.ready()
    c.new_intake_an_hour_later(pregnant_or_breastfeeding=True)


Setup = Callable[[Clinic], object]

REFUSED: list = [
    pytest.param(
        lambda c: c.consent(),
        {},
        "The patient has not been screened yet: take the intake questionnaire first.",
        id="an unscreened patient is told to take the intake first",
    ),
    pytest.param(
        lambda c: (c.ready(), c.archive()),
        {},
        "This patient is archived.",
        id="an archived patient is refused",
    ),
    pytest.param(
        _blocked_for_eyelids_then_new_intake_without,
        {"areas": ["cheeks", "eyelids"]},
        "The latest screening did not include: Eyelids. Take a new intake that includes "
        "every area of the course.",
        id="eyelids left out of a new intake are refused by name",
    ),
    pytest.param(
        _review_for_abdomen_then_new_intake_without,
        {"areas": ["cheeks", "abdomen"]},
        "The latest screening did not include: Abdomen. Take a new intake that includes "
        "every area of the course.",
        id="a body area left out of a new intake does not skip its off-label review",
    ),
    pytest.param(
        lambda c: c.ready(),
        {"areas": ["hands", "cheeks", "eyelids"]},
        "The latest screening did not include: Eyelids, Hands. Take a new intake that "
        "includes every area of the course.",
        id="every area left out is named in the questionnaire's order",
    ),
    pytest.param(
        lambda c: c.ready(pregnant_or_breastfeeding=True),
        {},
        "The latest screening is blocked: this patient cannot be treated.",
        id="a blocked screening cannot be treated",
    ),
    pytest.param(
        lambda c: c.ready(areas=("cheeks", "eyelids")),
        {"areas": ["cheeks"]},
        "The latest screening is blocked: this patient cannot be treated.",
        id="a screening blocked for eyelids is blocked for the other areas too",
    ),
    pytest.param(
        _clear_then_blocked,
        {},
        "The latest screening is blocked: this patient cannot be treated.",
        id="an earlier clear screening does not outweigh the latest blocked one",
    ),
    pytest.param(
        lambda c: c.ready(keloid_history=True),
        {},
        "The latest screening needs a practitioner's sign-off before treatment.",
        id="a screening that needs review waits for a practitioner's sign-off",
    ),
    pytest.param(
        lambda c: c.ready(areas=("abdomen",)),
        {"areas": ["abdomen"]},
        "The latest screening needs a practitioner's sign-off before treatment.",
        id="a body area waits for its off-label review to be signed off",
    ),
    pytest.param(
        lambda c: c.ready(**PEEL_4_DAYS_AGO),
        {"days": [march(10)]},
        "The latest screening defers treatment until 11 March 2027; a session on "
        "10 March 2027 is too early.",
        id="a deferral refuses a session the day before its date",
    ),
    pytest.param(
        lambda c: c.ready(**PEEL_4_DAYS_AGO),
        {"days": [march(25), march(5), march(11), march(9)]},
        "The latest screening defers treatment until 11 March 2027; a session on "
        "5 March 2027 is too early.",
        id="a deferral names the earliest session that is too early",
    ),
    pytest.param(
        lambda c: c.ready(**PEEL_4_DAYS_AGO),
        {"days": [march(11)], "check_in": True},
        "The latest screening defers treatment until 11 March 2027 and does not clear the "
        "patient: repeat the pre-session questions on or after that date.",
        id="a deferral never clears a check-in even once its date has come",
    ),
    pytest.param(
        lambda c: c.ready(),
        {"days": [march(9)], "check_in": True},
        "The latest screening is not valid for this session's date: repeat the pre-session "
        "questions (answers expire after 7 days).",
        id="a check-in 8 days after the answers is refused",
    ),
    pytest.param(
        lambda c: c.ready(),
        {"days": [dt.date(2027, 2, 28)], "check_in": True},
        "The latest screening is not valid for this session's date: repeat the pre-session "
        "questions (answers expire after 7 days).",
        id="a check-in for a session before the answers were given is refused",
    ),
    pytest.param(
        lambda c: c.intake(),
        {},
        "The patient has not signed the current treatment consent.",
        id="a patient who has not signed the treatment consent is refused",
    ),
    pytest.param(
        lambda c: (c.consent("clinical_photos"), c.intake()),
        {},
        "The patient has not signed the current treatment consent.",
        id="a photo consent does not stand for the treatment consent",
    ),
    pytest.param(
        lambda c: (c.ready(), c.hold()),
        {"days": [march(5)]},
        REACTION + HOLD_SUFFIX,
        id="an open hold refuses a booking with its reason",
    ),
    pytest.param(
        lambda c: (c.ready(), c.hold()),
        {"days": [TODAY], "check_in": True},
        REACTION + HOLD_SUFFIX,
        id="an open hold refuses a check-in with its reason",
    ),
    pytest.param(
        _blocked_then_consent_and_hold_missing,
        {},
        "The latest screening is blocked: this patient cannot be treated.",
        id="the first rule broken is the answer",
    ),
]


@pytest.mark.parametrize(("setup", "ask", "reason"), REFUSED)
def test_clearance_refuses(clinic, setup: Setup, ask: dict, reason: str):
    setup(clinic)
    result = clinic.clearance(**ask)
    assert not result
    assert result.allowed is False
    assert result.reason == reason


ALLOWED: list = [
    pytest.param(lambda c: c.ready(), {}, id="a clear screening with consent clears booking"),
    pytest.param(
        lambda c: c.ready(areas=("forehead", "cheeks", "chin")),
        {"areas": ["chin", "cheeks"]},
        id="fewer areas than were screened are cleared",
    ),
    pytest.param(
        lambda c: c.ready(),
        {"areas": []},
        id="asking for no area only checks the rest",
    ),
    pytest.param(
        lambda c: _sign_off_review(c, keloid_history=True),
        {"days": [march(8)], "check_in": True},
        id="a review signed off by a practitioner clears a check-in",
    ),
    pytest.param(
        lambda c: _sign_off_review(c, areas=("cheeks", "abdomen")),
        {"areas": ["abdomen"]},
        id="a body area clears once its off-label review is signed off",
    ),
    pytest.param(
        lambda c: c.ready(**PEEL_4_DAYS_AGO),
        {"days": [march(11), march(25)]},
        id="a deferral allows booking on and after its date",
    ),
    pytest.param(
        lambda c: c.ready(),
        {"days": [TODAY], "check_in": True},
        id="a check-in on the day of the answers is cleared",
    ),
    pytest.param(
        lambda c: c.ready(),
        {"days": [march(8)], "check_in": True},
        id="a check-in on the last day the answers are valid is cleared",
    ),
    pytest.param(
        lambda c: c.ready(),
        {"check_in": True},
        id="a check-in without days is judged on today",
    ),
    pytest.param(
        lambda c: c.ready(),
        {"days": [march(9), march(30)]},
        id="booking looks past the 7 days the answers are valid for",
    ),
    pytest.param(_hold_then_release, {}, id="a released hold no longer stops treatment"),
]


@pytest.mark.parametrize(("setup", "ask"), ALLOWED)
def test_clearance_allows(clinic, setup: Setup, ask: dict):
    setup(clinic)
    result = clinic.clearance(**ask)
    assert result, result.reason
    assert result.reason == ""
    assert result.screening == selectors.latest_screening(clinic.patient)


def test_a_check_in_the_day_before_is_refused_by_the_clinic_date_not_utc(
    front_desk_user, practitioner_user
):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): the answers are from 1 July,
    # too late for a session on 30 June, although the UTC date says 30 June.
    with time_machine.travel(dt.datetime(2027, 6, 30, 23, 30, tzinfo=dt.UTC), tick=False) as t:
        c = Clinic(front_desk=front_desk_user, practitioner=practitioner_user, clock=t)
        c.ready()
        assert not c.clearance(days=[dt.date(2027, 6, 30)], check_in=True)
        assert c.clearance(days=[dt.date(2027, 7, 1)], check_in=True)
        assert c.clearance(days=[dt.date(2027, 7, 8)], check_in=True)
        assert not c.clearance(days=[dt.date(2027, 7, 9)], check_in=True)


def test_the_screening_refused_is_the_latest_one(clinic):
    clinic.ready()
    latest = clinic.new_intake_an_hour_later(keloid_history=True)
    assert clinic.clearance().screening == latest


# --- Queries ----------------------------------------------------------------------------


def _many_records(c: Clinic) -> None:
    for _ in range(3):
        c.consent()
    for areas in (("cheeks",), ("cheeks", "eyelids"), ("cheeks", "abdomen"), ("cheeks",)):
        c.new_intake_an_hour_later(areas)
    for n in range(4):
        c.release(c.hold(source_ref=f"report-{n}"))


def test_clearance_runs_one_query_for_one_record_or_many(
    front_desk_user, practitioner_user, clock, django_assert_max_num_queries
):
    one = Clinic(front_desk=front_desk_user, practitioner=practitioner_user, clock=clock)
    one.ready()
    one.patient.refresh_from_db()
    for new_course in (False, True):
        with CaptureQueriesContext(connection) as queries:
            assert selectors.clearance(
                patient=one.patient, areas=["cheeks"], days=[TODAY], new_course=new_course
            )
        # The latest screening (with its submission and signer), and as subqueries of it the
        # consent, the first open hold and (for a new course) the latest full intake.
        assert len(queries) == 1, "\n".join(q["sql"] for q in queries)

    many = Clinic(front_desk=front_desk_user, practitioner=practitioner_user, clock=clock)
    _many_records(many)
    many.patient.refresh_from_db()
    with django_assert_max_num_queries(1):
        result = selectors.clearance(
            patient=many.patient, areas=["cheeks"], days=[TODAY, march(8)], check_in=True
        )
        assert result, result.reason
        assert result.screening.submission.areas == ["cheeks"]
    with django_assert_max_num_queries(1):
        result = selectors.clearance(patient=many.patient, areas=["cheeks"], new_course=True)
        assert result, result.reason


def test_a_screening_passed_in_is_not_read_again(clinic, django_assert_num_queries):
    clinic.ready()
    latest = selectors.latest_screening(clinic.patient)
    with django_assert_num_queries(1):  # the consent and the open holds, together
        verdict = selectors.clearance(patient=clinic.patient, areas=["cheeks"], screening=latest)
        assert verdict
        assert verdict.screening is latest


def test_a_screening_of_another_patient_is_a_programming_error(clinic):
    other = Clinic(front_desk=clinic.front_desk, practitioner=clinic.practitioner, clock=None)
    theirs = other.ready()
    with pytest.raises(ValueError, match="another patient"):
        selectors.clearance(patient=clinic.patient, areas=["cheeks"], screening=theirs)
