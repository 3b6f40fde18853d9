"""The Clinic setup pages: managers only (any other staff role gets a 403).

Each page is a form in, one service call, a redirect with what happened. A refused form comes
back with every problem next to its field (400, or the service's 409). A change that would
strand booked sessions comes back (409) with them as a table, each linked to its session, and a
button that saves the change and moves them; the manager can instead move them by hand first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from clinic import audit
from clinic.clock import DAY_TIME, clinic_zone, local_format
from clinic.errors import ServiceError
from clinic.models import Role
from clinic.roles import role_required
from treatments.scheduling.models import (
    Device,
    DeviceOutage,
    Practitioner,
    Protocol,
    Room,
    TimeOff,
    WorkingHours,
)

from . import selectors, services, stranding
from .forms import (
    DeviceForm,
    PractitionerForm,
    PractitionerNewForm,
    ProtocolForm,
    RemoveForm,
    RoomForm,
    SetupForm,
    WindowForm,
    WorkingHoursForm,
)

manager_required = role_required(Role.MANAGER)
FORM_METHODS = require_http_methods(["GET", "HEAD", "POST"])


def _url(name: str, *args) -> str:
    return reverse(f"treatments:{name}", args=args)


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


@dataclass
class Page:
    """What a setup form page says around its form."""

    title: str
    submit: str
    back: str
    intro: str = ""
    template: str = "resources/form.html"
    danger: bool = False
    context: dict[str, Any] = field(default_factory=dict)


def moved_text(moved: list[stranding.Moved]) -> str:
    """ "Moved 2 sessions (their reminders follow): Jane Doe to Wed 11 Mar 2026, 09:00; …" """
    if not moved:
        return ""
    noun = "session" if len(moved) == 1 else "sessions"
    where = "; ".join(
        f"{m.session.patient.full_name} to {local_format(m.session.starts_at, DAY_TIME)}"
        for m in moved
    )
    return f" Moved {len(moved)} {noun} (their reminders follow): {where}."


def _form_page(
    request: HttpRequest,
    form: SetupForm,
    page: Page,
    act: Callable[[dict], Any],
    done: Callable[[Any], tuple[str, str]],
) -> HttpResponse:
    """GET: the form. POST: the service's answer, or the form again with why not."""
    status, stranded = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = act(form.cleaned_data)
            except stranding.Stranded as exc:
                status, stranded = exc.status, exc
                audit.record_many(
                    actor=request.user,
                    action=audit.Action.LIST,
                    objects=exc.sessions,
                    request=request,
                    detail={"page": "strand list"},
                )
            except ServiceError as exc:
                form.add_service_errors(exc)
                status = exc.status
            else:
                text, url = done(result)
                moved = getattr(result, "moved", [])
                messages.success(request, text + moved_text(moved))
                return redirect(url)
    context = {"form": form, "page": page, "stranded": stranded, "zone": clinic_zone().key}
    return render(request, page.template, {**context, **page.context}, status=status)


# --- The overview ----------------------------------------------------------------------------


@manager_required
@require_safe
def setup(request: HttpRequest) -> HttpResponse:
    """Practitioners with their hours and time off, rooms, devices with their outages, and the
    current protocols: one page, in a fixed number of queries."""
    return render(
        request,
        "resources/setup.html",
        {"overview": selectors.overview(), "zone": clinic_zone().key},
    )


# --- Practitioners, hours, time off ----------------------------------------------------------


@manager_required
@FORM_METHODS
def practitioner_new(request: HttpRequest) -> HttpResponse:
    form = PractitionerNewForm(_posted(request))
    page = Page("Add a practitioner", "Add practitioner", _url("setup"))
    return _form_page(
        request,
        form,
        page,
        lambda d: services.practitioner_create(
            user=d["user"],
            display_name=d["display_name"],
            active=d["active"],
            by=request.user,
            request=request,
        ),
        lambda p: (
            f"{p} is a practitioner. Now add their working hours.",
            _url("setup_practitioner", p.pk),
        ),
    )


