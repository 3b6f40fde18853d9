"""The import itself, as the Celery task runs it: chunk by chunk, each chunk one transaction
that creates its new patients (one bulk INSERT), records every row's outcome, writes one
audit row naming every patient it created, and moves the progress on. A run killed half way
leaves whole chunks only, and the next run (the sweep re-enqueues it) carries on from there.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from clinic import audit
from patients import services as patient_services
from patients.models import Patient

from . import csvfile, rows
from .models import PatientImport, PatientImportRow

Status = PatientImport.Status
Outcome = PatientImportRow.Outcome
CHUNK = 1000  # rows per transaction: the progress bar moves every chunk
RUN_SECONDS = 600  # a run's soft time limit; 10,000 rows take a few seconds
LEASE_SECONDS = RUN_SECONDS + 60  # a working job untouched this long has lost its worker
MAX_ATTEMPTS = 3
IMPORT_LOCK = 0x1A7E_0001  # one import writes at a time (PostgreSQL advisory lock)
FAILED_TO_READ = "The file could not be read any more. Upload it again."
FAILED_ATTEMPTS = "The import stopped three times. The rows imported so far are kept."


def table_of(job: PatientImport) -> csvfile.Table:
    return csvfile.read(bytes(job.content), max_rows=settings.PATIENT_IMPORT_MAX_ROWS)


def dry_run(job: PatientImport) -> list[rows.Result]:
    """Every row's outcome if the import ran now, writing nothing: one query for the
    registered patients who match any row."""
    return _decide(rows.check_rows(table_of(job), job.mapping))


def _decide(checked: list[rows.Checked]) -> list[rows.Result]:
    existing = patient_services.find_duplicates_many([c.data for c in checked if c.valid])
    return rows.decide(checked, existing)


def forget_file(job: PatientImport, now: datetime) -> None:
    """Empty the upload, the dry run and its cleaned rows (the caller saves the job)."""
    job.content = b""
    job.preview = []
    job.cleaned = []
    if job.file_deleted_at is None:
        job.file_deleted_at = now


def work(job_id: int) -> str:
    """What the task does: check every row (the dry run) of a job whose columns were just
    chosen, or import a job that was started. Returns the job's status after it."""
    status = PatientImport.objects.filter(pk=job_id).values_list("status", flat=True).first()
    if status == Status.CHECKING:
        return check(job_id)
    return run(job_id)


def check(job_id: int) -> str:
    """The dry run, in the worker: every row checked as registration checks it and matched
    against the registered patients and the file's earlier rows, writing no patient, while
    the progress bar moves. The results, and each row's cleaned details for the import, are
    kept on the job, which is then ready to import. Safe to run twice: the first run to
    finish writes them, a second finds the job checked already."""
    claimed = PatientImport.objects.filter(pk=job_id, status=Status.CHECKING).update(
        attempts=F("attempts") + 1, updated_at=Now()
    )
    if not claimed:
        return "nothing to do"
    job = PatientImport.objects.defer("preview", "cleaned").get(pk=job_id)

    def progress(done: int) -> None:
        PatientImport.objects.filter(pk=job_id, status=Status.CHECKING).update(
            processed_rows=done, updated_at=Now()
        )

    try:
        checked = rows.check_rows(table_of(job), job.mapping, progress)
    except csvfile.Unreadable:
        return _finish(job_id, Status.FAILED, FAILED_TO_READ)
    results = _decide(checked)
    with transaction.atomic():
        job = PatientImport.objects.select_for_update().defer("content").get(pk=job_id)
        if job.status != Status.CHECKING:
            return job.status
        job.preview = [
            [
                r.number,
                r.outcome,
                r.checked.same_as_row if r.outcome == Outcome.DUPLICATE_IN_FILE else None,
                str(r.existing.public_id) if r.existing is not None else None,
                r.reasons,
            ]
            for r in results
        ]
        job.cleaned = [rows.to_json(c) for c in checked]
        job.checked_at = timezone.now()
        job.status = Status.MAPPED
        job.processed_rows = 0
        job.attempts = 0
        job.save()
    return job.status


def run(job_id: int) -> str:
    """Import job `job_id`'s rows from where the last run stopped; safe to run twice."""
    claimed = PatientImport.objects.filter(
        pk=job_id, status__in=[Status.QUEUED, Status.RUNNING]
    ).update(
        status=Status.RUNNING,
        started_at=Coalesce(F("started_at"), Now()),
        attempts=F("attempts") + 1,
        updated_at=Now(),
    )
    if not claimed:
        return "nothing to do"
    job = PatientImport.objects.defer("preview").get(pk=job_id)
    checked = [rows.from_json(entry) for entry in job.cleaned]
    if len(checked) != job.total_rows:  # no dry run kept: check the rows again
        try:
            checked = rows.check_rows(table_of(job), job.mapping)
        except csvfile.Unreadable:
            return _finish(job_id, Status.FAILED, FAILED_TO_READ)
    while True:
        status = _chunk(job_id, checked)
        if status != Status.RUNNING:
            return status


