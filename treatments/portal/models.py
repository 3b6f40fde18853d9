"""The portal's records: invitations, aftercare steps and acknowledgements, check-in answers,
reaction reports, pre-session checks and change requests."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from treatments.scheduling.models import Session

# --- The patient portal: invitations, aftercare, check-ins, findings, requests -------------------


class PortalInvite(models.Model):
    """A one-time link into the portal: an invitation to set a password, or a password reset.

    Written with no token: the worker mints one when it sends the link's outbox message, and
    a retry mints another, so only the link that went out last works. Only the SHA-256 of
    the token is stored, so a copy of the database opens no account; the link carries the
    token and nothing else (DESIGN.md §6). It works once, for 72 hours from its sending;
    asking for a newer link for the same patient revokes the older ones.
    """

    class Purpose(models.TextChoices):
        INVITE = "invite", "Invitation"
        RESET = "reset", "Password reset"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="portal_invites"
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    token_hash = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        editable=False,
        help_text="Empty until the link is sent.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the patient asked for a password reset themselves.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="portal_invite_expires_later"
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(revoked_at__isnull=True),
                name="portal_invite_used_or_revoked_not_both",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} by {self.channel} {self.created_at:%Y-%m-%d %H:%M}"


class AftercareStep(models.Model):
    """One line of the aftercare timeline the portal shows (clinical reference §3).

    The manager edits these in the admin; a data migration seeds them with the reference's
    wording (`treatments.portal.aftercare.DEFAULT_STEPS`), and a stage with no active line
    falls back to that default, so the portal never shows an empty day. `{areas}`,
    `{clinic_phone}` and `{retinoid_stop}` in the text are filled in for the patient.
    """

    class Stage(models.TextChoices):
        DAY_0 = "day_0", "Day 0 (leaving the clinic to bedtime)"
        HOURS_24 = "hours_24", "24 hours"
        HOURS_48_72 = "hours_48_72", "48–72 hours"
        WEEK_1 = "week_1", "About 1 week"
        BEFORE_NEXT = "before_next", "Before the next session"

    class Section(models.TextChoices):
        EXPECT = "expect", "What to expect"
        DO = "do", "What to do"

    class Condition(models.TextChoices):
        ALWAYS = "always", "Always"
        FACE = "face", "Only when a face or neck area was treated"
        COLD_SORE = "cold_sore", "Only when the intake or chart mentions cold sores"

    stage = models.CharField(max_length=20, choices=Stage.choices)
    section = models.CharField(max_length=10, choices=Section.choices, default=Section.DO)
    condition = models.CharField(max_length=20, choices=Condition.choices, default=Condition.ALWAYS)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order within the stage.")
    text = models.TextField(
        help_text="Plain language. {areas}, {clinic_phone} and {retinoid_stop} are filled in."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["stage", "section", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.text[:60]}"


class AftercareAcknowledgement(models.Model):
    """The patient confirmed reading one stage of a session's aftercare, and when."""

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="aftercare_acknowledgements"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=20, choices=AftercareStep.Stage.choices)
    acknowledged_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-acknowledged_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "stage"], name="one_ack_per_session_stage")
        ]

    def __str__(self) -> str:
        return f"{self.stage} read {self.acknowledged_at:%Y-%m-%d %H:%M}"


