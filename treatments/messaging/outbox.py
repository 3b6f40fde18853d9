"""What the clinic owes a patient, written to the outbox in the caller's transaction; the
one-time portal links and staff alerts other packages write through `write_now`; and the
session messages staff ask for, such as the aftercare sheet (`write_requested`).

The cadence is DESIGN.md §5 and clinical-reference.md §4: a booking confirmation; before each
session the pre-session check (T−7 days) and reminders (T−48 h, T−24 h); at completion the
aftercare and check-ins (T+24 h, T+72 h, T+7 days); after a course's last session the
results reviews (+3 and +6 months), once the course is truly completed. Offsets are settings
(MESSAGE_OFFSETS). When staff move or cancel a session, or cancel a course, the patient is
told at once (`NOTICES`), with the new time on the clinic's clock.

Times are wall-clock arithmetic in the clinic's zone: "24 hours before a 10:00 session" is
10:00 the day before on the clinic's clock, even across a daylight-saving change. SMS never
goes out in quiet hours (SMS_QUIET_HOURS, default 20:00–09:00): it waits for the morning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from clinic.clock import clinic_zone, localize
from clinic.models import User
from patients.models import Patient
from patients.screening import add_months
from treatments.scheduling.models import Session

from .models import CANCEL_NOTICE_KINDS, EMAIL_ONLY_KINDS, LINK_KINDS, TO_STAFF_KINDS, Message

Kind = Message.Kind
Status = Message.Status

BEFORE_SESSION = (Kind.PRE_SESSION_CHECK, Kind.REMINDER_48H, Kind.REMINDER_24H)
AFTER_SESSION = (Kind.AFTERCARE, Kind.CHECKIN_24H, Kind.CHECKIN_72H, Kind.CHECKIN_7D)
REVIEWS = (Kind.REVIEW_4W, Kind.REVIEW_3M, Kind.REVIEW_6M)
# What the patient is told at once when staff move or cancel (issue 11 item 5).
MOVE_NOTICES = (Kind.SESSION_MOVED, Kind.SESSIONS_MOVED)
NOTICES = (*MOVE_NOTICES, Kind.SESSION_CANCELLED, Kind.COURSE_CANCELLED)
# Reminders that make no sense once their moment has passed (booked at short notice).
LATE_SKIPPABLE = (Kind.REMINDER_48H, Kind.REMINDER_24H)
TOO_LATE = "Booked too late for this reminder."


# --- Wall-clock arithmetic ------------------------------------------------------------------


def shift(moment: datetime, offset: dict, tz: ZoneInfo) -> datetime:
    """`moment` moved by `offset` ({"days"|"hours"|"months": n}) on the clinic's wall clock."""
    local = moment.astimezone(tz).replace(tzinfo=None)
    months = offset.get("months", 0)
    if months:
        moved_day = add_months(local.date(), months)
        local = datetime.combine(moved_day, local.time())
    local += timedelta(days=offset.get("days", 0), hours=offset.get("hours", 0))
    return localize(local, tz)


def _clock(value: str) -> time:
    return time.fromisoformat(value)


def after_quiet_hours(moment: datetime, tz: ZoneInfo) -> datetime:
    """For SMS: a moment inside quiet hours moves to the end of them, on the clinic's clock."""
    start, end = (_clock(v) for v in settings.SMS_QUIET_HOURS)
    local = moment.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    day: date | None = None
    if start > end:  # overnight, e.g. 20:00–09:00
        if t >= start:
            day = local.date() + timedelta(days=1)
        elif t < end:
            day = local.date()
    elif start <= t < end:
        day = local.date()
    if day is None:
        return moment
    return localize(datetime.combine(day, end), tz)


# --- Channel and consent --------------------------------------------------------------------


NO_CONSENT = "The patient has not agreed to e-mail or SMS."


def withdrawn_reason(channel: str) -> str:
    """Why a message on `channel` is skipped once the patient withdrew consent to it."""
    name = "SMS" if channel == Message.Channel.SMS else "e-mail"
    return f"The patient withdrew consent to {name}."


def reachable(patient: Patient, channel: str) -> bool:
    """The patient agreed to this channel and we have the address or number for it."""
    if channel == Message.Channel.SMS:
        return patient.sms_consent and bool(patient.phone)
    return patient.email_consent and bool(patient.email)


