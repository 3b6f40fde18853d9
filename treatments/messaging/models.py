"""The outbox: one row per message the clinic owes a patient."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from treatments.scheduling.models import Session


class Message(models.Model):
    """The outbox: one message the clinic owes a patient (DESIGN.md §4, §6).

    Written in the same transaction as the change that causes it; a beat sweep claims due
    rows and a worker sends each once. Rows are never deleted: cancelled and skipped ones
    say why in `last_error`.
    """

    class Kind(models.TextChoices):
        BOOKING_CONFIRMATION = "booking_confirmation", "Booking confirmation"
        PRE_SESSION_CHECK = "pre_session_check", "Pre-session check"
        REMINDER_48H = "reminder_48h", "Reminder (48 hours)"
        REMINDER_24H = "reminder_24h", "Reminder (24 hours)"
        AFTERCARE = "aftercare", "Aftercare"
        CHECKIN_24H = "checkin_24h", "Check-in (24 hours)"
        CHECKIN_72H = "checkin_72h", "Check-in (72 hours)"
        CHECKIN_7D = "checkin_7d", "Check-in (7 days)"
        REVIEW_3M = "review_3m", "Results review (3 months)"
        REVIEW_6M = "review_6m", "Results review (6 months)"

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
        "patients.Patient", on_delete=models.PROTECT, related_name="messages"
    )
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=30, choices=Kind.choices)
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

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind", "channel"], name="one_message_per_session_kind_channel"
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
