"""Messaging's API under /api/: the message log and resend."""

from django.urls import path

from . import api

urlpatterns = [
    path("messages/", api.MessageListView.as_view(), name="api-messages"),
    path(
        "messages/<uuid:public_id>/resend/",
        api.MessageResendView.as_view(),
        name="api-message-resend",
    ),
]
