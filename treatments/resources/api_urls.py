"""The setup API under /api/setup/ (managers only)."""

from django.urls import path

from . import api

urlpatterns = [
    path("setup/practitioners/", api.PractitionersView.as_view(), name="api-setup-practitioners"),
    path(
        "setup/practitioners/<int:id>/",
        api.PractitionerView.as_view(),
        name="api-setup-practitioner",
    ),
    path(
        "setup/practitioners/<int:id>/working-hours/",
        api.WorkingHoursCreateView.as_view(),
        name="api-setup-practitioner-hours",
    ),
    path(
        "setup/working-hours/<int:id>/",
        api.WorkingHoursView.as_view(),
        name="api-setup-working-hours",
    ),
    path(
        "setup/practitioners/<int:id>/time-off/",
        api.TimeOffListView.as_view(),
        name="api-setup-practitioner-time-off",
    ),
    path("setup/time-off/<int:id>/", api.TimeOffView.as_view(), name="api-setup-time-off"),
    path("setup/rooms/", api.RoomsView.as_view(), name="api-setup-rooms"),
    path("setup/rooms/<int:id>/", api.RoomView.as_view(), name="api-setup-room"),
    path("setup/devices/", api.DevicesView.as_view(), name="api-setup-devices"),
    path("setup/devices/<int:id>/", api.DeviceView.as_view(), name="api-setup-device"),
    path(
        "setup/devices/<int:id>/outages/",
        api.OutagesView.as_view(),
        name="api-setup-device-outages",
    ),
    path("setup/outages/<int:id>/", api.OutageView.as_view(), name="api-setup-outage"),
    path("setup/protocols/", api.ProtocolsView.as_view(), name="api-setup-protocols"),
    path("setup/protocols/<int:id>/", api.ProtocolView.as_view(), name="api-setup-protocol"),
    path(
        "setup/protocols/<int:id>/versions/",
        api.ProtocolVersionsView.as_view(),
        name="api-setup-protocol-versions",
    ),
]
