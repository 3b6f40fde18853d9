"""One-time links into the portal: asked for on a web page, sent by the worker from the
outbox, only their hash stored, each working once (treatments/portal/invites.py)."""

import datetime as dt
import smtplib
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client

from clinic.errors import Conflict
from clinic.models import Role, User
from clinic.tests.factories import UserFactory
from patients.tests.factories import PatientFactory
from treatments.messaging import sending
from treatments.messaging.models import Message
from treatments.portal import invites
from treatments.portal.models import PortalInvite

from .helpers import (
    at,
    main,
    portal_patient,
    sent_link,
    text,
    token_in,
    travel,
    work_outbox,
)

pytestmark = pytest.mark.django_db
PASSWORDS = {"password": "a-long-new-passphrase", "password_again": "a-long-new-passphrase"}


def set_password(token: str, client: Client | None = None, **data):
    return (client or Client()).post(f"/portal/invite/{token}/", {**PASSWORDS, **data})


class FailsOnce(EmailBackend):
    """SMTP refuses the first e-mail of the test, then accepts (Django's locmem outbox)."""

    failures = 1

    def send_messages(self, messages):
        if FailsOnce.failures:
            FailsOnce.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


# --- Asking for a link: nothing is sent from the request ------------------------------------


def test_staff_ask_for_an_invitation_and_the_worker_sends_it_after_the_request(
    front_desk_client, mailoutbox
):
    patient = PatientFactory(first_name="Grace", email="grace@example.com")
    url = f"/portal/staff/patients/{patient.public_id}/invite/"
    with travel(at()):
        response = front_desk_client.post(url, {"channel": "email"}, follow=True)
        assert mailoutbox == []  # nothing left during the request
        assert "The invitation will be sent by e-mail in a moment." in text(response)
        assert "Not sent yet" in text(response)
        invite = PortalInvite.objects.get()
        assert invite.token_hash is None
        message = Message.objects.get()
        assert (message.kind, message.channel, message.status) == (
            "portal_invite", "email", "pending"
        )  # fmt: skip
        assert (message.ref, message.session, message.due_at) == (
            str(invite.public_id), None, at()
        )  # fmt: skip
        assert work_outbox() == [message.pk]
    (email,) = mailoutbox
    assert email.to == ["grace@example.com"]
    assert "Grace" in email.body and "72 hours" in email.body
    assert email.alternatives[0][1] == "text/html"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


def test_only_the_hash_is_stored_and_the_link_carries_nothing_but_the_token(front_desk_user):
    patient = PatientFactory(first_name="Grace", email="grace@example.com")
    with travel(at()):
        invite, token = sent_link(patient, by=front_desk_user)
    (link,) = [line for line in mail.outbox[0].body.split() if "/portal/invite/" in line]
    assert link == f"http://127.0.0.1:8000/portal/invite/{token}/"
    assert "grace" not in link.lower() and str(patient.public_id) not in link
    stored = PortalInvite.objects.get()
    assert stored.token_hash == invites.hash_token(token) and token not in stored.token_hash
    assert stored.expires_at == at() + dt.timedelta(hours=72)  # from its sending
    assert not PortalInvite.objects.filter(token_hash=token).exists()


def test_the_link_sets_a_password_once_and_opens_the_portal(front_desk_user):
    patient = PatientFactory(first_name="Grace", email="Grace@Example.com")
    invite, token = sent_link(patient, by=front_desk_user)
    client = Client()
    page = client.get(f"/portal/invite/{token}/")
    assert page.status_code == 200
    assert "You will log in with: <strong>grace@example.com</strong>" in text(page)
    assert page["Cache-Control"].startswith("no-store")
    assert page["Referrer-Policy"] == "same-origin"  # the token never leaves the site
    done = set_password(token, client)
    assert done.status_code == 302 and done["Location"] == "/portal/"
    patient.refresh_from_db()
    user = patient.portal_user
    assert user.is_patient and not user.is_staff and not user.groups.exists()
    assert user.username == "grace@example.com" and user.check_password(PASSWORDS["password"])
    assert client.get("/portal/").status_code == 200  # logged in
    again = set_password(token, password="another-passphrase", password_again="another-passphrase")
    assert again.status_code == 410 and "already been used" in text(again)
    user.refresh_from_db()
    assert user.check_password(PASSWORDS["password"])


