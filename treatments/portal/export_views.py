"""The portal's "Download my data" (issue 14 item 3): the logged-in patient's own record as
the clinic's readable PDF or as a FHIR bundle, made and audited by `treatments.exchange`
(an export by the patient's own account)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from treatments.exchange import pdf, services, views

from .views import patient_required


@patient_required
@require_safe
def my_data_pdf(request: HttpRequest) -> HttpResponse:
    try:
        document = services.patient_export_pdf(
            patient=request.patient, by=request.user, request=request
        )
    except pdf.PdfUnavailable as exc:
        return views.unavailable(exc)
    return views.pdf_response(document)


@patient_required
@require_safe
def my_data_fhir(request: HttpRequest) -> HttpResponse:
    bundle = services.patient_export_fhir(
        patient=request.patient, by=request.user, base_url=views.fhir_base(request), request=request
    )
    return views.fhir_response(bundle)
