from django.urls import path

from . import api

urlpatterns = [
    path("patients/", api.PatientListView.as_view(), name="api-patients"),
    path("patients/<uuid:public_id>/", api.PatientDetailView.as_view(), name="api-patient"),
    path(
        "patients/<uuid:public_id>/archive/",
        api.PatientArchiveView.as_view(),
        name="api-patient-archive",
    ),
    path("patients/<uuid:public_id>/intakes/", api.IntakeListView.as_view(), name="api-intakes"),
    path(
        "patients/<uuid:public_id>/screenings/",
        api.ScreeningListView.as_view(),
        name="api-screenings",
    ),
    path("patients/<uuid:public_id>/consents/", api.ConsentListView.as_view(), name="api-consents"),
    path(
        "screenings/<uuid:public_id>/sign-off/",
        api.ScreeningSignOffView.as_view(),
        name="api-screening-sign-off",
    ),
]
