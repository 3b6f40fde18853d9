"""The import pages: managers only, the upload in Excel's encodings, the mapping page from
the file's own headers, the dry run's table, the progress fragment htmx polls, and the
result file."""

import codecs
import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from clinic.models import AuditEvent
from patients.imports import runner, services
from patients.imports.models import PatientImport
from patients.models import Patient
from patients.tests.factories import PatientFactory

from .factories import csv_bytes, mapped, patients_file, row, uploaded

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC)
Status = PatientImport.Status


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, job=None):
    kwargs = {"public_id": job.public_id} if job is not None else None
    return reverse(f"patients:imports:{name}", kwargs=kwargs)


def upload(client, data: bytes, name: str = "patients.csv"):
    return client.post(url("upload"), {"file": SimpleUploadedFile(name, data, "text/csv")})


def text(response) -> str:
    return response.content.decode()


# --- Who may --------------------------------------------------------------------------------


def test_other_staff_get_a_403_and_strangers_the_login_page(
    manager_user, front_desk_client, practitioner_client, patient_client, anon_client
):
    job = mapped(patients_file(1), by=manager_user)
    pages = [url("upload"), url("detail", job), url("mapping", job), url("progress", job)]
    for client in (front_desk_client, practitioner_client, patient_client):
        for page in pages:
            assert client.get(page).status_code == 403
        assert client.post(url("start", job)).status_code == 403
        assert upload(client, patients_file(1)).status_code == 403
    for page in pages:
        response = anon_client.get(page)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    job.refresh_from_db()
    assert job.status == Status.MAPPED
    assert PatientImport.objects.count() == 1


def test_an_unknown_import_is_a_404(manager_client):
    fake = PatientImport(public_id="00000000-0000-4000-8000-000000000000")
    for name in ("detail", "mapping", "progress", "results"):
        assert manager_client.get(url(name, fake)).status_code == 404
    assert manager_client.post(url("start", fake)).status_code == 404


def test_managers_find_the_importer_in_the_navigation_and_on_the_patient_list(
    manager_client, front_desk_client
):
    for page in ("/", reverse("patients:list")):
        assert url("upload") in text(manager_client.get(page))
        assert url("upload") not in text(front_desk_client.get(page))


# --- Upload and columns -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter"),
    [("utf-8", b"", ","), ("utf-8", codecs.BOM_UTF8, ";"), ("cp1252", b"", ";")],
)
def test_a_manager_uploads_excels_csv_and_chooses_the_columns_from_its_headers(
    manager_client, encoding, bom, delimiter
):
    data = bom + csv_bytes(
        [row(first="Zoë", last="Ångström", email="zoe@example.com")],
        headers=["Forename", "Family name", "Geburtsdatum", "E-mail", "Notes", "Tel", "Extra"],
        delimiter=delimiter,
        encoding=encoding,
    )
    response = upload(manager_client, data)
    job = PatientImport.objects.get()
    assert response.status_code == 302 and response["Location"] == url("mapping", job)
    page = manager_client.get(url("mapping", job))
    assert page.status_code == 200
    body = text(page)
    for header in ("Forename", "Family name", "Geburtsdatum", "Notes", "Tel"):
        assert f">{header}</option>" in body
    assert "Zoë · " not in body and "Zoë" in body  # the first rows, decoded right
    form = page.context["form"]
    assert form.initial == {"first_name": "0", "last_name": "1", "email": "3", "phone": "5"}
    # "Geburtsdatum" is not a name we guess from: the manager chooses it.
    response = manager_client.post(
        url("mapping", job), {"first_name": "0", "last_name": "1", "email": "3"}
    )
    assert response.status_code == 400
    assert "Choose the column that holds this." in text(response)
    response = manager_client.post(
        url("mapping", job),
        {"first_name": "0", "last_name": "1", "date_of_birth": "2", "email": "3"},
    )
    assert response.status_code == 302 and response["Location"] == url("detail", job)
    job.refresh_from_db()
    assert job.mapping == {"first_name": 0, "last_name": 1, "date_of_birth": 2, "email": 3}
    assert job.status == Status.CHECKING  # the worker checks the rows
    runner.work(job.pk)
    job.refresh_from_db()
    assert job.preview[0][1] == "created"


