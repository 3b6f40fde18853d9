"""The printable aftercare sheet (issue 10 item 7): a PDF of the portal's own texts, printed
from a completed session's page or e-mailed through the outbox with the PDF attached by the
worker (treatments/portal/aftercare_sheet.py, sheet_views.py)."""

import datetime as dt
import io
import re
from unittest import mock

import pypdf
import pytest
from django.core import mail
from django.test import TestCase

from clinic.models import AuditEvent
from patients import services as patient_services
from patients.tests.helpers import clear_answers
from treatments.messaging import tasks
from treatments.messaging.models import Message
from treatments.portal import aftercare_sheet, services
from treatments.portal.models import AftercareStep
from treatments.scheduling.models import Session
from treatments.scheduling.tests.check_in_helpers import check_in

from .helpers import MONDAY, booked_session, completed_session, main, text, travel, work_outbox

# Requests jump hours in time (the 30-minute idle expiry is tested elsewhere).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("long_sessions")]
SHEET = Message.Kind.AFTERCARE_SHEET
LATER = MONDAY + dt.timedelta(hours=2)  # the session ended at 11:30; staff act at noon


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", " ", re.sub(r"-\n", "-", "\n".join(p.extract_text() for p in pages)))


def sheet_url(session, action: str = "aftercare-sheet.pdf") -> str:
    return f"/portal/staff/sessions/{session.public_id}/{action}"


def email_url(session) -> str:
    return sheet_url(session, "aftercare-sheet/email/")


@pytest.fixture
def done(patient, practitioner):
    return completed_session(patient, at=MONDAY, practitioner=practitioner)


# --- The sheet ----------------------------------------------------------------------------


def test_the_sheet_names_the_clinic_its_phone_the_emergency_number_and_the_signs(done, settings):
    settings.CLINIC_NAME = "Riverside Skin Clinic"
    settings.CLINIC_PHONE = "+44 20 7946 0123"
    settings.CLINIC_PHONE_REGION = "IE"
    pdf = aftercare_sheet.sheet_pdf(done)
    sheet = pdf_text(pdf)
    assert "Riverside Skin Clinic" in sheet
    assert "Call us on +44 20 7946 0123 if you notice" in sheet
    assert "Call 112 straight away if you have" in sheet
    assert "Emergency: 112" in sheet  # every page's footer
    assert "Redness, warmth or swelling that gets worse after day 2" in sheet
    assert "Tender, swollen glands in your neck" in sheet
    assert "For Ada Lovelace, after your session on Monday 2 March 2026" in sheet
    assert 5_000 < len(pdf) < 100_000


def test_face_lines_are_only_on_a_face_course_s_sheet(patient, practitioner):
    face = completed_session(patient, at=MONDAY, practitioner=practitioner, areas=("cheeks",))
    body = completed_session(
        patient, at=MONDAY + dt.timedelta(days=1), practitioner=practitioner, areas=("hands",)
    )
    face_text, body_text = (
        pdf_text(aftercare_sheet.sheet_pdf(face)),
        pdf_text(aftercare_sheet.sheet_pdf(body)),
    )
    for line in ("Sleep on a clean pillowcase.", "Make-up is usually fine", "Come without make-up"):
        assert line in face_text, line
        assert line not in body_text, line
    assert "Keep the treated skin (cheeks) clean" in face_text
    assert "Keep the treated skin (hands) clean" in body_text


def test_the_sheet_uses_the_manager_s_wording_as_the_portal_does(done):
    AftercareStep.objects.filter(stage=AftercareStep.Stage.WEEK_1).delete()
    AftercareStep.objects.create(
        stage=AftercareStep.Stage.WEEK_1,
        section=AftercareStep.Section.DO,
        condition=AftercareStep.Condition.ALWAYS,
        text="Ring {clinic_phone} to book your check-up photo.",
        position=1,
    )
    sheet = pdf_text(aftercare_sheet.sheet_pdf(done))
    assert "Ring +44 20 7946 0000 to book your check-up photo." in sheet
    # The stage's default lines gave way to the manager's, in the portal and on paper alike.
    assert "usually settle within 7 days" not in sheet
    portal = services.aftercare_timeline(session=done, today=MONDAY.date())
    (week,) = [stage for stage in portal.stages if stage.code == "week_1"]
    assert week.do == ["Ring +44 20 7946 0000 to book your check-up photo."]


