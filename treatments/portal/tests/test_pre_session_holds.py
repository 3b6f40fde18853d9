"""Issue 10 items 2 and 4 at the pre-session check and the API.

- The check carries stable history forward only from a full intake that still stands on the
  session's day (`history_valid_months`, clinical reference §1.2); older history is asked
  again in the same form.
- An unsettled reaction answered in the check (§1.2 row 34) becomes a hold that only a
  practitioner releases, with a note; a later intake answering "no" does not lift it.
- A defer that also carries review findings needs a practitioner's sign-off before booking.
- A course is not started from a full intake older than the policy allows.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic.errors import Forbidden, Invalid
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.models import Hold, IntakeSubmission
from patients.vocabulary import EXPIRING_KEYS, QUESTIONS, STABLE_KEYS, negative_answers
from treatments.portal import pre_session
from treatments.portal.models import PreSessionCheck
from treatments.scheduling.models import Session
from treatments.scheduling.tests.check_in_helpers import api_body
from treatments.scheduling.tests.factories import CourseFactory

from .helpers import at, booked_session, expiring_answers, intake, text, travel

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
REACTION = (
    "In the pre-session check on 2 March 2026 the patient said a reaction after the last "
    "session has not settled."
)
HOLD_SUFFIX = " A practitioner must release the hold before treatment."
SIGN_OFF = "The latest screening needs a practitioner's sign-off before treatment."


def consent(patient, by) -> None:
    patient_services.consent_sign(
        patient=patient, kind="treatment", signed_name=patient.full_name, agreed=True, by=by
    )


def as_form(answers: dict) -> dict:
    """Answers as the portal form posts them (Yes/No radios, "Yes, N days ago")."""
    form = {}
    for key, value in answers.items():
        kind = QUESTIONS[key].kind
        if kind == "bool":
            form[key] = "yes" if value else "no"
        elif kind == "int":
            form[key] = "no" if value is None else "yes"
            if value is not None:
                form[f"{key}__days"] = value
        else:
            form[key] = "" if value is None else value
    return form


def url(session: Session) -> str:
    return f"/portal/pre-session-check/{session.public_id}/"


@pytest.fixture
def session(patient, practitioner):
    """Ada's session on Saturday 7 March 2026 (the check opens on 28 February)."""
    return booked_session(patient, at=at(days=5), course=CourseFactory(
        patient=patient, practitioner=practitioner, areas=["cheeks"]))  # fmt: skip


def history_taken(patient, by, when: dt.datetime, **answers):
    with travel(when):
        intake(patient, by, **answers)
        consent(patient, by)


# --- Carried answers never older than the policy allows -----------------------------------


def test_history_taken_within_6_months_of_the_session_is_carried(patient, session, front_desk_user):
    # 7 September 2025 + 6 months = 7 March 2026, the session's day.
    history_taken(patient, front_desk_user, dt.datetime(2025, 9, 7, 10, tzinfo=dt.UTC))
    assert set(pre_session.pre_session_questions(session)) == EXPIRING_KEYS


def test_history_older_than_6_months_on_the_session_day_is_asked_again(
    patient, session, front_desk_user
):
    history_taken(patient, front_desk_user, dt.datetime(2025, 9, 6, 10, tzinfo=dt.UTC))
    asked = pre_session.pre_session_questions(session)
    assert set(asked) == EXPIRING_KEYS | STABLE_KEYS
    assert asked == list(QUESTIONS)  # in the questionnaire's order


def test_the_service_refuses_old_history_answered_with_the_expiring_questions_only(
    patient, session, front_desk_user
):
    history_taken(patient, front_desk_user, dt.datetime(2025, 6, 1, 10, tzinfo=dt.UTC))
    with travel(at()), pytest.raises(Invalid) as error:
        pre_session.pre_session_submit(
            session=session, answers=expiring_answers(), by=patient.portal_user
        )
    assert "keloid_history" in error.value.fields
    assert not IntakeSubmission.objects.filter(kind="pre_session").exists()


