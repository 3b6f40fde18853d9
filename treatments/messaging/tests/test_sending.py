"""Sending one message and sweeping the outbox: rendering, backends, retries, the claim."""

import datetime as dt
import re
import smtplib
import socket
from unittest import mock

import pytest
import requests
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.clock import to_local
from treatments.messaging import outbox, render, sending, sms, tasks
from treatments.messaging.models import EMAIL_ONLY_KINDS, SESSION_KINDS, Message, channels_for

from .helpers import at, book, bulk_due_messages, complete, local

pytestmark = pytest.mark.django_db
Kind = Message.Kind
Status = Message.Status
UTC = dt.UTC
SERIES = [local(2026, 3, 30, 10), local(2026, 4, 27, 10)]
BOOKED_AT = dt.datetime(2026, 3, 16, 8, tzinfo=UTC)
# Claims the clinical reference corrects (§0): no message may make them.
CORRECTED_CLAIMS = re.compile(
    r"birth defect|enhanced absorption|absorb|centuries|at home microneedling|home use|diy"
    r"|sterilis|rubbing alcohol",
    re.IGNORECASE,
)
# What an SMS may never say: the patient's areas (the course is on the cheeks), findings or
# history; the texts' essentials are generic and the same for every patient.
PATIENT_DETAILS = re.compile(r"cheek|pregnan|isotretinoin|finding|your (?:face|neck)", re.I)
# The session kinds that may go by SMS: all but the e-mail-only ones (the aftercare sheet).
SMS_KINDS = {kind for kind in SESSION_KINDS if "sms" in channels_for(kind)}


@pytest.fixture
def everything(clinic, front_desk_user, practitioner_user, acne_protocol):
    """A two-session course, both completed: one message of every kind, by `channel`."""

    def _make(channel="email"):
        first, second = book(
            clinic,
            by=front_desk_user,
            practitioner_user=practitioner_user,
            protocol=acne_protocol,
            starts=SERIES,
            booked_at=BOOKED_AT,
            preferred_channel=channel,
            first_name="Amy",
            last_name="Zebedee-Quartz",
        )
        for session, start in ((first, SERIES[0]), (second, SERIES[1])):
            complete(session, by=front_desk_user, practitioner_user=practitioner_user,
                     when=start + dt.timedelta(minutes=5))  # fmt: skip
        if channel == "email":  # staff e-mail the first session's sheet (never by SMS)
            with at(SERIES[0] + dt.timedelta(minutes=30)):
                outbox.write_requested(session=first, kind=Kind.AFTERCARE_SHEET, channel=channel)
        # The notices of a change by staff, written as the outbox writes them (a notice of
        # each kind, whatever the sessions' state now).
        with at(SERIES[1] + dt.timedelta(hours=2)):
            for kind in outbox.NOTICES:
                outbox._new(first, kind, timezone.now(), timezone.now()).save()
        # The first session's message of each kind (the reviews exist for the last only).
        messages = Message.objects.select_related("patient", "session")
        return {m.kind: m for m in messages.order_by("-session__number")}

    return _make


def send_at(message, moment):
    with at(moment):
        return sending.send(message.pk)


# --- Rendering ----------------------------------------------------------------------------


def test_every_kind_renders_an_e_mail_in_three_parts(everything):
    messages = everything("email")
    assert set(messages) == set(SESSION_KINDS)
    for kind, message in messages.items():
        rendered = render.render_email(message)
        assert rendered.subject and "\n" not in rendered.subject, kind
        assert rendered.text.startswith("Hello Amy,"), kind
        assert "<html" in rendered.html and "Hello Amy," in rendered.html, kind
        assert "&amp;#x27;" not in rendered.html and "&#x27;" not in rendered.text, kind
        for part in (rendered.subject, rendered.text, rendered.html):
            assert not CORRECTED_CLAIMS.search(part), (kind, CORRECTED_CLAIMS.search(part))
            assert "Zebedee" not in part, kind
        assert "http://127.0.0.1:8000/portal/" in rendered.text, kind


