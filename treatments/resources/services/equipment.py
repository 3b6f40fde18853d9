"""Rooms, devices and device outages (issue 11; devices per clinical reference §5).

A room or device taken out of use, or an outage over booked sessions that use the device,
strands those sessions: refused with the list, or moved when the manager confirms (see
`treatments.resources.stranding`). A session keeps its time when another room or device is
free then; otherwise it goes to its next free time.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.clock import DAY_TIME, local_format
from clinic.errors import Invalid
from clinic.models import User
from treatments.scheduling.models import Device, DeviceOutage, Practitioner, Room, Session

from .. import stranding
from .changes import Change, changed, fresh, save_values, text, window

Action = audit.Action
ROOM_NAME_MAX = Room._meta.get_field("name").max_length
DEVICE_TEXT_MAX = Device._meta.get_field("name").max_length
REASON_MAX = DeviceOutage._meta.get_field("reason").max_length


def _lock(row, **sessions_where):
    """Lock as a booking does, practitioners first: those with upcoming sessions on `row`,
    then `row` itself (so a change and a booking never wait on each other in a circle)."""
    if sessions_where:
        ids = (
            Session.objects.active()
            .filter(ends_at__gt=timezone.now(), **sessions_where)
            .values_list("practitioner_id", flat=True)
        )
        list(Practitioner.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk"))
    list(type(row).objects.select_for_update().filter(pk=row.pk))
    return fresh(row)


# --- Rooms -----------------------------------------------------------------------------------


def _room_errors(name, exclude: int | None = None) -> tuple[dict[str, list[str]], str]:
    errors: dict[str, list[str]] = {}
    name = text(errors, "name", name, max_length=ROOM_NAME_MAX, label="The name")
    if name and Room.objects.filter(name__iexact=name).exclude(pk=exclude).exists():
        errors["name"] = ["Another room has this name."]
    return errors, name


@transaction.atomic
def room_create(
    *, name: str, active: bool = True, by: User, request: HttpRequest | None = None
) -> Room:
    errors, name = _room_errors(name)
    if errors:
        raise Invalid("The room needs changes.", fields=errors)
    room = Room.objects.create(name=name, active=bool(active))
    audit.record(actor=by, action=Action.CREATE, obj=room, request=request)
    return room


@transaction.atomic
def room_update(
    *,
    room: Room,
    name: str,
    active: bool,
    move_affected: bool = False,
    by: User,
    request: HttpRequest | None = None,
) -> Change[Room]:
    """Rename a room or take it out of use (or back). Taking it out of use strands its
    upcoming sessions: refused with the list, or moved when `move_affected`."""
    room = _lock(room, room_id=room.pk)
    errors, name = _room_errors(name, exclude=room.pk)
    if errors:
        raise Invalid("The room needs changes.", fields=errors)
    values = {"name": name, "active": bool(active)}
    detail = changed(room, values)
    if not detail:
        return Change(room)
    closing = room.active and not values["active"]
    save_values(room, values)
    moved = []
    if closing:
        moved = stranding.settle(
            stranding.using(room_id=room.pk),
            what=f"Taking {room} out of use",
            move_affected=move_affected,
            by=by,
            request=request,
        )
    audit.record(actor=by, action=Action.UPDATE, obj=room, request=request, detail=detail)
    return Change(room, moved)


# --- Devices ---------------------------------------------------------------------------------

DEVICE_FIELDS = {
    # name: (label, required)
    "name": ("The name", True),
    "manufacturer": ("The manufacturer", False),
    "model": ("The model", True),
    "serial": ("The serial number", True),
    "regulatory_status": ("The regulatory status", False),
}


def _device_errors(values: dict, exclude: int | None = None) -> tuple[dict[str, list[str]], dict]:
    errors: dict[str, list[str]] = {}
    cleaned = {
        field: text(
            errors,
            field,
            values.get(field),
            max_length=Device._meta.get_field(field).max_length,
            required=required,
            label=label,
        )
        for field, (label, required) in DEVICE_FIELDS.items()
    }
    serial = cleaned["serial"]
    if serial and Device.objects.filter(serial__iexact=serial).exclude(pk=exclude).exists():
        errors["serial"] = ["Another device has this serial number."]
    return errors, cleaned


@transaction.atomic
def device_create(
    *,
    name: str,
    model: str,
    serial: str,
    manufacturer: str = "",
    regulatory_status: str = "",
    active: bool = True,
    by: User,
    request: HttpRequest | None = None,
) -> Device:
    """Add a microneedling pen: model and serial for traceability (clinical reference §5)."""
    errors, values = _device_errors(
        {
            "name": name,
            "model": model,
            "serial": serial,
            "manufacturer": manufacturer,
            "regulatory_status": regulatory_status,
        }
    )
    if errors:
        raise Invalid("The device needs changes.", fields=errors)
    device = Device.objects.create(**values, active=bool(active))
    audit.record(actor=by, action=Action.CREATE, obj=device, request=request)
    return device


@transaction.atomic
def device_update(
    *,
    device: Device,
    name: str,
    model: str,
    serial: str,
    manufacturer: str = "",
    regulatory_status: str = "",
    active: bool,
    move_affected: bool = False,
    by: User,
    request: HttpRequest | None = None,
) -> Change[Device]:
    """Change a device's details or take it out of use (or back). Out of use strands its
    upcoming sessions: refused with the list, or moved (to another device at the same time
    when one is free) when `move_affected`."""
    device = _lock(device, device_id=device.pk)
    errors, values = _device_errors(
        {
            "name": name,
            "model": model,
            "serial": serial,
            "manufacturer": manufacturer,
            "regulatory_status": regulatory_status,
        },
        exclude=device.pk,
    )
    if errors:
        raise Invalid("The device needs changes.", fields=errors)
    values["active"] = bool(active)
    detail = changed(device, values)
    if not detail:
        return Change(device)
    closing = device.active and not values["active"]
    save_values(device, values)
    moved = []
    if closing:
        moved = stranding.settle(
            stranding.using(device_id=device.pk),
            what=f"Taking {device} out of use",
            move_affected=move_affected,
            by=by,
            request=request,
        )
    audit.record(actor=by, action=Action.UPDATE, obj=device, request=request, detail=detail)
    return Change(device, moved)


# --- Outages ---------------------------------------------------------------------------------


def _outage_errors(
    device: Device, starts_at, ends_at, reason, exclude: int | None = None
) -> tuple[dict[str, list[str]], str]:
    errors: dict[str, list[str]] = {}
    reason = text(errors, "reason", reason, max_length=REASON_MAX, required=False)
    if window(errors, starts_at, ends_at, start="starts_at", end="ends_at"):
        clash = (
            device.outages.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
            .exclude(pk=exclude)
            .first()
        )
        if clash is not None:
            errors["starts_at"] = [
                f"Overlaps the outage from {local_format(clash.starts_at, DAY_TIME)} to "
                f"{local_format(clash.ends_at, DAY_TIME)}: change that one instead."
            ]
    return errors, reason


@transaction.atomic
def outage_create(
    *,
    device: Device,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    move_affected: bool = False,
    by: User,
    request: HttpRequest | None = None,
) -> Change[DeviceOutage]:
    """Record a window when a device is out of service. Upcoming sessions with the device in
    it are stranded: refused with the list, or moved when `move_affected`."""
    device = _lock(device, device_id=device.pk)
    errors, reason = _outage_errors(device, starts_at, ends_at, reason)
    if errors:
        raise Invalid("The outage needs changes.", fields=errors)
    outage = DeviceOutage.objects.create(
        device=device, starts_at=starts_at, ends_at=ends_at, reason=reason
    )
    moved = stranding.settle(
        stranding.in_window(start=starts_at, end=ends_at, device_id=device.pk),
        what=f"An outage of {device}",
        move_affected=move_affected,
        by=by,
        request=request,
    )
    audit.record(actor=by, action=Action.CREATE, obj=outage, request=request)
    return Change(outage, moved)


@transaction.atomic
def outage_update(
    *,
    outage: DeviceOutage,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    move_affected: bool = False,
    by: User,
    request: HttpRequest | None = None,
) -> Change[DeviceOutage]:
    """Change an outage; sessions with the device in its new window are stranded."""
    device = _lock(outage.device, device_id=outage.device_id)
    outage = fresh(outage)
    errors, reason = _outage_errors(device, starts_at, ends_at, reason, exclude=outage.pk)
    if errors:
        raise Invalid("The outage needs changes.", fields=errors)
    values = {"starts_at": starts_at, "ends_at": ends_at, "reason": reason}
    detail = changed(outage, values)
    if not detail:
        return Change(outage)
    save_values(outage, values)
    moved = stranding.settle(
        stranding.in_window(start=starts_at, end=ends_at, device_id=device.pk),
        what=f"An outage of {device}",
        move_affected=move_affected,
        by=by,
        request=request,
    )
    audit.record(actor=by, action=Action.UPDATE, obj=outage, request=request, detail=detail)
    return Change(outage, moved)


@transaction.atomic
def outage_delete(
    *, outage: DeviceOutage, by: User, request: HttpRequest | None = None
) -> DeviceOutage:
    """The device is back sooner: strands nothing."""
    _lock(outage.device)
    outage = fresh(outage)
    detail = {
        "deleted": {
            "starts_at": outage.starts_at.isoformat(),
            "ends_at": outage.ends_at.isoformat(),
        }
    }
    pk = outage.pk
    outage.delete()
    outage.pk = pk
    audit.record(actor=by, action=Action.UPDATE, obj=outage, request=request, detail=detail)
    return outage
