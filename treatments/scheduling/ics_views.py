"""The calendar files: one session's .ics, to add it by hand, and a practitioner's
subscription feed, which calendar apps fetch with the secret token in its address."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from clinic import audit

from . import ics
from .models import Practitioner, Session
from .views import _session, calendar_access

FEED_PAST_DAYS = 30
Action = audit.Action


def _session_url(request: HttpRequest):
    def url_for(session: Session) -> str:
        return request.build_absolute_uri(reverse("treatments:session", args=[session.public_id]))

    return url_for


def _ics_response(body: bytes, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@calendar_access
@require_safe
def session_ics(request: HttpRequest, public_id) -> HttpResponse:
    """One session as an .ics file, to add it to a calendar by hand."""
    session = _session(public_id)
    audit.record(
        actor=request.user,
        action=Action.EXPORT,
        obj=session,
        request=request,
        detail={"format": "ics"},
    )
    body = ics.session_file(session, url_for=_session_url(request))
    return _ics_response(body, filename=f"session-{session.public_id}.ics")


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A practitioner's subscription feed. No login: calendar apps cannot log in, so the
    secret token in the URL is the credential (rotate it to revoke). Active sessions from 30
    days ago onward; an inactive practitioner's feed is gone, and so is a deactivated staff
    account's (its token is a credential like its logins)."""
    practitioner = Practitioner.objects.filter(
        calendar_token=token, active=True, user__is_active=True
    ).first()
    if practitioner is None:
        raise Http404("No such calendar.")
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    sessions = list(
        Session.objects.active()
        .filter(practitioner=practitioner, starts_at__gte=since)
        .select_related("patient", "room")
        .order_by("starts_at", "id")
    )
    # One row per fetch, not per session: apps poll hourly. It keeps who fetched from where.
    audit.record(
        actor=practitioner.user,
        action=Action.EXPORT,
        obj=practitioner,
        request=request,
        detail={"format": "ics_feed", "sessions": len(sessions)},
    )
    body = ics.practitioner_feed(practitioner, sessions, url_for=_session_url(request))
    return _ics_response(body)
