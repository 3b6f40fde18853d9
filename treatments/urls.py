"""The pages of the `treatments` app, one namespace ("treatments") over its packages."""

from treatments.exchange import urls as exchange
from treatments.messaging import urls as messaging
from treatments.reports import urls as reports
from treatments.resources import urls as resources
from treatments.scheduling import urls as scheduling
from treatments.waitlist import urls as waitlist

app_name = "treatments"

urlpatterns = [
    *scheduling.urlpatterns,
    *resources.urlpatterns,
    *messaging.urlpatterns,
    *exchange.urlpatterns,
    *waitlist.urlpatterns,
    *reports.urlpatterns,
]