# --- Printing -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["front_desk", "practitioner", "manager"])
def test_staff_print_the_sheet_and_each_print_is_audited(request, role, done):
    client = request.getfixturevalue(f"{role}_client")
    response = client.get(sheet_url(done))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="aftercare-2026-03-02.pdf"'
    assert response["Cache-Control"] == "no-store, private"
    assert response.content.startswith(b"%PDF-")
    event = AuditEvent.objects.filter(object_type="treatments.session").latest("at")
    assert event.action == "view" and event.detail == {"aftercare_sheet": "pdf"}
    assert event.patient_id == done.patient.public_id
    assert event.actor == request.getfixturevalue(f"{role}_user")


def test_there_is_no_sheet_for_a_session_not_completed_or_not_found(
    front_desk_client, patient, done
):
    coming = booked_session(patient, at=MONDAY + dt.timedelta(days=28), course=done.course)
    assert front_desk_client.get(sheet_url(coming)).status_code == 404
    assert front_desk_client.post(email_url(coming)).status_code == 404
    missing = Session(public_id="00000000-0000-4000-8000-000000000000")
    assert front_desk_client.get(sheet_url(missing)).status_code == 404
    assert not Message.objects.filter(kind=SHEET).exists()


def test_a_patient_s_portal_account_cannot_print_or_e_mail_a_sheet(ada, done):
    assert ada.get(sheet_url(done)).status_code == 403
    assert ada.post(email_url(done)).status_code == 403
    assert not Message.objects.filter(kind=SHEET).exists()


def test_a_completed_session_s_page_offers_the_sheet_and_a_booked_one_s_does_not(
    front_desk_client, patient, done
):
    page = main(front_desk_client.get(f"/sessions/{done.public_id}/"))
    assert f'href="{sheet_url(done)}"' in page
    assert "E-mail the sheet to the patient" in page
    coming = booked_session(patient, at=MONDAY + dt.timedelta(days=28), course=done.course)
    page = main(front_desk_client.get(f"/sessions/{coming.public_id}/"))
    assert "aftercare-sheet" not in page


def test_completing_a_session_lands_on_the_page_that_prints_its_sheet(
    clinic, acne_protocol, front_desk_user, practitioner_user, practitioner_client
):
    start = dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC)
    (session,) = clinic.book(
        starts=[start], protocol=acne_protocol, planner=practitioner_user, desk=front_desk_user
    )
    with travel(start + dt.timedelta(minutes=5)):
        patient_services.intake_submit(
            patient=session.patient, answers=clear_answers(), areas=["cheeks"], by=front_desk_user
        )
        check_in(session, by=front_desk_user)
        response = practitioner_client.post(
            f"/sessions/{session.public_id}/complete/",
            {
                "cheeks-device_setting_mm": "1.00",
                "cheeks-passes": "3",
                "cheeks-cartridge_lot": "LOT-2",
                "cheeks-endpoint": "erythema",
            },
            follow=True,
        )
    page = text(response)
    assert "Session completed" in page
    assert f'href="{sheet_url(session)}"' in page


# --- E-mailing ----------------------------------------------------------------------------


def test_staff_e_mail_the_sheet_and_the_worker_attaches_the_pdf(front_desk_client, done):
    with travel(LATER):
        response = front_desk_client.post(email_url(done), follow=True)
        assert "will be e-mailed to the patient in a moment" in text(response)
        message = Message.objects.get(kind=SHEET)
        assert (message.channel, message.status, message.session) == ("email", "pending", done)
        # (The page the post redirects to lists the messages at the same frozen instant.)
        event = AuditEvent.objects.get(object_type="treatments.message", action="create")
        assert event.patient_id == done.patient.public_id
        # The send task carries the message's id and nothing else.
        with mock.patch.object(tasks.send_messages, "apply_async") as enqueue:
            with TestCase.captureOnCommitCallbacks(execute=True):
                tasks.sweep()
        assert enqueue.call_args.args == (([message.pk],),)
        Message.objects.filter(pk=message.pk).update(enqueued_at=None)
        work_outbox()
    message.refresh_from_db()
    assert message.status == "sent", message.last_error
    (email,) = mail.outbox
    assert email.to == ["ada@example.com"]
    assert email.subject == "Your aftercare sheet from Clinic"
    assert "Monday 2 March at 10:00" in email.body and "Call emergency services (999)" in email.body
    assert "pus, yellow crusts or oozing" in email.body  # the portal's warning signs
    ((name, content, mimetype),) = email.attachments
    assert (name, mimetype) == ("aftercare-2026-03-02.pdf", "application/pdf")
    assert "Call us on +44 20 7946 0000 if you notice" in pdf_text(content)


