"""Staff pages of the exchange package (in the "treatments" namespace): a patient's
everything as a PDF or a FHIR bundle, linked from the patient record."""

from django.urls import path

from . import views

urlpatterns = [
    path("patients/<uuid:public_id>/export.pdf", views.export_pdf, name="export_pdf"),
    path("patients/<uuid:public_id>/export.fhir.json", views.export_fhir, name="export_fhir"),
]
