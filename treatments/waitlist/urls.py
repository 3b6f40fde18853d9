"""The waitlist's staff pages (namespace "treatments", like the other packages')."""

from django.urls import path

from . import views

urlpatterns = [
    path("waitlist/", views.waitlist_day, name="waitlist"),
    path("waitlist/slots/<uuid:public_id>/offer/", views.slot_offer, name="waitlist_offer"),
    path("waitlist/slots/<uuid:public_id>/close/", views.slot_close, name="waitlist_close"),
    path("waitlist/<uuid:public_id>/remove/", views.entry_remove, name="waitlist_remove"),
    path("courses/<uuid:public_id>/waitlist/", views.entry_new, name="waitlist_new"),
]