def test_the_confirmation_lists_every_session_on_the_clinic_s_clock(everything):
    confirmation = everything("email")[Kind.BOOKING_CONFIRMATION]
    # Both completed by now, so the list is empty: render it as it was at booking instead.
    type(confirmation.session).objects.update(status="booked")
    text = render.render_email(confirmation).text
    assert "- Monday 30 March at 10:00" in text
    assert "- Monday 27 April at 10:00" in text


def test_the_pre_session_check_asks_what_to_tell_us_and_how_to_prepare(everything, settings):
    settings.RETINOID_STOP_HOURS = 72
    text = render.render_email(everything("email")[Kind.PRE_SESSION_CHECK]).text
    for expected in (
        "pregnant or breastfeeding", "isotretinoin", "blood", "filler", "cold sore",
        "new or changing mole", "has not fully settled", "3 days before your session",
        "sunburn and tanning", "self-tanner", "antiviral",
        "http://127.0.0.1:8000/portal/questions/",
    ):  # fmt: skip
        assert expected in text, expected


def test_the_reminders_say_when_to_reschedule_and_how_to_come(everything):
    messages = everything("email")
    two_days = render.render_email(messages[Kind.REMINDER_48H]).text
    assert "Self-tanner" in two_days
    assert "move your session rather than coming in" in two_days
    one_day = render.render_email(messages[Kind.REMINDER_24H]).text
    assert "Stop retinoids" in one_day and "24 hours" in one_day
    assert "Come without make-up." in one_day


def test_the_aftercare_gives_the_day_0_rules_the_red_flags_and_the_clinic_s_phone(
    everything, settings
):
    settings.CLINIC_PHONE = "+44 20 7946 0123"
    rendered = render.render_email(everything("email")[Kind.AFTERCARE])
    for expected in (
        "No make-up and no sunscreen today", "hydrating gel", "clean pillowcase",
        "no retinoids, acids (AHA/BHA), benzoyl peroxide or vitamin C", "No exercise, sauna",
        "SPF 30", "CALL US ON +44 20 7946 0123", "gets worse after day 2", "pus",
        "small blisters", "not improving by day 3 or 4", "swelling of the face or eyes",
        "Call emergency services (999) straight away", "trouble breathing",
        "metallic taste",
    ):  # fmt: skip
        assert expected in rendered.text, expected
    assert 'href="tel:+442079460123"' in rendered.html


def test_the_check_ins_follow_the_follow_up_cadence(everything):
    messages = everything("email")
    day_one = render.render_email(messages[Kind.CHECKIN_24H]).text
    assert "redness fading" in day_one and "cold sore" in day_one and "SPF 30" in day_one
    day_three = render.render_email(messages[Kind.CHECKIN_72H]).text
    assert "flaking" in day_three and "exercise" in day_three and "fever" in day_three
    week = render.render_email(messages[Kind.CHECKIN_7D]).text
    assert "fully settled" in week and "before your next session" in week


def test_the_sms_kinds_are_the_session_kinds_less_the_e_mail_only_ones(everything):
    assert set(everything("sms")) == SMS_KINDS == set(SESSION_KINDS) - set(EMAIL_ONLY_KINDS)
    assert Kind.AFTERCARE_SHEET not in SMS_KINDS


def test_an_sms_names_the_patient_by_first_name_only_and_links_without_data(everything):
    for kind, message in everything("sms").items():
        body = render.render_sms(message)
        assert body.startswith("Hi Amy,"), kind
        assert "Zebedee" not in body and message.patient.phone not in body, kind
        assert message.patient.email not in body, kind
        assert not PATIENT_DETAILS.search(body), (kind, PATIENT_DETAILS.search(body))
        assert not CORRECTED_CLAIMS.search(body), (kind, CORRECTED_CLAIMS.search(body))
        links = re.findall(r"https?://\S+", body)
        assert len(links) == 1 and "?" not in links[0], kind
        assert links[0].startswith("http://127.0.0.1:8000/portal/"), kind


def test_an_sms_keeps_to_gsm_7_and_at_most_four_parts(everything, settings):
    settings.CLINIC_NAME = "Riverside Skin & Laser Clinic"  # longer than the default
    settings.PORTAL_BASE_URL = "https://portal.riverside-skin-clinic.example"
    for kind, message in everything("sms").items():
        body = render.render_sms(message)
        assert sms.gsm7_length(body) is not None, (kind, set(body) - sms.GSM7_BASIC)
        assert sms.segments(body) <= sms.MAX_SEGMENTS == 4, (kind, len(body))


