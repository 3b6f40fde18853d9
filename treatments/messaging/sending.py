"""Sending the outbox: the sweep that claims due messages, and the send of one message.

DESIGN.md §6, "Messages are sent once and never lost":

- The sweep (beat, every minute) claims due `pending` rows with `SELECT … FOR UPDATE SKIP
  LOCKED`, stamps them `enqueued_at` in one UPDATE and, after commit, enqueues send tasks
  carrying batches of the rows' ids only (MESSAGE_SEND_BATCH). A row whose task was lost
  (broker restarted, publish failed) is claimed again once `enqueued_at` is older than the
  lease.
- A send moves its rows `pending → sending` with one conditional UPDATE per batch (only one
  worker can win a row), re-checks that each message is still wanted, renders, hands it to
  the channel's backend and records its outcome at once, again conditionally. A worker that
  dies mid-send leaves the row `sending`; the sweep puts it back to `pending` when the lease
  expires.
- Failures back off by moving `due_at` (never a long Celery eta/countdown): the sweep picks
  the row up again. After the last attempt the row is `failed` and staff see it.

At most once per attempt: a message can reach a patient twice only when a worker dies after
the provider accepted it and before the outcome is recorded, so sends per message are at
most the number of such deaths plus one. Leases are longer than the send task's time limit
(MESSAGE_LEASE_SECONDS 300 > 60), so a slow but live worker is never overtaken.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import datetime, timedelta
from email.utils import make_msgid
from time import monotonic

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils import timezone

from clinic import audit
from clinic.clock import clinic_zone
from clinic.errors import Conflict
from clinic.models import User
from treatments.scheduling.models import Session

from . import outbox, render
from .models import SESSION_KINDS, Message
from .sms import SmsError, get_sms_backend

logger = logging.getLogger(__name__)

Kind = Message.Kind
Status = Message.Status
Channel = Message.Channel

RETRY_CAP_SECONDS = 3600
# The sweep and the worker may run on different machines: allow this much clock skew when
# a worker checks that a message is due.
CLOCK_SKEW = timedelta(seconds=5)
EMAIL_TIMEOUT_SECONDS = 20
# Publishing a send task: give up quickly when the broker is down; the next sweep retries.
ENQUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
UNFINISHED = "The previous attempt did not finish (the worker stopped); trying again."
UNFINISHED_LAST = "The last attempt did not finish (the worker stopped)."

NEEDS_COMPLETED_SESSION = (*outbox.AFTER_SESSION, Kind.AFTERCARE_SHEET, *outbox.REVIEWS)
BEFORE_SESSION = (Kind.BOOKING_CONFIRMATION, *outbox.BEFORE_SESSION, *outbox.MOVE_NOTICES)
# About a time still to come: too late once the session has begun.
ABOUT_A_COMING_TIME = (*outbox.BEFORE_SESSION, *outbox.MOVE_NOTICES)


# --- Sending one message ------------------------------------------------------------------


class EmailNotAccepted(Exception):
    """The e-mail backend reported that nothing was sent."""


def send(message_id: int, *, now: datetime | None = None) -> str:
    """Send one message if it is still due and wanted; return its new status ("" when it was
    not ours to send: already taken by another worker, done, or not due any more)."""
    now = now or timezone.now()
    if not claim([message_id], now):
        return ""
    return attempt(_claimed([message_id])[0], now)


def send_batch(message_ids: list[int], *, budget: float, now: datetime | None = None) -> int:
    """Send a batch: claim every message of it that is still pending and due in one UPDATE,
    load them in one SELECT, then attempt each in turn (its outcome recorded at once, so a
    worker that dies loses the record of one send at most). A batch run twice sends each
    message once: the second run claims nothing. Messages not reached within `budget`
    seconds go back to pending, untried, for the next sweep. Returns how many were sent."""
    now = now or timezone.now()
    started = monotonic()
    claimed = set(claim(message_ids, now))
    ordered = [pk for pk in message_ids if pk in claimed]
    sent = 0
    mail = MailConnection()
    try:
        for position, message in enumerate(_claimed(ordered)):
            if monotonic() - started > budget:
                unclaim(ordered[position:], now)
                break
            sent += attempt(message, now, mail=mail) == Status.SENT
    finally:
        mail.close()
    return sent


def claim(message_ids: list[int], now: datetime) -> list[int]:
    """Move those of these messages that are pending and due to `sending` (one attempt more,
    `claimed_at` now) in one UPDATE … RETURNING; return the ids this call won. Two workers
    claiming the same ids at once each win a disjoint part (the row lock decides)."""
    if not message_ids:
        return []
    table = Message._meta.db_table
    marks = ", ".join(["%s"] * len(message_ids))
    stamp = connection.ops.adapt_datetimefield_value(now)  # as the ORM stores it
    due = connection.ops.adapt_datetimefield_value(now + CLOCK_SKEW)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, attempts = attempts + 1, claimed_at = %s, "  # noqa: S608 - names from the model, values bound
            f"updated_at = %s WHERE id IN ({marks}) AND status = %s AND due_at <= %s "
            "RETURNING id",
            [Status.SENDING, stamp, stamp, *message_ids, Status.PENDING, due],
        )
        return [row[0] for row in cursor.fetchall()]


def unclaim(message_ids: list[int], now: datetime) -> None:
    """Give claimed messages back untried: pending again, the attempt not counted."""
    Message.objects.filter(pk__in=message_ids, status=Status.SENDING, claimed_at=now).update(
        status=Status.PENDING,
        attempts=F("attempts") - 1,
        claimed_at=None,
        enqueued_at=None,
        updated_at=now,
    )


def _claimed(message_ids: list[int]) -> list[Message]:
    """The claimed messages with what sending needs (the course: the templates ask whether
    it treats the face), in the order given."""
    found = Message.objects.select_related("patient", "session__course", "recipient").in_bulk(
        message_ids
    )
    messages = [found[pk] for pk in message_ids if pk in found]
    render.prepare(messages)  # what the templates read, for the whole batch at once
    return messages


def attempt(message: Message, now: datetime, *, mail: MailConnection | None = None) -> str:
    """One attempt at a message this worker has claimed at `now`; return its new status.
    E-mails go through `mail` when given (a batch's one connection to the mail server)."""
    message_id = message.pk
    ours = Message.objects.filter(pk=message_id, status=Status.SENDING, claimed_at=now)

    outcome, reason = unwanted(message, now)
    if outcome:
        ours.update(status=outcome, last_error=reason, updated_at=now)
        logger.info("outbox: message %s %s", message.pk, outcome)
        return outcome

    if message.channel == Channel.SMS:
        morning = outbox.after_quiet_hours(now, clinic_zone())
        if morning > now:  # late (an outage, a retry): it waits for the morning
            ours.update(
                status=Status.PENDING,
                due_at=morning,
                attempts=F("attempts") - 1,
                claimed_at=None,
                enqueued_at=None,
                updated_at=now,
            )
            return Status.PENDING

    try:
        provider_id = deliver(message, mail=mail)
    except render.Unwanted as exc:  # found out while rendering, e.g. a link revoked just now
        ours.update(status=Status.SKIPPED, last_error=exc.reason[:500], updated_at=now)
        logger.info("outbox: message %s skipped", message.pk)
        return Status.SKIPPED
    except Exception as exc:  # template, provider, SMTP, time limit: all retried the same way
        if mail is not None:
            mail.close()  # the next e-mail opens a fresh connection, not this broken one
        return _failed_attempt(message, ours, exc, now)

    if not record_sent(message_id, provider_id, claimed_at=now):
        logger.warning("outbox: message %s was sent after its claim expired", message.pk)
    return Status.SENT


def record_sent(message_id: int, provider_id: str, *, claimed_at: datetime) -> bool:
    """Mark a message sent, at once, after its backend accepted it: one UPDATE (written in
    SQL: the send path runs it once per message, and the ORM's compiling cost more than the
    query). Conditional on this attempt's claim; if the lease expired meanwhile and the row
    went back to pending, it is recorded as sent all the same so that it is not sent again.
    Returns whether a row was updated.

    On PostgreSQL its commit does not wait for the disk (`SET LOCAL synchronous_commit =
    off`, this transaction only): that wait was more than half of a message's cost. The
    record is committed and seen by every other connection at once, so a worker that dies
    next loses nothing; only a crash of PostgreSQL itself (not a restart, which writes
    everything out) can forget the records of its last fraction of a second (the WAL writer
    flushes every `wal_writer_delay`, 200 ms), and those messages, left `sending`, go out
    once more after the lease: at most one extra send each, as for a worker killed mid-send."""
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(timezone.now())
    # One round trip: in autocommit, statements sent together run as one transaction, so
    # SET LOCAL holds for this UPDATE's commit alone (and the rowcount is the UPDATE's).
    no_wait = "SET LOCAL synchronous_commit = off; " if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"{no_wait}UPDATE {Message._meta.db_table} SET status = %s, sent_at = %s, "  # noqa: S608 - names from the model, values bound
            "provider_id = %s, last_error = '', enqueued_at = NULL, updated_at = %s "
            "WHERE id = %s AND ((status = %s AND claimed_at = %s) OR status = %s)",
            [
                Status.SENT, stamp, provider_id[:200], stamp, message_id,
                Status.SENDING, ops.adapt_datetimefield_value(claimed_at), Status.PENDING,
            ],
        )  # fmt: skip
        return cursor.rowcount > 0


