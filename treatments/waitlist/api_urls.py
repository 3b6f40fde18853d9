from django.urls import path

from . import api

urlpatterns = [
    path("waitlist/", api.EntryListView.as_view(), name="api-waitlist"),
    path("waitlist/<uuid:public_id>/", api.EntryDetailView.as_view(), name="api-waitlist-entry"),
    path(
        "waitlist/<uuid:public_id>/remove/",
        api.EntryRemoveView.as_view(),
        name="api-waitlist-remove",
    ),
    path("waitlist/slots/", api.SlotListView.as_view(), name="api-waitlist-slots"),
    path(
        "waitlist/slots/<uuid:public_id>/offer/",
        api.SlotOfferView.as_view(),
        name="api-waitlist-offer",
    ),
    path(
        "waitlist/slots/<uuid:public_id>/close/",
        api.SlotCloseView.as_view(),
        name="api-waitlist-close",
    ),
]
