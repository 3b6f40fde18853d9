"""The site's URLs plus the message-log views, as treatments/urls.py will include them
(namespace "treatments"), for the tests of the Resend button and its view."""

from django.urls import include, path

from clinic.urls import urlpatterns as site
from treatments.messaging import views as messages_views

urlpatterns = [path("", include((messages_views.urlpatterns, "treatments"))), *site]
