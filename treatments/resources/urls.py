"""The Clinic setup pages under /setup/ (namespace "treatments", see treatments/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("setup/practitioners/new/", views.practitioner_new, name="setup_practitioner_new"),
    path("setup/practitioners/<int:id>/", views.practitioner, name="setup_practitioner"),
    path("setup/practitioners/<int:id>/hours/new/", views.hours_new, name="setup_hours_new"),
    path("setup/hours/<int:id>/", views.hours, name="setup_hours"),
    path("setup/hours/<int:id>/remove/", views.hours_remove, name="setup_hours_remove"),
    path(
        "setup/practitioners/<int:id>/time-off/new/",
        views.time_off_new,
        name="setup_time_off_new",
    ),
    path("setup/time-off/<int:id>/", views.time_off, name="setup_time_off"),
    path("setup/time-off/<int:id>/remove/", views.time_off_remove, name="setup_time_off_remove"),
    path("setup/rooms/new/", views.room_new, name="setup_room_new"),
    path("setup/rooms/<int:id>/", views.room, name="setup_room"),
    path("setup/devices/new/", views.device_new, name="setup_device_new"),
    path("setup/devices/<int:id>/", views.device, name="setup_device"),
    path("setup/devices/<int:id>/outages/new/", views.outage_new, name="setup_outage_new"),
    path("setup/outages/<int:id>/", views.outage, name="setup_outage"),
    path("setup/outages/<int:id>/remove/", views.outage_remove, name="setup_outage_remove"),
    path("setup/protocols/<int:id>/", views.protocol, name="setup_protocol"),
]
