"""The patient's side of an offer, under /portal/offers/ (clinic/urls.py): the link in the
message. The path carries the one-time token only; logs blank it (clinic/logs.py)."""

from django.urls import path

from . import portal_views

app_name = "waitlist_offer"

urlpatterns = [
    path("<slug:token>/", portal_views.offer, name="offer"),
]
