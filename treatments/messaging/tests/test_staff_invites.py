"""Staff invitations through the outbox (clinic/staff, treatments/messaging/staff_links.py):
the row is written in the inviting transaction, the worker sends it with a fresh one-time
link that sets a password once, and the token is nowhere but in the e-mail."""

import logging
import re
import smtplib
from unittest import mock

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from clinic.models import ApiToken, Role, StaffInvite, User
from clinic.staff import links, services
from patients.tests.factories import PatientFactory
from treatments.messaging import sending, tasks
from treatments.messaging.models import Message

from .helpers import work_outbox

pytestmark = pytest.mark.django_db
Kind = Message.Kind
LINK = re.compile(r"http://127\.0\.0\.1:8000/staff/welcome/([\w-]+)/")
PASSWORD = "a-long-new-passphrase"


def invite(by, **fields):
    data = {"email": "sam@example.com", "first_name": "Sam", "last_name": "Jones",
            "roles": [Role.FRONT_DESK, Role.PRACTITIONER], **fields}  # fmt: skip
    return services.staff_invite(by=by, **data)


def token_in(body: str) -> str:
    (token,) = LINK.findall(body)
    return token


class FailsOnce(EmailBackend):
    """SMTP refuses the first e-mail, then accepts (Django's locmem outbox)."""

    failures = 1

    def send_messages(self, messages):
        if FailsOnce.failures:
            FailsOnce.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


# --- Written with the invitation ----------------------------------------------------------


def test_the_message_is_written_in_the_inviting_transaction(manager_user, mailoutbox):
    sent = invite(manager_user)
    message = Message.objects.get()
    assert (message.kind, message.channel, message.status) == ("staff_invite", "email", "pending")
    assert (message.patient, message.session, message.recipient) == (None, None, sent.user)
    assert message.ref == str(sent.public_id)
    assert mailoutbox == []  # nothing is sent from the request

    with pytest.raises(RuntimeError), transaction.atomic():
        invite(manager_user, email="kim@example.com")
        assert Message.objects.count() == 2  # there, inside the transaction
        raise RuntimeError("the request failed after the invitation")
    assert Message.objects.count() == 1
    assert not User.objects.filter(email="kim@example.com").exists()


def test_a_staff_link_is_about_no_patient_and_every_other_message_is_about_one(manager_user):
    sent = invite(manager_user)
    message = Message.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(patient=PatientFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(kind=Kind.PORTAL_INVITE, channel="email", ref="x",
                               due_at=message.due_at)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(kind=Kind.STAFF_INVITE, channel="email", ref=str(sent.public_id),
                               recipient=sent.user, due_at=message.due_at)  # fmt: skip


# --- Sent by the worker -------------------------------------------------------------------


def test_the_worker_sends_a_link_that_sets_the_password_once(manager_user, mailoutbox):
    sent = invite(manager_user)
    message = Message.objects.get()
    with mock.patch.object(
        tasks.send_messages, "apply_async", wraps=tasks.send_messages.apply_async
    ) as enqueued:
        assert work_outbox() == [message.pk]
    assert [call.args[0] for call in enqueued.call_args_list] == [([message.pk],)]  # ids only

    (email,) = mailoutbox
    assert email.to == ["sam@example.com"]
    assert email.subject == "Your staff account at Clinic"
    assert "Hello Sam," in email.body and "(Front desk, Practitioner)" in email.body
    assert "You will log in with the username: sam@example.com" in email.body
    assert "The link works once, for 72 hours." in email.body
    assert email.alternatives[0][1] == "text/html"
    token = token_in(email.body)
    assert token in email.alternatives[0][0]
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    sent.refresh_from_db()
    assert sent.token_hash == links.hash_token(token) and sent.sent_at is not None

    browser = Client()
    assert browser.get(f"/staff/welcome/{token}/").status_code == 200
    done = browser.post(f"/staff/welcome/{token}/", {"password": PASSWORD,
                                                     "password_again": PASSWORD})  # fmt: skip
    assert done.status_code == 302
    assert browser.get("/patients/").status_code == 200
    again = Client().get(f"/staff/welcome/{token}/")
    assert again.status_code == 410 and "already been used" in again.content.decode()


def test_the_token_is_in_the_e_mail_only(manager_user, mailoutbox, caplog):
    caplog.set_level(logging.DEBUG)
    invite(manager_user)
    work_outbox()
    token = token_in(mailoutbox[0].body)
    message = Message.objects.values().get()
    assert not any(token in str(value) for value in message.values())
    assert not StaffInvite.objects.filter(token_hash=token).exists()
    assert token not in caplog.text


def test_a_failed_attempt_is_retried_with_a_new_link_and_only_that_one_works(
    manager_user, settings, mailoutbox
):
    settings.EMAIL_BACKEND = f"{__name__}.FailsOnce"
    FailsOnce.failures = 1
    invite(manager_user)
    message = Message.objects.get()
    work_outbox()
    message.refresh_from_db()
    assert message.status == "pending"
    assert message.last_error == "The mail server could not be reached (SMTPServerDisconnected)."
    first_hash = StaffInvite.objects.get().token_hash
    Message.objects.filter(pk=message.pk).update(due_at=message.created_at)
    assert sending.send(message.pk) == "sent"
    token = token_in(mailoutbox[-1].body)
    assert StaffInvite.objects.get().token_hash == links.hash_token(token) != first_hash


def test_a_replaced_invitation_is_cancelled_and_only_the_new_one_goes(manager_user, mailoutbox):
    sent = invite(manager_user)
    services.staff_reinvite(user=sent.user, by=manager_user)
    old, new = Message.objects.order_by("id")
    assert (old.status, old.last_error) == ("cancelled", links.REPLACED)
    work_outbox()
    assert len(mailoutbox) == 1
    new.refresh_from_db()
    assert new.status == "sent"


def test_an_invitation_to_an_account_deactivated_before_it_went_is_skipped(
    manager_user, mailoutbox
):
    sent = invite(manager_user)
    services.staff_deactivate(user=sent.user, by=manager_user)
    work_outbox()
    message = Message.objects.get()
    assert message.status == "skipped"
    assert message.last_error == "The recipient's account is inactive or has no e-mail address."
    assert mailoutbox == []


def test_the_message_log_api_shows_a_staff_invitation_about_no_patient(
    manager_user, front_desk_client
):
    invite(manager_user)
    (row,) = front_desk_client.get("/api/messages/").json()["results"]
    assert (row["kind"], row["patient"], row["to"]) == ("staff_invite", None, "staff")


# --- From invitation to deactivation ------------------------------------------------------


def test_a_member_invited_then_deactivated_loses_their_session_and_token_at_once(
    manager_user, manager_client, mailoutbox
):
    sent = invite(manager_user)
    work_outbox()
    browser = Client()
    browser.post(f"/staff/welcome/{token_in(mailoutbox[0].body)}/",
                 {"password": PASSWORD, "password_again": PASSWORD})  # fmt: skip
    script = APIClient()
    got = script.post("/api/auth/token/", {"username": "sam@example.com", "password": PASSWORD},
                      format="json")  # fmt: skip
    script.credentials(HTTP_AUTHORIZATION=f"Token {got.json()['token']}")
    assert browser.get("/patients/").status_code == script.get("/api/patients/").status_code == 200

    assert manager_client.post(f"/api/staff/{sent.user_id}/deactivate/").status_code == 200

    assert browser.get("/patients/").status_code == 302
    assert script.get("/api/patients/").status_code == 401
    assert not ApiToken.objects.filter(user_id=sent.user_id).exists()