def test_an_e_mail_only_kind_is_never_rendered_or_written_as_an_sms(everything):
    sheet = everything("email")[Kind.AFTERCARE_SHEET]
    sheet.channel = Message.Channel.SMS
    with pytest.raises(render.NoSuchChannel):
        render.render_sms(sheet)
    from django.db import IntegrityError, transaction

    with transaction.atomic(), pytest.raises(IntegrityError):
        Message.objects.filter(pk=sheet.pk).update(channel=Message.Channel.SMS)


def test_a_reminder_sms_gives_the_time_on_the_clinic_s_clock(everything):
    body = render.render_sms(everything("sms")[Kind.REMINDER_24H])
    assert "Monday 30 March at 10:00" in body


# --- Backends -----------------------------------------------------------------------------


def test_the_file_backend_writes_one_file_per_sms(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    backend = sms.get_sms_backend()
    assert isinstance(backend, sms.FileSmsBackend)
    first = backend.send("+447400000001", "Hello")
    second = backend.send("+447400000001", "Hello")
    assert first != second
    assert sorted(p.name for p in (tmp_path / "sms").iterdir()) == sorted(
        [f"{first}.txt", f"{second}.txt"]
    )
    assert (tmp_path / "sms" / f"{first}.txt").read_text().endswith("\n\nHello\n")


def test_sms_backend_is_chosen_by_dotted_path(settings):
    settings.SMS_BACKEND = "treatments.messaging.sms.HttpSmsBackend"
    assert isinstance(sms.get_sms_backend(), sms.HttpSmsBackend)


def _response(status: int, body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    return response


@pytest.fixture
def http_sms(settings):
    settings.SMS_HTTP_URL = "https://sms.example.test/messages"
    settings.SMS_HTTP_TOKEN = "secret-token"
    settings.SMS_SENDER = "Clinic"
    return sms.HttpSmsBackend()


def test_the_http_backend_posts_json_with_a_bearer_token(http_sms):
    with mock.patch("requests.post", return_value=_response(201, b'{"id": "SM123"}')) as post:
        assert http_sms.send("+447400000001", "Hi Amy") == "SM123"
    post.assert_called_once_with(
        "https://sms.example.test/messages",
        json={"to": "+447400000001", "from": "Clinic", "body": "Hi Amy"},
        headers={"Authorization": "Bearer secret-token", "Accept": "application/json"},
        timeout=10,
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (_response(500, b'{"error": "+447400000001 rejected"}'), "answered HTTP 500"),
        (_response(200, b"<html>+447400000001</html>"), "is not JSON"),
        (_response(200, b'{"status": "queued"}'), "has no message id"),
        (_response(200, b'{"id": ""}'), "has no message id"),
        (_response(200, b"[1, 2]"), "has no message id"),
        (requests.ConnectionError("refused"), "could not be reached (ConnectionError)"),
        (requests.ReadTimeout("slow"), "did not answer within 10 s"),
    ],
)
def test_the_http_backend_turns_anything_but_an_id_into_a_short_error(http_sms, answer, reason):
    effect = {"side_effect": answer} if isinstance(answer, Exception) else {"return_value": answer}
    with mock.patch("requests.post", **effect), pytest.raises(sms.SmsError) as error:
        http_sms.send("+447400000001", "Hi Amy")
    assert reason in str(error.value)
    assert "+447400000001" not in str(error.value)


# --- Sending ------------------------------------------------------------------------------


def test_a_sent_e_mail_has_text_and_html_and_is_recorded(everything, mailoutbox):
    reminder = everything("email")[Kind.REMINDER_24H]
    type(reminder.session).objects.update(status="booked")  # before the session, as it was
    assert send_at(reminder, reminder.due_at) == Status.SENT
    (email,) = mailoutbox
    assert email.to == [reminder.patient.email]
    assert email.alternatives[0].mimetype == "text/html"
    assert email.extra_headers["X-Clinic-Message"] == str(reminder.public_id)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Status.SENT, 1)
    assert reminder.provider_id == email.extra_headers["Message-ID"].strip("<>")
    assert reminder.sent_at is not None
    # A second task for the same message (a redelivery) does nothing.
    assert send_at(reminder, reminder.due_at + dt.timedelta(minutes=1)) == ""
    assert len(mailoutbox) == 1


