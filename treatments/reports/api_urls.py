"""The reports' API under /api/."""

from django.urls import path

from . import api

urlpatterns = [path("reports/", api.ReportsView.as_view(), name="api-reports")]