def channel_for(patient: Patient) -> tuple[str, str]:
    """The channel to use and, if nothing may be sent, why (the message is then `skipped`).

    The preferred channel when the patient consents to it, else the other consented one.
    """
    preferred = patient.preferred_channel
    other = Message.Channel.SMS if preferred == Message.Channel.EMAIL else Message.Channel.EMAIL
    if patient.is_archived:
        return preferred, "The patient's record is archived."
    for channel in (preferred, other):
        if reachable(patient, channel):
            return channel, ""
    return preferred, NO_CONSENT


def skip_reason(message: Message, patient: Patient | None) -> str:
    """Why this message must not be sent now, or "" when it still may be. One rule per
    audience:

    - The session cadence: the patient's record is open and they agree to the channel. A
      cancellation notice still goes once the record is archived: archiving cancels the
      patient's sessions and tells them so.
    - A one-time portal link (invitation, password reset): the record is open and still has
      the address or number the link goes to. Consent is not asked: the link is what the
      patient or the front desk asked for a moment ago, it carries nothing clinical and
      nothing to sell, and a patient who said "no reminders by e-mail" must still be able to
      get into their account.
    - An alert to staff, or a staff invitation: the recipient's account is active and has
      an e-mail address. The patient's consent and record play no part: it is the clinic's
      own mail about a reaction a clinician has to look at (a staff invitation is about no
      patient at all).
    """
    if message.kind in TO_STAFF_KINDS:
        recipient = message.recipient
        if not recipient.is_active or not recipient.email:
            return "The recipient's account is inactive or has no e-mail address."
        return ""
    if patient.is_archived and message.kind not in CANCEL_NOTICE_KINDS:
        return "The patient's record is archived."
    if message.kind in LINK_KINDS:
        if not contact_for(patient, message.channel):
            name = "mobile number" if message.channel == Message.Channel.SMS else "e-mail address"
            return f"The patient's record has no {name} any more."
        return ""
    if not reachable(patient, message.channel):
        return withdrawn_reason(message.channel)
    return ""


def contact_for(patient: Patient, channel: str) -> str:
    """The patient's address or number for `channel` ("" when there is none)."""
    return patient.phone if channel == Message.Channel.SMS else patient.email


# --- Scheduling ---------------------------------------------------------------------------


def _offset(kind: str) -> dict:
    return settings.MESSAGE_OFFSETS[kind]


def _due(kind: str, anchor: datetime, channel: str, now: datetime, tz: ZoneInfo) -> datetime:
    due = shift(anchor, _offset(kind), tz) if kind in settings.MESSAGE_OFFSETS else anchor
    if due < now and kind not in LATE_SKIPPABLE:
        due = now
    if channel == Message.Channel.SMS:
        due = after_quiet_hours(due, tz)
    return due


def _new(session: Session, kind: str, anchor: datetime, now: datetime) -> Message:
    """The (session, kind) message as it should be now, not yet saved."""
    channel, reason = channel_for(session.patient)
    due = _due(kind, anchor, channel, now, clinic_zone())
    if not reason and kind in LATE_SKIPPABLE and due < now:
        reason = TOO_LATE
    return Message(
        patient=session.patient,
        session=session,
        kind=kind,
        channel=channel,
        due_at=due,
        status=Status.SKIPPED if reason else Status.PENDING,
        last_error=reason,
    )


def _write(session: Session, kind: str, anchor: datetime, now: datetime) -> Message:
    """Create or re-time the (session, kind) message; sent ones are never touched."""
    wanted = _new(session, kind, anchor, now)
    message = Message.objects.filter(session=session, kind=kind).order_by("id").first()
    if message is None:
        wanted.save()
        return wanted
    due, reason = wanted.due_at, wanted.last_error
    if message.status in (Status.PENDING, Status.SKIPPED, Status.CANCELLED):
        message.due_at = due
        message.status = Status.SKIPPED if reason else Status.PENDING
        message.last_error = reason
        message.enqueued_at = None
        message.save(update_fields=["due_at", "status", "last_error", "enqueued_at", "updated_at"])
    return message


