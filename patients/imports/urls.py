"""The import pages, under /patients/imports/ (managers only)."""

from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/columns/", views.mapping, name="mapping"),
    path("<uuid:public_id>/progress/", views.progress, name="progress"),
    path("<uuid:public_id>/start/", views.start, name="start"),
    path("<uuid:public_id>/cancel/", views.abandon, name="abandon"),
    path("<uuid:public_id>/results.csv", views.results, name="results"),
]
