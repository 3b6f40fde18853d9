"""The Clinic setup pages for rooms, devices and device outages (managers only; see `views`
for how a page answers)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from clinic.clock import DAY_TIME, local_format
from treatments.scheduling.models import Device, DeviceOutage, Room

from . import selectors, services
from .forms import DeviceForm, RemoveForm, RoomForm, WindowForm
from .views import FORM_METHODS, Page, form_page, manager_required, posted, url, window_initial


@manager_required
@FORM_METHODS
def room_new(request: HttpRequest) -> HttpResponse:
    page = Page("Add a room", "Add room", url("setup"))
    return form_page(
        request,
        RoomForm(posted(request)),
        page,
        lambda d: services.room_create(
            name=d["name"], active=d["active"], by=request.user, request=request
        ),
        lambda room: (f"Added {room}.", url("setup")),
    )


@manager_required
@FORM_METHODS
def room(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(Room, pk=id)
    form = RoomForm(posted(request), initial={"name": found.name, "active": found.active})
    page = Page(str(found), "Save room", url("setup"))
    return form_page(
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
        lambda change: (f"Saved {change.obj}.", url("setup")),
    )


DEVICE_FIELDS = ("name", "manufacturer", "model", "serial", "regulatory_status")


@manager_required
@FORM_METHODS
def device_new(request: HttpRequest) -> HttpResponse:
    page = Page("Add a device", "Add device", url("setup"))
    return form_page(
        request,
        DeviceForm(posted(request)),
        page,
        lambda d: services.device_create(
            **{k: d[k] for k in DEVICE_FIELDS}, active=d["active"], by=request.user, request=request
        ),
        lambda device: (f"Added {device}.", url("setup_device", device.pk)),
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
        url("setup"),
        template="resources/device.html",
        context={"device": found},
    )
    return form_page(
        request,
        DeviceForm(posted(request), initial=initial),
        page,
        lambda d: services.device_update(
            device=found,
            **{k: d[k] for k in DEVICE_FIELDS},
            active=d["active"],
            move_affected=d["move_affected"],
            by=request.user,
            request=request,
        ),
        lambda change: (f"Saved {change.obj}.", url("setup_device", id)),
    )


@manager_required
@FORM_METHODS
def outage_new(request: HttpRequest, id: int) -> HttpResponse:
    found = get_object_or_404(Device, pk=id)
    back = url("setup_device", id)
    page = Page(f"{found} out of service", "Add outage", back)
    return form_page(
        request,
        WindowForm(posted(request)),
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
    back = url("setup_device", found.device_id)
    page = Page(f"{found.device} out of service", "Save outage", back)
    return form_page(
        request,
        WindowForm(posted(request), initial=window_initial(found)),
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
    back = url("setup_device", found.device_id)
    when = f"{local_format(found.starts_at, DAY_TIME)} to {local_format(found.ends_at, DAY_TIME)}"
    page = Page(f"Remove the outage of {found.device}, {when}?", "Remove", back, danger=True)
    return form_page(
        request,
        RemoveForm(posted(request)),
        page,
        lambda d: services.outage_delete(outage=found, by=request.user, request=request),
        lambda off: ("Outage removed.", back),
    )