def unwanted(message: Message, now: datetime) -> tuple[str, str]:
    """(`cancelled` or `skipped`, why) when the message must not go out any more, else
    ("", ""). The worker asks just before each attempt, because the world moves on between
    the row being written and its sending.

    - The session cadence: cancelled with its session (or a no-show), and so is a notice
      of a move; aftercare, check-ins and reviews need the session completed; then the
      patient's record and consent (`outbox.skip_reason`); a reminder or a move notice once
      the session has begun is too late.
    - Portal links and staff alerts have no session to ask about: `outbox.skip_reason`
      applies their audience's rule (a link needs an open record and the contact detail, not
      consent; an alert needs an active recipient with an e-mail address), then the package
      that wrote them says whether they still stand (`render.check`: the invitation was
      replaced or used, the reaction already cleared).
    """
    if message.kind not in SESSION_KINDS:
        reason = outbox.skip_reason(message, message.patient) or render.check(message)
        return (Status.SKIPPED, reason) if reason else ("", "")
    session = message.session
    if message.kind in BEFORE_SESSION:
        if session.status == Session.Status.CANCELLED:
            return Status.CANCELLED, "The session was cancelled."
        if session.status == Session.Status.NO_SHOW:
            return Status.CANCELLED, "The patient did not attend."
    if message.kind in NEEDS_COMPLETED_SESSION and session.status != Session.Status.COMPLETED:
        return Status.CANCELLED, "The session was not completed."
    reason = outbox.skip_reason(message, message.patient)
    if reason:
        return Status.SKIPPED, reason
    if message.kind in ABOUT_A_COMING_TIME:
        if session.status in (Session.Status.CHECKED_IN, Session.Status.COMPLETED):
            return Status.SKIPPED, "Too late: the session has already taken place."
        if session.starts_at <= now:
            return Status.SKIPPED, "Too late: the session has already started."
    return "", ""