def on_booked(sessions: Iterable[Session], *, now: datetime | None = None) -> None:
    """A series was just booked: a confirmation, and each session's check and reminders
    (new sessions have no messages yet, so they are inserted together)."""
    now = now or timezone.now()
    sessions = list(sessions)
    if not sessions:
        return
    rows = [_new(sessions[0], Kind.BOOKING_CONFIRMATION, now, now)]
    rows += [_new(s, kind, s.starts_at, now) for s in sessions for kind in BEFORE_SESSION]
    Message.objects.bulk_create(rows)


def on_rescheduled(session: Session, *, now: datetime | None = None) -> None:
    """A session moved: its check and reminders follow it."""
    now = now or timezone.now()
    for kind in BEFORE_SESSION:
        _write(session, kind, session.starts_at, now)


def on_moved(sessions: Sequence[Session], *, now: datetime | None = None) -> Message:
    """Staff moved a session (and perhaps the later ones of its course with it): one notice,
    due now, on the first, which says the new time or times. A move notice not yet sent for
    any of them is cancelled: the new one tells the latest times."""
    now = now or timezone.now()
    Message.objects.filter(
        session__in=[s.pk for s in sessions], kind__in=MOVE_NOTICES, status=Status.PENDING
    ).update(status=Status.CANCELLED, last_error=SUPERSEDED, updated_at=now)
    kind = Kind.SESSIONS_MOVED if len(sessions) > 1 else Kind.SESSION_MOVED
    notice = _new(sessions[0], kind, now, now)
    notice.save()
    return notice


SUPERSEDED = "A later move replaced it."


def cancel_pending(session: Session, reason: str, kinds: Iterable[str] | None = None) -> int:
    """Cancel the session's pending cadence messages (an alert about the session stands)."""
    messages = Message.objects.session_cadence().filter(session=session, status=Status.PENDING)
    if kinds is not None:
        messages = messages.filter(kind__in=list(kinds))
    return messages.update(status=Status.CANCELLED, last_error=reason, updated_at=timezone.now())


def on_cancelled(session: Session, *, now: datetime | None = None) -> None:
    """Its pending messages are cancelled, and a patient whose session had not yet begun is
    told (`session_cancelled`: a confirmation, or the clinic's apology)."""
    now = now or timezone.now()
    cancel_pending(session, "The session was cancelled.")
    if session.starts_at > now:
        _write(session, Kind.SESSION_CANCELLED, now, now)


def on_course_cancelled(
    course_sessions: Sequence[Session], *, now: datetime | None = None
) -> Message | None:
    """A course cancelled as a whole: each session's pending messages are cancelled, and the
    patient gets one notice listing the appointments that will not take place (none when
    none was still to come)."""
    now = now or timezone.now()
    for session in course_sessions:
        cancel_pending(session, "The course was cancelled.")
    coming = [s for s in course_sessions if s.starts_at > now]
    return _write(coming[0], Kind.COURSE_CANCELLED, now, now) if coming else None


def on_no_show(session: Session) -> None:
    """A no-show gets no aftercare or check-ins (none are pending before completion, but a
    completion undone by staff must not leave them behind)."""
    cancel_pending(session, "The patient did not attend.")


def on_completed(session: Session, *, course_completed: bool, now: datetime | None = None) -> None:
    """Aftercare now, the check-ins after it, and the results reviews after the last one."""
    now = now or timezone.now()
    for kind in AFTER_SESSION:
        _write(session, kind, now, now)
    if course_completed:
        on_course_completed(session, now=now)


def on_course_completed(last: Session, *, now: datetime | None = None) -> None:
    """The course is completed (its last session done, or the last open one dropped): the
    results reviews, timed from its last completed session."""
    now = now or timezone.now()
    for kind in REVIEWS:
        _write(last, kind, last.starts_at, now)


def on_consent_withdrawn(patient: Patient, channel: str) -> int:
    """Nothing more of the cadence goes out on a channel the patient withdrew: pending ones
    are skipped. (A portal link needs no consent, and staff alerts are not the patient's;
    see `skip_reason`.)"""
    reason = withdrawn_reason(channel)
    pending = Message.objects.session_cadence().filter(
        patient=patient, channel=channel, status=Status.PENDING
    )
    return pending.update(status=Status.SKIPPED, last_error=reason, updated_at=timezone.now())


