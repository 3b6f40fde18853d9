"""The API of the `treatments` app under /api/, from its packages (the portal has no API)."""

from treatments.messaging import api_urls as messaging
from treatments.scheduling import api_urls as scheduling

urlpatterns = [*scheduling.urlpatterns, *messaging.urlpatterns]
