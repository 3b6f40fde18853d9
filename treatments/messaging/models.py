"""The outbox: one row per message the clinic sends, to a patient or to a member of staff."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from treatments.scheduling.models import Session


class MessageKind(models.TextChoices):
    BOOKING_CONFIRMATION = "booking_confirmation", "Booking confirmation"
    PRE_SESSION_CHECK = "pre_session_check", "Pre-session check"
    REMINDER_48H = "reminder_48h", "Reminder (48 hours)"
    REMINDER_24H = "reminder_24h", "Reminder (24 hours)"
    AFTERCARE = "aftercare", "Aftercare"
    CHECKIN_24H = "checkin_24h", "Check-in (24 hours)"
    CHECKIN_72H = "checkin_72h", "Check-in (72 hours)"
    CHECKIN_7D = "checkin_7d", "Check-in (7 days)"
    AFTERCARE_SHEET = "aftercare_sheet", "Aftercare sheet (PDF, e-mailed by staff)"
    REVIEW_4W = "review_4w", "Interim review (4 weeks after the series)"
    REVIEW_3M = "review_3m", "Results review (3 months)"
    REVIEW_6M = "review_6m", "Results review (6 months)"
    SESSION_MOVED = "session_moved", "Appointment moved by the clinic"
    SESSIONS_MOVED = "sessions_moved", "Appointments moved by the clinic (one and those after it)"
    SESSION_CANCELLED = "session_cancelled", "Appointment cancelled"
    COURSE_CANCELLED = "course_cancelled", "Course cancelled"
    PORTAL_INVITE = "portal_invite", "Portal invitation"
    PASSWORD_RESET = "password_reset", "Link to set a new password"
    PRACTITIONER_ALERT = "practitioner_alert", "Alert to the practitioner"
    STAFF_INVITE = "staff_invite", "Staff invitation (link to set a password)"
    WAITLIST_OFFER = "waitlist_offer", "Waitlist offer (link to take a freed time)"


# Four families of message, each with its own rules (the constraints below, and
# `outbox.skip_reason`).
# One-time links into the portal: to the patient, about one PortalInvite or one waitlist
# SlotOffer (`ref`), no session.
LINK_KINDS: tuple[str, ...] = (
    MessageKind.PORTAL_INVITE.value,
    MessageKind.PASSWORD_RESET.value,
    MessageKind.WAITLIST_OFFER.value,
)
# To a member of staff (`recipient`), by e-mail, about a record of the patient's (`ref`).
STAFF_KINDS: tuple[str, ...] = (MessageKind.PRACTITIONER_ALERT.value,)
# One-time links for a member of staff (`recipient`), by e-mail, about one StaffInvite
# (`ref`): the only family about no patient at all.
STAFF_LINK_KINDS: tuple[str, ...] = (MessageKind.STAFF_INVITE.value,)
# Every kind addressed to a member of staff rather than to the patient.
TO_STAFF_KINDS: tuple[str, ...] = STAFF_KINDS + STAFF_LINK_KINDS
# The session cadence (DESIGN.md §5): about one session, one of a kind per session and channel.
SESSION_KINDS: tuple[str, ...] = tuple(
    kind for kind in MessageKind.values if kind not in LINK_KINDS + TO_STAFF_KINDS
)
# Notices of a move by staff: a session may be moved, and its patient told, more than once.
MOVE_KINDS: tuple[str, ...] = (MessageKind.SESSION_MOVED.value, MessageKind.SESSIONS_MOVED.value)
# Notices that sessions were cancelled: the one thing still sent to a record archived after
# they were written (archiving cancels the patient's sessions and tells them, then closes).
CANCEL_NOTICE_KINDS: tuple[str, ...] = (
    MessageKind.SESSION_CANCELLED.value,
    MessageKind.COURSE_CANCELLED.value,
)
# The session cadence kinds written at most once per session and channel.
ONCE_PER_SESSION_KINDS: tuple[str, ...] = tuple(k for k in SESSION_KINDS if k not in MOVE_KINDS)
# Kinds that only ever go by e-mail: staff alerts, and the aftercare sheet, whose point is its
# PDF attachment (a text message cannot carry one; SMS patients get the essentials in their
# aftercare and check-in texts instead).
EMAIL_ONLY_KINDS: tuple[str, ...] = (*TO_STAFF_KINDS, MessageKind.AFTERCARE_SHEET.value)


class MessageQuerySet(models.QuerySet):
    def to_patients(self) -> MessageQuerySet:
        """Messages that go to the patient themselves (never a member of staff's)."""
        return self.filter(recipient__isnull=True)

    def session_cadence(self) -> MessageQuerySet:
        return self.filter(kind__in=SESSION_KINDS)


class Message(models.Model):
    """The outbox: one message the clinic sends (DESIGN.md §4, §6): the session cadence to a
    patient, a one-time portal link, an alert to a practitioner, or a staff invitation.

    Written in the same transaction as the change that causes it; a beat sweep claims due
    rows and a worker sends each once. Nothing is sent from a web request. Rows are never
    deleted: cancelled and skipped ones say why in `last_error`. `patient` is whom the
    message is about: the addressee too, unless `recipient` names a member of staff. Only a
    staff link is about no patient (a constraint ties the two together).
    """

    Kind = MessageKind

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="messages",
        null=True,
        blank=True,
        help_text="The patient the message is about; empty only for a staff invitation.",
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        related_name="messages",
        null=True,
        blank=True,
        help_text="The session the message is about; empty for a portal link.",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="staff_messages",
        null=True,
        blank=True,
        help_text="The member of staff a staff message goes to; empty when it goes to the patient.",
    )
    ref = models.CharField(
        max_length=64,
        blank=True,
        help_text="The public id of what a link or an alert is about (the portal or staff "
        "invitation, the reaction flag); empty for the session cadence.",
    )
    kind = models.CharField(max_length=30, choices=MessageKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind", "channel"],
                condition=Q(kind__in=ONCE_PER_SESSION_KINDS),
                name="one_message_per_session_kind_channel",
            ),
            models.UniqueConstraint(
                fields=["ref"],
                condition=Q(kind__in=LINK_KINDS),
                name="one_message_per_portal_link",
            ),
            models.UniqueConstraint(
                fields=["ref", "recipient"],
                condition=Q(kind__in=STAFF_KINDS),
                name="one_alert_per_record_and_recipient",
            ),
            models.UniqueConstraint(
                fields=["ref"],
                condition=Q(kind__in=STAFF_LINK_KINDS),
                name="one_message_per_staff_link",
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=STAFF_LINK_KINDS) & Q(patient__isnull=True))
                | (~Q(kind__in=STAFF_LINK_KINDS) & Q(patient__isnull=False)),
                name="message_about_a_patient_unless_a_staff_link",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=SESSION_KINDS) | Q(session__isnull=False),
                name="session_message_has_session",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SESSION_KINDS) | ~Q(ref=""),
                name="link_or_alert_message_has_ref",
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=TO_STAFF_KINDS) & Q(recipient__isnull=False, channel="email"))
                | (~Q(kind__in=TO_STAFF_KINDS) & Q(recipient__isnull=True)),
                name="staff_message_by_email_to_a_user",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=EMAIL_ONLY_KINDS) | Q(channel="email"),
                name="email_only_kind_by_email",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="sent_message_has_sent_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(status="pending"),
                name="message_due_pending_idx",
            ),
            models.Index(fields=["patient", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.channel} ({self.status})"

    @property
    def to_staff(self) -> bool:
        return self.recipient_id is not None


def channels_for(kind: str) -> tuple[str, ...]:
    """The channels a message of `kind` may go by (`EMAIL_ONLY_KINDS` go by e-mail alone)."""
    if kind in EMAIL_ONLY_KINDS:
        return (Message.Channel.EMAIL.value,)
    return tuple(Message.Channel.values)
