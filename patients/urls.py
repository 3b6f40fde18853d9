"""Staff pages for patients, under /patients/ (see clinic/urls.py)."""

from django.urls import include, path

from . import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("imports/", include("patients.imports.urls")),
    path("<uuid:public_id>/", views.patient_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.patient_edit, name="edit"),
    path("<uuid:public_id>/restore/", views.patient_restore, name="restore"),
    # "<uuid:public_id>/archive/" is scheduling's page: it cancels the sessions still to come.
    path("<uuid:public_id>/intake/", views.intake, name="intake"),
    path("<uuid:public_id>/consent/<slug:kind>/", views.consent, name="consent"),
    path("screenings/<uuid:public_id>/sign-off/", views.screening_sign_off, name="sign_off"),
    path("holds/<uuid:public_id>/release/", views.hold_release, name="hold_release"),
]
