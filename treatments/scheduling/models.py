"""What is planned and done: protocols, practitioners, their hours and time off, rooms,
devices, courses, sessions, what was confirmed at check-in, and session records."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .protocols import depth_range_errors


class Indication(models.TextChoices):
    ACNE_SCARS = "acne_scars", "Atrophic acne scars"
    FINE_LINES = "fine_lines", "Fine lines and wrinkles"
    STRETCH_MARKS = "stretch_marks", "Stretch marks"
    PIGMENTATION = "pigmentation", "Pigmentation or melasma"
    TEXTURE = "texture", "Texture and photoageing"


class ProtocolQuerySet(models.QuerySet):
    def current(self) -> ProtocolQuerySet:
        """The versions offered for new courses: one per indication."""
        return self.filter(is_current=True)


class Protocol(models.Model):
    """Defaults for a course by indication (clinical reference §2.1–2.3); the manager edits them.

    `depth_ranges` maps an area code to {"start": [low, high], "flag_above": mm, "max": mm}:
    the starting device setting, the setting above which the chart needs a written reason,
    and the most it accepts (§2.2; never above 2.5 mm).

    Rows are versions: an edit makes a new row with the next `version` and makes it the
    current one (`treatments.resources`), so a course keeps the values it was planned with.
    """

    indication = models.CharField(max_length=30, choices=Indication.choices)
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
    version = models.PositiveSmallIntegerField(default=1, editable=False)
    is_current = models.BooleanField(
        default=True,
        editable=False,
        help_text="The version offered for new courses; a course keeps the version it has.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ProtocolQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["indication"],
                condition=Q(is_current=True),
                name="protocol_one_current_version_per_indication",
            ),
            models.UniqueConstraint(
                fields=["indication", "version"], name="protocol_version_unique"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="protocol_version_positive"),
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

    def clean(self) -> None:
        if errors := depth_range_errors(self.depth_ranges):
            raise ValidationError({"depth_ranges": errors})


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


class CancelledBy(models.TextChoices):
    """Who asked for a cancellation: the patient is sent a confirmation, and when it was the
    clinic an apology with the offer to rebook."""

    PATIENT = "patient", "The patient asked"
    CLINIC = "clinic", "The clinic cancelled"


class Course(models.Model):
    """A treatment plan: a patient's series of sessions with one practitioner and protocol.

    Its status is true: `completed` once every planned session was done or dropped (a
    cancelled or missed session staff decided not to replace) and none is still booked;
    `cancelled` as a whole, with the reason, by `course_cancel`.
    """

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
    # A practitioner's confirmation of the course's flags (off-label use, pigmentation:
    # `indications.course_flags`), which booking needs when there are any.
    flags_confirmed = models.JSONField(
        default=list, blank=True, help_text="The flag codes the practitioner confirmed."
    )
    flags_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    flags_confirmed_at = models.DateTimeField(null=True, blank=True)
    flags_note = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancel_initiated_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(flags_confirmed_at__isnull=True)
                | (Q(flags_confirmed_by__isnull=False) & ~Q(flags_note="")),
                name="course_flags_confirmed_with_who_and_why",
            ),
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


# No session lasts longer than this (a protocol's slot is 60 to 120 minutes, clinical
# reference §2.3). It gives every overlap query a lower bound on `starts_at`, so PostgreSQL
# scans the `starts_at` index from both sides instead of the whole history of sessions.
# Should a longer session ever exist, the exclusion constraints still refuse a clash.
LONGEST_SESSION = timedelta(hours=24)


def overlap_q(start, end) -> Q:
    """Sessions whose [starts_at, ends_at) intersects [start, end); back-to-back does not."""
    return Q(starts_at__lt=end, ends_at__gt=start, starts_at__gt=start - LONGEST_SESSION)


class SessionQuerySet(models.QuerySet):
    def active(self) -> SessionQuerySet:
        return self.filter(status__in=Session.ACTIVE)

    def overlapping(self, start, end) -> SessionQuerySet:
        """Sessions whose [start, end) intersects [start, end); back-to-back does not."""
        return self.filter(overlap_q(start, end))

    def for_calendar(self) -> SessionQuerySet:
        return self.select_related("patient", "practitioner", "room", "device", "course__protocol")

    def for_grid(self) -> SessionQuerySet:
        """What a calendar page's blocks show and its audit row names: the session's times,
        status, number and practitioner, and the patient's name and public id (not the five
        related rows `for_calendar` joins, whose JSON columns a week of blocks never reads)."""
        return (
            self.select_related(None)
            .select_related("patient")
            .only(
                "public_id", "number", "starts_at", "ends_at", "status", "practitioner_id",
                "patient__public_id", "patient__first_name", "patient__last_name",
            )
        )  # fmt: skip

    def for_api_list(self) -> SessionQuerySet:
        """What the sessions endpoint writes and audits: the patient, room and course joined,
        without the course's JSON columns (a week of sessions reads none of them)."""
        return (
            self.select_related(None)
            .select_related("patient", "room", "course")
            .defer("course__areas", "course__flags_confirmed")
        )


class Session(models.Model):
    """One appointment of a course. Changed only through treatments.scheduling.services."""

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
    cancel_initiated_by = models.CharField(
        max_length=10,
        choices=CancelledBy.choices,
        blank=True,
        help_text="Who asked for the cancellation (what the patient is told).",
    )
    dropped_reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why this cancelled or missed session will not be replaced: the course "
        "completes without it.",
    )
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
            models.CheckConstraint(
                condition=Q(dropped_reason="") | Q(status__in=["cancelled", "no_show"]),
                name="only_a_cancelled_or_missed_session_is_dropped",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.number} {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_dropped(self) -> bool:
        return bool(self.dropped_reason)


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
    depth_reason = models.CharField(
        max_length=150,
        blank=True,
        help_text="The practitioner's reason for a setting above the area's flag (§2.2).",
    )

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


class CheckInConfirmation(models.Model):
    """The answers the front desk confirmed aloud with the patient at check-in (clinical
    reference §1.2: the answers that expire are "confirmed verbally on the day").

    Written once, by `session_check_in`, as the session is checked in. `earlier` is the
    screening whose answers were read back; when one changed, the session's `screening` is
    the new check-in screening that cleared it, and `changed_keys` names what changed.
    """

    session = models.OneToOneField(
        Session, on_delete=models.PROTECT, related_name="check_in_confirmation"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)
    earlier = models.ForeignKey(
        "patients.ScreeningResult",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The screening whose answers were read back to the patient.",
    )
    confirmed_keys = models.JSONField(
        default=list, blank=True, help_text="Questions the patient confirmed unchanged."
    )
    changed_keys = models.JSONField(
        default=list,
        blank=True,
        help_text="Questions answered differently: their new answers were screened again.",
    )

    class Meta:
        ordering = ["-confirmed_at", "-id"]

    def __str__(self) -> str:
        return f"Confirmed on the day {self.confirmed_at:%Y-%m-%d %H:%M} UTC"

    @property
    def patient(self):
        """For the audit trail: whose answers these are."""
        return self.session.patient
