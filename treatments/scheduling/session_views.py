"""The session page's actions: check in, chart and complete, move, cancel, no-show.

Each is a small POST view over one service; a refusal (409/400 from the service) comes back
to the session page as a message saying why, and nothing changes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from clinic.clock import localize
from clinic.errors import ServiceError
from clinic.models import Role
from clinic.roles import STAFF, role_required
from patients.vocabulary import AREA_LABELS

from . import services
from .models import Room, Session


def _session(public_id) -> Session:
    return get_object_or_404(
        Session.objects.select_related("course__protocol", "patient"), public_id=public_id
    )


def _done(request: HttpRequest, session: Session, action, success: str) -> HttpResponse:
    try:
        action()
    except ServiceError as exc:
        messages.error(request, exc.as_text())
    else:
        messages.success(request, success)
    return redirect("treatments:session", public_id=session.public_id)


@require_POST
@role_required(*STAFF)
def check_in(request: HttpRequest, public_id) -> HttpResponse:
    session = _session(public_id)
    return _done(
        request,
        session,
        lambda: services.session_check_in(session=session, by=request.user, request=request),
        "Checked in.",
    )


@require_POST
@role_required(*STAFF)
def cancel(request: HttpRequest, public_id) -> HttpResponse:
    session = _session(public_id)
    reason = request.POST.get("reason", "")
    return _done(
        request,
        session,
        lambda: services.session_cancel(
            session=session, reason=reason, by=request.user, request=request
        ),
        "Cancelled; its pending reminders are cancelled too.",
    )


@require_POST
@role_required(*STAFF)
def no_show(request: HttpRequest, public_id) -> HttpResponse:
    session = _session(public_id)
    return _done(
        request,
        session,
        lambda: services.session_no_show(session=session, by=request.user, request=request),
        "Recorded as a no-show.",
    )


@require_POST
@role_required(*STAFF)
def reschedule(request: HttpRequest, public_id) -> HttpResponse:
    """The new time is typed on the clinic's wall clock (a datetime-local field)."""
    session = _session(public_id)
    try:
        naive = datetime.fromisoformat(request.POST.get("starts_at", ""))
        if naive.tzinfo is not None:
            raise ValueError("expected a local time")
        starts_at = localize(naive)
        room_id = request.POST.get("room")
        room = get_object_or_404(Room, pk=int(room_id)) if room_id else None
    except ValueError:
        messages.error(request, "Enter the new date and time, e.g. 2026-03-30 10:00.")
        return redirect("treatments:session", public_id=session.public_id)
    return _done(
        request,
        session,
        lambda: services.session_reschedule(
            session=session, starts_at=starts_at, room=room, by=request.user, request=request
        ),
        "Moved; its reminders follow the new time.",
    )


@role_required(Role.PRACTITIONER)
def complete(request: HttpRequest, public_id) -> HttpResponse:
    """Chart each area of the course (device setting, passes, cartridge lot, endpoint,
    reaction) and complete the session."""
    session = _session(public_id)
    areas = session.course.areas
    ranges = session.course.protocol.depth_ranges
    rows = [
        {
            "area": area,
            "label": AREA_LABELS.get(area, area),
            "range": (ranges.get(area) or {}).get("start"),
            "flag_above": (ranges.get(area) or {}).get("flag_above"),
            "values": {k: request.POST.get(f"{area}-{k}", "") for k in FIELDS},
        }
        for area in areas
    ]
    if request.method == "POST":
        records, errors = [], []
        for row in rows:
            values = row["values"]
            if not values["device_setting_mm"] and not values["passes"]:
                continue  # an area not treated today
            try:
                records.append(
                    services.AreaRecord(
                        area=row["area"],
                        device_setting_mm=Decimal(values["device_setting_mm"]),
                        passes=int(values["passes"]),
                        cartridge_lot=values["cartridge_lot"],
                        endpoint=values["endpoint"],
                        numbing_product=values["numbing_product"],
                        immediate_reaction=values["immediate_reaction"],
                        notes=values["notes"],
                    )
                )
            except (InvalidOperation, ValueError):
                errors.append(f"{row['label']}: enter the setting in mm and the passes.")
        if not errors:
            try:
                services.session_complete(
                    session=session, records=records, by=request.user, request=request
                )
            except ServiceError as exc:
                errors += [exc.message, *exc.details]
            else:
                messages.success(request, "Session completed; the aftercare has been sent.")
                return redirect("treatments:session", public_id=session.public_id)
        for error in errors:
            messages.error(request, error)
    return render(request, "scheduling/complete.html", {"session": session, "rows": rows})


FIELDS = (
    "device_setting_mm",
    "passes",
    "cartridge_lot",
    "endpoint",
    "numbing_product",
    "immediate_reaction",
    "notes",
)

urlpatterns = [
    path("sessions/<uuid:public_id>/check-in/", check_in, name="session_check_in"),
    path("sessions/<uuid:public_id>/cancel/", cancel, name="session_cancel"),
    path("sessions/<uuid:public_id>/no-show/", no_show, name="session_no_show"),
    path("sessions/<uuid:public_id>/move/", reschedule, name="session_reschedule"),
    path("sessions/<uuid:public_id>/complete/", complete, name="session_complete"),
]
