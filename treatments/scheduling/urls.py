"""Scheduling's pages (namespace "treatments", see treatments/urls.py): the calendar, the day,
courses, sessions and their actions, `.ics` files."""

from django.urls import path

from . import archive_views, course_views, ics_views, session_views, views

urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/rotate-feed/", views.rotate_feed, name="calendar_rotate_feed"),
    path("calendar/<slug:token>.ics", ics_views.calendar_feed, name="calendar_feed"),
    path("day/", views.day, name="day"),
    path("sessions/<uuid:public_id>/", views.session_detail, name="session"),
    path("sessions/<uuid:public_id>.ics", ics_views.session_ics, name="session_ics"),
    path("courses/new/<uuid:patient_id>/", course_views.course_new, name="course_new"),
    # Under /patients/ beside the record: it archives the patient, cancelling what is booked.
    path(
        "patients/<uuid:public_id>/archive/", archive_views.patient_archive, name="patient_archive"
    ),
    path("courses/<uuid:public_id>/", course_views.course_detail, name="course"),
    path("courses/<uuid:public_id>/book/", course_views.course_book, name="course_book"),
    path(
        "courses/<uuid:public_id>/sessions/",
        course_views.course_add_session,
        name="course_add_session",
    ),
    path("courses/<uuid:public_id>/cancel/", course_views.course_cancel, name="course_cancel"),
    path(
        "courses/<uuid:public_id>/confirm-flags/",
        course_views.course_confirm_flags,
        name="course_confirm_flags",
    ),
    path("sessions/<uuid:public_id>/check-in/", session_views.check_in, name="session_check_in"),
    path("sessions/<uuid:public_id>/cancel/", session_views.cancel, name="session_cancel"),
    path("sessions/<uuid:public_id>/drop/", session_views.drop, name="session_drop"),
    path("sessions/<uuid:public_id>/no-show/", session_views.no_show, name="session_no_show"),
    path("sessions/<uuid:public_id>/move/", session_views.reschedule, name="session_reschedule"),
    path("sessions/<uuid:public_id>/complete/", session_views.complete, name="session_complete"),
]
