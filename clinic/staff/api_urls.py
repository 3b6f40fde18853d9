from django.urls import path

from . import api

urlpatterns = [
    path("staff/", api.StaffListView.as_view(), name="api-staff"),
    path("staff/<int:id>/", api.StaffDetailView.as_view(), name="api-staff-member"),
    path(
        "staff/<int:id>/deactivate/",
        api.StaffDeactivateView.as_view(),
        name="api-staff-deactivate",
    ),
    path(
        "staff/<int:id>/reactivate/",
        api.StaffReactivateView.as_view(),
        name="api-staff-reactivate",
    ),
    path(
        "staff/<int:id>/invitation/",
        api.StaffReinviteView.as_view(),
        name="api-staff-invitation",
    ),
    path(
        "staff/<int:id>/reset-login/",
        api.StaffResetLoginView.as_view(),
        name="api-staff-reset-login",
    ),
]
