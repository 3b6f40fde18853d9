"""The outbox from booking to sending: what each change schedules, cancels or re-times, and
what the send does with a message that is no longer wanted or cannot be sent."""

import datetime as dt
from unittest import mock

import pytest
import requests
from django.db import IntegrityError, transaction

from clinic.celery import app
from clinic.clock import to_local
from patients import services as patient_services
from patients.models import Patient
from treatments.messaging import render, sending, tasks
from treatments.messaging.models import Message
from treatments.scheduling import services

from .helpers import at, book, complete, local

pytestmark = pytest.mark.django_db
Kind = Message.Kind
Status = Message.Status
UTC = dt.UTC
BEFORE = {Kind.PRE_SESSION_CHECK, Kind.REMINDER_48H, Kind.REMINDER_24H}
SERIES = [local(2026, 3, 9, 10), local(2026, 4, 6, 10)]
BOOKED_AT = dt.datetime(2026, 2, 23, 8, tzinfo=UTC)  # a fortnight before the first


@pytest.fixture
def booking(clinic, front_desk_user, practitioner_user, acne_protocol):
    def _book(starts=SERIES, booked_at=BOOKED_AT, **patient_fields):
        return book(
            clinic,
            by=front_desk_user,
            practitioner_user=practitioner_user,
            protocol=acne_protocol,
            starts=starts,
            booked_at=booked_at,
            **patient_fields,
        )

    return _book


