"""The patient portal: logging in, aftercare, the pre-session check, sessions and requests,
preferences, and the staff pages that act on them. One-time links are in test_invites.py,
check-ins and reaction findings in test_check_ins.py."""

import datetime as dt
import re

import pytest
from django.test import Client

from clinic.tests.factories import PASSWORD
from patients.models import IntakeSubmission
from patients.vocabulary import EXPIRING_KEYS, STABLE_KEYS
from treatments.messaging import render
from treatments.messaging.models import Message
from treatments.portal import services as portal
from treatments.portal.models import (
    AftercareAcknowledgement,
    AftercareStep,
    PreSessionCheck,
    SessionChangeRequest,
)
from treatments.scheduling.models import Session
from treatments.scheduling.tests.factories import CourseFactory

from .helpers import (
    UTC,
    at,
    booked_session,
    completed_session,
    expiring_answers,
    intake,
    text,
    travel,
)

pytestmark = pytest.mark.django_db


# --- Logging in ------------------------------------------------------------------------------


def test_the_portal_login_admits_patients_and_brings_them_to_the_page_they_were_sent_to(patient):
    client = Client()
    first = client.get("/portal/aftercare/")
    assert first.status_code == 302
    assert first["Location"] == "/portal/login/?next=/portal/aftercare/"
    response = client.post(
        "/portal/login/?next=/portal/aftercare/",
        {"username": "Ada@Example.com", "password": PASSWORD, "next": "/portal/aftercare/"},
    )
    assert response.status_code == 302 and response["Location"] == "/portal/aftercare/"


def test_the_portal_login_refuses_staff_accounts(front_desk_user):
    response = Client().post("/portal/login/", {"username": "fd", "password": PASSWORD})
    assert response.status_code == 200
    assert "This login is for patients" in text(response)


def test_staff_cannot_open_portal_pages_and_patients_cannot_open_staff_pages(
    front_desk_client, ada
):
    assert front_desk_client.get("/portal/").status_code == 403
    assert ada.get("/portal/staff/").status_code == 403
    assert ada.get("/patients/").status_code == 403
    assert ada.get("/api/patients/").status_code == 404  # the staff API does not exist for her


# --- Aftercare --------------------------------------------------------------------------------


def test_aftercare_shows_todays_step_first_with_the_warning_signs_and_phone(
    patient, ada, practitioner, settings
):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(hours=3)):
        response = ada.get(f"/portal/aftercare/{session.public_id}/")
    page = text(response)
    assert response.status_code == 200
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
    assert "Today: leaving the clinic to bedtime" in headings[0]
    assert "like a moderate sunburn" in page
    assert "Keep the treated skin (forehead and cheeks) clean" in page
    assert f'Call us on <a href="tel:{settings.CLINIC_PHONE.replace(" ", "")}"' in page
    assert "Call 999 straight away" in page and "Trouble breathing" in page
    assert "Because you have had cold sores" not in page


def test_on_day_3_the_current_step_is_first_and_day_0_is_under_earlier_steps(
    patient, ada, practitioner
):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=2, hours=2)):
        page = text(ada.get(f"/portal/aftercare/{session.public_id}/"))
    assert re.findall(r"<h2[^>]*>(.*?)</h2>", page)[0].endswith("Days 2 and 3")
    assert page.index("Earlier steps") < page.index("Today: leaving the clinic")


def test_cold_sore_advice_shows_when_the_intake_says_so(patient, ada, practitioner):
    intake(patient, practitioner.user, cold_sore_history=True)
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(hours=3)):
        page = text(ada.get(f"/portal/aftercare/{session.public_id}/"))
    assert "Because you have had cold sores" in page


def test_the_managers_wording_replaces_the_default(patient, ada, practitioner):
    AftercareStep.objects.filter(stage="day_0").update(active=False)
    AftercareStep.objects.create(stage="day_0", section="do", text="Our own day-0 advice.")
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(hours=3)):
        page = text(ada.get(f"/portal/aftercare/{session.public_id}/"))
    assert "Our own day-0 advice." in page
    assert "like a moderate sunburn" not in page


def test_reading_a_step_is_recorded_once_with_the_time(patient, ada, practitioner):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    url = f"/portal/aftercare/{session.public_id}/read/"
    with travel(at(hours=3)):
        assert ada.post(url, {"stage": "day_0"}).status_code == 302
    with travel(at(hours=3, days=0) + dt.timedelta(minutes=20)):
        ada.post(url, {"stage": "day_0"})
        page = text(ada.get(f"/portal/aftercare/{session.public_id}/"))
    ack = AftercareAcknowledgement.objects.get()
    assert ack.acknowledged_at == at(hours=3) and ack.acknowledged_by == patient.portal_user
    assert "You confirmed reading this on 2 March 2026 at 13:00" in page


