"""The import run by a real Celery worker on Redis and PostgreSQL, as in production: the
task is enqueued after the commit that starts it, and takes the job's id only."""

import time

import pytest

from patients.imports import services
from patients.imports.models import PatientImport
from patients.models import Patient

from .factories import mapped, patients_file

pytestmark = [pytest.mark.worker, pytest.mark.slow]
Status = PatientImport.Status


def wait_for(job: PatientImport, *statuses: str, timeout: float = 60) -> PatientImport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.2)
    raise AssertionError(f"the import is still {job.status} after {timeout} s")


def checked(data: bytes, by) -> PatientImport:
    """Uploaded and mapped; the worker checks every row (the dry run) after the commit."""
    job = wait_for(mapped(data, by=by, check=False), PatientImport.Status.MAPPED)
    assert job.processed_rows == 0 and len(job.preview) == job.total_rows
    return job


def test_a_real_worker_imports_the_file_and_a_second_import_of_it_adds_nobody(
    celery_worker_process, manager_user
):
    data = patients_file(2500)  # three chunks
    job = checked(data, manager_user)
    assert {entry[1] for entry in job.preview} == {"created"}
    services.patient_import_start(job=job, by=manager_user)  # enqueued on commit
    job = wait_for(job, *PatientImport.FINISHED)
    assert job.status == Status.DONE, job.failure
    assert (job.created_count, job.duplicate_count, job.invalid_count) == (2500, 0, 0)
    assert job.processed_rows == 2500 and job.attempts == 1
    assert bytes(job.content) == b""
    assert Patient.objects.filter(created_by=manager_user).count() == 2500

    again = checked(data, manager_user)
    assert {entry[1] for entry in again.preview} == {"duplicate"}
    services.patient_import_start(job=again, by=manager_user)
    again = wait_for(again, *PatientImport.FINISHED)
    assert (again.status, again.created_count, again.duplicate_count) == (Status.DONE, 0, 2500)
    assert Patient.objects.count() == 2500