@pytest.fixture
def eager_celery(monkeypatch):
    """Send tasks run in this process when the sweep enqueues them (after its commit)."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)


def kinds(messages):
    return sorted((m.session.number, m.kind) for m in messages)


def test_booking_writes_a_confirmation_and_three_messages_per_session(booking):
    sessions = booking()
    messages = Message.objects.select_related("session")
    assert kinds(messages) == sorted(
        [(1, Kind.BOOKING_CONFIRMATION)] + [(s.number, k) for s in sessions for k in BEFORE]
    )
    assert {m.status for m in messages} == {Status.PENDING}
    assert {m.channel for m in messages} == {"email"}
    confirmation = messages.get(kind=Kind.BOOKING_CONFIRMATION)
    assert confirmation.due_at == BOOKED_AT


def test_cancelling_a_session_cancels_its_pending_messages(booking, front_desk_user):
    first, second = booking()
    with at(BOOKED_AT + dt.timedelta(days=1)):
        services.session_cancel(session=second, reason="Patient away", by=front_desk_user)
    cancelled = Message.objects.filter(session=second).exclude(kind=Kind.SESSION_CANCELLED)
    assert {m.status for m in cancelled} == {Status.CANCELLED}
    assert {m.last_error for m in cancelled} == {"The session was cancelled."}
    assert set(Message.objects.filter(session=first).values_list("status", flat=True)) == {
        Status.PENDING
    }


def test_rescheduling_re_times_the_check_and_the_reminders(booking, front_desk_user):
    first, _ = booking()
    with at(BOOKED_AT + dt.timedelta(days=1)):
        services.session_reschedule(
            session=first, starts_at=local(2026, 3, 10, 14), by=front_desk_user
        )
    due = {m.kind: to_local(m.due_at) for m in Message.objects.filter(session=first)}
    assert due[Kind.REMINDER_24H] == local(2026, 3, 9, 14)
    assert due[Kind.REMINDER_48H] == local(2026, 3, 8, 14)
    assert due[Kind.PRE_SESSION_CHECK] == local(2026, 3, 3, 14)


def test_a_no_show_cancels_the_pending_messages(booking, front_desk_user):
    first, _ = booking()
    with at(local(2026, 3, 9, 11)):
        services.session_no_show(session=first, by=front_desk_user)
    statuses = Message.objects.filter(session=first).exclude(kind=Kind.BOOKING_CONFIRMATION)
    assert {m.status for m in statuses} == {Status.CANCELLED}


def test_completing_a_session_schedules_aftercare_and_check_ins_and_the_last_the_reviews(
    booking, front_desk_user, practitioner_user
):
    first, second = booking()
    complete(first, by=front_desk_user, practitioner_user=practitioner_user,
             when=local(2026, 3, 9, 10, 5))  # fmt: skip
    after_first = {m.kind for m in Message.objects.filter(session=first)} - BEFORE
    assert after_first == {
        Kind.BOOKING_CONFIRMATION, Kind.AFTERCARE, Kind.CHECKIN_24H, Kind.CHECKIN_72H,
        Kind.CHECKIN_7D,
    }  # fmt: skip

    complete(second, by=front_desk_user, practitioner_user=practitioner_user,
             when=local(2026, 4, 6, 10, 5))  # fmt: skip
    due = {m.kind: to_local(m.due_at) for m in Message.objects.filter(session=second)}
    assert due[Kind.AFTERCARE] == local(2026, 4, 6, 10, 5)
    assert due[Kind.CHECKIN_24H] == local(2026, 4, 7, 10, 5)
    assert due[Kind.CHECKIN_72H] == local(2026, 4, 9, 10, 5)
    assert due[Kind.CHECKIN_7D] == local(2026, 4, 13, 10, 5)
    assert due[Kind.REVIEW_4W] == local(2026, 5, 4, 10)  # the interim review, §4
    assert due[Kind.REVIEW_3M] == local(2026, 7, 6, 10)
    assert due[Kind.REVIEW_6M] == local(2026, 10, 6, 10)


def test_withdrawing_sms_consent_skips_pending_sms_with_the_reason(booking, front_desk_user):
    sessions = booking(preferred_channel="sms")
    patient = sessions[0].patient
    assert set(Message.objects.values_list("channel", flat=True)) == {"sms"}
    with at(BOOKED_AT + dt.timedelta(hours=1)):
        patient_services.patient_update(
            patient=patient, by=front_desk_user, data={"sms_consent": False}
        )
    assert {(m.status, m.last_error) for m in Message.objects.all()} == {
        (Status.SKIPPED, "The patient withdrew consent to SMS.")
    }


def test_quiet_hours_move_an_sms_to_nine_in_the_morning(booking):
    booking(preferred_channel="sms", booked_at=local(2026, 2, 23, 21, 30))
    confirmation = Message.objects.get(kind=Kind.BOOKING_CONFIRMATION)
    assert to_local(confirmation.due_at) == local(2026, 2, 24, 9)


def test_an_e_mail_is_not_held_back_by_quiet_hours(booking):
    booking(booked_at=local(2026, 2, 23, 21, 30))
    confirmation = Message.objects.get(kind=Kind.BOOKING_CONFIRMATION)
    assert to_local(confirmation.due_at) == local(2026, 2, 23, 21, 30)


def test_an_archived_patient_is_skipped_at_send_time_with_a_reason(booking, mailoutbox):
    sessions = booking()
    # Archived behind the outbox's back: archiving itself first cancels the sessions to come.
    Patient.objects.filter(pk=sessions[0].patient_id).update(archived_at=BOOKED_AT)
    confirmation = Message.objects.get(kind=Kind.BOOKING_CONFIRMATION)
    with at(BOOKED_AT + dt.timedelta(minutes=5)):
        assert sending.send(confirmation.pk) == Status.SKIPPED
    confirmation.refresh_from_db()
    assert confirmation.last_error == "The patient's record is archived."
    assert mailoutbox == []


def test_a_cancelled_session_s_reminder_is_cancelled_at_send_time(booking, mailoutbox):
    first, _ = booking()
    # cancelled behind the outbox's back (as if the cancel raced the sweep)
    type(first).objects.filter(pk=first.pk).update(status="cancelled", cancel_reason="x")
    reminder = Message.objects.get(session=first, kind=Kind.REMINDER_24H)
    with at(local(2026, 3, 8, 10)):
        assert sending.send(reminder.pk) == Status.CANCELLED
    reminder.refresh_from_db()
    assert reminder.last_error == "The session was cancelled."
    assert mailoutbox == []


def test_a_template_error_fails_after_the_last_attempt_and_the_sweep_goes_on(
    booking,
    front_desk_user,
    practitioner_user,
    settings,
    tmp_path,
    mailoutbox,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    settings.MESSAGE_MAX_ATTEMPTS = 2
    broken = tmp_path / "messaging" / "emails" / "aftercare"
    broken.mkdir(parents=True)
    (broken / "subject.txt").write_text("{% if %}Your aftercare{% endif %}")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    (session,) = booking(starts=[local(2026, 3, 9, 10)])
    complete(session, by=front_desk_user, practitioner_user=practitioner_user,
             when=local(2026, 3, 9, 10, 5))  # fmt: skip

    with at(local(2026, 3, 17, 12)), django_capture_on_commit_callbacks(execute=True):
        claimed = tasks.sweep()
    aftercare = Message.objects.get(kind=Kind.AFTERCARE)
    assert aftercare.pk in claimed
    assert (aftercare.status, aftercare.attempts) == (Status.PENDING, 1)
    assert aftercare.last_error == "A message template has an error (TemplateSyntaxError)."
    sent = set(Message.objects.filter(status=Status.SENT).values_list("kind", flat=True))
    assert sent == {
        Kind.BOOKING_CONFIRMATION, Kind.CHECKIN_24H, Kind.CHECKIN_72H, Kind.CHECKIN_7D
    }  # fmt: skip
    assert len(mailoutbox) == 4

    with at(local(2026, 3, 17, 13)), django_capture_on_commit_callbacks(execute=True):
        tasks.sweep()
    aftercare.refresh_from_db()
    assert (aftercare.status, aftercare.attempts) == (Status.FAILED, 2)
    assert aftercare.last_error == "A message template has an error (TemplateSyntaxError)."
    assert len(mailoutbox) == 4


def _response(status: int, body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    return response


def test_provider_garbage_fails_after_the_last_attempt_with_the_reason(booking, settings):
    settings.MESSAGE_MAX_ATTEMPTS = 3
    settings.SMS_BACKEND = "treatments.messaging.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = "https://sms.example.test/messages"
    booking(preferred_channel="sms")
    confirmation = Message.objects.get(kind=Kind.BOOKING_CONFIRMATION)
    moment = confirmation.due_at
    statuses = []
    with mock.patch("requests.post", return_value=_response(200, b"<html>oops</html>")) as post:
        for _ in range(3):
            confirmation.refresh_from_db()
            moment = max(moment, confirmation.due_at) + dt.timedelta(seconds=1)
            with at(moment):
                statuses.append(sending.send(confirmation.pk))
    assert statuses == [Status.PENDING, Status.PENDING, Status.FAILED]
    assert post.call_count == 3
    confirmation.refresh_from_db()
    assert confirmation.attempts == 3
    assert confirmation.last_error == "The SMS provider's answer is not JSON."


@pytest.mark.parametrize(
    ("starts", "reminder_48h", "reminder_24h", "day"),
    [
        # London springs forward at 01:00 UTC on Sunday 29 March 2026.
        (local(2026, 3, 30, 10), dt.datetime(2026, 3, 28, 10, tzinfo=UTC),
         dt.datetime(2026, 3, 29, 9, tzinfo=UTC), "Monday 30 March at 10:00"),
        # ... and falls back at 01:00 UTC on Sunday 25 October 2026.
        (local(2026, 10, 26, 10), dt.datetime(2026, 10, 24, 9, tzinfo=UTC),
         dt.datetime(2026, 10, 25, 10, tzinfo=UTC), "Monday 26 October at 10:00"),
    ],
    ids=["spring-forward", "fall-back"],
)  # fmt: skip
def test_reminders_keep_the_wall_clock_across_daylight_saving(
    booking, starts, reminder_48h, reminder_24h, day
):
    booking(starts=[starts], booked_at=starts - dt.timedelta(days=14))
    due = {m.kind: m for m in Message.objects.all()}
    assert due[Kind.REMINDER_48H].due_at == reminder_48h
    assert due[Kind.REMINDER_24H].due_at == reminder_24h
    for kind in (Kind.PRE_SESSION_CHECK, Kind.REMINDER_48H, Kind.REMINDER_24H):
        assert to_local(due[kind].due_at).time() == dt.time(10), kind
    rendered = render.render_email(due[Kind.REMINDER_48H])
    assert rendered.subject == f"Reminder: your session on {day}"
    assert day in rendered.text


# --- What the table refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"kind": Kind.REMINDER_24H}, "session_message_has_session"),
        ({"kind": Kind.PORTAL_INVITE}, "link_or_alert_message_has_ref"),
        ({"kind": Kind.PRACTITIONER_ALERT, "ref": "x"}, "staff_message_by_email_to_a_user"),
        ({"kind": Kind.PORTAL_INVITE, "ref": "x", "to_staff": True},
         "staff_message_by_email_to_a_user"),
    ],
)  # fmt: skip
def test_the_table_refuses_a_message_missing_what_its_kind_needs(
    booking, front_desk_user, fields, constraint
):
    (session,) = booking(starts=[local(2026, 3, 9, 10)])
    fields = dict(fields)
    recipient = front_desk_user if fields.pop("to_staff", False) else None
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Message.objects.create(
            patient=session.patient, channel="email", due_at=BOOKED_AT, recipient=recipient,
            **fields,
        )  # fmt: skip


def test_one_message_per_link_and_one_alert_per_reaction_and_recipient(booking, practitioner_user):
    (session,) = booking(starts=[local(2026, 3, 9, 10)])
    link = {"patient": session.patient, "kind": Kind.PASSWORD_RESET, "ref": "invite-1"}
    Message.objects.create(**link, channel="email", due_at=BOOKED_AT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(**link, channel="sms", due_at=BOOKED_AT)
    alert = {"patient": session.patient, "kind": Kind.PRACTITIONER_ALERT, "ref": "flag-1",
             "channel": "email", "due_at": BOOKED_AT, "session": session}  # fmt: skip
    Message.objects.create(**alert, recipient=practitioner_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(**alert, recipient=practitioner_user)