def test_a_message_is_not_sent_before_it_is_due(everything, mailoutbox):
    """A task enqueued before a reschedule moved the message later must not send it early."""
    reminder = everything("email")[Kind.REMINDER_24H]
    assert send_at(reminder, reminder.due_at - dt.timedelta(hours=1)) == ""
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Status.PENDING, 0)


def test_a_reminder_for_a_session_that_has_started_or_taken_place_is_skipped(
    everything, mailoutbox
):
    messages = everything("email")
    reminder = messages[Kind.REMINDER_24H]  # its session is completed
    assert send_at(reminder, reminder.due_at) == Status.SKIPPED
    reminder.refresh_from_db()
    assert reminder.last_error == "Too late: the session has already taken place."
    check = messages[Kind.PRE_SESSION_CHECK]
    type(check.session).objects.filter(pk=check.session_id).update(status="booked")
    assert send_at(check, SERIES[0] + dt.timedelta(minutes=1)) == Status.SKIPPED
    check.refresh_from_db()
    assert check.last_error == "Too late: the session has already started."
    assert mailoutbox == []


def test_an_sms_goes_through_the_backend_and_keeps_the_provider_s_id(
    everything, settings, tmp_path
):
    settings.SMS_FILE_PATH = tmp_path
    aftercare = everything("sms")[Kind.AFTERCARE]
    assert send_at(aftercare, local(2026, 3, 30, 10, 10)) == Status.SENT
    aftercare.refresh_from_db()
    (written,) = tmp_path.iterdir()
    assert written.stem == aftercare.provider_id
    assert written.read_text().startswith(f"To: {aftercare.patient.phone}\n")