def test_a_sheet_already_e_mailed_is_not_e_mailed_again_and_staff_are_told_when(
    front_desk_client, done
):
    with travel(LATER):
        front_desk_client.post(email_url(done))
        work_outbox()
        again = front_desk_client.post(email_url(done), follow=True)
        page = text(again)
        assert "The sheet was not e-mailed: The aftercare sheet was already e-mailed" in page
        assert "on 2 March 2026, 12:00" in page
        session_page = main(front_desk_client.get(f"/sessions/{done.public_id}/"))
    assert "already e-mailed to the patient on 2 March 2026, 12:00" in session_page
    assert "E-mail the sheet to the patient" not in session_page
    assert Message.objects.filter(kind=SHEET).count() == 1 and len(mail.outbox) == 1


def test_a_sheet_on_its_way_is_not_queued_twice(front_desk_client, practitioner_user, done):
    with travel(LATER):
        aftercare_sheet.aftercare_sheet_email(session=done, by=practitioner_user)
        page = text(front_desk_client.post(email_url(done), follow=True))
    assert "already on its way: it was asked for on 2 March 2026, 12:00" in page
    assert Message.objects.filter(kind=SHEET).count() == 1


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"email": ""}, "The patient has no e-mail address on their record"),
        ({"email_consent": False}, "The patient has not agreed to e-mail, or withdrew consent"),
    ],
)
def test_no_e_mail_address_or_no_consent_is_refused_on_the_page(
    front_desk_client, done, change, refusal
):
    type(done.patient).objects.filter(pk=done.patient.pk).update(**change)
    page = text(front_desk_client.post(email_url(done), follow=True))
    assert refusal in page
    assert not Message.objects.filter(kind=SHEET).exists()
    session_page = main(front_desk_client.get(f"/sessions/{done.public_id}/"))
    assert refusal in session_page and "Print the aftercare sheet" in session_page


def test_an_sms_patient_gets_the_sheet_by_e_mail_and_it_never_moves_to_sms(front_desk_client, done):
    patient = done.patient
    type(patient).objects.filter(pk=patient.pk).update(preferred_channel="sms")
    with travel(LATER):
        front_desk_client.post(email_url(done))
        patient.refresh_from_db()
        services.preferences_update(
            patient=patient,
            by=patient.portal_user,
            email_consent=True,
            sms_consent=True,
            preferred_channel="sms",
        )
        assert Message.objects.get(kind=SHEET).channel == "email"
        # Withdrawing e-mail consent skips it (never rerouted to SMS) ...
        services.preferences_update(
            patient=patient,
            by=patient.portal_user,
            email_consent=False,
            sms_consent=True,
            preferred_channel="sms",
        )
    message = Message.objects.get(kind=SHEET)
    assert (message.channel, message.status) == ("email", "skipped")
    # ... and once the patient agrees again, staff may ask for it again: the same row.
    with travel(LATER + dt.timedelta(hours=1)):
        patient.refresh_from_db()
        services.preferences_update(
            patient=patient,
            by=patient.portal_user,
            email_consent=True,
            sms_consent=True,
            preferred_channel="sms",
        )
        page = text(front_desk_client.post(email_url(done), follow=True))
        assert "will be e-mailed to the patient in a moment" in page, page[-3000:]
        work_outbox()
    message.refresh_from_db()
    assert (message.channel, message.status) == ("email", "sent"), message.last_error
    assert Message.objects.filter(kind=SHEET).count() == 1
    assert mail.outbox[-1].attachments[0][2] == "application/pdf"


def test_a_sheet_whose_session_is_no_longer_completed_is_cancelled_by_the_worker(
    front_desk_client, done
):
    with travel(LATER):
        front_desk_client.post(email_url(done))
        Session.objects.filter(pk=done.pk).update(status=Session.Status.CHECKED_IN)
        work_outbox()
    message = Message.objects.get(kind=SHEET)
    assert (message.status, message.last_error) == ("cancelled", "The session was not completed.")
    assert not mail.outbox


def test_without_pango_the_app_runs_and_staff_are_told_why_there_is_no_pdf(
    front_desk_client, done, monkeypatch
):
    monkeypatch.setattr(aftercare_sheet, "HTML", None)  # as if the import had failed
    response = front_desk_client.get(sheet_url(done))
    assert response.status_code == 503 and "pango" in response.content.decode()
    page = text(front_desk_client.post(email_url(done), follow=True))
    assert "This server cannot make PDFs" in page
    assert not Message.objects.filter(kind=SHEET).exists()