def test_an_invite_by_sms_says_a_first_name_and_the_link_and_nothing_else(
    front_desk_user, settings, tmp_path, mailoutbox
):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path
    patient = PatientFactory(first_name="Grace", last_name="Hopper", phone="+447700900123")
    with travel(at()):  # 10:00 in London
        invites.invite_send(patient=patient, by=front_desk_user, channel="sms")
        assert not list(tmp_path.iterdir())
        work_outbox()
    (sms,) = list(Path(tmp_path).glob("*.txt"))
    body = sms.read_text()
    assert "To: +447700900123" in body and "Hi Grace," in body
    assert "Hopper" not in body and patient.email not in body
    assert PortalInvite.objects.get().token_hash == invites.hash_token(token_in(body))
    assert mailoutbox == []


def test_an_sms_invitation_asked_for_at_ten_at_night_waits_for_the_morning(
    front_desk_client, settings, tmp_path
):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path
    patient = PatientFactory(first_name="Grace", phone="+447700900123")
    url = f"/portal/staff/patients/{patient.public_id}/invite/"
    evening = at(hours=12)  # Monday 22:00 in London (GMT)
    with travel(evening):
        response = front_desk_client.post(url, {"channel": "sms"}, follow=True)
        assert "sent by SMS on Tuesday 3 March at 09:00" in text(response)
        message = Message.objects.get()
        assert message.due_at == at(days=1, hours=-1)  # Tuesday 09:00
        assert work_outbox() == []
    with travel(at(days=1, hours=-1.5)):  # 08:30: still quiet
        assert work_outbox() == []
    assert not list(tmp_path.iterdir())
    with travel(at(days=1, hours=-1)):
        assert work_outbox() == [message.pk]
    (sms,) = list(tmp_path.glob("*.txt"))
    token = token_in(sms.read_text())
    with travel(at(days=1)):
        assert set_password(token).status_code == 302


def test_a_failed_first_attempt_is_retried_with_a_new_link_and_only_that_one_works(
    front_desk_user, settings, mailoutbox
):
    settings.EMAIL_BACKEND = f"{__name__}.FailsOnce"
    FailsOnce.failures = 1
    patient = PatientFactory(first_name="Grace", email="grace@example.com")
    with travel(at()):
        invites.invite_send(patient=patient, by=front_desk_user)
        work_outbox()
    message = Message.objects.get()
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error == "The mail server could not be reached (SMTPServerDisconnected)."
    first_hash = PortalInvite.objects.get().token_hash
    assert first_hash and mailoutbox == []
    with travel(message.due_at):
        work_outbox()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    (email,) = mailoutbox
    token = token_in(email.body)
    assert PortalInvite.objects.get().token_hash == invites.hash_token(token) != first_hash
    with travel(message.due_at + dt.timedelta(minutes=5)):
        assert set_password(token).status_code == 302
    patient.refresh_from_db()
    assert patient.portal_user.check_password(PASSWORDS["password"])


def test_a_link_replaced_before_it_went_out_is_never_sent(front_desk_user, mailoutbox):
    patient = portal_patient()
    with travel(at()):
        first = invites.invite_send(patient=patient, by=front_desk_user)
        second = invites.invite_send(patient=patient, by=front_desk_user)
        work_outbox()
    messages = {m.ref: m for m in Message.objects.all()}
    assert messages[str(first.public_id)].status == "cancelled"
    assert messages[str(first.public_id)].last_error == invites.REPLACED
    assert messages[str(second.public_id)].status == "sent"
    assert len(mailoutbox) == 1


def test_a_link_revoked_after_the_sweep_claimed_it_is_skipped_with_the_reason(
    front_desk_user, mailoutbox
):
    patient = portal_patient()
    with travel(at()):
        invite = invites.invite_send(patient=patient, by=front_desk_user)
        PortalInvite.objects.filter(pk=invite.pk).update(revoked_at=at())  # behind its back
        message = Message.objects.get()
        assert sending.send(message.pk) == "skipped"
    message.refresh_from_db()
    assert message.last_error == invites.REPLACED
    assert PortalInvite.objects.get().token_hash is None and mailoutbox == []


def test_a_link_goes_even_when_the_patient_said_no_to_e_mail_reminders(front_desk_user, mailoutbox):
    patient = portal_patient(email_consent=False, sms_consent=False)
    invite, token = sent_link(patient, by=front_desk_user)
    assert invite.purpose == "reset" and token
    assert Message.objects.get().kind == "password_reset"


def test_a_newer_link_replaces_the_older_one(front_desk_user):
    patient = portal_patient()
    _, first = sent_link(patient, by=front_desk_user)
    sent_link(patient, by=front_desk_user)
    response = Client().get(f"/portal/invite/{first}/")
    assert response.status_code == 410 and "newer link" in text(response)


