"""Scheduling's API under /api/: courses, sessions and their transitions, the calendar and
reference data."""

from django.urls import path

from . import api, calendar_api

urlpatterns = [
    path("protocols/", calendar_api.ProtocolListView.as_view(), name="api-protocols"),
    path("practitioners/", calendar_api.PractitionerListView.as_view(), name="api-practitioners"),
    path(
        "practitioners/<int:id>/availability/",
        calendar_api.AvailabilityView.as_view(),
        name="api-practitioner-availability",
    ),
    path("rooms/", calendar_api.RoomListView.as_view(), name="api-rooms"),
    path("sessions/", calendar_api.SessionCalendarView.as_view(), name="api-sessions"),
    path(
        "patients/<uuid:public_id>/archive/",
        api.PatientArchiveView.as_view(),
        name="api-patient-archive",
    ),
    path("courses/", api.CourseCreateView.as_view(), name="api-courses"),
    path("courses/<uuid:public_id>/", api.CourseDetailView.as_view(), name="api-course"),
    path(
        "courses/<uuid:public_id>/proposal/",
        api.CourseProposalView.as_view(),
        name="api-course-proposal",
    ),
    path("courses/<uuid:public_id>/book/", api.CourseBookView.as_view(), name="api-course-book"),
    path(
        "courses/<uuid:public_id>/confirm-flags/",
        api.CourseConfirmFlagsView.as_view(),
        name="api-course-confirm-flags",
    ),
    path(
        "courses/<uuid:public_id>/sessions/",
        api.CourseAddSessionView.as_view(),
        name="api-course-sessions",
    ),
    path(
        "courses/<uuid:public_id>/cancel/", api.CourseCancelView.as_view(), name="api-course-cancel"
    ),
    path("sessions/<uuid:public_id>/", api.SessionDetailView.as_view(), name="api-session"),
    path("sessions/<uuid:public_id>/drop/", api.SessionDropView.as_view(), name="api-session-drop"),
    path(
        "sessions/<uuid:public_id>/reschedule/",
        api.SessionRescheduleView.as_view(),
        name="api-session-reschedule",
    ),
    path(
        "sessions/<uuid:public_id>/cancel/",
        api.SessionCancelView.as_view(),
        name="api-session-cancel",
    ),
    path(
        "sessions/<uuid:public_id>/check-in/",
        api.SessionCheckInView.as_view(),
        name="api-session-check-in",
    ),
    path(
        "sessions/<uuid:public_id>/no-show/",
        api.SessionNoShowView.as_view(),
        name="api-session-no-show",
    ),
    path(
        "sessions/<uuid:public_id>/complete/",
        api.SessionCompleteView.as_view(),
        name="api-session-complete",
    ),
]
