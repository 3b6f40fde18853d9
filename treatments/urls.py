from django.urls import path

from treatments.messaging import views as messages_views
from treatments.scheduling import course_views, ics_views, session_views, views

app_name = "treatments"

urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/rotate-feed/", views.rotate_feed, name="calendar_rotate_feed"),
    path("calendar/<slug:token>.ics", ics_views.calendar_feed, name="calendar_feed"),
    path("day/", views.day, name="day"),
    path("sessions/<uuid:public_id>/", views.session_detail, name="session"),
    path("sessions/<uuid:public_id>.ics", ics_views.session_ics, name="session_ics"),
]

urlpatterns += course_views.urlpatterns
urlpatterns += messages_views.urlpatterns
urlpatterns += session_views.urlpatterns
