"""The FHIR R4 read API, under /fhir/ (clinic/urls.py). Paths carry resource types and ids
only; search values are in the query string, which the app's logs never keep."""

from django.urls import path, re_path

from . import api

urlpatterns = [
    path("metadata", api.MetadataView.as_view(), name="fhir-metadata"),
    path(
        "Patient/<str:resource_id>/$everything",
        api.EverythingView.as_view(),
        name="fhir-everything",
    ),
    path("<str:resource_type>/<str:resource_id>", api.ReadView.as_view(), name="fhir-read"),
    path("<str:resource_type>", api.SearchView.as_view(), name="fhir-search"),
    re_path(r"", api.fhir_not_found),
]
