from django.urls import path

from . import api

urlpatterns = [
    path("patients/", api.PatientListView.as_view(), name="api-patients"),
    path("patients/<uuid:public_id>/", api.PatientDetailView.as_view(), name="api-patient"),
    # Archiving cancels sessions, so it is scheduling's (treatments/scheduling/api_urls.py).
    path(
        "patients/<uuid:public_id>/restore/",
        api.PatientRestoreView.as_view(),
        name="api-patient-restore",
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