def test_the_emergency_number_is_one_answer_for_messages_and_the_portal(
    patient, ada, practitioner, settings
):
    """A region without a number of its own (Germany) gets 112 everywhere, never nothing."""
    settings.CLINIC_PHONE_REGION = "DE"
    session = completed_session(patient, at=at(), practitioner=practitioner)
    aftercare = Message.objects.create(
        patient=patient, session=session, kind="aftercare", channel="email", due_at=at()
    )
    rendered = render.render_email(aftercare)
    assert "Call emergency services (112) straight away" in rendered.text
    assert "(112)" in rendered.html
    with travel(at(hours=3)):
        home = text(ada.get("/portal/"))
        page = text(ada.get(f"/portal/aftercare/{session.public_id}/"))
    assert "In an emergency, such as trouble breathing or swelling of your throat, call 112" in home
    assert "Call 112 straight away" in page


def test_the_aftercare_link_in_messages_opens_the_latest_session(patient, ada, practitioner):
    completed_session(patient, at=at(days=-30), practitioner=practitioner)
    latest = completed_session(patient, at=at(), practitioner=practitioner, number=2)
    response = ada.get("/portal/aftercare/")
    assert response["Location"] == f"/portal/aftercare/{latest.public_id}/"


# --- The pre-session check ---------------------------------------------------------------


@pytest.fixture
def upcoming(patient, practitioner, front_desk_user):
    with travel(at(days=-30)):
        intake(patient, front_desk_user, keloid_history=True, cold_sore_history=False)
    return booked_session(patient, at=at(days=5), course=CourseFactory(
        patient=patient, practitioner=practitioner, areas=["cheeks"]))  # fmt: skip


def pre_session_form(**changes) -> dict:
    form = {}
    for key, value in expiring_answers(**changes).items():
        if isinstance(value, bool):
            form[key] = "yes" if value else "no"
        elif key.endswith("_days"):
            form[key] = "no" if value is None else "yes"
            if value is not None:
                form[f"{key}__days"] = value
        elif value is None:
            form[key] = ""
        else:
            form[key] = value
    return form


def test_the_pre_session_check_asks_only_the_expiring_questions(upcoming, ada):
    with travel(at()):
        page = ada.get(f"/portal/pre-session-check/{upcoming.public_id}/")
    form = page.context["form"]
    assert set(form.keys) == EXPIRING_KEYS
    assert not set(form.fields) & STABLE_KEYS


def test_the_answers_become_a_pre_session_submission_with_carried_keys_and_a_screening(
    upcoming, ada, patient
):
    with travel(at()):
        response = ada.post(f"/portal/pre-session-check/{upcoming.public_id}/", pre_session_form())
        assert response.status_code == 302
        page = text(ada.get(response["Location"]))
    submission = IntakeSubmission.objects.get(kind="pre_session")
    assert submission.submitted_by == patient.portal_user and submission.submitted_by_patient
    assert set(submission.carried_keys) == STABLE_KEYS
    assert submission.answers["keloid_history"] is True  # carried from the full intake
    assert submission.areas == ["cheeks"]
    assert submission.screening.outcome == "review"  # keloid history: a clinician signs off
    check = PreSessionCheck.objects.get()
    assert check.session == upcoming and check.stops_session  # not cleared until signed off
    assert "someone from the clinic will call you" in page


def test_a_stopping_answer_flags_the_session_for_front_desk_and_tells_the_patient_kindly(
    upcoming, ada, front_desk_client
):
    with travel(at()):
        ada.post(
            f"/portal/pre-session-check/{upcoming.public_id}/",
            pre_session_form(pregnant_or_breastfeeding=True),
        )
        page = text(ada.get(f"/portal/pre-session-check/{upcoming.public_id}/"))
        home = text(ada.get("/portal/"))
    assert IntakeSubmission.objects.get(kind="pre_session").screening.outcome == "blocked"
    for shown in (page, home):
        assert "someone from the clinic will call you" in shown
        for detail in ("pregnan", "blocked", "Blocked", "contraindicat"):
            assert detail not in shown
    staff = text(front_desk_client.get("/portal/staff/"))
    assert "call the patient (1)" in staff and "Ada Lovelace" in staff


def test_unanswered_questions_are_a_400_naming_them_and_nothing_is_saved(upcoming, ada):
    form = pre_session_form()
    del form["pregnant_or_breastfeeding"]
    with travel(at()):
        response = ada.post(f"/portal/pre-session-check/{upcoming.public_id}/", form)
    assert response.status_code == 400
    assert "Please answer this question." in text(response)
    assert not IntakeSubmission.objects.filter(kind="pre_session").exists()