def _failed_attempt(message: Message, ours, exc: BaseException, now: datetime) -> str:
    reason = redact(describe_error(exc), message)
    attempts = message.attempts  # already counts this attempt
    if attempts < settings.MESSAGE_MAX_ATTEMPTS:
        delay = min(settings.MESSAGE_RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_CAP_SECONDS)
        due = now + timedelta(seconds=delay)
        if message.channel == Channel.SMS:
            due = outbox.after_quiet_hours(due, clinic_zone())
        ours.update(
            status=Status.PENDING,
            due_at=due,
            last_error=reason,
            claimed_at=None,
            enqueued_at=None,
            updated_at=now,
        )
        status = Status.PENDING
    else:
        ours.update(status=Status.FAILED, last_error=reason, updated_at=now)
        status = Status.FAILED
    logger.warning(
        "outbox: message %s attempt %d failed (%s): %s", message.pk, attempts, status, reason
    )
    return status


def describe_error(exc: BaseException) -> str:
    """A short reason for staff, built from the error's type: exception texts can carry
    addresses or template context, so they are not copied."""
    if isinstance(exc, SmsError):
        return str(exc)
    if isinstance(exc, TemplateDoesNotExist):
        return f"A message template is missing ({exc.args[0] if exc.args else 'unknown'})."
    if isinstance(exc, TemplateSyntaxError):
        return "A message template has an error (TemplateSyntaxError)."
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "The mail server refused the recipient's address."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server refused the e-mail (SMTP {exc.smtp_code})."
    if isinstance(exc, smtplib.SMTPException | OSError):
        return f"The mail server could not be reached ({type(exc).__name__})."
    if isinstance(exc, EmailNotAccepted):
        return "The mail backend sent nothing."
    if isinstance(exc, SoftTimeLimitExceeded):
        return "Sending took too long."
    return f"Unexpected error while sending ({type(exc).__name__})."