@manager_required
@FORM_METHODS
def practitioner(request: HttpRequest, id: int) -> HttpResponse:
    """A practitioner's page: name and rota status, weekly hours, time off."""
    found = selectors.practitioner(id)
    if found is None:
        raise Http404("No such practitioner.")
    form = PractitionerForm(
        _posted(request), initial={"display_name": found.display_name, "active": found.active}
    )
    page = Page(
        str(found),
        "Save",
        _url("setup"),
        template="resources/practitioner.html",
        context={"practitioner": found},
    )
    return _form_page(
        request,
        form,
        page,
        lambda d: services.practitioner_update(
            practitioner=found,
            display_name=d["display_name"],
            active=d["active"],
            by=request.user,
            request=request,
        ),
        lambda p: (f"Saved {p}.", _url("setup_practitioner", p.pk)),
    )


@manager_required
@FORM_METHODS
def hours_new(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(Practitioner, pk=id)
    form = WorkingHoursForm(_posted(request))
    page = Page(f"Add working hours for {found}", "Add hours", _url("setup_practitioner", id))
    return _form_page(
        request,
        form,
        page,
        lambda d: services.working_hours_create(
            practitioner=found,
            weekday=d["weekday"],
            start=d["start"],
            end=d["end"],
            by=request.user,
            request=request,
        ),
        lambda h: (f"Added {h}.", _url("setup_practitioner", id)),
    )


@manager_required
@FORM_METHODS
def hours(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(WorkingHours.objects.select_related("practitioner"), pk=id)
    form = WorkingHoursForm(
        _posted(request),
        initial={"weekday": found.weekday, "start": found.start, "end": found.end},
    )
    back = _url("setup_practitioner", found.practitioner_id)
    page = Page(f"{found.practitioner}: {found}", "Save hours", back)
    return _form_page(
        request,
        form,
        page,
        lambda d: services.working_hours_update(
            hours=found,
            weekday=d["weekday"],
            start=d["start"],
            end=d["end"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: (f"Saved {change.obj}.", back),
    )


@manager_required
@FORM_METHODS
def hours_remove(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(WorkingHours.objects.select_related("practitioner"), pk=id)
    back = _url("setup_practitioner", found.practitioner_id)
    page = Page(f"Remove {found.practitioner}'s {found}?", "Remove these hours", back, danger=True)
    return _form_page(
        request,
        RemoveForm(_posted(request)),
        page,
        lambda d: services.working_hours_delete(
            hours=found, move_affected=d["move_affected"], by=request.user, request=request
        ),
        lambda change: (f"Removed {change.obj}.", back),
    )


def _window_initial(row) -> dict:
    tz = clinic_zone()
    return {
        "starts_at": row.starts_at.astimezone(tz).replace(tzinfo=None),
        "ends_at": row.ends_at.astimezone(tz).replace(tzinfo=None),
        "reason": row.reason,
    }


@manager_required
@FORM_METHODS
def time_off_new(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(Practitioner, pk=id)
    back = _url("setup_practitioner", id)
    page = Page(f"Time off for {found}", "Add time off", back)
    return _form_page(
        request,
        WindowForm(_posted(request)),
        page,
        lambda d: services.time_off_create(
            practitioner=found,
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            reason=d["reason"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: ("Time off added.", back),
    )


@manager_required
@FORM_METHODS
def time_off(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(TimeOff.objects.select_related("practitioner"), pk=id)
    back = _url("setup_practitioner", found.practitioner_id)
    page = Page(f"Time off for {found.practitioner}", "Save time off", back)
    return _form_page(
        request,
        WindowForm(_posted(request), initial=_window_initial(found)),
        page,
        lambda d: services.time_off_update(
            time_off=found,
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            reason=d["reason"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: ("Time off saved.", back),
    )


@manager_required
@FORM_METHODS
def time_off_remove(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(TimeOff.objects.select_related("practitioner"), pk=id)
    back = _url("setup_practitioner", found.practitioner_id)
    when = f"{local_format(found.starts_at, DAY_TIME)} to {local_format(found.ends_at, DAY_TIME)}"
    page = Page(f"Remove {found.practitioner}'s time off, {when}?", "Remove", back, danger=True)
    return _form_page(
        request,
        RemoveForm(_posted(request)),
        page,
        lambda d: services.time_off_delete(time_off=found, by=request.user, request=request),
        lambda off: ("Time off removed.", back),
    )


# --- Rooms, devices, outages -----------------------------------------------------------------


@manager_required
@FORM_METHODS
def room_new(request: HttpRequest) -> HttpResponse:
    page = Page("Add a room", "Add room", _url("setup"))
    return _form_page(
        request,
        RoomForm(_posted(request)),
        page,
        lambda d: services.room_create(
            name=d["name"], active=d["active"], by=request.user, request=request
        ),
        lambda room: (f"Added {room}.", _url("setup")),
    )


@manager_required
@FORM_METHODS
def room(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(Room, pk=id)
    form = RoomForm(_posted(request), initial={"name": found.name, "active": found.active})
    page = Page(str(found), "Save room", _url("setup"))
    return _form_page(
        request,
        form,
        page,
        lambda d: services.room_update(
            room=found,
            name=d["name"],
            active=d["active"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: (f"Saved {change.obj}.", _url("setup")),
    )


DEVICE_FIELDS = ("name", "manufacturer", "model", "serial", "regulatory_status")


@manager_required
@FORM_METHODS
def device_new(request: HttpRequest) -> HttpResponse:
    page = Page("Add a device", "Add device", _url("setup"))
    return _form_page(
        request,
        DeviceForm(_posted(request)),
        page,
        lambda d: services.device_create(
            **{k: d[k] for k in DEVICE_FIELDS}, active=d["active"], by=request.user, request=request
        ),
        lambda device: (f"Added {device}.", _url("setup_device", device.pk)),
    )


@manager_required
@FORM_METHODS
def device(request: HttpRequest, id: int) -> HttpResponse:
    """A device's page: its details and use, and its outages."""
    found = selectors.device(id)
    if found is None:
        raise Http404("No such device.")
    initial = {k: getattr(found, k) for k in (*DEVICE_FIELDS, "active")}
    page = Page(
        str(found),
        "Save device",
        _url("setup"),
        template="resources/device.html",
        context={"device": found},
    )
    return _form_page(
        request,
        DeviceForm(_posted(request), initial=initial),
        page,
        lambda d: services.device_update(
            device=found,
            **{k: d[k] for k in DEVICE_FIELDS},
            active=d["active"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: (f"Saved {change.obj}.", _url("setup_device", id)),
    )


@manager_required
@FORM_METHODS
def outage_new(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(Device, pk=id)
    back = _url("setup_device", id)
    page = Page(f"{found} out of service", "Add outage", back)
    return _form_page(
        request,
        WindowForm(_posted(request)),
        page,
        lambda d: services.outage_create(
            device=found,
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            reason=d["reason"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: ("Outage added.", back),
    )


@manager_required
@FORM_METHODS
def outage(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(DeviceOutage.objects.select_related("device"), pk=id)
    back = _url("setup_device", found.device_id)
    page = Page(f"{found.device} out of service", "Save outage", back)
    return _form_page(
        request,
        WindowForm(_posted(request), initial=_window_initial(found)),
        page,
        lambda d: services.outage_update(
            outage=found,
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            reason=d["reason"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: ("Outage saved.", back),
    )


@manager_required
@FORM_METHODS
def outage_remove(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(DeviceOutage.objects.select_related("device"), pk=id)
    back = _url("setup_device", found.device_id)
    when = f"{local_format(found.starts_at, DAY_TIME)} to {local_format(found.ends_at, DAY_TIME)}"
    page = Page(f"Remove the outage of {found.device}, {when}?", "Remove", back, danger=True)
    return _form_page(
        request,
        RemoveForm(_posted(request)),
        page,
        lambda d: services.outage_delete(outage=found, by=request.user, request=request),
        lambda off: ("Outage removed.", back),
    )


# --- Protocols -------------------------------------------------------------------------------


@manager_required
@FORM_METHODS
def protocol(request: HttpRequest, id: int) -> HttpResponse:
    """A protocol version, its history, and (for the current version) the form whose save
    makes the next version; courses keep the version they were planned with."""
    found = get_object_or_404(Protocol, pk=id)
    form = ProtocolForm(_posted(request), initial=ProtocolForm.initial_for(found))
    page = Page(
        f"{found.name}, version {found.version}",
        "Save as a new version",
        _url("setup"),
        template="resources/protocol.html",
        context={"protocol": found, "history": list(selectors.protocol_history(found))},
    )
    return _form_page(
        request,
        form,
        page,
        lambda d: services.protocol_revise(
            protocol=found, changes=form.changes(), by=request.user, request=request
        ),
        lambda new: (
            f"Saved as version {new.version}: new courses use it; booked courses keep theirs.",
            _url("setup_protocol", new.pk),
        ),
    )
