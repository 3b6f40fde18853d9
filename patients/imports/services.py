"""Workflows of the importer: upload a file, choose its columns (the worker then checks
every row: the dry run), start the import, or cancel it. Managers only; each writes its own
audit row.

The check and the import are `runner.check` and `runner.run`, called by the Celery task that
`patient_import_map` and `patient_import_start` enqueue after their commit.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.errors import Conflict, Forbidden, Invalid
from clinic.models import Role, User

from . import csvfile, rows, runner, tasks
from .models import PatientImport

Action = audit.Action
Status = PatientImport.Status
MANAGERS_ONLY = "Only a manager can import patients."
NOT_OPEN = "This import has started or ended already: its columns and rows can no longer change."


def size_text(limit: int) -> str:
    """A byte count as a person reads it: "5 MB", "512 KB"."""
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{max(limit // 1024, 1)} KB"


def too_large(limit: int) -> str:
    return f"This file is too large: upload at most {size_text(limit)}, or split it."


def _require_manager(by: User) -> None:
    if not by.has_role(Role.MANAGER):
        raise Forbidden(MANAGERS_ONLY)


def _locked(job: PatientImport) -> PatientImport:
    return PatientImport.objects.select_for_update().get(pk=job.pk)


@transaction.atomic
def patient_import_upload(
    *, data: bytes, by: User, request: HttpRequest | None = None
) -> PatientImport:
    """Keep an uploaded CSV for its import: refused (400, on `file`) when it is too large,
    empty, or not a CSV file this importer reads. The columns are guessed from its headers."""
    _require_manager(by)
    limit = settings.PATIENT_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise Invalid("The file is too large.", fields={"file": [too_large(limit)]})
    if not data:
        raise Invalid("The file is empty.", fields={"file": ["This file is empty."]})
    try:
        table = csvfile.read(data, max_rows=settings.PATIENT_IMPORT_MAX_ROWS)
    except csvfile.Unreadable as exc:
        raise Invalid("The file cannot be read.", fields={"file": [str(exc)]}) from exc
    job = PatientImport.objects.create(
        created_by=by,
        content=data,
        size_bytes=len(data),
        encoding=table.encoding,
        delimiter=table.delimiter,
        mapping=rows.guess_mapping(table.headers),
        total_rows=len(table.rows),
    )
    audit.record(
        actor=by, action=Action.CREATE, obj=job, request=request, detail={"rows": job.total_rows}
    )
    return job


def check_mapping(mapping: dict[str, Any], headers: list[str]) -> dict[str, int]:
    """{field: column number}: every required field has a column, no column serves two
    fields, every number is one of the file's columns. One `Invalid` naming each problem."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    used: dict[int, str] = {}
    for target in rows.TARGETS:
        value = mapping.get(target.name)
        if value in (None, ""):
            if target.required:
                errors[target.name] = ["Choose the column that holds this."]
            continue
        try:
            index = int(value)
        except (TypeError, ValueError):
            index = -1
        if not 0 <= index < len(headers):
            errors[target.name] = ["Choose one of the file's columns."]
            continue
        if index in used:
            other = rows.TARGETS_BY_NAME[used[index]].label
            errors[target.name] = [f"This column is chosen for “{other}” already."]
            continue
        used[index] = target.name
        clean[target.name] = index
    if errors:
        raise Invalid("Some columns need choosing.", fields=errors)
    return clean


@transaction.atomic
def patient_import_map(
    *, job: PatientImport, mapping: dict[str, Any], by: User, request: HttpRequest | None = None
) -> PatientImport:
    """Choose which column holds which detail, and have the worker check every row (the dry
    run, `runner.check`, enqueued after commit): nothing is written but the job's results.
    The columns may be chosen again until the import starts."""
    _require_manager(by)
    job = _locked(job)
    if not job.is_open:
        raise Conflict(NOT_OPEN)
    table = runner.table_of(job)
    job.mapping = check_mapping(mapping, table.headers)
    job.status = Status.CHECKING
    job.processed_rows = 0
    job.preview = []
    job.cleaned = []
    job.checked_at = None
    job.save()
    audit.record(
        actor=by, action=Action.UPDATE, obj=job, request=request, detail={"fields": ["mapping"]}
    )
    transaction.on_commit(partial(tasks.enqueue, job.pk))
    return job


@transaction.atomic
def patient_import_start(
    *, job: PatientImport, by: User, request: HttpRequest | None = None
) -> PatientImport:
    """Start the import the dry run showed: the Celery task is enqueued after commit and
    records the manager who started it on every patient it creates. Refused (409) before the
    columns are chosen, and once started or ended."""
    _require_manager(by)
    job = _locked(job)
    if job.status == Status.UPLOADED:
        raise Conflict("Choose the columns first: the check of every row comes before importing.")
    if job.status != Status.MAPPED:
        raise Conflict("This import has been started already.")
    job.status = Status.QUEUED
    job.started_by = by
    job.save()
    audit.record(
        actor=by, action=Action.TRANSITION, obj=job, request=request, detail={"status": "queued"}
    )
    transaction.on_commit(partial(tasks.enqueue, job.pk))
    return job


@transaction.atomic
def patient_import_abandon(
    *, job: PatientImport, by: User, request: HttpRequest | None = None
) -> PatientImport:
    """Cancel an import that has not started, deleting its file at once."""
    _require_manager(by)
    job = _locked(job)
    if not job.is_open:
        raise Conflict("Only an import that has not started can be cancelled.")
    now = timezone.now()
    job.status = Status.ABANDONED
    job.finished_at = now
    runner.forget_file(job, now)
    job.save()
    audit.record(
        actor=by,
        action=Action.TRANSITION,
        obj=job,
        request=request,
        detail={"status": "abandoned"},
    )
    return job
