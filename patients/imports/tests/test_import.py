"""The import as the Celery task runs it (`runner.run`, in this process; the worker test runs
it in a real worker): patients created in bulk, every row's result, the audit, re-runs that
create nothing, the file deleted, and imported patients refused by the clearance rule."""

import datetime as dt

import pytest
import time_machine

from clinic.errors import Conflict
from clinic.models import AuditEvent
from patients import selectors as patient_selectors
from patients.imports import runner, services, tasks
from patients.imports.models import PatientImport, PatientImportRow
from patients.models import Patient
from patients.tests.factories import PatientFactory

from .factories import csv_bytes, mapped, patients_file, row, uploaded

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC)
Status = PatientImport.Status


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def started(data: bytes, by, django_capture_on_commit_callbacks) -> PatientImport:
    """Mapped and started; the task is enqueued after commit (captured here, run by hand)."""
    job = mapped(data, by=by)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        services.patient_import_start(job=job, by=by)
    assert len(enqueued) == 1  # the task, after the commit
    job.refresh_from_db()
    assert job.status == Status.QUEUED
    return job


def test_the_import_creates_the_new_patients_and_records_every_row(
    manager_user, django_capture_on_commit_callbacks
):
    registered = PatientFactory(email="ann@example.com")
    data = csv_bytes(
        [
            row(first="Ann", email="ANN@example.com"),  # 2: registered
            row(first="Bea", email="bea@example.com", phone="07911 123456", sms_ok="yes"),  # 3
            row(first="Bea", email="bea@example.com"),  # 4: repeats 3
            row(first="Cy", born="yesterday", email="cy@example.com"),  # 5: invalid
        ]
    )
    job = started(data, manager_user, django_capture_on_commit_callbacks)
    assert runner.run(job.pk) == Status.DONE
    job.refresh_from_db()
    assert (job.created_count, job.duplicate_count, job.invalid_count) == (1, 2, 1)
    assert job.processed_rows == job.total_rows == 4
    assert job.started_by == manager_user and job.finished_at == NOW
    bea = Patient.objects.get(first_name="Bea")
    assert (bea.phone, bea.sms_consent, bea.created_by) == ("+447911123456", True, manager_user)
    results = {r.number: r for r in PatientImportRow.objects.filter(job=job)}
    assert [(n, r.outcome, r.patient_id, r.same_as_row) for n, r in sorted(results.items())] == [
        (2, "duplicate", registered.pk, None),
        (3, "created", bea.pk, None),
        (4, "duplicate_in_file", bea.pk, 3),
        (5, "invalid", None, None),
    ]
    assert results[5].reasons == [
        "Date of birth (column “DOB”): Enter a real date, for example 12/04/1988."
    ]


def test_the_file_is_deleted_when_the_import_ends(manager_user, django_capture_on_commit_callbacks):
    job = started(patients_file(3), manager_user, django_capture_on_commit_callbacks)
    assert bytes(job.content)
    runner.run(job.pk)
    job.refresh_from_db()
    assert bytes(job.content) == b"" and job.preview == []
    assert job.file_deleted_at == NOW


def test_every_patient_created_is_audited_in_one_row_naming_the_import(
    manager_user, django_capture_on_commit_callbacks
):
    job = started(patients_file(5), manager_user, django_capture_on_commit_callbacks)
    runner.run(job.pk)
    [event] = AuditEvent.objects.filter(object_type="patients.patient", action="create")
    created = Patient.objects.filter(first_name__startswith="Bulk")
    assert sorted(event.patient_ids) == sorted(str(p.public_id) for p in created)
    assert len(event.object_ids) == 5
    assert event.actor == manager_user
    assert event.detail == {"import": str(job.public_id)}
    started_event = AuditEvent.objects.get(
        object_type="patients.patientimport", action="transition"
    )
    assert started_event.actor == manager_user and started_event.detail == {"status": "queued"}


def test_importing_the_same_file_again_creates_nobody_twice(
    manager_user, django_capture_on_commit_callbacks
):
    data = patients_file(30)
    first = started(data, manager_user, django_capture_on_commit_callbacks)
    runner.run(first.pk)
    assert Patient.objects.count() == 30
    again = mapped(data, by=manager_user)
    assert {entry[1] for entry in again.preview} == {"duplicate"}  # the dry run says so
    with django_capture_on_commit_callbacks(execute=False):
        services.patient_import_start(job=again, by=manager_user)
    runner.run(again.pk)
    again.refresh_from_db()
    assert Patient.objects.count() == 30
    assert (again.created_count, again.duplicate_count) == (0, 30)


def test_running_the_task_twice_imports_once(manager_user, django_capture_on_commit_callbacks):
    job = started(patients_file(10), manager_user, django_capture_on_commit_callbacks)
    assert runner.run(job.pk) == Status.DONE
    assert runner.run(job.pk) == "nothing to do"
    assert Patient.objects.count() == 10
    assert PatientImportRow.objects.filter(job=job).count() == 10


