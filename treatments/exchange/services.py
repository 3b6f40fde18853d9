"""Handing out everything the clinic holds about one patient, audited.

Staff (the record page's "Download everything", or `GET /fhir/Patient/{id}/$everything`) and
the patient themselves (the portal's "Download my data") call these. Each export writes one
`export` audit row naming the patient, the format and how many records of each kind it
carried, never their contents. They change nothing else, so they take no transaction of
their own: the one row is one INSERT, written whole or not at all.
"""

from __future__ import annotations

from collections import Counter

from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.models import User
from patients.models import Patient

from . import pdf, selectors, shapes

Action = audit.Action


def everything_bundle(*, data: selectors.Everything, base_url: str) -> shapes.Resource:
    """The patient's $everything as a searchset Bundle; `base_url` is this server's /fhir."""
    resources = selectors.everything_resources(data)
    base = base_url.rstrip("/")
    return shapes.bundle(
        [(r, f"{base}/{r['resourceType']}/{r['id']}") for r in resources],
        total=len(resources),
        links=[("self", f"{base}/Patient/{data.patient.public_id}/$everything")],
        timestamp=timezone.now(),
    )


def _audit_export(
    *, patient: Patient, by: User, fmt: str, data: selectors.Everything, request: HttpRequest | None
) -> None:
    counts = Counter(type(row)._meta.model_name for row in data.rows())
    audit.record(
        actor=by,
        action=Action.EXPORT,
        obj=patient,
        request=request,
        detail={"format": fmt, "records": dict(sorted(counts.items()))},
    )


def patient_export_fhir(
    *, patient: Patient, by: User, base_url: str, request: HttpRequest | None = None
) -> shapes.Resource:
    """Everything about `patient` as a FHIR R4 Bundle, audited as an export."""
    data = selectors.everything(patient)
    bundle = everything_bundle(data=data, base_url=base_url)
    _audit_export(patient=patient, by=by, fmt="fhir", data=data, request=request)
    return bundle


def patient_export_pdf(*, patient: Patient, by: User, request: HttpRequest | None = None) -> bytes:
    """Everything about `patient` as a readable PDF, audited as an export once it is made
    (raises `pdf.PdfUnavailable` on a machine without pango, and writes no row)."""
    data = selectors.everything(patient)
    document = pdf.record_pdf(data)
    _audit_export(patient=patient, by=by, fmt="pdf", data=data, request=request)
    return document
