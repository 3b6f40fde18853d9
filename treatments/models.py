"""What is planned, done and sent: reference data for planning (protocols, practitioners,
working hours, rooms, devices)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


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


class Practitioner(models.Model):
    """A clinician who needles; one per staff user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner"
    )
    display_name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


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
