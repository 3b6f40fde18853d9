"""The patient portal under /portal/ (see clinic/urls.py), and its staff pages under
/portal/staff/. Paths carry ids and one-time tokens only, never patient data; the messages
link to "/portal/", the latest aftercare and the next pre-session check (test_portal_links.py
checks every link they make)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import booking_views, export_views, sheet_views, staff_views, views, waitlist_views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="portal:login"), name="logout"),
    path("invite/<slug:token>/", views.link, name="invite"),
    path("reset/", views.reset, name="reset"),
    path("aftercare/", views.aftercare_latest, name="aftercare_latest"),
    path("aftercare/<uuid:session_id>/", views.aftercare_detail, name="aftercare"),
    path(
        "aftercare/<uuid:session_id>/read/",
        views.aftercare_acknowledge,
        name="aftercare_acknowledge",
    ),
    path("aftercare/<uuid:session_id>/check-in/", views.check_in, name="check_in"),
    path("pre-session-check/", views.pre_session_next, name="pre_session_next"),
    path("pre-session-check/<uuid:session_id>/", views.pre_session, name="pre_session"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<uuid:session_id>.ics", views.session_ics, name="session_ics"),
    path("sessions/<uuid:session_id>/change/", views.change_request, name="change_request"),
    path("preferences/", views.preferences, name="preferences"),
    # Booking for yourself, as far as PORTAL_BOOKING allows (treatments.portal.booking).
    path("book/", booking_views.book_home, name="book"),
    path("book/sessions/<uuid:session_id>/", booking_views.book_move, name="book_move"),
    path("book/courses/<uuid:course_id>/", booking_views.book_next, name="book_next"),
    path(
        "book/courses/<uuid:course_id>/waitlist/",
        waitlist_views.waitlist_join,
        name="waitlist_join",
    ),
    path(
        "book/courses/<uuid:course_id>/waitlist/leave/",
        waitlist_views.waitlist_leave,
        name="waitlist_leave",
    ),
    path("book/request/", booking_views.book_request, name="book_request"),
    path("my-data.pdf", export_views.my_data_pdf, name="my_data_pdf"),
    path("my-data.fhir.json", export_views.my_data_fhir, name="my_data_fhir"),
    # The words the messages use for the same two pages (treatments.messaging.render.PORTAL_PATHS).
    path("after-your-visit/", views.aftercare_latest, name="after_your_visit"),
    path("questions/", views.pre_session_next, name="questions"),
    # Staff: acting on what patients report, and sending portal invitations.
    path("staff/", staff_views.staff_home, name="staff"),
    path("staff/triage/", staff_views.staff_triage, name="staff_triage"),
    path("staff/triage/read/", staff_views.staff_check_in_read, name="staff_triage_read"),
    path("staff/reactions/<uuid:flag_id>/clear/", staff_views.staff_flag_clear, name="staff_clear"),
    path(
        "staff/check-ins/<uuid:check_in_id>/photo/",
        staff_views.staff_check_in_photo,
        name="staff_photo",
    ),
    path(
        "staff/pre-session/<uuid:check_id>/resolve/",
        staff_views.staff_call_resolve,
        name="staff_call_resolve",
    ),
    path(
        "staff/requests/<uuid:request_id>/",
        staff_views.staff_request_handle,
        name="staff_request_handle",
    ),
    path(
        "staff/booking-requests/<uuid:request_id>/",
        staff_views.staff_booking_request_handle,
        name="staff_booking_request_handle",
    ),
    path("staff/patients/<uuid:patient_id>/invite/", staff_views.staff_invite, name="staff_invite"),
    path(
        "staff/courses/<uuid:course_id>/invite/",
        staff_views.staff_invite_offer,
        name="staff_invite_offer",
    ),
    # Staff: the aftercare sheet of a completed session.
    path(
        "staff/sessions/<uuid:session_id>/aftercare-sheet.pdf",
        sheet_views.sheet_pdf,
        name="staff_sheet",
    ),
    path(
        "staff/sessions/<uuid:session_id>/aftercare-sheet/email/",
        sheet_views.sheet_email,
        name="staff_sheet_email",
    ),
]