def redact(text: str, message: Message) -> str:
    """Belt and braces: no contact detail or name of the patient (or of the member of staff
    a staff message goes to) in an error text."""
    for person in (message.patient, message.recipient):
        if person is None:
            continue
        phone = getattr(person, "phone", "")
        for value in (person.email, phone, person.first_name, person.last_name):
            if value and len(value) > 1:
                text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "…", text, flags=re.IGNORECASE)
    return text[:500]


# --- Handing it over ----------------------------------------------------------------------


def mail_backend():
    """A connection to the mail server (EMAIL_BACKEND), not opened yet."""
    return get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT_SECONDS)


class MailConnection:
    """One connection to the mail server for a send task's e-mails: opened with the first,
    kept for the rest of the batch (an SMTP session per e-mail costs a TCP and TLS handshake
    each), closed at the end of the batch and after a failed e-mail, so the next one opens
    a fresh connection rather than reuse a broken one."""

    def __init__(self) -> None:
        self.backend = None

    def get(self):
        if self.backend is None:
            backend = mail_backend()
            backend.open()
            self.backend = backend
        return self.backend

    def close(self) -> None:
        backend, self.backend = self.backend, None
        if backend is not None:
            try:
                backend.close()
            except Exception as exc:  # a connection already gone: nothing left to close
                logger.info("outbox: closing the mail connection failed (%s)", type(exc).__name__)


def deliver(message: Message, *, mail: MailConnection | None = None) -> str:
    """Render and hand the message to its channel's backend; return the provider's id.
    An e-mail goes through `mail` when given, else through a connection of its own."""
    if message.channel == Channel.SMS:
        return get_sms_backend().send(message.patient.phone, render.render_sms(message))
    rendered = render.render_email(message)
    address = message.recipient.email if message.to_staff else message.patient.email
    sender = settings.DEFAULT_FROM_EMAIL
    message_id = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=sender,
        to=[address],
        headers={"Message-ID": message_id, "X-Clinic-Message": str(message.public_id)},
        # Alone, an e-mail opens and closes a connection of its own as it is sent.
        connection=mail.get() if mail is not None else mail_backend(),
    )
    email.attach_alternative(rendered.html, "text/html")
    for attachment in rendered.attachments:  # made now, in the worker (render.register_attachment)
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    if email.send() != 1:
        raise EmailNotAccepted
    return message_id.strip("<>")


# --- Staff --------------------------------------------------------------------------------


@transaction.atomic
def message_resend(*, message: Message, by: User, request: HttpRequest | None = None) -> Message:
    """Send a `failed` message again: pending and due now, its attempts kept, so this is
    one more attempt. A message in any other state is a 409: a sent one is never sent twice,
    a pending one is already on its way."""
    now = timezone.now()
    updated = Message.objects.filter(pk=message.pk, status=Status.FAILED).update(
        status=Status.PENDING, due_at=now, claimed_at=None, enqueued_at=None, updated_at=now
    )
    message.refresh_from_db()
    if not updated:
        raise Conflict(
            "Only a failed message can be sent again; this one is "
            f"{message.get_status_display().lower()}."
        )
    audit.record(
        actor=by, action=audit.Action.UPDATE, obj=message, request=request, detail={"resend": True}
    )
    return message