def test_an_sms_that_comes_due_in_quiet_hours_waits_for_the_morning(everything, settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path
    checkin = everything("sms")[Kind.CHECKIN_24H]
    assert send_at(checkin, local(2026, 4, 1, 22, 30)) == Status.PENDING  # an outage
    checkin.refresh_from_db()
    assert to_local(checkin.due_at) == local(2026, 4, 2, 9)
    assert (checkin.status, checkin.attempts) == (Status.PENDING, 0)
    assert list(tmp_path.iterdir()) == []


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses the recipient, echoing the address (as servers do)."""

    def send_messages(self, messages):
        address = messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused({address: (550, f"<{address}> unknown".encode())})


def test_a_failure_backs_off_then_fails_after_the_last_attempt_without_patient_data(
    everything, settings
):
    settings.EMAIL_BACKEND = "treatments.messaging.tests.test_sending.RefusingBackend"
    settings.MESSAGE_MAX_ATTEMPTS = 4
    settings.MESSAGE_RETRY_BASE_SECONDS = 60
    checkin = everything("email")[Kind.CHECKIN_7D]
    moment = checkin.due_at
    delays = []
    for _ in range(3):
        assert send_at(checkin, moment) == Status.PENDING
        checkin.refresh_from_db()
        delays.append((checkin.due_at - moment).total_seconds())
        moment = checkin.due_at
    assert delays == [60, 120, 240]
    assert send_at(checkin, moment) == Status.FAILED
    checkin.refresh_from_db()
    assert (checkin.status, checkin.attempts) == (Status.FAILED, 4)
    assert checkin.last_error == "The mail server refused the recipient's address."
    assert checkin.patient.email not in checkin.last_error


def test_the_backoff_is_capped_at_an_hour(everything, settings):
    settings.EMAIL_BACKEND = "treatments.messaging.tests.test_sending.RefusingBackend"
    settings.MESSAGE_MAX_ATTEMPTS = 20
    checkin = everything("email")[Kind.CHECKIN_7D]
    Message.objects.filter(pk=checkin.pk).update(attempts=10)
    assert send_at(checkin, checkin.due_at) == Status.PENDING
    checkin.refresh_from_db()
    assert checkin.attempts == 11
    assert checkin.due_at == local(2026, 4, 6, 10, 5) + dt.timedelta(hours=1)


def test_an_sms_retry_that_would_land_in_quiet_hours_waits_for_the_morning(everything, settings):
    settings.SMS_BACKEND = "treatments.messaging.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = "https://sms.example.test/messages"
    settings.MESSAGE_RETRY_BASE_SECONDS = 3600
    checkin = everything("sms")[Kind.CHECKIN_7D]
    with mock.patch("requests.post", return_value=_response(503, b"")):
        assert send_at(checkin, local(2026, 5, 4, 19, 30)) == Status.PENDING
    checkin.refresh_from_db()
    assert to_local(checkin.due_at) == local(2026, 5, 5, 9)
    assert checkin.last_error == "The SMS provider answered HTTP 503."


def test_redact_removes_the_patient_s_details_from_an_error(everything):
    message = everything("email")[Kind.AFTERCARE]
    text = f"boom {message.patient.email} {message.patient.phone} Zebedee-Quartz, Amy; Amyloid"
    assert sending.redact(text, message) == "boom … … …, …; Amyloid"


# --- The sweep ----------------------------------------------------------------------------


@pytest.fixture
def due(clinic, front_desk_user, acne_protocol):
    from patients.tests.factories import PatientFactory

    def _due(count):
        return bulk_due_messages(
            count,
            clinic=clinic,
            patient=PatientFactory(),
            by=front_desk_user,
            protocol=acne_protocol,
        )

    return _due


def _queries_of_one_sweep() -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        claimed = tasks.sweep()
    return len(claimed), len(queries)


def test_a_sweep_takes_the_same_number_of_queries_for_1_or_200_messages(
    due, django_assert_max_num_queries
):
    due(1)
    # SAVEPOINT, UPDATE the expired `sending` rows, SELECT … FOR UPDATE SKIP LOCKED the due
    # ids, UPDATE their enqueued_at, RELEASE SAVEPOINT
    with django_assert_max_num_queries(5):
        claimed_one, queries_one = _queries_of_one_sweep()
    Message.objects.update(status=Status.SENT, sent_at=dt.datetime(2026, 1, 1, tzinfo=UTC))
    due(200)
    with django_assert_max_num_queries(5):
        claimed_many, queries_many = _queries_of_one_sweep()
    assert (claimed_one, claimed_many) == (1, 200)
    assert queries_one == queries_many


def test_a_sweep_claims_due_pending_messages_oldest_first_up_to_the_batch(due, settings):
    messages = due(30)
    Message.objects.filter(pk=messages[0].pk).update(due_at=dt.datetime(2020, 1, 1, tzinfo=UTC))
    not_yet = timezone.now() + dt.timedelta(days=1)  # not a fixed date: today moves on
    Message.objects.filter(pk=messages[1].pk).update(due_at=not_yet)
    Message.objects.filter(pk=messages[2].pk).update(status=Status.CANCELLED)
    claimed = tasks.sweep(batch_size=10)
    assert len(claimed) == 10 and claimed[0] == messages[0].pk
    assert messages[1].pk not in claimed and messages[2].pk not in claimed
    assert Message.objects.filter(enqueued_at__isnull=False).count() == 10
    # The rest next time; the claimed ones are not claimed again within the lease.
    assert set(tasks.sweep()) == {m.pk for m in messages[3:]} - set(claimed)
    assert tasks.sweep() == []


def test_a_claimed_message_whose_task_was_lost_is_claimed_again_after_the_lease(due, settings):
    (message,) = due(1)
    now = dt.datetime.now(UTC)
    assert tasks.sweep(now=now) == [message.pk]
    assert tasks.sweep(now=now + dt.timedelta(seconds=settings.MESSAGE_LEASE_SECONDS)) == []
    later = now + dt.timedelta(seconds=settings.MESSAGE_LEASE_SECONDS + 1)
    assert tasks.sweep(now=later) == [message.pk]


def test_a_message_stuck_in_sending_past_the_lease_goes_back_to_pending(due, settings):
    settings.MESSAGE_MAX_ATTEMPTS = 3
    stuck, last_try, fresh = due(3)
    now = dt.datetime.now(UTC)
    long_ago = now - dt.timedelta(seconds=settings.MESSAGE_LEASE_SECONDS + 1)
    Message.objects.filter(pk=stuck.pk).update(
        status=Status.SENDING, attempts=1, claimed_at=long_ago
    )
    Message.objects.filter(pk=last_try.pk).update(
        status=Status.SENDING, attempts=3, claimed_at=long_ago
    )
    Message.objects.filter(pk=fresh.pk).update(status=Status.SENDING, attempts=1, claimed_at=now)
    assert tasks.sweep(now=now) == [stuck.pk]
    stuck.refresh_from_db(), last_try.refresh_from_db(), fresh.refresh_from_db()
    assert (stuck.status, stuck.last_error) == (Status.PENDING, sending.UNFINISHED)
    assert (last_try.status, last_try.last_error) == (Status.FAILED, sending.UNFINISHED_LAST)
    assert fresh.status == Status.SENDING


@pytest.fixture
def broker_down(use_broker):
    """Publishing goes to a port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    use_broker(f"redis://127.0.0.1:{port}/0")


def test_a_broker_that_is_down_does_not_break_the_sweep_and_loses_nothing(
    due, broker_down, django_capture_on_commit_callbacks
):
    messages = due(3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        claimed = tasks.sweep()
    assert len(callbacks) == 1 and len(claimed) == 3
    # Released for the next sweep, not left waiting for the lease.
    assert not Message.objects.filter(enqueued_at__isnull=False).exists()
    assert sorted(tasks.sweep()) == sorted(m.pk for m in messages)


# --- The send task: a batch of ids --------------------------------------------------------


def _queries_of_one_batch(ids) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        sent = tasks.send_messages(ids)
    return sent, len(queries)


def test_a_send_batch_costs_four_queries_and_one_per_message_whatever_it_holds(due, settings):
    """A batch costs four queries: one UPDATE … RETURNING claims it, one SELECT loads it with
    its patients and sessions, and `render.prepare` reads its sessions' charted areas and its
    confirmations' course sessions, one query each for the whole batch. Then one per message
    of the cadence (its outcome, recorded at once: the templates ask nothing more); the
    aftercare sheet (its PDF) and the notices of a change read what they say themselves.
    One session's messages (every kind on each of its channels), then three sessions'. (A
    first batch warms the process's one-off lookups.)"""
    settings.SMS_QUIET_HOURS = ("00:00", "00:00")
    per_session = sum(len(channels_for(kind)) for kind in SESSION_KINDS)
    messages = due(per_session * 6)
    ids = [m.pk for m in messages]
    tasks.send_messages(ids[:per_session])
    outcomes_one, queries_one = _queries_of_one_batch(ids[per_session : 2 * per_session])
    outcomes_many, queries_many = _queries_of_one_batch(ids[2 * per_session : 5 * per_session])
    assert queries_many - 4 == 3 * (queries_one - 4)
    assert outcomes_many == 3 * outcomes_one > 0

    own_reads = {*render.NOTICE_CONTEXT, Kind.AFTERCARE_SHEET}
    cadence = [m.pk for m in messages[5 * per_session :] if m.kind not in own_reads]
    outcomes, queries = _queries_of_one_batch(cadence)
    assert queries == 4 + len(cadence) and outcomes > 0
    done = Message.objects.exclude(status__in=[Status.PENDING, Status.SENDING])
    assert done.count() == 5 * per_session + len(cadence)


@pytest.mark.django_db(transaction=True)  # autocommit, as in the worker
def test_a_sent_record_does_not_wait_for_the_disk_and_leaves_the_connection_as_it_was(due):
    """`record_sent` turns synchronous_commit off for its own commit alone (SET LOCAL): a
    session-wide SET would outlive it, and behind PgBouncer reach other clients."""
    (message,) = due(1)
    now = timezone.now()
    assert sending.claim([message.pk], now) == [message.pk]
    assert sending.record_sent(message.pk, "provider-1", claimed_at=now)
    message.refresh_from_db()
    assert (message.status, message.provider_id, message.sent_at is not None) == (
        Status.SENT,
        "provider-1",
        True,
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert not sending.record_sent(message.pk, "provider-2", claimed_at=now)  # sent already


class CountingBackend(BaseEmailBackend):
    """Counts the connections opened and the e-mails sent on each; the first e-mail of
    `failing` (a set of subjects' first words) raises as a dropped SMTP connection would."""

    opened: list[list[str]] = []
    failing: set[str] = set()

    def open(self):
        self.sent: list[str] = []
        CountingBackend.opened.append(self.sent)
        return True

    def send_messages(self, email_messages):
        for email in email_messages:
            if email.extra_headers["X-Clinic-Message"] in CountingBackend.failing:
                CountingBackend.failing.discard(email.extra_headers["X-Clinic-Message"])
                raise smtplib.SMTPServerDisconnected("gone")
            self.sent.append(email.extra_headers["X-Clinic-Message"])
        return len(email_messages)


@pytest.fixture
def counting_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = []
    CountingBackend.failing = set()
    return CountingBackend


def test_a_batch_sends_its_e_mails_over_one_connection_and_a_fresh_one_after_a_failure(
    everything, counting_mail
):
    messages = everything("email")
    kinds = [Kind.AFTERCARE, Kind.CHECKIN_24H, Kind.CHECKIN_72H, Kind.CHECKIN_7D]
    ids = [messages[kind].pk for kind in kinds]
    Message.objects.filter(pk__in=ids).update(due_at=dt.datetime(2026, 4, 28, tzinfo=UTC))
    with at(dt.datetime(2026, 5, 1, 9, tzinfo=UTC)):
        assert sending.send_batch(ids[:2], budget=60) == 2
    assert [len(sent) for sent in counting_mail.opened] == [2]

    counting_mail.opened.clear()
    counting_mail.failing = {str(messages[Kind.CHECKIN_72H].public_id)}
    with at(dt.datetime(2026, 5, 1, 9, tzinfo=UTC)):
        assert sending.send_batch(ids[2:], budget=60) == 1
    # The failed e-mail's connection is dropped; the next e-mail opens its own.
    assert [len(sent) for sent in counting_mail.opened] == [0, 1]
    failed = Message.objects.get(pk=messages[Kind.CHECKIN_72H].pk)
    assert (failed.status, failed.attempts) == (Status.PENDING, 1)


def test_a_prepared_batch_renders_the_same_words_without_a_query_per_message(
    everything, django_assert_num_queries
):
    """`render.prepare` fetches the charted areas and a confirmation's course sessions for
    the batch; the words are those of a message rendered on its own."""
    everything("email")
    type(Message.objects.first().session).objects.update(status="booked")  # a full list
    cadence = [
        m.pk
        for m in Message.objects.exclude(kind__in=[*render.NOTICE_CONTEXT, Kind.AFTERCARE_SHEET])
    ]
    alone = {}
    for pk in cadence:
        message = Message.objects.select_related("patient", "session__course").get(pk=pk)
        alone[pk] = (render.render_email(message), render.render_sms(message))
    batch = sending._claimed(cadence)
    with django_assert_num_queries(0):
        prepared = {m.pk: (render.render_email(m), render.render_sms(m)) for m in batch}
    assert prepared == alone
    confirmation = next(m for m in batch if m.kind == Kind.BOOKING_CONFIRMATION)
    assert "- Monday 27 April at 10:00" in prepared[confirmation.pk][0].text


def test_a_send_batch_delivered_twice_sends_each_message_once(due, settings, mailoutbox):
    settings.SMS_QUIET_HOURS = ("00:00", "00:00")
    ids = [m.pk for m in due(23)]
    sent = tasks.send_messages(ids)
    states = sorted(Message.objects.values_list("pk", "status", "attempts"))
    emails = len(mailoutbox)
    assert sent > 0 and emails > 0
    with CaptureQueriesContext(connection) as queries:
        assert tasks.send_messages(ids) == 0  # the copy finds nothing left to claim
    assert len(queries) == 1  # one claim for the batch, and it wins nothing
    assert sorted(Message.objects.values_list("pk", "status", "attempts")) == states
    assert len(mailoutbox) == emails
