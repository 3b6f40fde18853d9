"""The API of the `treatments` app under /api/, from its packages (the portal has no API)."""

from treatments.messaging import api_urls as messaging
from treatments.reports import api_urls as reports
from treatments.resources import api_urls as resources
from treatments.scheduling import api_urls as scheduling
from treatments.waitlist import api_urls as waitlist

urlpatterns = [
    *scheduling.urlpatterns,
    *resources.urlpatterns,
    *messaging.urlpatterns,
    *waitlist.urlpatterns,
    *reports.urlpatterns,
]
