"""Sending the outbox: the sweep that claims due messages, and the send of one message.

DESIGN.md §6, "Messages are sent once and never lost":

- The sweep (beat, every minute) claims due `pending` rows with `SELECT … FOR UPDATE SKIP
  LOCKED`, stamps them `enqueued_at` in one UPDATE and, after commit, enqueues one send task
  per row carrying the row's id only. A row whose task was lost (broker restarted, publish
  failed) is claimed again once `enqueued_at` is older than the lease.
- A send moves its row `pending → sending` with a conditional UPDATE (only one worker can
  win it), re-checks that the message is still wanted, renders, hands it to the channel's
  backend and records the outcome, again conditionally. A worker that dies mid-send leaves
  the row `sending`; the sweep puts it back to `pending` when the lease expires.
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
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import timezone

from clinic import audit
from clinic.clock import clinic_zone, to_local
from clinic.errors import Conflict
from clinic.models import User
from treatments.scheduling.models import Session

from . import outbox
from .models import Message
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

# Where each kind of message points in the patient portal. Paths only: the portal knows
# who is logged in, so no patient data ever goes into a link.
PORTAL_PATHS = {
    Kind.BOOKING_CONFIRMATION: "/portal/",
    Kind.PRE_SESSION_CHECK: "/portal/questions/",
    Kind.REMINDER_48H: "/portal/",
    Kind.REMINDER_24H: "/portal/",
    Kind.AFTERCARE: "/portal/after-your-visit/",
    Kind.CHECKIN_24H: "/portal/after-your-visit/",
    Kind.CHECKIN_72H: "/portal/after-your-visit/",
    Kind.CHECKIN_7D: "/portal/after-your-visit/",
    Kind.REVIEW_3M: "/portal/",
    Kind.REVIEW_6M: "/portal/",
}
NEEDS_COMPLETED_SESSION = (*outbox.AFTER_SESSION, *outbox.REVIEWS)
BEFORE_SESSION = (Kind.BOOKING_CONFIRMATION, *outbox.BEFORE_SESSION)
# Emergency numbers by the clinic's phone region, for the aftercare's urgent signs.
EMERGENCY_NUMBERS = {"GB": "999", "IE": "112", "US": "911", "CA": "911", "AU": "000"}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


# --- Sending one message ------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class EmailNotAccepted(Exception):
    """The e-mail backend reported that nothing was sent."""


def send(message_id: int, *, now: datetime | None = None) -> str:
    """Send one message if it is still due and wanted; return its new status ("" when it was
    not ours to send: already taken by another worker, done, or not due any more)."""
    now = now or timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, status=Status.PENDING, due_at__lte=now + CLOCK_SKEW
    ).update(status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now, updated_at=now)
    if not claimed:
        return ""
    message = Message.objects.select_related("patient", "session").get(pk=message_id)
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
        provider_id = deliver(message)
    except Exception as exc:  # template, provider, SMTP, time limit: all retried the same way
        return _failed_attempt(message, ours, exc, now)

    # Conditional on our claim; if the lease expired meanwhile and the row went back to
    # pending, record it as sent all the same so that it is not sent again.
    recorded = (
        Message.objects.filter(pk=message_id)
        .filter(Q(status=Status.SENDING, claimed_at=now) | Q(status=Status.PENDING))
        .update(
            status=Status.SENT,
            sent_at=timezone.now(),
            provider_id=provider_id[:200],
            last_error="",
            enqueued_at=None,
            updated_at=timezone.now(),
        )
    )
    if not recorded:
        logger.warning("outbox: message %s was sent after its claim expired", message.pk)
    return Status.SENT


def unwanted(message: Message, now: datetime) -> tuple[str, str]:
    """(`cancelled` or `skipped`, why) when the message must not go out any more, else
    ("", "")."""
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
    if message.kind in outbox.BEFORE_SESSION:
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
    """Belt and braces: no contact detail or name of the patient in an error text."""
    patient = message.patient
    for value in (patient.email, patient.phone, patient.first_name, patient.last_name):
        if value and len(value) > 1:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "…", text, flags=re.IGNORECASE)
    return text[:500]


# --- Rendering ----------------------------------------------------------------------------


def format_when(moment: datetime) -> str:
    """The moment on the clinic's wall clock, e.g. "Monday 30 March at 10:00"."""
    local = to_local(moment)
    return f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} at {local:%H:%M}"


def portal_link(kind: str | None = None) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + PORTAL_PATHS.get(kind, "/portal/")


def sms_context(message: Message) -> dict:
    """All an SMS may say (DESIGN.md §6): a first name, the clinic's name, the session's
    time and a portal link. Nothing clinical, so nothing else is in reach of the template."""
    return {
        "first_name": message.patient.first_name.strip(),
        "clinic_name": settings.CLINIC_NAME,
        "when": format_when(message.session.starts_at),
        "link": portal_link(message.kind),
    }


def email_context(message: Message) -> dict:
    session = message.session
    context = {
        **sms_context(message),
        "clinic_phone": settings.CLINIC_PHONE,
        "portal_url": portal_link(),
        "session_minutes": int((session.ends_at - session.starts_at).total_seconds() // 60),
        "retinoid_stop": retinoid_stop(),
        "emergency_number": EMERGENCY_NUMBERS.get(settings.CLINIC_PHONE_REGION, ""),
    }
    if message.kind == Kind.BOOKING_CONFIRMATION:
        context["sessions"] = [
            format_when(starts_at)
            for starts_at in Session.objects.filter(
                course_id=session.course_id, status__in=Session.ACTIVE
            )
            .order_by("starts_at")
            .values_list("starts_at", flat=True)
        ]
    return context


def retinoid_stop() -> str:
    """How long before a session to stop retinoids and acids: clinic policy, 24 hours per the
    SkinPen handout, 3–7 days at many clinics (clinical reference §1.2 row 28, §3)."""
    hours = int(getattr(settings, "RETINOID_STOP_HOURS", 24))
    if hours % 24 == 0 and hours > 24:
        return f"{hours // 24} days"
    return f"{hours} hours"


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_email(message: Message) -> Rendered:
    context = email_context(message)
    folder = f"messaging/emails/{message.kind}"
    subject = " ".join(render_to_string(f"{folder}/subject.txt", context).split())
    return Rendered(
        subject=subject,
        text=_tidy(render_to_string(f"{folder}/body.txt", context)),
        html=render_to_string(f"{folder}/body.html", context),
    )


def render_sms(message: Message) -> str:
    return " ".join(
        render_to_string(f"messaging/sms/{message.kind}.txt", sms_context(message)).split()
    )


def deliver(message: Message) -> str:
    """Render and hand the message to its channel's backend; return the provider's id."""
    if message.channel == Channel.SMS:
        return get_sms_backend().send(message.patient.phone, render_sms(message))
    rendered = render_email(message)
    sender = settings.DEFAULT_FROM_EMAIL
    message_id = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=sender,
        to=[message.patient.email],
        headers={"Message-ID": message_id, "X-Clinic-Message": str(message.public_id)},
        connection=get_connection(
            timeout=getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT_SECONDS
        ),
    )
    email.attach_alternative(rendered.html, "text/html")
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
