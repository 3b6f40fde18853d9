"""Check-ins after a session, the reaction findings they raise, and the practitioner's alert,
written to the outbox with the flag and e-mailed by the worker (treatments/portal/check_ins.py)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clinic.errors import Conflict
from clinic.models import AuditEvent, Role
from clinic.tests.factories import UserFactory
from patients import services as patient_services
from treatments.messaging.models import Message
from treatments.portal.models import CheckInAnswer, ReactionFlag
from treatments.scheduling.models import Session
from treatments.scheduling.tests.check_in_helpers import check_in as confirm_and_check_in
from treatments.scheduling.tests.factories import CourseFactory

from .helpers import (
    at,
    booked_session,
    client_for,
    completed_session,
    intake,
    portal_patient,
    text,
    tiny_jpeg,
    travel,
    work_outbox,
)

pytestmark = pytest.mark.django_db


def check_in(client, session, **data):
    return client.post(
        f"/portal/aftercare/{session.public_id}/check-in/",
        {"skin": "improving", **data},
    )


def test_a_warning_sign_flags_the_practitioner_and_the_worker_e_mails_them(
    patient, ada, practitioner, mailoutbox
):
    practitioner.user.email = "priya@clinic.example"
    practitioner.user.save()
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        response = check_in(ada, session, warning_signs=["cold_sore"])
        assert response.status_code == 302
        assert mailoutbox == []  # nothing sent from the patient's request
        flag = ReactionFlag.objects.get()
        assert flag.warning_signs == ["cold_sore"] and not flag.not_settled and flag.is_open
        alert = Message.objects.get(kind="practitioner_alert")
        assert (alert.recipient, alert.ref, alert.channel, alert.status) == (
            practitioner.user, str(flag.public_id), "email", "pending"
        )  # fmt: skip
        assert (alert.patient, alert.session, alert.due_at) == (patient, session, at(days=1))
        work_outbox()
    (mail,) = mailoutbox
    assert mail.to == ["priya@clinic.example"]
    assert "Ada L." in mail.subject and "Lovelace" not in mail.body
    assert "2 March 2026" in mail.body
    assert "http://127.0.0.1:8000/portal/staff/" in mail.body
    assert "blister" not in mail.body and "cold sore" not in mail.body.lower()  # behind the login
    alert.refresh_from_db()
    assert alert.status == "sent"
    dashboard = text(client_for(practitioner.user).get("/"))
    assert "Reported by patients" in dashboard and "1</strong> reaction to review" in dashboard


def test_each_reaction_writes_one_alert_and_without_their_e_mail_every_practitioner_gets_it(
    patient, ada, practitioner
):
    practitioner.user.email = ""
    practitioner.user.save()
    others = [
        UserFactory(username=name, role=Role.PRACTITIONER, email=f"{name}@clinic.example")
        for name in ("mo", "lin")
    ]
    UserFactory(username="gone", role=Role.PRACTITIONER, email="gone@x.example", is_active=False)
    UserFactory(username="desk2", role=Role.FRONT_DESK, email="desk2@clinic.example")
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        check_in(ada, session, warning_signs=["cold_sore"])
    with travel(at(days=3)):
        check_in(ada, session, warning_signs=["infection"])
    flags = list(ReactionFlag.objects.order_by("raised_at"))
    alerts = Message.objects.filter(kind="practitioner_alert")
    assert sorted((m.ref, m.recipient.username) for m in alerts) == sorted(
        (str(f.public_id), u.username) for f in flags for u in others
    )


def test_an_alert_for_a_reaction_cleared_before_it_went_out_is_skipped(
    patient, ada, practitioner, practitioner_client, mailoutbox
):
    practitioner.user.email = "priya@clinic.example"
    practitioner.user.save()
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=3)):
        check_in(ada, session, warning_signs=["infection"])
        flag = ReactionFlag.objects.get()
        practitioner_client.post(
            f"/portal/staff/reactions/{flag.public_id}/clear/", {"note": "Called her: fine."}
        )
        work_outbox()
    alert = Message.objects.get(kind="practitioner_alert")
    assert (alert.status, alert.last_error) == (
        "skipped", "A practitioner has already cleared this reaction."
    )  # fmt: skip
    assert mailoutbox == []


def test_staff_see_the_alert_in_the_message_log_and_the_patient_never_does(
    patient, ada, practitioner, front_desk_client
):
    practitioner.user.email = "priya@clinic.example"
    practitioner.user.save()
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=3)):
        check_in(ada, session, warning_signs=["infection"])
        work_outbox()
    body = front_desk_client.get(f"/api/messages/?patient={patient.public_id}").json()
    (row,) = body["results"]
    assert (row["kind"], row["to"], row["session"]) == (
        "practitioner_alert", "staff", str(session.public_id)
    )  # fmt: skip
    record = text(front_desk_client.get(f"/patients/{patient.public_id}/"))
    assert "Alert to the practitioner" in record and "to Priya Shah" in record
    assert ada.get(f"/api/messages/?patient={patient.public_id}").status_code in (401, 403, 404)
    for page in ("/portal/", "/portal/sessions/", f"/portal/aftercare/{session.public_id}/"):
        shown = text(ada.get(page))
        assert "Alert to the practitioner" not in shown and "priya@" not in shown, page


def test_settled_skin_with_no_warning_sign_raises_nothing(patient, ada, practitioner):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=7)):
        check_in(ada, session, skin="settled")
    assert CheckInAnswer.objects.get().kind == "checkin_7d"
    assert not ReactionFlag.objects.exists()


def test_skin_not_settled_at_7_days_blocks_the_next_check_in_until_a_practitioner_clears_it(
    clinic, ada, patient, front_desk_user, practitioner_client
):
    with travel(at(days=-1)):
        intake(patient, front_desk_user)
        patient_services.consent_sign(patient=patient, kind="treatment",
                                      signed_name=patient.full_name, agreed=True,
                                      by=front_desk_user)  # fmt: skip
    course = CourseFactory(patient=patient, practitioner=clinic.practitioner)
    first = completed_session(patient, at=at(days=-7), course=course, number=1)
    second = booked_session(patient, at=at(days=1), course=course, number=2)
    with travel(at()):
        check_in(ada, first, skin="improving")
    flag = ReactionFlag.objects.get()
    assert flag.not_settled and flag.warning_signs == []
    with travel(at(days=1)):
        with pytest.raises(Conflict, match="reported a reaction"):
            confirm_and_check_in(second, by=front_desk_user)
        response = practitioner_client.post(
            f"/portal/staff/reactions/{flag.public_id}/clear/", {"note": "Seen; mild, settling."}
        )
        assert response.status_code == 302
        confirm_and_check_in(second, by=front_desk_user)
    second.refresh_from_db()
    assert second.status == Session.Status.CHECKED_IN
    flag.refresh_from_db()
    assert (
        flag.cleared_by == clinic.practitioner.user and flag.clear_note == "Seen; mild, settling."
    )


def test_only_a_practitioner_clears_a_reaction_and_always_with_a_note(
    patient, ada, practitioner, front_desk_client, practitioner_client
):
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=3)):
        check_in(ada, session, warning_signs=["infection"])
    flag = ReactionFlag.objects.get()
    url = f"/portal/staff/reactions/{flag.public_id}/clear/"
    assert front_desk_client.post(url, {"note": "ok"}).status_code == 403
    response = practitioner_client.post(url, {"note": ""}, follow=True)
    assert "A note is required" in text(response)
    assert ReactionFlag.objects.get().is_open


def test_a_photo_is_stored_without_its_metadata_and_only_practitioners_see_it(
    patient, ada, practitioner, settings, tmp_path, front_desk_client, practitioner_client
):
    settings.MEDIA_ROOT = tmp_path
    session = completed_session(patient, at=at(), practitioner=practitioner)
    photo = SimpleUploadedFile("IMG_0001.jpg", tiny_jpeg(), content_type="image/jpeg")
    with travel(at(days=1)):
        check_in(ada, session, photo=photo, warning_signs=["allergy"])
    answer = CheckInAnswer.objects.get()
    assert answer.photo.name.startswith("check-ins/") and "IMG" not in answer.photo.name
    stored = Path(answer.photo.path).read_bytes()
    assert b"GPS-SECRET" not in stored
    url = f"/portal/staff/check-ins/{answer.public_id}/photo/"
    assert front_desk_client.get(url).status_code == 403
    response = practitioner_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == stored
    assert AuditEvent.objects.filter(object_id=str(answer.pk), action="view").exists()
    assert client_for(patient.portal_user).get(url).status_code == 403


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("x.jpg", b"%PDF-1.7 " * 10, "image/jpeg"), "JPEG or PNG"),
        (SimpleUploadedFile("x.jpg", tiny_jpeg() + b"\0" * (5 * 1024 * 1024), "image/jpeg"),
         "larger than 5 MB"),
    ],
)  # fmt: skip
def test_a_non_image_or_oversized_upload_gets_a_clear_message_and_saves_nothing(
    patient, ada, practitioner, settings, tmp_path, upload, message
):
    settings.MEDIA_ROOT = tmp_path
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)):
        response = check_in(ada, session, photo=upload, warning_signs=["infection"])
    assert response.status_code == 400
    assert message in text(response)
    assert not CheckInAnswer.objects.exists() and not ReactionFlag.objects.exists()
    assert not list(tmp_path.rglob("*.*"))


def test_a_request_far_over_the_limit_is_refused_before_the_photo_is_looked_at(
    patient, ada, practitioner, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    session = completed_session(patient, at=at(), practitioner=practitioner)
    photo = SimpleUploadedFile("x.jpg", tiny_jpeg() + b"\0" * (6 * 1024 * 1024), "image/jpeg")
    with travel(at(days=1)):
        response = check_in(ada, session, photo=photo)
    assert response.status_code == 400
    assert "larger than 5 MB" in text(response)
    assert not CheckInAnswer.objects.exists() and not list(tmp_path.rglob("*.*"))


def test_a_check_in_for_someone_elses_session_is_a_404_and_saves_nothing(
    patient, ada, practitioner
):
    other = portal_patient()
    theirs = completed_session(other, at=at(), practitioner=practitioner)
    response = check_in(ada, theirs, warning_signs=["infection"])
    assert response.status_code == 404
    assert not CheckInAnswer.objects.exists() and not ReactionFlag.objects.exists()
