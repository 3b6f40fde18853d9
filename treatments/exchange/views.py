"""Staff downloads of everything the clinic holds about one patient (issue 14 item 3):
the readable PDF and the FHIR `$everything` bundle, each audited as an export. Any staff
role; a patient's account is refused (the portal has its own "Download my data")."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from clinic.roles import staff_required
from patients.models import Patient

from . import codes, pdf, services


def download(body: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """A file to save, never cached (it is a patient's whole record)."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    return response


def pdf_response(document: bytes) -> HttpResponse:
    return download(document, content_type=pdf.PDF, filename=f"{pdf.record_filename()}.pdf")


def fhir_response(bundle: dict) -> HttpResponse:
    body = json.dumps(bundle, ensure_ascii=False, indent=1).encode()
    return download(
        body,
        content_type=f"{codes.FHIR_JSON}; charset=utf-8",
        filename=f"{pdf.record_filename()}.fhir.json",
    )


def unavailable(exc: pdf.PdfUnavailable) -> HttpResponse:
    return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")


def fhir_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir")


@staff_required
@require_safe
def export_pdf(request: HttpRequest, public_id) -> HttpResponse:
    patient = get_object_or_404(Patient, public_id=public_id)
    try:
        document = services.patient_export_pdf(patient=patient, by=request.user, request=request)
    except pdf.PdfUnavailable as exc:
        return unavailable(exc)
    return pdf_response(document)


@staff_required
@require_safe
def export_fhir(request: HttpRequest, public_id) -> HttpResponse:
    patient = get_object_or_404(Patient, public_id=public_id)
    bundle = services.patient_export_fhir(
        patient=patient, by=request.user, base_url=fhir_base(request), request=request
    )
    return fhir_response(bundle)