def test_the_questions_open_7_days_before_the_session(upcoming, ada):
    with travel(at(days=-3)):
        page = text(ada.get(f"/portal/pre-session-check/{upcoming.public_id}/"))
        response = ada.post(f"/portal/pre-session-check/{upcoming.public_id}/", pre_session_form())
    assert "These questions open on Saturday 28 February" in page
    assert response.status_code == 200 and not PreSessionCheck.objects.exists()


def test_the_pre_session_link_in_messages_opens_the_next_session(upcoming, ada):
    with travel(at()):
        response = ada.get("/portal/pre-session-check/")
    assert response["Location"] == f"/portal/pre-session-check/{upcoming.public_id}/"


# --- Sessions and change requests ----------------------------------------------------------


def test_upcoming_sessions_show_the_clinic_time_practitioner_and_place(patient, ada, practitioner):
    summer = dt.datetime(2026, 7, 6, 9, 0, tzinfo=UTC)  # 10:00 BST
    session = booked_session(patient, at=summer, course=CourseFactory(
        patient=patient, practitioner=practitioner))  # fmt: skip
    with travel(at()):
        page = text(ada.get("/portal/sessions/"))
        ics = ada.get(f"/portal/sessions/{session.public_id}.ics")
    assert "Monday 6 July 2026 at 10:00 BST" in page
    assert "Priya Shah" in page and "Room B" in page
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    body = ics.content.decode()
    assert "DTSTART:20260706T090000Z" in body and "with Priya Shah" in body
    assert "Lovelace" not in body


def test_a_patient_asks_to_cancel_and_front_desk_confirms_it(
    patient, ada, practitioner, front_desk_client
):
    session = booked_session(patient, at=at(days=10), course=CourseFactory(
        patient=patient, practitioner=practitioner))  # fmt: skip
    with travel(at()):
        url = f"/portal/sessions/{session.public_id}/change/"
        assert ada.post(url, {"kind": "cancel", "note": "Away"}).status_code == 302
        again = ada.post(url, {"kind": "move"}, follow=True)
        assert "already asked" in text(again)
        change = SessionChangeRequest.objects.get()
        session.refresh_from_db()
        assert session.status == Session.Status.BOOKED  # the patient never cancels directly
        front_desk_client.post(
            f"/portal/staff/requests/{change.public_id}/", {"outcome": "cancel", "note": ""}
        )
    session.refresh_from_db()
    change.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    assert session.cancel_reason.startswith("The patient asked in the portal")
    assert change.status == "done" and change.handled_by.username == "fd"


# --- Preferences -----------------------------------------------------------------------------


def test_withdrawing_sms_moves_pending_messages_to_email_at_once(patient, ada, practitioner):
    patient.preferred_channel = "sms"
    patient.save()
    session = booked_session(patient, at=at(days=10), course=CourseFactory(
        patient=patient, practitioner=practitioner))  # fmt: skip
    reminder = Message.objects.create(patient=patient, session=session, kind="reminder_24h",
                                      channel="sms", due_at=at(days=9, hours=2))  # fmt: skip
    sent = Message.objects.create(
        patient=patient, session=session, kind="booking_confirmation", channel="sms",
        due_at=at(), status="sent", sent_at=at(),
    )  # fmt: skip
    with travel(at()):
        response = ada.post(
            "/portal/preferences/",
            {"email_consent": "on", "preferred_channel": "email"},
        )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert not patient.sms_consent and patient.email_consent
    reminder.refresh_from_db()
    sent.refresh_from_db()
    assert (reminder.channel, reminder.status) == ("email", "pending")
    assert sent.status == "sent" and sent.channel == "sms"  # history is never rewritten


def test_withdrawing_every_channel_skips_pending_messages(patient, ada, practitioner):
    session = booked_session(patient, at=at(days=10), course=CourseFactory(
        patient=patient, practitioner=practitioner))  # fmt: skip
    message = Message.objects.create(patient=patient, session=session, kind="reminder_24h",
                                     channel="email", due_at=at(days=9))  # fmt: skip
    with travel(at()):
        ada.post("/portal/preferences/", {"preferred_channel": "email"})
        message.refresh_from_db()
        assert message.status == "skipped"
        ada.post("/portal/preferences/", {"email_consent": "on", "preferred_channel": "email"})
    message.refresh_from_db()
    assert message.status == "pending"  # agreeing again brings it back


def test_preferences_page_shows_the_current_choices(patient, ada):
    patient.sms_consent = False
    patient.save()
    page = text(ada.get("/portal/preferences/"))
    assert re.search(r'<input type="checkbox" name="email_consent"[^>]* checked', page)
    assert not re.search(r'<input type="checkbox" name="sms_consent"[^>]* checked', page)
    assert "ada@example.com" in page


