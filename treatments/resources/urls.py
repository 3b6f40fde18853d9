"""The Clinic setup pages under /setup/, and a practitioner's own hours under /my-hours/
(namespace "treatments", see treatments/urls.py)."""

from django.urls import path

from . import equipment_views, own_hours_views, practitioner_views, views

urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path(
        "setup/practitioners/new/",
        practitioner_views.practitioner_new,
        name="setup_practitioner_new",
    ),
    path(
        "setup/practitioners/<int:id>/", practitioner_views.practitioner, name="setup_practitioner"
    ),
    path(
        "setup/practitioners/<int:id>/hours/new/",
        practitioner_views.hours_new,
        name="setup_hours_new",
    ),
    path("setup/hours/<int:id>/", practitioner_views.hours, name="setup_hours"),
    path(
        "setup/hours/<int:id>/remove/", practitioner_views.hours_remove, name="setup_hours_remove"
    ),
    path(
        "setup/practitioners/<int:id>/time-off/new/",
        practitioner_views.time_off_new,
        name="setup_time_off_new",
    ),
    path("setup/time-off/<int:id>/", practitioner_views.time_off, name="setup_time_off"),
    path(
        "setup/time-off/<int:id>/remove/",
        practitioner_views.time_off_remove,
        name="setup_time_off_remove",
    ),
    path("setup/rooms/new/", equipment_views.room_new, name="setup_room_new"),
    path("setup/rooms/<int:id>/", equipment_views.room, name="setup_room"),
    path("setup/devices/new/", equipment_views.device_new, name="setup_device_new"),
    path("setup/devices/<int:id>/", equipment_views.device, name="setup_device"),
    path(
        "setup/devices/<int:id>/outages/new/", equipment_views.outage_new, name="setup_outage_new"
    ),
    path("setup/outages/<int:id>/", equipment_views.outage, name="setup_outage"),
    path(
        "setup/outages/<int:id>/remove/", equipment_views.outage_remove, name="setup_outage_remove"
    ),
    path("setup/protocols/<int:id>/", views.protocol, name="setup_protocol"),
    # A practitioner's own hours, with the same form and rules.
    path("my-hours/", own_hours_views.my_hours, name="my_hours"),
    path("my-hours/new/", own_hours_views.my_hours_new, name="my_hours_new"),
    path("my-hours/<int:id>/", own_hours_views.my_hours_change, name="my_hours_change"),
    path("my-hours/<int:id>/remove/", own_hours_views.my_hours_remove, name="my_hours_remove"),
]
