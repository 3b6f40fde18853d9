"""The waitlist listens to scheduling (a cancelled or moved session frees its time) and gives the
outbox what only it knows about an offer's message (the link, minted at send time)."""

from __future__ import annotations

from django.urls import reverse

from clinic.clock import WHEN, local_format
from treatments.messaging import render
from treatments.messaging.models import Message
from treatments.scheduling import signals

from . import services
from .models import SlotOffer


def session_cancelled(sender, *, session, **kwargs) -> None:
    services.slot_free(session=session)


def session_rescheduled(sender, *, session, previous=None, **kwargs) -> None:
    if previous is not None:
        services.slot_free_moved(session=session, previous=previous)


def course_cancelled(sender, *, course, sessions, **kwargs) -> None:
    services.course_closed(course=course, reason="The course was cancelled.")
    for session in sessions:
        services.slot_free(session=session)


def offer_context(message: Message) -> dict:
    """At send time: a fresh one-time token and the link, the time offered and how long the
    offer stays open. An offer taken, withdrawn or expired meanwhile is not sent. The SMS
    template sees only the first name and the link (`render.SMS_KEYS`)."""
    token = services.offer_mint(message.ref)
    if token is None:
        raise render.Unwanted(services.offer_unwanted(message.ref) or services.EXPIRED)
    offer = SlotOffer.objects.select_related("slot").get(public_id=message.ref)
    return {
        "link": render.portal_url(reverse("waitlist_offer:offer", args=[token])),
        "offered_when": local_format(offer.slot.starts_at, WHEN),
        "until": local_format(offer.expires_at, "H:i"),
        "until_day": local_format(offer.expires_at, "l j F"),
    }


def offer_unwanted(message: Message) -> str:
    return services.offer_unwanted(message.ref)


def connect() -> None:
    signals.session_cancelled.connect(session_cancelled, dispatch_uid="waitlist.session_cancelled")
    signals.session_rescheduled.connect(
        session_rescheduled, dispatch_uid="waitlist.session_rescheduled"
    )
    signals.course_cancelled.connect(course_cancelled, dispatch_uid="waitlist.course_cancelled")
    render.register_context(Message.Kind.WAITLIST_OFFER, offer_context)
    render.register_check(Message.Kind.WAITLIST_OFFER, offer_unwanted)
