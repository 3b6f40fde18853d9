"""The waitlist's rows: who waits for which course's next session (`WaitlistEntry`), a time
that came free (`FreedSlot`), and each offer of one to one patient (`SlotOffer`).

Due work is stored as rows and swept (house style: healthchecks): a freed slot that still
looks for someone carries `next_check_at`, which the beat task `treatments.sweep_waitlist`
reads every minute."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from treatments.scheduling.models import Course, Device, Practitioner, Room, Session


class WaitlistEntry(models.Model):
    """A patient waiting for the next session of a booked course, within a window of dates
    (from the course's spacing), on preferred weekdays and times, optionally with one
    practitioner. At most one waiting entry per course."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        BOOKED = "booked", "Booked from an offer"
        REMOVED = "removed", "Removed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="waitlist_entries")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
        null=True,
        blank=True,
        help_text="Only slots with this practitioner; empty for any practitioner.",
    )
    earliest = models.DateField(help_text="The first day a session may be offered (clinic time).")
    latest = models.DateField(help_text="The last day a session may be offered (clinic time).")
    due_on = models.DateField(help_text="When the course's next session is due by its spacing.")
    weekdays = models.JSONField(
        default=list, blank=True, help_text="Preferred weekdays, 0 (Monday) to 6; empty: any."
    )
    not_before = models.TimeField(null=True, blank=True, help_text="Not starting before (local).")
    not_after = models.TimeField(null=True, blank=True, help_text="Ending by (local).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    remove_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(status="waiting"),
                name="one_waiting_entry_per_course",
            ),
            models.CheckConstraint(
                condition=Q(earliest__lte=models.F("latest")), name="waitlist_window_in_order"
            ),
        ]
        indexes = [
            models.Index(
                fields=["earliest", "latest"],
                condition=Q(status="waiting"),
                name="waitlist_waiting_window_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Waitlist entry {self.public_id} ({self.status})"


class FreedSlot(models.Model):
    """A time that came free (a cancelled or moved session, or one staff opened by hand) and
    the search for someone to take it. `open` while offers go out; then `filled` (a patient
    took it), `unfilled` (no one could or did: the dashboard lists these) or `closed`: by
    staff, or because a session was booked over it meanwhile (the `outcome` says which)."""

    class Status(models.TextChoices):
        OPEN = "open", "Looking for a patient"
        FILLED = "filled", "Taken from the waitlist"
        UNFILLED = "unfilled", "No one found"
        CLOSED = "closed", "Closed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    freed_by = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        related_name="freed_slots",
        null=True,
        blank=True,
        help_text=(
            "The cancelled or moved session that freed it (a moved one is now at its new "
            "time); empty when staff opened it."
        ),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    next_check_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep next looks at it (open slots only)."
    )
    outcome = models.CharField(max_length=300, blank=True)
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")), name="freed_slot_in_order"
            ),
            models.CheckConstraint(
                condition=~Q(status="open") | Q(next_check_at__isnull=False),
                name="open_slot_is_checked",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_check_at"], condition=Q(status="open"), name="freed_slot_due_idx"
            ),
            models.Index(fields=["practitioner", "starts_at"], name="freed_slot_practitioner_idx"),
        ]

    def __str__(self) -> str:
        return f"Freed slot {self.public_id} ({self.status})"


class SlotOffer(models.Model):
    """One freed slot offered to one waiting patient, by a link in a message. The link's
    token is minted when the worker sends the message; only its SHA-256 is kept."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted: booked"
        TAKEN = "taken", "Too late: taken by another patient"
        EXPIRED = "expired", "Expired unanswered"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REFUSED = "refused", "Accepted, but could not be booked"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slot = models.ForeignKey(FreedSlot, on_delete=models.PROTECT, related_name="offers")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="offers")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="slot_offers"
    )
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    opens_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    outcome = models.CharField(max_length=300, blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The member of staff who offered it by hand; empty when the app did.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["slot", "entry"], name="one_offer_per_slot_and_entry"),
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("expires_at")), name="offer_window_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"Offer {self.public_id} ({self.status})"
