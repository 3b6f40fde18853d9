"""The check-in page (issue 10 item 6): the answers of the day read back with the planned
areas, each ticked as confirmed or changed, and the session page afterwards."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from patients import selectors as patient_selectors
from patients.models import IntakeSubmission, ScreeningResult
from patients.vocabulary import ON_THE_DAY_KEYS, QUESTIONS
from patients.vocabulary.on_the_day import SAME_AS_BEFORE, UNTICKED
from treatments.scheduling.check_in_form import NEW_ANSWER
from treatments.scheduling.models import CheckInConfirmation, Session

from .check_in_helpers import check_in, form_data, pre_session_answers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("long_sessions")]
LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)  # a Monday
ARRIVED = START - dt.timedelta(minutes=10)
PRE_SESSION = dt.datetime(2026, 3, 6, 18, tzinfo=LONDON)


@pytest.fixture
def session(clinic, front_desk_user, practitioner_user, acne_protocol):
    """Booked on 2 March for 9 March 10:00 on the cheeks; in the pre-session check on 6 March
    the patient said filler 40 days ago, and isotretinoin stopped on 1 June 2025."""
    [session] = clinic.book(
        starts=[START], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )
    pre_session_answers(
        session,
        by=front_desk_user,
        at=PRE_SESSION,
        recent_injectables_in_area_days=40,
        isotretinoin="stopped",
        isotretinoin_stopped_on="2025-06-01",
    )
    return session


@pytest.fixture(autouse=True)
def on_the_day():
    with time_machine.travel(ARRIVED, tick=False):
        yield


def url(session, action="check-in/"):
    return f"/sessions/{session.public_id}/{action}"


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_page_reads_back_each_question_with_the_earlier_answer_and_the_planned_areas(
    session, front_desk_client
):
    response = front_desk_client.get(url(session))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Planned areas</dt>\n  <dd><strong>Cheeks</strong>" in page
    assert "Pre-session check, 6 March 2026, 18:00" in page
    for key in ON_THE_DAY_KEYS:
        if key != "isotretinoin_stopped_on":  # asked with isotretinoin, as its follow-up
            assert escape(QUESTIONS[key].label.split("?")[0]) in page
            assert f'name="{key}" value="confirmed"' in page
            assert f'name="{key}" value="changed"' in page
    assert "Answered before: Yes, 40 days ago" in page
    assert "Answered before: Yes, but I have stopped · isotretinoin stop date: 1 June 2025" in page
    assert "Answered before: No</p>" in page  # pregnancy, and the rest
    earlier = patient_selectors.latest_screening(session.patient)
    assert f'name="screening" value="{earlier.public_id}"' in page


def test_nothing_ticked_is_a_400_with_every_question_named_at_once(session, front_desk_client):
    response = front_desk_client.post(url(session), {})
    assert response.status_code == 400
    form = response.context["form"]
    asked = [k for k in ON_THE_DAY_KEYS if k != "isotretinoin_stopped_on"]
    assert {name: form.errors[name] for name in asked} == {k: [UNTICKED] for k in asked}
    assert response.content.decode().count(UNTICKED) >= len(asked)
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED


def test_a_change_without_its_new_answer_is_a_400_on_that_answer(session, front_desk_client):
    response = front_desk_client.post(url(session), form_data(active_cold_sore="changed"))
    assert response.status_code == 400
    assert response.context["form"].errors == {"active_cold_sore__new": [NEW_ANSWER]}


def test_a_change_to_the_same_answer_comes_back_from_the_service_onto_its_field(
    session, front_desk_client
):
    data = form_data(active_cold_sore="changed", active_cold_sore__new="no")
    response = front_desk_client.post(url(session), data)
    assert response.status_code == 400
    assert response.context["form"].errors == {"active_cold_sore__new": [SAME_AS_BEFORE]}
    assert not IntakeSubmission.objects.filter(kind=IntakeSubmission.Kind.CHECK_IN).exists()


def test_everything_confirmed_checks_in_and_the_session_page_says_who_and_when(
    session, front_desk_client
):
    response = front_desk_client.post(url(session), form_data())
    assert response.status_code == 302 and response["Location"] == url(session, "")
    assert said(response) == ["Checked in: every answer confirmed."]
    assert Session.objects.get(pk=session.pk).status == Session.Status.CHECKED_IN

    page = front_desk_client.get(url(session, "")).content.decode()
    assert "Confirmed on the day by Fran Desk at" in page and ">09:50</time>" in page
    assert "pregnancy or breastfeeding; isotretinoin; isotretinoin stop date; " in page
    assert "Changed" not in page


def test_a_new_answer_that_blocks_refuses_and_the_patient_record_shows_the_new_screening(
    session, front_desk_client
):
    data = form_data(pregnant_or_breastfeeding="changed", pregnant_or_breastfeeding__new="yes")
    response = front_desk_client.post(url(session), data)
    assert response.status_code == 302 and response["Location"] == url(session, "")
    [message] = said(response)
    assert "Pregnant or breastfeeding: microneedling is not performed" in message
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED

    record = front_desk_client.get(f"/patients/{session.patient.public_id}/").content.decode()
    assert "Check-in confirmation · by Fran Desk" in " ".join(record.split())
    assert '<span class="outcome outcome-blocked">Blocked</span>' in record
    assert "(carried from the earlier answers)" in record


def test_a_harmless_new_answer_checks_in_and_the_session_page_marks_what_changed(
    session, front_desk_client
):
    data = form_data(
        recent_procedure_in_area_days="changed",
        recent_procedure_in_area_days__new="yes",
        recent_procedure_in_area_days__days="30",
    )
    response = front_desk_client.post(url(session), data)
    assert said(response) == ["Checked in with the new answers, screened again."]
    session.refresh_from_db()
    assert session.status == Session.Status.CHECKED_IN
    assert session.screening.submission.kind == IntakeSubmission.Kind.CHECK_IN

    page = front_desk_client.get(url(session, "")).content.decode()
    assert "Changed</strong>, so screened again" in page
    assert "<strong>Peel, laser or waxing</strong>: was “No, never”, now “Yes, 30 days ago”" in page


def test_a_changed_stop_date_alone_is_the_change_and_isotretinoin_itself_is_confirmed(
    session, front_desk_client
):
    data = form_data(
        isotretinoin="changed",
        isotretinoin__new="stopped",
        isotretinoin_stopped_on__new="2025-05-20",
    )
    front_desk_client.post(url(session), data)
    confirmation = CheckInConfirmation.objects.get()
    assert confirmation.changed_keys == ["isotretinoin_stopped_on"]
    assert "isotretinoin" in confirmation.confirmed_keys
    submission = Session.objects.get(pk=session.pk).screening.submission
    assert submission.answers["isotretinoin_stopped_on"] == "2025-05-20"


def test_a_confirmed_answers_stray_new_inputs_are_ignored(session, front_desk_client):
    """Without JavaScript every input shows; what counts is the tick."""
    data = form_data(pregnant_or_breastfeeding__new="yes", active_cold_sore__new="maybe")
    response = front_desk_client.post(url(session), data)
    assert response.status_code == 302
    assert CheckInConfirmation.objects.get().changed_keys == []


def test_a_session_already_checked_in_goes_back_to_its_page(session, front_desk_user, client):
    check_in(session, by=front_desk_user)
    client.force_login(front_desk_user)
    response = client.get(url(session))
    assert response.status_code == 302 and said(response) == ["This session is checked in."]


def test_a_patient_never_screened_is_sent_to_the_intake(session, front_desk_client):
    ScreeningResult.objects.filter(patient=session.patient).delete()
    page = front_desk_client.get(url(session)).content.decode()
    assert "has not been screened yet" in page and "Check in</button>" not in page
    response = front_desk_client.post(url(session), form_data())
    assert said(response) == [
        "The patient has not been screened yet: take the intake questionnaire first."
    ]


def test_the_session_page_links_to_the_confirmation_instead_of_checking_in_at_once(
    session, front_desk_client
):
    page = front_desk_client.get(url(session, "")).content.decode()
    assert f'<a class="button" href="{url(session)}">Check in</a>' in page


def test_staff_may_check_in_and_patients_may_not(session, practitioner_client, patient_client):
    assert patient_client.get(url(session)).status_code == 403
    assert patient_client.post(url(session), form_data()).status_code == 403
    assert Session.objects.get(pk=session.pk).status == Session.Status.BOOKED
    assert practitioner_client.get(url(session)).status_code == 200
    assert practitioner_client.post(url(session), form_data()).status_code == 302
    assert Session.objects.get(pk=session.pk).status == Session.Status.CHECKED_IN


def test_the_page_runs_the_same_queries_however_long_the_patients_history(
    session, front_desk_client, front_desk_user
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ran:
            assert front_desk_client.get(url(session)).status_code == 200
        return len(ran)

    front_desk_client.get(url(session))
    # The login's session, the user with their groups (clinic.backends), the session with its
    # course and patient, the day's first working hours (when check-in opens), the latest
    # screening with its submission, the audit row. The login's session is not saved again
    # within a minute (clinic.middleware.SessionRenewalMiddleware).
    assert queries() == 6
    for day in (3, 4, 5):
        pre_session_answers(session, by=front_desk_user, at=PRE_SESSION.replace(day=day))
    pre_session_answers(session, by=front_desk_user, at=PRE_SESSION, active_acne_in_area=True)
    assert queries() == 6
