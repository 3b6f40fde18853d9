from django.urls import path

from . import api

urlpatterns = [
    path("staff/", api.StaffListView.as_view(), name="api-staff"),
    path("staff/<int:pk>/", api.StaffDetailView.as_view(), name="api-staff-member"),
    path(
        "staff/<int:pk>/deactivate/",
        api.StaffDeactivateView.as_view(),
        name="api-staff-deactivate",
    ),
    path(
        "staff/<int:pk>/reactivate/",
        api.StaffReactivateView.as_view(),
        name="api-staff-reactivate",
    ),
    path(
        "staff/<int:pk>/invitation/",
        api.StaffReinviteView.as_view(),
        name="api-staff-invitation",
    ),
]
