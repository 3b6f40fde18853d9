"""The page a waitlist offer's link opens: the time offered and one button to take it.

The token is the key, as with a portal invitation: a patient who never made a portal account
can still take the time. A token that names nothing is a 404; an offer that is over (taken,
expired, withdrawn) says so in plain words with the clinic's phone number."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.clock import WHEN_IN_ZONE, local_format
from clinic.errors import Invalid

from . import services
from .models import SlotOffer


def _page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, "waitlist/offer.html", context, status=status)
    response["Cache-Control"] = "no-store, private"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    found = services.offer_for_token(token)
    if found is None:
        return _page(request, {"unknown": True}, status=404)
    answer = None
    if request.method == "POST":
        try:
            answer = services.offer_accept(token=token, request=request)
        except Invalid:
            return _page(request, {"unknown": True}, status=404)
        found = answer.offer
    slot = found.slot
    is_open = found.status == SlotOffer.Status.OFFERED and timezone.now() < found.expires_at
    context = {
        "offer": found,
        "first_name": found.patient.first_name,
        "when": local_format(slot.starts_at, WHEN_IN_ZONE),
        "practitioner": slot.practitioner,
        "until": local_format(found.expires_at, "l j F \\a\\t H:i"),
        "is_open": is_open,
        "answer": answer,
        "closed_reason": "" if is_open else services._closed_reason(found),
        "session": answer.session if answer else None,
        "has_portal": bool(found.patient.portal_user_id),
    }
    status = 409 if answer is not None and answer.session is None else 200
    return _page(request, context, status=status)
