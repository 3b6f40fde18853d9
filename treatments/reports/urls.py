"""The reports' pages (namespace "treatments", see treatments/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.reports_page, name="reports"),
    path("reports/export.csv", views.report_export, name="reports_export"),
]
