from django.urls import path

from treatments.messaging import api as messages_api
from treatments.scheduling import api, calendar_api

urlpatterns = [
    path("courses/", api.CourseCreateView.as_view(), name="api-courses"),
    path("courses/<uuid:public_id>/", api.CourseDetailView.as_view(), name="api-course"),
    path(
        "courses/<uuid:public_id>/proposal/",
        api.CourseProposalView.as_view(),
        name="api-course-proposal",
    ),
    path("courses/<uuid:public_id>/book/", api.CourseBookView.as_view(), name="api-course-book"),
    path("sessions/<uuid:public_id>/", api.SessionDetailView.as_view(), name="api-session"),
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

urlpatterns += calendar_api.urlpatterns
urlpatterns += messages_api.urlpatterns
