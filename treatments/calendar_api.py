"""Calendar and reference-data endpoints (sessions, availability, protocols, rooms)."""

urlpatterns: list = []
