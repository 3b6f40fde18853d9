"""The site's URLs plus one page that fails, for the 500 page's test."""

from django.urls import path

from clinic.urls import urlpatterns as site


def fails(request):
    raise RuntimeError("A deliberate failure for the 500 page's test.")


urlpatterns = [path("fails/", fails), *site]
