"""An import job and what became of each of its rows (`patients/models.py` imports these)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class PatientImport(models.Model):
    """One uploaded file and its import, run by a manager.

    The file holds patient data: it is kept in `content` (the database, so any worker reads
    it) only until the job is finished or abandoned, then emptied. What stays is who ran it,
    when, the column mapping, the counts and one `PatientImportRow` per row (ids and reasons,
    never the file's values).
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Choose the columns"
        CHECKING = "checking", "Checking every row"
        MAPPED = "mapped", "Checked: ready to import"
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"
        ABANDONED = "abandoned", "Cancelled"

    OPEN = (Status.UPLOADED, Status.MAPPED)  # waiting for the manager
    WORKING = (Status.CHECKING, Status.QUEUED, Status.RUNNING)  # waiting for the worker
    FINISHED = (Status.DONE, Status.FAILED, Status.ABANDONED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    # The upload itself, emptied when the job ends (finished, failed or abandoned).
    content = models.BinaryField(default=bytes, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    # {field: column number} chosen on the mapping page.
    mapping = models.JSONField(default=dict, blank=True)
    # The dry run: one [row, outcome, same as row, registered patient's public id, reasons]
    # per row (no values from the file), as checked at `checked_at`; emptied when it ends.
    preview = models.JSONField(default=list, blank=True)
    # The dry run's cleaned details of each row (patient data, like `content`, and emptied
    # with it), so the import does not check every row a second time.
    cleaned = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    invalid_count = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=300, blank=True)
    # Runs of the task (the check, then the import): one that stopped half way (a worker
    # killed) is resumed by the sweep, at most MAX_ATTEMPTS times (`updated_at` tells a live
    # run from a dead one).
    attempts = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=models.F("total_rows")),
                name="patient_import_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.public_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_working(self) -> bool:
        return self.status in self.WORKING

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.is_finished else 0
        return self.processed_rows * 100 // self.total_rows


class PatientImportRow(models.Model):
    """What the import did with one row of the file: the patient it created or matched, or
    why it was refused. Holds ids and reasons, never the file's values."""

    class Outcome(models.TextChoices):
        CREATED = "created", "Imported"
        DUPLICATE = "duplicate", "Already registered"
        DUPLICATE_IN_FILE = "duplicate_in_file", "Repeated in this file"
        INVALID = "invalid", "Not imported: needs attention"

    job = models.ForeignKey(PatientImport, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text="The row's line in the file (header is 1).")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    same_as_row = models.PositiveIntegerField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="patient_import_row_once"),
        ]

    def __str__(self) -> str:
        return f"Row {self.number}: {self.outcome}"
