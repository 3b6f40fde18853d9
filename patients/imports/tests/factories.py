"""CSV files as the previous system writes them, and jobs made through the services."""

from __future__ import annotations

import csv
import io

from patients.imports import runner, services
from patients.imports.models import PatientImport

HEADERS = ["First name", "Surname", "DOB", "Email", "Mobile", "Email consent", "SMS consent"]


def row(first="Ann", last="Lee", born="14/03/1985", email="", phone="", email_ok="yes", sms_ok=""):
    return [first, last, born, email, phone, email_ok, sms_ok]


def csv_bytes(
    rows: list[list[str]],
    *,
    headers: list[str] = HEADERS,
    delimiter: str = ",",
    encoding: str = "utf-8",
    line_end: str = "\r\n",
) -> bytes:
    """A file as Excel saves it: CRLF lines, cells quoted where needed."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def patients_file(count: int, *, start: int = 0, **kwargs) -> bytes:
    """`count` distinct, valid patients (Bulk0 Patient, ...)."""
    return csv_bytes(
        [
            row(
                first=f"Bulk{n}",
                last="Patient",
                born=f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1950 + n % 50}",
                email=f"bulk{n}@example.com",
            )
            for n in range(start, start + count)
        ],
        **kwargs,
    )


def uploaded(data: bytes, *, by) -> PatientImport:
    return services.patient_import_upload(data=data, by=by)


def mapped(data: bytes, *, by, mapping: dict | None = None, check: bool = True) -> PatientImport:
    """Uploaded, its columns chosen as guessed, and (`check`) its rows checked as the worker
    checks them: the dry run's results are on the job."""
    job = uploaded(data, by=by)
    services.patient_import_map(job=job, mapping=mapping or dict(job.mapping), by=by)
    if check:
        runner.work(job.pk)
    job.refresh_from_db()
    return job