def check_in_photo_path(instance: CheckInAnswer, filename: str) -> str:
    """A random name: nothing about the patient in the path (DESIGN.md §6)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"check-ins/{uuid.uuid4().hex}.{extension}"


class CheckInAnswer(models.Model):
    """The patient's answer to a check-in after a session: how the skin is, any warning signs
    from the clinical reference §3, a note and an optional photo."""

    class Kind(models.TextChoices):
        HOURS_24 = "checkin_24h", "Check-in (24 hours)"
        HOURS_72 = "checkin_72h", "Check-in (72 hours)"
        DAYS_7 = "checkin_7d", "Check-in (7 days)"

    class Skin(models.TextChoices):
        SETTLED = "settled", "Calm: back to normal, or nearly"
        IMPROVING = "improving", "Still red, dry or flaky, but getting better"
        NOT_IMPROVING = "not_improving", "Not getting better, or getting worse"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="check_ins")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    skin = models.CharField(max_length=20, choices=Skin.choices)
    warning_signs = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    photo = models.FileField(upload_to=check_in_photo_path, blank=True)
    photo_type = models.CharField(max_length=30, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note_signs = models.JSONField(
        default=list, blank=True, help_text="Warning signs the note names (warning_signs.py)."
    )
    urgent = models.BooleanField(
        default=False, help_text="The note named an urgent sign: told to call emergency services."
    )
    # Every answer stays in the practitioners' triage list until one of them has read it.
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["session", "-submitted_at"]),
            models.Index(
                fields=["-submitted_at"], condition=Q(read_at__isnull=True), name="check_in_unread"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(read_at__isnull=True, read_by__isnull=True)
                | Q(read_at__isnull=False, read_by__isnull=False),
                name="check_in_read_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.submitted_at:%Y-%m-%d %H:%M}: {self.skin}"


class ReactionFlagQuerySet(models.QuerySet):
    def open(self) -> ReactionFlagQuerySet:
        return self.filter(cleared_at__isnull=True)


class ReactionFlag(models.Model):
    """A reaction the patient reported that a practitioner must look at (clinical reference
    §1.2 row 34, §4): a warning sign in a check-in, or skin not settled at 7 days.

    While one is open the patient's next session cannot be checked in; a practitioner clears it
    with a note after reviewing (DESIGN.md flow 6).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="reaction_flags"
    )
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="reaction_flags")
    check_in = models.OneToOneField(
        CheckInAnswer, on_delete=models.PROTECT, related_name="flag", null=True, blank=True
    )
    warning_signs = models.JSONField(default=list, blank=True)
    not_settled = models.BooleanField(default=False, help_text="Not settled at the 7-day check.")
    raised_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clear_note = models.TextField(blank=True)

    objects = ReactionFlagQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient"], condition=Q(cleared_at__isnull=True), name="reaction_flag_open"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True)
                | (Q(cleared_by__isnull=False) & ~Q(clear_note="")),
                name="reaction_flag_cleared_with_who_and_why",
            ),
        ]

    def __str__(self) -> str:
        state = "open" if self.cleared_at is None else "cleared"
        return f"Reaction flag {self.raised_at:%Y-%m-%d} ({state})"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class PreSessionCheck(models.Model):
    """The patient's pre-session check for one session (DESIGN.md flow 4): the submission it
    made and whether its screening would stop the session, in which case the front desk calls
    the patient and marks it resolved."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="pre_session_checks"
    )
    submission = models.OneToOneField(
        "patients.IntakeSubmission", on_delete=models.PROTECT, related_name="+"
    )
    stops_session = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolve_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | (Q(resolved_by__isnull=False) & ~Q(resolve_note="")),
                name="pre_session_resolved_with_who_and_why",
            ),
        ]

    def __str__(self) -> str:
        return f"Pre-session check {self.created_at:%Y-%m-%d}"

    @property
    def patient(self):
        return self.session.patient

    @property
    def needs_call(self) -> bool:
        return self.stops_session and self.resolved_at is None


class HandledRequest(models.Model):
    """What a patient's request to the clinic keeps of its answer: when it came, and who
    closed it, when and with what note (`services.mark_handled`)."""

    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff_note = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class SessionChangeRequest(HandledRequest):
    """A patient asks to cancel or move a session; the front desk does it (or not) and closes
    the request. The patient never books or cancels directly."""

    class Kind(models.TextChoices):
        CANCEL = "cancel", "Cancel"
        MOVE = "move", "Move to another time"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the clinic"
        DONE = "done", "Done"
        DECLINED = "declined", "Not possible"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="change_requests")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta(HandledRequest.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(status="open"),
                name="one_open_change_request_per_session",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(handled_by__isnull=False, handled_at__isnull=False),
                name="change_request_handled_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request ({self.status})"


class BookingRequest(HandledRequest):
    """A patient asks in the portal for a review visit or a new course (`PORTAL_BOOKING=full`,
    `treatments.portal.booking`). It opens as `requested`; a practitioner confirms it (and
    then plans and books as usual) or declines it with a note. A new course is asked for with
    a fresh full intake taken in the portal (`intake`), of a protocol allowed online."""

    class Kind(models.TextChoices):
        REVIEW = "review", "A review of my results"
        NEW_COURSE = "new_course", "A new course of treatment"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for a practitioner to confirm"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Not possible"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="booking_requests"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    protocol = models.ForeignKey(
        "treatments.Protocol", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    areas = models.JSONField(default=list, blank=True)
    intake = models.ForeignKey(
        "patients.IntakeSubmission",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The full intake the patient took in the portal for a new course.",
    )
    when_suits = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)

    class Meta(HandledRequest.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind"],
                condition=Q(status="requested"),
                name="one_open_booking_request_per_patient_and_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind="new_course") | Q(protocol__isnull=False, intake__isnull=False),
                name="new_course_request_has_protocol_and_intake",
            ),
            models.CheckConstraint(
                condition=Q(status="requested")
                | Q(handled_by__isnull=False, handled_at__isnull=False),
                name="booking_request_handled_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display().lower()})"