def test_the_form_asks_the_old_history_again_and_nothing_is_carried(
    patient, session, ada, front_desk_user
):
    history_taken(patient, front_desk_user, at(days=-200), keloid_history=False)
    with travel(at()):
        page = ada.get(url(session))
        assert set(page.context["form"].keys) == EXPIRING_KEYS | STABLE_KEYS
        assert QUESTIONS["keloid_history"].label in text(page)
        only_expiring = ada.post(url(session), as_form(expiring_answers()))
        assert only_expiring.status_code == 400
        answered = ada.post(url(session), as_form(negative_answers(keloid_history=True)))
    assert answered.status_code == 302
    submission = IntakeSubmission.objects.get(kind="pre_session")
    assert submission.carried_keys == []
    assert submission.answers["keloid_history"] is True  # today's answer, not January's
    assert submission.screening.outcome == "review"


# --- An unsettled reaction is a hold only a practitioner releases --------------------------


def test_an_unsettled_reaction_holds_the_patient_until_a_practitioner_releases_it(
    patient, session, ada, front_desk_user, front_desk_client, practitioner_client, long_sessions
):
    history_taken(patient, front_desk_user, at(days=-30))
    with travel(at()):
        ada.post(
            url(session), as_form(expiring_answers(unresolved_reaction_from_last_session=True))
        )
    check = PreSessionCheck.objects.get()
    hold = Hold.objects.get()
    assert check.needs_call
    assert hold.is_open and hold.source == Hold.Source.PRE_SESSION
    assert hold.source_ref == str(check.public_id) and hold.reason == REACTION

    # The next day the front desk take a full intake and the patient says it has settled.
    with travel(at(days=1)):
        answered = front_desk_client.post(
            f"/api/patients/{patient.public_id}/intakes/",
            {"answers": negative_answers(), "areas": ["cheeks"]},
            format="json",
        )
    assert answered.status_code == 201 and answered.json()["screening"]["outcome"] == "cleared"

    check_in = f"/api/sessions/{session.public_id}/check-in/"
    with travel(at(days=5, hours=-1)):
        refused = front_desk_client.post(check_in, api_body(), format="json")
        assert refused.status_code == 409
        assert refused.json()["error"]["message"] == REACTION + HOLD_SUFFIX

        # Front desk may call the patient, but not close a check that placed a hold.
        resolve = f"/portal/staff/pre-session/{check.public_id}/resolve/"
        assert front_desk_client.post(resolve, {"note": "Called her."}).status_code == 403
        hold.refresh_from_db()
        assert hold.is_open

        practitioner_client.post(resolve, {"note": "Seen: the redness has gone."})
        hold.refresh_from_db()
        assert not hold.is_open and hold.release_note == "Seen: the redness has gone."
        allowed = front_desk_client.post(check_in, api_body(), format="json")
    assert allowed.status_code == 200, allowed.json()
    assert Session.objects.get(pk=session.pk).status == Session.Status.CHECKED_IN


def test_a_later_no_in_the_pre_session_check_does_not_lift_the_hold(
    patient, session, front_desk_user
):
    history_taken(patient, front_desk_user, at(days=-30))
    with travel(at()):
        pre_session.pre_session_submit(
            session=session,
            answers=expiring_answers(unresolved_reaction_from_last_session=True),
            by=patient.portal_user,
        )
    with travel(at(hours=2)):
        again = pre_session.pre_session_submit(
            session=session, answers=expiring_answers(), by=patient.portal_user
        )
        assert again.submission.screening.outcome == "cleared"
        verdict = patient_selectors.clearance(
            patient=patient, areas=["cheeks"], days=[session.starts_at.date()], check_in=True
        )
    assert not verdict and verdict.reason == REACTION + HOLD_SUFFIX


def test_only_a_practitioner_resolves_a_check_that_placed_a_hold(
    patient, session, front_desk_user, practitioner_user
):
    history_taken(patient, front_desk_user, at(days=-30))
    with travel(at()):
        check = pre_session.pre_session_submit(
            session=session,
            answers=expiring_answers(unresolved_reaction_from_last_session=True),
            by=patient.portal_user,
        )
        with pytest.raises(Forbidden):
            pre_session.pre_session_resolve(check=check, note="Called.", by=front_desk_user)
        pre_session.pre_session_resolve(check=check, note="Reviewed photos.", by=practitioner_user)
    assert not Hold.objects.open().exists()
    assert Hold.objects.get().released_by == practitioner_user