def test_a_run_stopped_half_way_is_resumed_where_it_stopped(
    manager_user, django_capture_on_commit_callbacks, monkeypatch, clock
):
    """Chunks are whole transactions: a worker killed after the first leaves 4 patients and 4
    results; the sweep re-enqueues the job once its lease has passed, and the next run does
    the rest. A repeat across chunks stays a repeat, not a duplicate of a registered one."""
    monkeypatch.setattr(runner, "CHUNK", 4)
    rows_ = [row(first=f"P{n}", email=f"p{n}@example.com") for n in range(6)]
    rows_.append(row(first="P0", email="again@example.com"))  # row 9 repeats row 2
    job = started(csv_bytes(rows_), manager_user, django_capture_on_commit_callbacks)
    PatientImport.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    assert runner._chunk(job.pk, runner.rows.check_rows(runner.table_of(job), job.mapping)) == (
        Status.RUNNING
    )  # then the worker dies
    assert Patient.objects.count() == 4
    assert runner.sweep()["resume"] == []  # still within its lease
    clock.shift(dt.timedelta(seconds=runner.LEASE_SECONDS + 1))
    assert runner.sweep()["resume"] == [job.pk]
    assert runner.run(job.pk) == Status.DONE
    job.refresh_from_db()
    assert Patient.objects.count() == 6
    assert (job.created_count, job.duplicate_count) == (6, 1)
    repeat = PatientImportRow.objects.get(job=job, number=8)
    assert (repeat.outcome, repeat.same_as_row) == ("duplicate_in_file", 2)
    assert repeat.patient == Patient.objects.get(email="p0@example.com")


def test_an_import_that_keeps_stopping_fails_and_its_file_is_deleted(
    manager_user, django_capture_on_commit_callbacks, clock
):
    job = started(patients_file(2), manager_user, django_capture_on_commit_callbacks)
    PatientImport.objects.filter(pk=job.pk).update(status=Status.RUNNING, attempts=3)
    clock.shift(dt.timedelta(seconds=runner.LEASE_SECONDS + 1))
    assert runner.sweep()["resume"] == []
    job.refresh_from_db()
    assert job.status == Status.FAILED and bytes(job.content) == b""


def test_an_upload_left_unfinished_is_abandoned_and_its_file_deleted(manager_user, clock):
    left = uploaded(patients_file(2), by=manager_user)
    checked = mapped(patients_file(2), by=manager_user)
    clock.shift(dt.timedelta(hours=23))
    assert runner.sweep()["abandoned"] == []
    clock.shift(dt.timedelta(hours=2))
    assert tasks.sweep_imports() == {"abandoned": 2, "resumed": 0}
    for job in (left, checked):
        job.refresh_from_db()
        assert job.status == Status.ABANDONED
        assert bytes(job.content) == b"" and job.preview == []


def test_a_manager_cancels_an_upload_and_its_file_is_deleted_at_once(manager_user):
    job = mapped(patients_file(2), by=manager_user)
    services.patient_import_abandon(job=job, by=manager_user)
    job.refresh_from_db()
    assert job.status == Status.ABANDONED and bytes(job.content) == b""
    with pytest.raises(Conflict):
        services.patient_import_start(job=job, by=manager_user)


def test_an_import_cannot_start_before_its_columns_are_chosen_nor_twice(
    manager_user, django_capture_on_commit_callbacks
):
    job = uploaded(patients_file(2), by=manager_user)
    with pytest.raises(Conflict, match="Choose the columns first"):
        services.patient_import_start(job=job, by=manager_user)
    job = started(patients_file(2), manager_user, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict, match="started already"):
        services.patient_import_start(job=job, by=manager_user)


def test_an_imported_patient_must_be_screened_before_booking(
    manager_user, django_capture_on_commit_callbacks
):
    """Imported patients have no intake: the one clearance rule already refuses them."""
    job = started(patients_file(1), manager_user, django_capture_on_commit_callbacks)
    runner.run(job.pk)
    patient = Patient.objects.get()
    assert not patient.intakes.exists()
    for kwargs in ({}, {"new_course": True}, {"check_in": True}):
        answer = patient_selectors.clearance(patient=patient, areas=["cheeks"], **kwargs)
        assert not answer.allowed
        assert answer.reason == (
            "The patient has not been screened yet: take the intake questionnaire first."
        )


def test_the_import_writes_in_bulk_not_a_query_per_row(
    manager_user, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    small = started(patients_file(1), manager_user, django_capture_on_commit_callbacks)
    big = started(patients_file(400, start=1), manager_user, django_capture_on_commit_callbacks)
    for job in (small, big):
        # claim, load; per chunk: lock, job, matches, ours, patients, rows, audit, job
        # (and the savepoint bookkeeping of bulk_create)
        with django_assert_max_num_queries(14):
            assert runner.run(job.pk) == Status.DONE
    assert Patient.objects.count() == 401


def test_the_import_uses_the_rows_the_dry_run_checked_without_checking_them_again(
    manager_user, django_capture_on_commit_callbacks, monkeypatch
):
    job = started(patients_file(5), manager_user, django_capture_on_commit_callbacks)
    assert len(job.cleaned) == 5

    def checked_again(*args, **kwargs):
        raise AssertionError("the rows were checked a second time")

    monkeypatch.setattr(runner.rows, "check_rows", checked_again)
    assert runner.run(job.pk) == Status.DONE
    assert Patient.objects.count() == 5
    job.refresh_from_db()
    assert job.cleaned == []  # patient data, deleted with the file


def test_checking_twice_writes_the_results_once_and_a_stalled_check_is_resumed(manager_user, clock):
    job = mapped(patients_file(4), by=manager_user, check=False)
    assert job.status == Status.CHECKING
    clock.shift(dt.timedelta(seconds=runner.LEASE_SECONDS + 1))
    assert runner.sweep()["resume"] == [job.pk]  # its worker died: enqueued again
    job.refresh_from_db()
    assert job.status == Status.CHECKING
    assert runner.work(job.pk) == Status.MAPPED
    assert runner.work(job.pk) == "nothing to do"
    job.refresh_from_db()
    assert [entry[1] for entry in job.preview] == ["created"] * 4
    assert Patient.objects.count() == 0
