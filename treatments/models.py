"""What is planned, done and sent: reference data for planning (protocols, practitioners,
working hours, rooms, devices)."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Indication(models.TextChoices):
    ACNE_SCARS = "acne_scars", "Atrophic acne scars"
    FINE_LINES = "fine_lines", "Fine lines and wrinkles"
    STRETCH_MARKS = "stretch_marks", "Stretch marks"
    PIGMENTATION = "pigmentation", "Pigmentation or melasma"
    TEXTURE = "texture", "Texture and photoageing"


class Protocol(models.Model):
    """Defaults for a course by indication (clinical reference §2.1–2.3); the manager edits them.

    `depth_ranges` maps an area code to {"start": [low, high], "flag_above": mm}: the starting
    device setting and the setting above which charting is flagged (§2.2).
    """

    indication = models.CharField(max_length=30, choices=Indication.choices, unique=True)
    name = models.CharField(max_length=100)
    default_sessions = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    default_interval_days = models.PositiveSmallIntegerField(default=28)
    min_interval_days = models.PositiveSmallIntegerField(default=14)
    session_minutes = models.PositiveSmallIntegerField(
        default=90, help_text="The whole slot, numbing included."
    )
    depth_ranges = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_interval_days__gte=F("min_interval_days")),
                name="protocol_interval_not_below_minimum",
            ),
            models.CheckConstraint(
                condition=Q(min_interval_days__gte=1), name="protocol_min_interval_positive"
            ),
            models.CheckConstraint(
                condition=Q(session_minutes__gte=15), name="protocol_session_at_least_15_min"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class Practitioner(models.Model):
    """A clinician who needles; one per staff user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner"
    )
    display_name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    calendar_token = models.CharField(
        max_length=64,
        unique=True,
        default=new_calendar_token,
        help_text="The secret in the practitioner's .ics feed URL; rotate it to revoke.",
    )

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def rotate_calendar_token(self) -> None:
        self.calendar_token = new_calendar_token()
        self.save(update_fields=["calendar_token"])


class WorkingHours(models.Model):
    """A weekly window of local wall-clock time (CLINIC_TIME_ZONE) when the practitioner works."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["practitioner", "weekday", "start"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="working_hours_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["practitioner", "weekday", "start"], name="working_hours_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class TimeOff(models.Model):
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="time_off_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} off {self.starts_at:%Y-%m-%d}"


class Room(models.Model):
    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """A microneedling pen; cartridges are single-use and recorded per session (§5)."""

    name = models.CharField(max_length=100)
    manufacturer = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100)
    serial = models.CharField(max_length=100, unique=True)
    regulatory_status = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.serial})"


class DeviceOutage(models.Model):
    """A window when a device is out of service (maintenance, repair)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="outages")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="device_outage_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.device} out {self.starts_at:%Y-%m-%d}"


class Course(models.Model):
    """A treatment plan: a patient's series of sessions with one practitioner and protocol."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        BOOKED = "booked", "Booked"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="courses"
    )
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="courses")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="courses")
    areas = models.JSONField()
    planned_sessions = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    interval_days = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_sessions__gte=1) & Q(planned_sessions__lte=12),
                name="course_sessions_1_to_12",
            ),
            models.CheckConstraint(
                condition=Q(interval_days__gte=1), name="course_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} × {self.planned_sessions}"


class SessionQuerySet(models.QuerySet):
    def active(self) -> SessionQuerySet:
        return self.filter(status__in=Session.ACTIVE)

    def overlapping(self, start, end) -> SessionQuerySet:
        """Sessions whose [start, end) intersects [start, end); back-to-back does not."""
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def for_calendar(self) -> SessionQuerySet:
        return self.select_related("patient", "practitioner", "room", "device", "course__protocol")


class Session(models.Model):
    """One appointment of a course. Changed only through treatments.services."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CHECKED_IN = "checked_in", "Checked in"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    ACTIVE = (Status.BOOKED, Status.CHECKED_IN)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="sessions"
    )
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="sessions"
    )
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="sessions")
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    number = models.PositiveSmallIntegerField(help_text="Its place in the course, from 1.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    screening = models.ForeignKey(
        "patients.ScreeningResult",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The screening that cleared it at check-in.",
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["practitioner", "starts_at"]),
            models.Index(fields=["room", "starts_at"]),
            models.Index(fields=["starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_it_starts"
            ),
            models.UniqueConstraint(
                fields=["course", "number"],
                condition=Q(status__in=["booked", "checked_in", "completed"]),
                name="session_number_unique_in_course",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="cancelled_session_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.number} {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class SessionRecord(models.Model):
    """The chart for one area of a completed session (clinical reference §2.2, §5)."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="records")
    area = models.CharField(max_length=20)
    device_setting_mm = models.DecimalField(max_digits=3, decimal_places=2)
    passes = models.PositiveSmallIntegerField()
    cartridge_lot = models.CharField(max_length=60)
    endpoint = models.CharField(max_length=100, blank=True)
    numbing_product = models.CharField(max_length=100, blank=True)
    immediate_reaction = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    flagged = models.BooleanField(
        default=False, help_text="Setting above the protocol's flag for this area."
    )
    flag_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "area"], name="one_record_per_area"),
            models.CheckConstraint(
                condition=Q(device_setting_mm__gte=0) & Q(device_setting_mm__lte=3),
                name="device_setting_0_to_3_mm",
            ),
            models.CheckConstraint(condition=Q(passes__gte=1), name="at_least_one_pass"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.device_setting_mm} mm × {self.passes}"


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


# --- The patient portal: invitations, aftercare, check-ins, findings, requests -------------------


class PortalInvite(models.Model):
    """A one-time link into the portal: an invitation to set a password, or a password reset.

    Only the SHA-256 of the token is stored, so a copy of the database opens no account; the
    link carries the token and nothing else (DESIGN.md §6). It works for 72 hours and once;
    sending a newer link to the same patient revokes the older ones.
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
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
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
    wording (`treatments.aftercare.DEFAULT_STEPS`), and a stage with no active line falls back
    to that default, so the portal never shows an empty day. `{areas}`, `{clinic_phone}` and
    `{retinoid_stop}` in the text are filled in for the patient.
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

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["session", "-submitted_at"])]

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


class SessionChangeRequest(models.Model):
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
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
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
