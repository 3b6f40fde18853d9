"""The exchange package's section on the patient record (`clinic.panels`): "Download
everything" as a PDF or a FHIR bundle. It shows no record, so it audits nothing itself; the
downloads are audited as exports."""

from __future__ import annotations

from django.http import HttpRequest

from clinic import panels
from patients.models import Patient


def download_everything(*, request: HttpRequest, patient: Patient) -> panels.Panel:
    return panels.Panel(template="exchange/_download.html", context={"export_patient": patient})


def connect() -> None:
    panels.register(panels.PATIENT_RECORD, download_everything, order=95)