def test_while_the_worker_checks_the_rows_the_page_polls_then_reloads_with_the_results(
    manager_user, manager_client
):
    job = mapped(patients_file(3), by=manager_user, check=False)
    assert job.status == Status.CHECKING
    page = text(manager_client.get(url("detail", job)))
    assert "Checking every row…" in page and 'hx-trigger="every 1s"' in page
    assert '<progress id="import-bar" max="3" value="0">' in page
    polled = manager_client.get(url("progress", job), headers={"HX-Request": "true"})
    assert "0 of 3 rows checked" in text(polled)
    runner.work(job.pk)
    polled = manager_client.get(url("progress", job), headers={"HX-Request": "true"})
    assert polled["HX-Refresh"] == "true"  # htmx reloads the page, which shows every row
    assert "Import 3 new patients" in text(manager_client.get(url("detail", job)))


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "This file is empty."),
        ("First name,Surname\r\nAnn,Lee\r\n".encode("utf-16"), "UTF-16"),
        (b"First name,Surname\r\n", "no patients"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_on_the_upload_form(manager_client, data, says):
    response = upload(manager_client, data)
    assert response.status_code == 400
    assert says in text(response)
    assert not PatientImport.objects.exists()


@pytest.mark.parametrize("rows", [30, 3000])  # read and refused; too large to read at all
def test_a_file_over_the_limit_is_refused_without_being_kept(manager_client, settings, rows):
    settings.PATIENT_IMPORT_MAX_BYTES = 1024
    data = patients_file(rows)
    assert len(data) > 1024 and (rows == 30) == (len(data) < 1024 + 64 * 1024)
    response = upload(manager_client, data)
    assert response.status_code == 400
    assert "This file is too large: upload at most 1 KB, or split it." in text(response)
    assert not PatientImport.objects.exists()


def test_the_upload_checks_the_csrf_token_although_it_sets_its_own_upload_handler(
    manager_user,
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_user)
    response = upload(client, patients_file(2))
    assert response.status_code == 403
    assert not PatientImport.objects.exists()
    page = client.get(url("upload"))
    token = page.cookies["csrftoken"].value
    response = client.post(
        url("upload"),
        {"file": SimpleUploadedFile("p.csv", patients_file(2)), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_the_columns_cannot_change_once_the_import_has_started(
    manager_user, manager_client, django_capture_on_commit_callbacks
):
    job = mapped(patients_file(1), by=manager_user)
    with django_capture_on_commit_callbacks(execute=False):
        services.patient_import_start(job=job, by=manager_user)
    response = manager_client.get(url("mapping", job))
    assert response.status_code == 302 and response["Location"] == url("detail", job)


# --- The dry run page ---------------------------------------------------------------------------


def test_the_dry_run_page_shows_every_rows_result_and_audits_the_patients_it_shows(
    manager_user, manager_client
):
    registered = PatientFactory(email="rita@example.com")
    data = csv_bytes(
        [
            row(first="Ann", email="ann@example.com"),
            row(first="Rita", email="rita@example.com"),
            row(first="Ann", email="ann2@example.com"),
            row(first="Bob", born="32/01/1990", email="bob@example.com"),
        ]
    )
    job = mapped(data, by=manager_user)
    response = manager_client.get(url("detail", job))
    assert response.status_code == 200
    body = text(response)
    for words in (
        "New patient", "Already registered", "Repeated in this file",
        "The same person as row 2 of this file.", "Not imported: needs attention",
        "Date of birth (column “DOB”): Enter a real date", "Import 1 new patient",
        reverse("patients:detail", kwargs={"public_id": registered.public_id}),
    ):  # fmt: skip
        assert words in body, words
    event = AuditEvent.objects.get(action="list", detail={"page": "import dry run"})
    assert event.patient_ids == [str(registered.public_id)]


def test_the_dry_run_page_costs_the_same_queries_for_one_row_or_many(
    manager_user, manager_client, django_assert_max_num_queries
):
    for n in range(5):
        PatientFactory(email=f"bulk{n}@example.com")  # duplicates to link to
    small = mapped(patients_file(1), by=manager_user)
    big = mapped(patients_file(150), by=manager_user)
    for job in (small, big):
        # session, user, roles, the job, the patients shown, the audit row, and the idle
        # timeout's session save (savepoint, update, release)
        with django_assert_max_num_queries(9):
            assert manager_client.get(url("detail", job)).status_code == 200


# --- Start, progress and results ---------------------------------------------------------------


def test_starting_shows_the_progress_bar_that_htmx_polls_until_it_ends(
    manager_user, manager_client, django_capture_on_commit_callbacks
):
    job = mapped(patients_file(3), by=manager_user)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = manager_client.post(url("start", job))
    assert response.status_code == 302 and response["Location"] == url("detail", job)
    assert len(enqueued) == 1
    page = text(manager_client.get(url("detail", job)))
    assert f'hx-get="{url("progress", job)}"' in page and 'hx-trigger="every 1s"' in page
    assert '<progress id="import-bar" max="3" value="0">' in page
    runner.run(job.pk)
    fragment = text(manager_client.get(url("progress", job)))
    assert "hx-trigger" not in fragment  # finished: the polling stops
    assert "Import finished" in fragment and url("results", job) in fragment
    assert "<strong>3</strong> new patients imported" in fragment
    again = manager_client.post(url("start", job))  # started already: said, not done twice
    assert again.status_code == 302


def test_the_result_file_gives_every_row_its_outcome_without_the_files_values(
    manager_user, manager_client, django_capture_on_commit_callbacks
):
    PatientFactory(email="rita@example.com")
    data = csv_bytes(
        [
            row(first="Ann", email="ann@example.com"),
            row(first="Rita", email="rita@example.com"),
            row(first="=cmd", last="", email="x@example.com"),
        ]
    )
    job = mapped(data, by=manager_user)
    assert manager_client.get(url("results", job)).status_code == 404  # not run yet
    with django_capture_on_commit_callbacks(execute=False):
        services.patient_import_start(job=job, by=manager_user)
    runner.run(job.pk)
    response = manager_client.get(url("results", job))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="patient-import-2027-03-01-results.csv"'
    )
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    ann = Patient.objects.get(first_name="Ann")
    assert lines[0] == ["Row", "Result", "Patient record", "Same person as row", "Reasons"]
    assert lines[1][:2] == ["2", "Imported"]
    assert lines[1][2].endswith(f"/patients/{ann.public_id}/")
    assert lines[2][:2] == ["3", "Already registered"]
    assert lines[3][:3] == ["4", "Not imported: needs attention", ""]
    assert "cmd" not in response.content.decode() and "Ann" not in lines[1]
    event = AuditEvent.objects.get(action="export", detail={"import": str(job.public_id)})
    assert len(event.patient_ids) == 2


def test_cancelling_deletes_the_file(manager_user, manager_client):
    job = uploaded(patients_file(2), by=manager_user)
    response = manager_client.post(url("abandon", job))
    assert response.status_code == 302 and response["Location"] == url("upload")
    job.refresh_from_db()
    assert job.status == Status.ABANDONED and bytes(job.content) == b""
    page = text(manager_client.get(url("detail", job)))
    assert "cancelled and its file deleted" in page


def test_the_upload_page_lists_earlier_imports_with_who_ran_them(manager_user, manager_client):
    mapped(patients_file(2), by=manager_user)
    body = text(manager_client.get(url("upload")))
    assert manager_user.display_name in body and "Checked: ready to import" in body


def test_the_result_file_costs_the_same_queries_for_one_row_or_many(
    manager_user, manager_client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    jobs = []
    for count, start in ((1, 0), (300, 1)):
        job = mapped(patients_file(count, start=start), by=manager_user)
        with django_capture_on_commit_callbacks(execute=False):
            services.patient_import_start(job=job, by=manager_user)
        runner.run(job.pk)
        jobs.append(job)
    for job in jobs:
        # session, user, roles, the job, the rows with their patients, the audit row, and the
        # idle timeout's session save (savepoint, update, release)
        with django_assert_max_num_queries(9):
            assert manager_client.get(url("results", job)).status_code == 200