def test_a_settled_answer_places_no_hold(patient, session, front_desk_user):
    history_taken(patient, front_desk_user, at(days=-30))
    with travel(at()):
        pre_session.pre_session_submit(
            session=session, answers=expiring_answers(), by=patient.portal_user
        )
    assert not Hold.objects.exists()


# --- Booking through the API -----------------------------------------------------------------


PLANNED_ON = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)


def create_course(client, clinic, patient, protocol):
    body = {
        "patient": str(patient.public_id),
        "practitioner": clinic.practitioner.pk,
        "protocol": protocol.pk,
        "areas": ["cheeks"],
        "sessions": 1,
    }
    return client.post("/api/courses/", body, format="json")


def book(client, course_id, starts, room):
    body = {"sessions": [{"starts_at": starts.isoformat(), "room": room.pk}]}
    return client.post(f"/api/courses/{course_id}/book/", body, format="json")


def test_a_defer_with_review_findings_is_booked_only_signed_off_and_from_its_date(
    clinic, acne_protocol, front_desk_user, front_desk_client, practitioner_client, long_sessions
):
    with travel(PLANNED_ON):
        patient = clinic.screened_patient(
            front_desk_user,
            answers=negative_answers(anticoagulants=True, sunburn_or_tan_last_14_days=True),
        )
        result = patient.screenings.get()
        assert result.outcome == "defer" and str(result.defer_until) == "2026-03-16"

        refused = create_course(practitioner_client, clinic, patient, acne_protocol)
        assert refused.status_code == 409
        assert refused.json()["error"]["message"] == SIGN_OFF

        signed = practitioner_client.post(
            f"/api/screenings/{result.public_id}/sign-off/",
            {"reason": "Prescriber agrees; INR stable."},
            format="json",
        )
        assert signed.status_code == 200, signed.json()
        course = create_course(practitioner_client, clinic, patient, acne_protocol)
        assert course.status_code == 201, course.json()
        course_id = course.json()["id"]

        early = book(front_desk_client, course_id, dt.datetime(2026, 3, 9, 10, tzinfo=LONDON),
                     clinic.rooms[0])  # fmt: skip
        assert early.status_code == 409
        assert "defers treatment until 16 March 2026" in early.json()["error"]["message"]

        booked = book(front_desk_client, course_id, dt.datetime(2026, 3, 16, 10, tzinfo=LONDON),
                      clinic.rooms[0])  # fmt: skip
    assert booked.status_code == 201, booked.json()


def test_an_intake_from_january_2023_does_not_start_a_course_in_march_2026(
    clinic, acne_protocol, front_desk_user, practitioner_client, long_sessions
):
    with travel(dt.datetime(2023, 1, 3, 10, tzinfo=dt.UTC)):
        patient = clinic.screened_patient(front_desk_user)
    with travel(PLANNED_ON):
        refused = create_course(practitioner_client, clinic, patient, acne_protocol)
        assert refused.status_code == 409
        assert refused.json()["error"]["message"] == (
            "The patient's medical history was last taken on 3 January 2023: take a full "
            "intake before starting a course."
        )
        patient_services.intake_submit(
            patient=patient, answers=negative_answers(), areas=["cheeks"], by=front_desk_user
        )
        allowed = create_course(practitioner_client, clinic, patient, acne_protocol)
    assert allowed.status_code == 201, allowed.json()


def test_a_course_planned_with_fresh_history_is_not_booked_once_it_is_too_old(
    clinic, acne_protocol, front_desk_user, front_desk_client, practitioner_client, long_sessions
):
    with travel(dt.datetime(2025, 9, 1, 10, tzinfo=dt.UTC)):
        patient = clinic.screened_patient(front_desk_user)
        course = create_course(practitioner_client, clinic, patient, acne_protocol)
        assert course.status_code == 201, course.json()
    with travel(PLANNED_ON):
        refused = book(front_desk_client, course.json()["id"],
                       dt.datetime(2026, 3, 9, 10, tzinfo=LONDON), clinic.rooms[0])  # fmt: skip
    assert refused.status_code == 409
    assert "last taken on 1 September 2025" in refused.json()["error"]["message"]
