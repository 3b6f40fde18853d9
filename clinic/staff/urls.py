"""The staff pages (namespace "staff"), under /staff/."""

from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("new/", views.staff_invite, name="invite"),
    path("<int:id>/", views.staff_detail, name="detail"),
    path("<int:id>/deactivate/", views.staff_deactivate, name="deactivate"),
    path("<int:id>/reactivate/", views.staff_reactivate, name="reactivate"),
    path("<int:id>/invitation/", views.staff_reinvite, name="reinvite"),
    path("<int:id>/reset-login/", views.staff_reset_login, name="reset_login"),
    path("welcome/<slug:token>/", views.welcome, name="welcome"),
]
