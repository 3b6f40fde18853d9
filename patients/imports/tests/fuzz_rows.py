"""The import pages in the form fuzz test (`treatments/portal/tests/test_form_fuzz.py`, which
walks every URL that takes a POST): an upload waiting for its columns and one checked and
ready to import (`make`), and one row per form (`forms`, given that test's `Form` class and
field kinds)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from patients.imports.models import PatientImport

from .factories import csv_bytes, mapped, row, uploaded

FILE_ROWS = [row(first="Fuzz", last="Import", email="fuzz.import@example.com")]


def make(manager) -> None:
    uploaded(csv_bytes(FILE_ROWS), by=manager)
    mapped(csv_bytes(FILE_ROWS), by=manager)


def _job(status: str) -> dict:
    return {"public_id": PatientImport.objects.get(status=status).public_id}


def forms(Form, *, VALUE, OPTIONAL, FILE) -> list:  # noqa: N803 - the test's names
    columns = {"first_name": VALUE, "last_name": VALUE, "date_of_birth": VALUE}
    optional = ("email", "phone", "preferred_channel", "email_consent", "sms_consent")
    columns |= {name: OPTIONAL for name in (*optional, "fitzpatrick")}
    return [
        Form("patients:imports:upload", "manager", {"file": FILE},
             base=lambda w: {"file": SimpleUploadedFile("old.csv", csv_bytes(FILE_ROWS),
                                                        "text/csv")}),
        Form("patients:imports:mapping", "manager", columns,
             kwargs=lambda w: _job(PatientImport.Status.UPLOADED),
             base=lambda w: {"first_name": "0", "last_name": "1", "date_of_birth": "2",
                             "email": "3"}),
        Form("patients:imports:start", "manager", {},
             kwargs=lambda w: _job(PatientImport.Status.MAPPED)),
        Form("patients:imports:abandon", "manager", {},
             kwargs=lambda w: _job(PatientImport.Status.MAPPED)),
    ]  # fmt: skip
