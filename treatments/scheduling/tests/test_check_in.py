"""Checking in with the answers confirmed on the day (issue 10 item 6; clinical reference §1.2
"confirmed verbally on the day"), through the service."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.errors import Conflict, Invalid
from clinic.models import AuditEvent
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.models import Hold, IntakeSubmission, ScreeningResult
from patients.selectors import EXPIRED, HOLD_SUFFIX
from patients.vocabulary import ON_THE_DAY_KEYS, QUESTIONS
from patients.vocabulary.on_the_day import UNTICKED
from treatments.scheduling import check_in as service
from treatments.scheduling.models import CheckInConfirmation, Session

from .check_in_helpers import check_in, pre_session_answers

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)  # a Monday
ARRIVED = START - dt.timedelta(minutes=10)
PRE_SESSION = dt.datetime(2026, 3, 6, 18, tzinfo=LONDON)


@pytest.fixture
def session(clinic, front_desk_user, practitioner_user, acne_protocol):
    """Booked on 2 March for 9 March 10:00 on the cheeks; the pre-session check on 6 March
    (a filler 40 days ago, nothing else)."""
    [session] = clinic.book(
        starts=[START], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )
    pre_session_answers(
        session, by=front_desk_user, at=PRE_SESSION, recent_injectables_in_area_days=40
    )
    return session


@pytest.fixture
def on_the_day():
    with time_machine.travel(ARRIVED, tick=False):
        yield


def latest(patient) -> ScreeningResult:
    return patient_selectors.latest_screening(patient)


@pytest.mark.usefixtures("on_the_day")
def test_everything_confirmed_checks_in_and_keeps_who_confirmed_what_and_when(
    session, front_desk_user
):
    earlier = latest(session.patient)
    check_in(session, by=front_desk_user)

    session.refresh_from_db()
    assert session.status == Session.Status.CHECKED_IN
    assert session.screening == earlier  # no new screening: nothing changed
    confirmation = CheckInConfirmation.objects.get(session=session)
    assert confirmation.confirmed_by == front_desk_user
    assert confirmation.confirmed_at == ARRIVED
    assert confirmation.confirmed_keys == list(ON_THE_DAY_KEYS)
    assert confirmation.changed_keys == []
    assert confirmation.earlier == earlier
    assert not IntakeSubmission.objects.filter(kind=IntakeSubmission.Kind.CHECK_IN).exists()
    assert AuditEvent.objects.filter(
        action="create", object_type="treatments.checkinconfirmation", actor=front_desk_user
    ).exists()


@pytest.mark.usefixtures("on_the_day")
def test_a_pregnancy_told_at_the_desk_refuses_the_check_in_and_becomes_the_latest_screening(
    session, front_desk_user
):
    earlier = latest(session.patient)
    with pytest.raises(Conflict) as refused:
        check_in(session, by=front_desk_user, changed={"pregnant_or_breastfeeding": True})

    message = refused.value.message
    assert "The latest screening is blocked" in message
    assert "Pregnant or breastfeeding: microneedling is not performed" in message
    session.refresh_from_db()
    assert session.status == Session.Status.BOOKED and session.screening is None
    assert not CheckInConfirmation.objects.exists()

    new = latest(session.patient)
    assert new != earlier and new.outcome == ScreeningResult.Outcome.BLOCKED
    submission = new.submission
    assert submission.kind == IntakeSubmission.Kind.CHECK_IN
    assert submission.submitted_by == front_desk_user and not submission.submitted_by_patient
    assert submission.answers == {**earlier.submission.answers, "pregnant_or_breastfeeding": True}
    assert submission.areas == ["cheeks"]
    assert submission.carried_keys == sorted(set(QUESTIONS) - set(ON_THE_DAY_KEYS))


@pytest.mark.usefixtures("on_the_day")
def test_a_cold_sore_told_at_the_desk_defers_and_says_so_in_plain_words(session, front_desk_user):
    with pytest.raises(Conflict) as refused:
        check_in(session, by=front_desk_user, changed={"active_cold_sore": True})
    assert "Cold sore at the moment: treatment must wait" in refused.value.message
    assert latest(session.patient).outcome == ScreeningResult.Outcome.DEFER
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED


@pytest.mark.usefixtures("on_the_day")
def test_a_harmless_change_is_screened_again_and_the_session_checked_in_against_it(
    session, front_desk_user
):
    earlier = latest(session.patient)
    check_in(session, by=front_desk_user, changed={"recent_procedure_in_area_days": 30})

    new = latest(session.patient)
    assert new != earlier and new.outcome == ScreeningResult.Outcome.CLEARED
    assert new.submission.kind == IntakeSubmission.Kind.CHECK_IN
    session.refresh_from_db()
    assert session.status == Session.Status.CHECKED_IN and session.screening == new
    confirmation = session.check_in_confirmation
    assert confirmation.changed_keys == ["recent_procedure_in_area_days"]
    assert "recent_procedure_in_area_days" not in confirmation.confirmed_keys
    assert len(confirmation.confirmed_keys) == len(ON_THE_DAY_KEYS) - 1
    assert confirmation.earlier == earlier


@pytest.mark.usefixtures("on_the_day")
def test_a_change_that_clears_is_still_refused_by_an_open_hold_with_the_holds_reason_only(
    session, front_desk_user
):
    patient_services.hold_place(
        patient=session.patient, reason="A reaction was reported.", source=Hold.Source.REACTION
    )
    with pytest.raises(Conflict) as refused:
        check_in(session, by=front_desk_user, changed={"recent_procedure_in_area_days": 30})
    assert refused.value.message == "A reaction was reported." + HOLD_SUFFIX
    assert latest(session.patient).outcome == ScreeningResult.Outcome.CLEARED
    assert latest(session.patient).submission.kind == IntakeSubmission.Kind.CHECK_IN


@pytest.mark.usefixtures("on_the_day")
def test_answers_left_unticked_are_a_400_naming_each_and_nothing_is_written(
    session, front_desk_user
):
    left_out = ["active_cold_sore", "unresolved_reaction_from_last_session"]
    with pytest.raises(Invalid) as refused:
        service.session_check_in(
            session=session,
            confirmed=[k for k in ON_THE_DAY_KEYS if k not in left_out],
            changed={},
            by=front_desk_user,
        )
    assert refused.value.fields == {key: [UNTICKED] for key in left_out}
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED
    assert IntakeSubmission.objects.count() == 2  # the intake and the pre-session check


@pytest.mark.usefixtures("on_the_day")
def test_a_confirmation_of_answers_that_are_no_longer_the_latest_is_refused(
    session, front_desk_user
):
    read_back = latest(session.patient)
    pre_session_answers(session, by=front_desk_user, at=ARRIVED, active_cold_sore=True)
    with pytest.raises(Conflict, match="changed after this check-in was opened"):
        service.session_check_in(
            session=session,
            confirmed=ON_THE_DAY_KEYS,
            screening_id=read_back.public_id,
            by=front_desk_user,
        )
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED


def test_a_change_is_not_laid_over_answers_too_old_to_carry(
    clinic, acne_protocol, practitioner_user, front_desk_user
):
    """The answers not asked at check-in would be carried unasked: on 16 March the intake of
    2 March has expired, so a change is refused before anything is written."""
    later = START + dt.timedelta(days=7)
    [session] = clinic.book(
        starts=[later], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )
    with time_machine.travel(later - dt.timedelta(minutes=10), tick=False):
        with pytest.raises(Conflict) as refused:
            check_in(session, by=front_desk_user, changed={"active_acne_in_area": True})
    assert refused.value.message == EXPIRED
    assert not IntakeSubmission.objects.filter(kind=IntakeSubmission.Kind.CHECK_IN).exists()


@pytest.mark.usefixtures("on_the_day")
def test_a_patient_never_screened_is_told_to_take_the_intake(
    clinic, acne_protocol, practitioner_user, front_desk_user, session
):
    ScreeningResult.objects.filter(patient=session.patient).delete()
    with pytest.raises(Conflict, match="has not been screened yet"):
        check_in(session, by=front_desk_user)


@pytest.mark.usefixtures("on_the_day")
def test_a_session_already_checked_in_is_not_checked_in_again(session, front_desk_user):
    check_in(session, by=front_desk_user)
    with pytest.raises(Conflict, match="checked in session cannot be checked in"):
        check_in(session, by=front_desk_user)
    assert CheckInConfirmation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_new_screening_is_committed_although_the_check_in_is_refused(session, front_desk_user):
    """Outside any test transaction: the refusal is raised after the new screening commits."""
    with time_machine.travel(ARRIVED, tick=False):
        with pytest.raises(Conflict):
            check_in(session, by=front_desk_user, changed={"pregnant_or_breastfeeding": True})
    assert latest(session.patient).submission.kind == IntakeSubmission.Kind.CHECK_IN
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED


@pytest.mark.usefixtures("on_the_day")
def test_an_unsettled_reaction_told_at_the_desk_places_a_hold_a_later_answer_cannot_lift(
    session, front_desk_user, practitioner_user, practitioner_client
):
    """Reference §1.2 row 34: a practitioner must see it. The hold outlives the screening."""
    with pytest.raises(Conflict):
        check_in(
            session, by=front_desk_user, changed={"unresolved_reaction_from_last_session": True}
        )
    hold = Hold.objects.open().get(patient=session.patient)
    assert hold.source == Hold.Source.CHECK_IN
    assert "At check-in on 9 March 2026" in hold.reason

    # The patient then says it has settled after all: still refused, by the hold.
    with pytest.raises(Conflict) as refused:
        check_in(
            session, by=front_desk_user, changed={"unresolved_reaction_from_last_session": False}
        )
    assert refused.value.message.endswith(HOLD_SUFFIX)
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED

    # A practitioner releases it from the patient's record, with a note.
    record = practitioner_client.get(f"/patients/{session.patient.public_id}/").content.decode()
    assert "Treatment on hold" in record and ">Release this hold</button>" in record
    practitioner_client.post(
        f"/patients/holds/{hold.public_id}/release/", {"note": "Seen: redness settled."}
    )
    hold.refresh_from_db()
    assert not hold.is_open and hold.released_by == practitioner_user
    check_in(session, by=front_desk_user)
    assert Session.objects.get(pk=session.pk).status == Session.Status.CHECKED_IN


def test_front_desk_cannot_release_a_hold_from_the_record(session, front_desk_client):
    hold = patient_services.hold_place(
        patient=session.patient, reason="A reaction was reported.", source=Hold.Source.REACTION
    )
    response = front_desk_client.post(
        f"/patients/holds/{hold.public_id}/release/", {"note": "Looks fine."}
    )
    assert response.status_code == 403
    hold.refresh_from_db()
    assert hold.is_open