def test_an_expired_link_says_so_and_changes_nothing(front_desk_user):
    patient = PatientFactory()
    with travel(at()):
        _, token = sent_link(patient, by=front_desk_user)
    with travel(at(hours=72) + dt.timedelta(seconds=1)):
        response = set_password(token)
    assert response.status_code == 410
    assert "expired" in text(response) and "72 hours" in text(response)
    patient.refresh_from_db()
    assert patient.portal_user is None
    assert not User.objects.filter(is_patient=True).exists()


def test_an_unknown_link_is_a_404_with_a_clear_message():
    response = Client().get("/portal/invite/not-a-real-token/")
    assert response.status_code == 404
    assert "does not work" in text(response)


def test_a_weak_password_is_refused_and_the_link_still_works(front_desk_user):
    patient = portal_patient(first_name="Grace")
    _, token = sent_link(patient, by=front_desk_user)
    response = set_password(token, password="123", password_again="123")
    assert response.status_code == 400
    assert "too short" in text(response)
    assert PortalInvite.objects.get().used_at is None


def test_a_patient_cannot_invite_anyone(patient, ada):
    other = portal_patient()
    response = ada.post(f"/portal/staff/patients/{other.public_id}/invite/", {"channel": "email"})
    assert response.status_code == 403
    assert not PortalInvite.objects.exists() and not Message.objects.exists()


def test_a_staff_account_is_never_made_a_patients_portal_account(front_desk_user):
    patient = portal_patient()
    patient.portal_user = UserFactory(username="someone", role=Role.FRONT_DESK)
    patient.save()
    with pytest.raises(Conflict, match="staff account"):
        invites.invite_send(patient=patient, by=front_desk_user)
    assert not Message.objects.exists()


def test_opening_a_link_in_a_browser_logged_in_as_staff_ends_the_staff_session(
    front_desk_user, front_desk_client
):
    patient = PatientFactory(first_name="Grace")
    _, token = sent_link(patient, by=front_desk_user)
    set_password(token, front_desk_client)
    assert front_desk_client.get("/patients/").status_code == 403  # now the patient's session
    assert front_desk_client.get("/portal/").status_code == 200


# --- Forgotten passwords ------------------------------------------------------------------


def test_a_forgotten_password_gets_a_reset_link_and_the_answer_never_says_who_exists(
    patient, mailoutbox
):
    client = Client()
    with travel(at()):
        known = client.post("/portal/reset/", {"identifier": "ADA@example.com"})
        unknown = client.post("/portal/reset/", {"identifier": "nobody@example.com"})
        assert known.status_code == unknown.status_code == 200
        assert main(known) == main(unknown)
        assert mailoutbox == []  # nothing left during the request
        assert PortalInvite.objects.get().purpose == "reset"
        assert Message.objects.get().kind == "password_reset"
        work_outbox()
    (email,) = mailoutbox
    assert email.to == ["ada@example.com"] and "new password" in email.subject
    with travel(at(hours=1)):
        assert set_password(token_in(email.body)).status_code == 302
    patient.portal_user.refresh_from_db()
    assert patient.portal_user.check_password(PASSWORDS["password"])


def test_reset_links_are_limited_per_hour_and_only_the_latest_goes_out(patient, mailoutbox):
    with travel(at()):
        for _ in range(5):
            invites.reset_request(identifier="ada@example.com")
        work_outbox()
    assert PortalInvite.objects.count() == invites.RESETS_PER_HOUR
    statuses = sorted(Message.objects.values_list("status", flat=True))
    assert statuses == ["cancelled", "cancelled", "sent"]
    assert len(mailoutbox) == 1
    with travel(at(hours=1) + dt.timedelta(seconds=1)):
        invites.reset_request(identifier="ada@example.com")
    assert PortalInvite.objects.count() == invites.RESETS_PER_HOUR + 1


def test_withdrawing_consent_neither_skips_nor_moves_a_link_on_its_way(
    patient, ada, front_desk_user, mailoutbox
):
    with travel(at()):
        invites.invite_send(patient=patient, by=front_desk_user)
        assert ada.post("/portal/preferences/", {"preferred_channel": "sms"}).status_code == 302
        patient.refresh_from_db()
        assert not patient.email_consent and not patient.sms_consent
        message = Message.objects.get()
        assert (message.status, message.channel) == ("pending", "email")
        work_outbox()
    assert len(mailoutbox) == 1