@transaction.atomic
def _chunk(job_id: int, checked: list[rows.Checked]) -> str:
    """The next CHUNK rows of the job, in one transaction. Returns the job's status."""
    if connection.vendor == "postgresql":  # SQLite's writers are serialised anyway
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
    job = (
        PatientImport.objects.select_for_update(of=("self",))
        .select_related("started_by")
        .defer("content", "preview", "cleaned")
        .get(pk=job_id)
    )
    if job.status != Status.RUNNING:
        return job.status
    start = job.processed_rows
    chunk = checked[start : start + CHUNK]
    by = job.started_by
    existing = patient_services.find_duplicates_many([c.data for c in chunk if c.valid])
    # Patients this job created in earlier chunks are repeats within the file, as the dry run
    # said, not patients who were registered before.
    matched = {p.pk for found in existing for p in found}
    ours = set(
        PatientImportRow.objects.filter(
            job=job, outcome=Outcome.CREATED, patient_id__in=matched
        ).values_list("patient_id", flat=True)
    )
    existing = [[p for p in found if p.pk not in ours] for found in existing]
    results = rows.decide(chunk, existing)
    new = [
        Patient(**result.checked.data, created_by=by)
        for result in results
        if result.outcome == Outcome.CREATED
    ]
    Patient.objects.bulk_create(new)
    # Each row's patient: the one it created, the registered one it matches, or for a repeat
    # the patient of the row it repeats (in this chunk or an earlier one).
    patient_of: dict[int, int | None] = {}
    created = iter(new)
    for result in results:
        if result.outcome == Outcome.CREATED:
            patient_of[result.number] = next(created).pk
        elif result.outcome == Outcome.DUPLICATE:
            patient_of[result.number] = result.existing.pk
    earlier = {
        r.checked.same_as_row
        for r in results
        if r.outcome == Outcome.DUPLICATE_IN_FILE and r.checked.same_as_row not in patient_of
    }
    if earlier:
        patient_of.update(
            PatientImportRow.objects.filter(job=job, number__in=earlier).values_list(
                "number", "patient_id"
            )
        )
    PatientImportRow.objects.bulk_create(
        PatientImportRow(
            job=job,
            number=result.number,
            outcome=result.outcome,
            patient_id=(
                patient_of.get(result.checked.same_as_row)
                if result.outcome == Outcome.DUPLICATE_IN_FILE
                else patient_of.get(result.number)
            ),
            same_as_row=result.checked.same_as_row
            if result.outcome == Outcome.DUPLICATE_IN_FILE
            else None,
            reasons=result.reasons if result.outcome != Outcome.CREATED else [],
        )
        for result in results
    )
    audit.record_many(
        actor=by,
        action=audit.Action.CREATE,
        objects=new,
        detail={"import": str(job.public_id)},
    )
    counts = {outcome: 0 for outcome in Outcome.values}
    for result in results:
        counts[result.outcome] += 1
    job.processed_rows = start + len(chunk)
    job.created_count += counts[Outcome.CREATED]
    job.duplicate_count += counts[Outcome.DUPLICATE] + counts[Outcome.DUPLICATE_IN_FILE]
    job.invalid_count += counts[Outcome.INVALID]
    if job.processed_rows >= len(checked):
        now = timezone.now()
        job.status = Status.DONE
        job.finished_at = now
        forget_file(job, now)
    job.save()
    return job.status


@transaction.atomic
def _finish(job_id: int, status: str, failure: str = "") -> str:
    job = PatientImport.objects.select_for_update().defer("content").get(pk=job_id)
    if job.is_finished:
        return job.status
    now = timezone.now()
    job.status = status
    job.failure = failure
    job.finished_at = now
    forget_file(job, now)
    job.save()
    return status


def sweep(now: datetime | None = None) -> dict[str, list[int]]:
    """Abandon the uploads left open longer than PATIENT_IMPORT_ABANDON_HOURS (deleting their
    file), fail imports that stopped MAX_ATTEMPTS times, and return the ids of imports whose
    worker stopped, to enqueue again."""
    now = now or timezone.now()
    abandon_before = now - timedelta(hours=settings.PATIENT_IMPORT_ABANDON_HOURS)
    stale = now - timedelta(seconds=LEASE_SECONDS)
    found: dict[str, list[int]] = {"abandoned": [], "resume": []}
    with transaction.atomic():
        jobs = PatientImport.objects.select_for_update(skip_locked=True).filter(
            Q(status__in=PatientImport.OPEN, updated_at__lt=abandon_before)
            | Q(status__in=PatientImport.WORKING, updated_at__lt=stale)
            | (Q(status__in=PatientImport.FINISHED) & ~Q(content=b""))
        )
        for job in jobs.defer("content", "preview", "cleaned"):
            if job.is_open or job.is_finished:
                if job.is_open:
                    job.status = Status.ABANDONED
                    job.finished_at = now
                    found["abandoned"].append(job.pk)
                forget_file(job, now)
            elif job.attempts >= MAX_ATTEMPTS:
                job.status = Status.FAILED
                job.failure = FAILED_ATTEMPTS
                job.finished_at = now
                forget_file(job, now)
            else:
                if job.status == Status.RUNNING:
                    job.status = Status.QUEUED
                found["resume"].append(job.pk)
            job.save()
    return found
