"""The pages of the `treatments` app, one namespace ("treatments") over its packages."""

from treatments.messaging import urls as messaging
from treatments.reports import urls as reports
from treatments.resources import urls as resources
from treatments.scheduling import urls as scheduling

app_name = "treatments"

urlpatterns = [
    *scheduling.urlpatterns,
    *resources.urlpatterns,
    *messaging.urlpatterns,
    *reports.urlpatterns,
]
