"""Who the patient is and whether they may be treated: patients, intakes, consents, screening."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from . import screening


class PatientQuerySet(models.QuerySet):
    def active(self) -> PatientQuerySet:
        return self.filter(archived_at__isnull=True)


class Patient(models.Model):
    """A person the clinic treats. Archived, never deleted; exposed only by `public_id`."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    class Fitzpatrick(models.TextChoices):
        I = "I", "I"  # noqa: E741 - the Fitzpatrick scale's own name
        II = "II", "II"
        III = "III", "III"
        IV = "IV", "IV"
        V = "V", "V"
        VI = "VI", "VI"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +447700900123")
    preferred_channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    email_consent = models.BooleanField(default=False)
    sms_consent = models.BooleanField(default=False)
    fitzpatrick = models.CharField(max_length=3, choices=Fitzpatrick.choices, blank=True)
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    archive_reason = models.CharField(
        max_length=300, blank=True, help_text="Why the record was archived, as staff wrote it."
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(Lower("last_name"), Lower("first_name"), name="patient_name_idx"),
            models.Index(Lower("email"), name="patient_email_idx"),
            models.Index(fields=["phone"], name="patient_phone_idx"),
            # The duplicate rule's same name and date of birth, for one record or thousands.
            models.Index(fields=["date_of_birth"], name="patient_birth_idx"),
            # The patient list's order, active records only: a page is an index scan of 50
            # rows (not a sort of the whole table) and its count an index-only scan.
            models.Index(
                fields=["last_name", "first_name", "id"],
                condition=Q(archived_at__isnull=True),
                name="patient_active_by_name",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def age_on(self, day: date) -> int:
        return screening.age_on(self.date_of_birth, day)


class ImmutableModel(models.Model):
    """A row written once: saving an existing row or deleting one is refused.

    Intake answers, consents and screening verdicts are records of what was said and
    decided at a moment; a later change is a new row, never an edit.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(f"{self._meta.verbose_name} is immutable once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{self._meta.verbose_name} is never deleted.")


class IntakeSubmission(ImmutableModel):
    """One questionnaire taken (at intake, at the pre-session check, at check-in).

    `answers` holds the whole vocabulary (DESIGN.md §4.1); for a pre-session check the stable
    answers are carried from the latest full intake and named in `carried_keys`.
    """

    class Kind(models.TextChoices):
        INTAKE = "intake", "Full intake"
        PRE_SESSION = "pre_session", "Pre-session check"
        CHECK_IN = "check_in", "Check-in confirmation"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INTAKE)
    answers = models.JSONField()
    areas = models.JSONField()
    carried_keys = models.JSONField(default=list, blank=True)
    questionnaire_version = models.CharField(max_length=20)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by_patient = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["patient", "-submitted_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.submitted_at:%Y-%m-%d}"


class Consent(ImmutableModel):
    """A signed consent: typed full name plus explicit agreement, with the template version."""

    class Kind(models.TextChoices):
        TREATMENT = "treatment", "Treatment"
        CLINICAL_PHOTOS = "clinical_photos", "Clinical photographs"
        MARKETING = "marketing", "Marketing"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    template_version = models.CharField(max_length=20)
    signed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "kind", "-signed_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} consent v{self.template_version}"


class ScreeningResult(models.Model):
    """The engine's verdict on one submission, and a practitioner's sign-off for `review`.

    Never recorded without the submission that produced it (a one-to-one, not null). The
    verdict itself is immutable; only the sign-off fields are written later, once.
    """

    class Outcome(models.TextChoices):
        BLOCKED = screening.BLOCKED, "Blocked"
        DEFER = screening.DEFER, "Deferred"
        REVIEW = screening.REVIEW, "Needs review"
        CLEARED = screening.CLEARED, "Cleared"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submission = models.OneToOneField(
        IntakeSubmission, on_delete=models.PROTECT, related_name="screening"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    findings = models.JSONField(default=list)
    ruleset_version = models.CharField(max_length=20)
    screened_at = models.DateTimeField(default=timezone.now)
    valid_until = models.DateField()
    defer_until = models.DateField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_reason = models.TextField(blank=True)
    defer_overridden = models.BooleanField(
        default=False,
        help_text="The practitioner's sign-off overrides an acne deferral (reference §1.2 "
        "row 7): treatment may go ahead before the defer date.",
    )

    class Meta:
        ordering = ["-screened_at", "-id"]
        indexes = [models.Index(fields=["patient", "-screened_at"])]
        constraints = [
            # A defer is signed off too when it also carries review findings (anticoagulants
            # and a sunburn): screening_sign_off checks the findings.
            models.CheckConstraint(
                condition=Q(signed_off_at__isnull=True) | Q(outcome__in=["review", "defer"]),
                name="only_review_or_defer_results_are_signed_off",
            ),
            models.CheckConstraint(
                condition=Q(defer_overridden=False)
                | Q(outcome="defer", signed_off_at__isnull=False),
                name="only_signed_off_defers_are_overridden",
            ),
            models.CheckConstraint(
                condition=Q(defer_until__isnull=False) | ~Q(outcome="defer"),
                name="defer_results_have_a_date",
            ),
            models.CheckConstraint(
                condition=Q(signed_off_at__isnull=True)
                | (Q(signed_off_by__isnull=False) & ~Q(sign_off_reason="")),
                name="sign_off_has_who_and_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.screened_at:%Y-%m-%d}"

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None

    @property
    def cleared_for_treatment(self) -> bool:
        """Cleared, or a review a practitioner signed off. Blocked never is; a defer only
        when a practitioner overrode an acne deferral (reference §1.2 row 7)."""
        return (
            self.outcome == self.Outcome.CLEARED
            or (self.outcome == self.Outcome.REVIEW and self.is_signed_off)
            or (self.outcome == self.Outcome.DEFER and self.defer_overridden)
        )

    @property
    def has_review_findings(self) -> bool:
        return any(f.get("outcome") == screening.REVIEW for f in self.findings)

    @property
    def can_override_defer(self) -> bool:
        """A defer whose every deferral a practitioner may override (inflamed acne only,
        reference §1.2 row 7)."""
        defers = {f.get("rule") for f in self.findings if f.get("outcome") == screening.DEFER}
        return (
            self.outcome == self.Outcome.DEFER
            and bool(defers)
            and defers <= screening.OVERRIDABLE_DEFERS
        )

    @property
    def can_be_signed_off(self) -> bool:
        """A review, or a defer that also carries review findings (DESIGN.md §4.2): the
        practitioner's call is needed either way; a defer's date still applies after it
        unless the sign-off overrides an acne deferral. A defer for acne alone may be
        signed off only as that override."""
        return self.outcome == self.Outcome.REVIEW or (
            self.outcome == self.Outcome.DEFER
            and (self.has_review_findings or self.can_override_defer)
        )

    @property
    def needs_sign_off(self) -> bool:
        """A review is waiting for a practitioner (an optional override never is)."""
        needs_review = self.outcome == self.Outcome.REVIEW or (
            self.outcome == self.Outcome.DEFER and self.has_review_findings
        )
        return needs_review and not self.is_signed_off


class HoldQuerySet(models.QuerySet):
    def open(self) -> HoldQuerySet:
        return self.filter(released_at__isnull=True)


class Hold(models.Model):
    """A stop on treatment until a practitioner releases it, saying why.

    Something that happened to the patient (a reaction reported after a session, clinical
    reference §1.2 row 34) places it; `source` and `source_ref` name that thing so the caller
    can find and release the hold again. While open, `patients.selectors.clearance` refuses
    every booking and check-in with `reason`.
    """

    class Source(models.TextChoices):
        REACTION = "reaction", "Reported reaction"
        PRE_SESSION = "pre_session", "Unsettled reaction in the pre-session check"
        CHECK_IN = "check_in", "Unsettled reaction confirmed at check-in"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="holds")
    reason = models.TextField(help_text="Plain words for staff: what happened, and when.")
    source = models.CharField(max_length=20, choices=Source.choices)
    source_ref = models.CharField(
        max_length=64, blank=True, help_text="The public id of what placed the hold."
    )
    placed_at = models.DateTimeField(default=timezone.now)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    release_note = models.TextField(blank=True)

    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient"],
                condition=Q(released_at__isnull=True),
                name="hold_open_patient_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(released_at__isnull=True)
                | (Q(released_by__isnull=False) & ~Q(release_note="")),
                name="hold_release_has_who_and_why",
            ),
            # One open hold per cause: placing it twice returns the first (hold_place).
            models.UniqueConstraint(
                fields=["patient", "source", "source_ref"],
                condition=Q(released_at__isnull=True),
                name="one_open_hold_per_source",
            ),
        ]

    def __str__(self) -> str:
        state = "open" if self.is_open else "released"
        return f"{self.get_source_display()} hold {self.placed_at:%Y-%m-%d} ({state})"

    @property
    def is_open(self) -> bool:
        return self.released_at is None


# The importer's models live in its own package (house style 15).
from .imports.models import PatientImport, PatientImportRow  # noqa: E402, F401
