"""Messaging's pages (namespace "treatments", see treatments/urls.py): the message log's
Resend button."""

from django.urls import path

from . import views

urlpatterns = [
    path("messages/<uuid:public_id>/resend/", views.resend, name="message_resend"),
]