WARNING = 'data-warn-unless-any="email_consent sms_consent"'


def _warning(html: str) -> str:
    start = html.index(WARNING)
    return html[start : html.index("</div>", start)]


def test_unticking_both_channels_warns_that_aftercare_check_ins_stop_and_still_saves(patient, ada):
    with travel(at()):
        page = ada.get("/portal/preferences/").content.decode()
        assert _warning(page).split(">")[0].endswith("hidden")  # both ticked: hidden
        response = ada.post("/portal/preferences/", {"preferred_channel": "email"})
        assert response.status_code == 302  # allowed
        page = ada.get("/portal/preferences/").content.decode()
    patient.refresh_from_db()
    assert not patient.email_consent and not patient.sms_consent
    warning = _warning(page)
    assert " hidden" not in warning.split(">")[0]
    assert "you will get no appointment reminders and no aftercare check-ins" in warning


# --- Queries --------------------------------------------------------------------------------


def test_the_sessions_page_does_not_query_per_session(
    patient, ada, practitioner, django_assert_max_num_queries
):
    course = CourseFactory(patient=patient, practitioner=practitioner)
    booked_session(patient, at=at(days=10), course=course, number=1)
    with travel(at()), django_assert_max_num_queries(12) as one:
        ada.get("/portal/sessions/")
    for n in range(2, 8):
        booked_session(patient, at=at(days=10 * n), course=course, number=n)
    with travel(at()), django_assert_max_num_queries(len(one.captured_queries)):
        ada.get("/portal/sessions/")


def test_front_desk_resolve_a_pre_session_call_with_a_note(upcoming, ada, front_desk_client):
    with travel(at()):
        ada.post(
            f"/portal/pre-session-check/{upcoming.public_id}/",
            pre_session_form(active_cold_sore=True),
        )
    check = PreSessionCheck.objects.get()
    assert check.needs_call
    url = f"/portal/staff/pre-session/{check.public_id}/resolve/"
    refused = front_desk_client.post(url, {"note": " "}, follow=True)
    assert "A note is required" in text(refused)
    front_desk_client.post(url, {"note": "Called: moved to next month."})
    check.refresh_from_db()
    assert not check.needs_call and check.resolve_note == "Called: moved to next month."


def test_a_move_request_that_is_not_possible_needs_a_note(
    patient, ada, practitioner, front_desk_client
):
    session = booked_session(patient, at=at(days=10), course=CourseFactory(
        patient=patient, practitioner=practitioner))  # fmt: skip
    with travel(at()):
        ada.post(f"/portal/sessions/{session.public_id}/change/", {"kind": "move"})
        change = SessionChangeRequest.objects.get()
        url = f"/portal/staff/requests/{change.public_id}/"
        cancel = front_desk_client.post(url, {"outcome": "cancel"}, follow=True)
        assert "Only a cancellation request" in text(cancel)
        front_desk_client.post(url, {"outcome": "declined", "note": ""})
        assert SessionChangeRequest.objects.get().status == "open"
        front_desk_client.post(url, {"outcome": "declined", "note": "Fully booked that week."})
    change.refresh_from_db()
    assert change.status == "declined" and change.staff_note == "Fully booked that week."
    session.refresh_from_db()
    assert session.status == Session.Status.BOOKED


def test_the_seeded_aftercare_wording_is_the_references_and_the_manager_edits_it(manager_client):
    import importlib

    from django.apps import apps

    from treatments.portal import aftercare

    seed = importlib.import_module("treatments.migrations.0008_default_aftercare_steps").seed
    AftercareStep.objects.all().delete()
    seed(apps, None)
    assert AftercareStep.objects.count() == len(aftercare.DEFAULT_STEPS)
    day = dt.date(2026, 3, 2)
    args = {"completed_on": day, "today": day, "areas": ["perioral"], "cold_sore": True,
            "values": portal.aftercare_values()}  # fmt: skip
    from_rows = aftercare.build_timeline(steps=portal.aftercare_steps(), **args)
    from_code = aftercare.build_timeline(steps=[], **args)
    assert [(s.code, s.expect, s.do) for s in from_rows.stages] == [
        (s.code, s.expect, s.do) for s in from_code.stages
    ]
    listing = manager_client.get("/admin/treatments/aftercarestep/")
    assert listing.status_code == 200
    step = AftercareStep.objects.filter(stage="day_0").order_by("position").first()
    assert (
        manager_client.get(f"/admin/treatments/aftercarestep/{step.pk}/change/").status_code == 200
    )
