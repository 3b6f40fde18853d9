"""The patient portal: one-time links, aftercare, check-ins and findings, the pre-session
check, sessions and requests, preferences, and the staff pages that act on them."""

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clinic.errors import Conflict
from clinic.models import AuditEvent, Role, User
from clinic.tests.factories import PASSWORD, UserFactory
from patients import services as patient_services
from patients.models import IntakeSubmission
from patients.tests.factories import PatientFactory
from patients.vocabulary import EXPIRING_KEYS, STABLE_KEYS
from treatments.messaging.models import Message
from treatments.portal import services as portal
from treatments.portal.models import (
    AftercareAcknowledgement,
    AftercareStep,
    CheckInAnswer,
    PortalInvite,
    PreSessionCheck,
    ReactionFlag,
    SessionChangeRequest,
)
from treatments.scheduling import services
from treatments.scheduling.models import Session
from treatments.scheduling.tests.factories import CourseFactory, PractitionerFactory

from .helpers import (
    booked_session,
    client_for,
    completed_session,
    expiring_answers,
    intake,
    portal_patient,
    tiny_jpeg,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# A Monday in March, before the clocks change in Europe/London (UTC = local time).
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def practitioner(practitioner_user):
    return PractitionerFactory(user=practitioner_user, display_name="Priya Shah")


@pytest.fixture
def patient(db):
    return portal_patient(first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def ada(patient):
    return client_for(patient.portal_user)


def at(days: float = 0, hours: float = 0) -> dt.datetime:
    return MONDAY + dt.timedelta(days=days, hours=hours)


def travel(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def main(response) -> str:
    """The page's <main>, where the answer is (the header carries a per-session CSRF token)."""
    return re.search(r"<main.*</main>", text(response)).group(0)


# --- One-time links -------------------------------------------------------------------------


def test_staff_invite_a_patient_by_email_with_a_link_that_carries_only_a_token(
    front_desk_user, mailoutbox
):
    patient = PatientFactory(first_name="Grace", email="grace@example.com")
    invite = portal.invite_send(patient=patient, by=front_desk_user)
    assert invite.purpose == "invite" and invite.channel == "email"
    assert invite.expires_at - invite.created_at == dt.timedelta(hours=72)
    (mail,) = mailoutbox
    assert mail.to == ["grace@example.com"]
    links = re.findall(r"https?://\S+", mail.body)
    assert links == [f"http://127.0.0.1:8000/portal/invite/{invite.token}/"]
    assert "grace" not in links[0].lower() and str(patient.public_id) not in links[0]
    assert "Grace" in mail.body and "72 hours" in mail.body
    assert mail.alternatives[0][1] == "text/html"
    stored = PortalInvite.objects.get()
    assert stored.token_hash != invite.token and invite.token not in stored.token_hash
    assert stored.token_hash == portal.hash_token(invite.token)


def test_an_invite_by_sms_says_a_first_name_and_the_link_and_nothing_else(
    front_desk_user, settings, tmp_path
):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path
    patient = PatientFactory(first_name="Grace", last_name="Hopper", phone="+447700900123")
    invite = portal.invite_send(patient=patient, by=front_desk_user, channel="sms")
    (sms,) = list(Path(tmp_path).glob("*.txt"))
    body = sms.read_text()
    assert "To: +447700900123" in body
    assert "Hi Grace," in body and invite.link in body
    assert "Hopper" not in body and patient.email not in body


def test_the_link_sets_a_password_creates_a_patient_account_and_opens_the_portal(
    front_desk_user, mailoutbox
):
    patient = PatientFactory(first_name="Grace", email="Grace@Example.com")
    invite = portal.invite_send(patient=patient, by=front_desk_user)
    client = Client()
    page = client.get(f"/portal/invite/{invite.token}/")
    assert page.status_code == 200
    assert "You will log in with: <strong>grace@example.com</strong>" in text(page)
    assert page["Cache-Control"].startswith("no-store")
    assert page["Referrer-Policy"] == "same-origin"  # the token never leaves the site
    done = client.post(
        f"/portal/invite/{invite.token}/",
        {"password": "a-long-new-passphrase", "password_again": "a-long-new-passphrase"},
    )
    assert done.status_code == 302 and done["Location"] == "/portal/"
    patient.refresh_from_db()
    user = patient.portal_user
    assert user.is_patient and not user.is_staff and not user.groups.exists()
    assert user.username == "grace@example.com" and user.check_password("a-long-new-passphrase")
    assert client.get("/portal/").status_code == 200  # logged in
    assert PortalInvite.objects.get().used_at is not None


def test_a_used_link_says_so_and_changes_nothing(front_desk_user, mailoutbox):
    patient = portal_patient()
    invite = portal.invite_send(patient=patient, by=front_desk_user)
    assert invite.purpose == "reset"  # the patient already has an account
    data = {"password": "first-new-passphrase", "password_again": "first-new-passphrase"}
    assert Client().post(f"/portal/invite/{invite.token}/", data).status_code == 302
    again = Client().post(
        f"/portal/invite/{invite.token}/",
        {"password": "second-new-passphrase", "password_again": "second-new-passphrase"},
    )
    assert again.status_code == 410
    assert "already been used" in text(again)
    patient.portal_user.refresh_from_db()
    assert patient.portal_user.check_password("first-new-passphrase")


def test_an_expired_link_says_so_and_changes_nothing(front_desk_user, mailoutbox):
    patient = PatientFactory()
    with travel(at()):
        invite = portal.invite_send(patient=patient, by=front_desk_user)
    with travel(at(hours=72, days=0) + dt.timedelta(seconds=1)):
        response = Client().post(
            f"/portal/invite/{invite.token}/",
            {"password": "a-long-new-passphrase", "password_again": "a-long-new-passphrase"},
        )
    assert response.status_code == 410
    assert "expired" in text(response) and "72 hours" in text(response)
    patient.refresh_from_db()
    assert patient.portal_user is None
    assert not User.objects.filter(is_patient=True).exists()


def test_an_unknown_link_is_a_404_with_a_clear_message():
    response = Client().get("/portal/invite/not-a-real-token/")
    assert response.status_code == 404
    assert "does not work" in text(response)


def test_a_newer_link_replaces_the_older_one(front_desk_user, mailoutbox):
    patient = portal_patient()
    first = portal.invite_send(patient=patient, by=front_desk_user)
    portal.invite_send(patient=patient, by=front_desk_user)
    response = Client().get(f"/portal/invite/{first.token}/")
    assert response.status_code == 410 and "newer link" in text(response)


def test_a_weak_password_is_refused_and_the_link_still_works(front_desk_user, mailoutbox):
    patient = portal_patient(first_name="Grace")
    invite = portal.invite_send(patient=patient, by=front_desk_user)
    response = Client().post(
        f"/portal/invite/{invite.token}/", {"password": "123", "password_again": "123"}
    )
    assert response.status_code == 400
    assert "too short" in text(response)
    assert PortalInvite.objects.get().used_at is None


def test_a_patient_cannot_invite_anyone(patient, ada):
    other = portal_patient()
    response = ada.post(f"/portal/staff/patients/{other.public_id}/invite/", {"channel": "email"})
    assert response.status_code == 403
    assert not PortalInvite.objects.exists()


def test_staff_send_an_invitation_from_the_invite_page(front_desk_client, mailoutbox):
    patient = PatientFactory()
    url = f"/portal/staff/patients/{patient.public_id}/invite/"
    assert front_desk_client.get(url).status_code == 200
    response = front_desk_client.post(url, {"channel": "email"}, follow=True)
    assert "Invitation sent by E-mail" in text(response)
    assert len(mailoutbox) == 1


def test_a_forgotten_password_gets_a_reset_link_and_the_answer_never_says_who_exists(
    patient, mailoutbox
):
    client = Client()
    known = client.post("/portal/reset/", {"identifier": "ADA@example.com"})
    unknown = client.post("/portal/reset/", {"identifier": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert main(known) == main(unknown)
    (mail,) = mailoutbox
    token = re.search(r"/portal/invite/([\w-]+)/", mail.body).group(1)
    assert PortalInvite.objects.get().purpose == "reset"
    client.post(
        f"/portal/invite/{token}/",
        {"password": "a-long-new-passphrase", "password_again": "a-long-new-passphrase"},
    )
    patient.portal_user.refresh_from_db()
    assert patient.portal_user.check_password("a-long-new-passphrase")


def test_reset_links_are_limited_per_hour(patient, mailoutbox):
    for _ in range(5):
        portal.reset_request(identifier="ada@example.com")
    assert len(mailoutbox) == portal.RESETS_PER_HOUR


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


def test_the_aftercare_link_in_messages_opens_the_latest_session(patient, ada, practitioner):
    completed_session(patient, at=at(days=-30), practitioner=practitioner)
    latest = completed_session(patient, at=at(), practitioner=practitioner, number=2)
    response = ada.get("/portal/aftercare/")
    assert response["Location"] == f"/portal/aftercare/{latest.public_id}/"


# --- Check-ins and reaction findings -------------------------------------------------------


def check_in(client, session, **data):
    return client.post(
        f"/portal/aftercare/{session.public_id}/check-in/",
        {"skin": "improving", **data},
    )


def test_a_warning_sign_flags_the_practitioner_and_emails_them_at_once(
    patient, ada, practitioner, mailoutbox, django_capture_on_commit_callbacks
):
    practitioner.user.email = "priya@clinic.example"
    practitioner.user.save()
    session = completed_session(patient, at=at(), practitioner=practitioner)
    with travel(at(days=1)), django_capture_on_commit_callbacks(execute=True):
        response = check_in(ada, session, warning_signs=["cold_sore"])
    assert response.status_code == 302
    flag = ReactionFlag.objects.get()
    assert flag.warning_signs == ["cold_sore"] and not flag.not_settled and flag.is_open
    (mail,) = mailoutbox
    assert mail.to == ["priya@clinic.example"]
    assert "Ada L." in mail.subject and "Lovelace" not in mail.body
    assert "http://127.0.0.1:8000/portal/staff/" in mail.body
    assert "blister" not in mail.body  # the signs stay behind the login
    dashboard = text(client_for(practitioner.user).get("/"))
    assert "Reported by patients" in dashboard and "1</strong> reaction to review" in dashboard


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
            services.session_check_in(session=second, by=front_desk_user)
        response = practitioner_client.post(
            f"/portal/staff/reactions/{flag.public_id}/clear/", {"note": "Seen; mild, settling."}
        )
        assert response.status_code == 302
        services.session_check_in(session=second, by=front_desk_user)
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


def test_a_staff_account_is_never_made_a_patients_portal_account(front_desk_user, mailoutbox):
    patient = portal_patient()
    staff = UserFactory(username="someone", role=Role.FRONT_DESK)
    patient.portal_user = staff
    patient.save()
    with pytest.raises(Conflict, match="staff account"):
        portal.invite_send(patient=patient, by=front_desk_user)


def test_opening_a_link_in_a_browser_logged_in_as_staff_ends_the_staff_session(
    front_desk_user, front_desk_client, mailoutbox
):
    patient = PatientFactory(first_name="Grace")
    invite = portal.invite_send(patient=patient, by=front_desk_user)
    front_desk_client.post(
        f"/portal/invite/{invite.token}/",
        {"password": "a-long-new-passphrase", "password_again": "a-long-new-passphrase"},
    )
    assert front_desk_client.get("/patients/").status_code == 403  # now the patient's session
    assert front_desk_client.get("/portal/").status_code == 200


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