# Why the outbox skipped a message for consent alone (compared case-insensitively).
CONSENT_REASONS = frozenset(
    reason.casefold() for reason in (*map(withdrawn_reason, Message.Channel.values), NO_CONSENT)
)


def reroute_pending(patient: Patient, now: datetime | None = None) -> int:
    """The patient changed consent or their preferred channel: each cadence message still to
    come moves to the channel they now agree to, one skipped for consent alone comes back
    when they agree again, and all are skipped when they agree to none. Returns how many
    changed."""
    now = now or timezone.now()
    channel, reason = channel_for(patient)
    changed = 0
    messages = (
        Message.objects.session_cadence()
        .filter(patient=patient, due_at__gt=now, status__in=[Status.PENDING, Status.SKIPPED])
        .exclude(kind__in=EMAIL_ONLY_KINDS)  # never moved to SMS; withdrawn consent skips them
        .order_by("id")
    )
    for message in messages:
        if message.status == Status.SKIPPED:
            if message.last_error.casefold() not in CONSENT_REASONS or reason:
                continue
        elif not reason and message.channel == channel:
            continue
        if reason:
            message.status, message.last_error = Status.SKIPPED, reason
        else:
            taken = Message.objects.filter(
                session_id=message.session_id, kind=message.kind, channel=channel
            ).exclude(pk=message.pk)
            if taken.exists():
                continue
            message.channel, message.status, message.last_error = channel, Status.PENDING, ""
            if channel == Message.Channel.SMS:
                message.due_at = after_quiet_hours(message.due_at, clinic_zone())
        message.enqueued_at = None
        message.save(
            update_fields=["channel", "status", "last_error", "due_at", "enqueued_at", "updated_at"]
        )
        changed += 1
    return changed


# --- Links and alerts: due now --------------------------------------------------------------


def write_now(
    *,
    patient: Patient | None,
    kind: str,
    channel: str,
    ref: str,
    session: Session | None = None,
    recipient: User | None = None,
    now: datetime | None = None,
) -> Message:
    """A portal link, a staff alert or a staff invitation (`patient` None), written in the
    caller's transaction and due now: the worker sends it within a minute or so (an SMS
    waits for the end of quiet hours)."""
    now = now or timezone.now()
    return Message.objects.create(
        patient=patient,
        session=session,
        recipient=recipient,
        ref=ref,
        kind=kind,
        channel=channel,
        due_at=_due(kind, now, channel, now, clinic_zone()),
    )


# A message staff asked for may be asked for again once it ended without reaching the patient.
ASKED_AGAIN = (Status.SKIPPED, Status.CANCELLED, Status.FAILED)


def requested(*, session: Session, kind: str, channel: str) -> Message | None:
    """The (session, kind, channel) message already written, locked for the caller's
    transaction (there is at most one: `one_message_per_session_kind_channel`)."""
    return (
        Message.objects.select_for_update()
        .filter(session=session, kind=kind, channel=channel)
        .order_by("id")
        .first()
    )


def write_requested(
    *, session: Session, kind: str, channel: str, now: datetime | None = None
) -> Message:
    """A session message staff ask for (the aftercare sheet), written in the caller's
    transaction and due now. The row is unique per session, kind and channel, so one that was
    skipped, cancelled or failed is put back to pending; the caller refuses first when one is
    pending, being sent or sent (`requested` tells it which)."""
    now = now or timezone.now()
    due = _due(kind, now, channel, now, clinic_zone())
    message = requested(session=session, kind=kind, channel=channel)
    if message is None:
        return Message.objects.create(
            patient=session.patient, session=session, kind=kind, channel=channel, due_at=due
        )
    if message.status not in ASKED_AGAIN:
        raise ValueError(f"The {kind} message is {message.status} already.")
    message.status, message.due_at, message.last_error = Status.PENDING, due, ""
    message.claimed_at = message.enqueued_at = None
    message.save(
        update_fields=["status", "due_at", "last_error", "claimed_at", "enqueued_at", "updated_at"]
    )
    return message


def cancel_links(refs: Iterable[str], reason: str) -> int:
    """Cancel the pending messages of these portal links (replaced by a newer one)."""
    return Message.objects.filter(
        kind__in=LINK_KINDS, ref__in=list(refs), status=Status.PENDING
    ).update(status=Status.CANCELLED, last_error=reason, updated_at=timezone.now())
