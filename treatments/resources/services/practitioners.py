"""Practitioners, their weekly working hours and their time off (issue 11).

A practitioner is linked to an active staff account in the practitioner group (accounts
themselves are made elsewhere). Working hours are windows of the clinic's wall clock per
weekday (CLINIC_TIME_ZONE), never overlapping on a day; time off is a window of real time
(aware datetimes: a form reads the local input with `clinic.clock.localize`, which is
DST-safe). Shrinking hours under a booked session, or time off over one, strands it: see
`treatments.resources.stranding`.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from clinic import audit
from clinic.clock import DAY_TIME, local_format
from clinic.errors import Invalid
from clinic.models import Role, User
from treatments.scheduling.models import Practitioner, TimeOff, WorkingHours

from .. import stranding
from .changes import Change, changed, clock_window, fresh, save_values, text, window

Action = audit.Action
NAME_MAX = Practitioner._meta.get_field("display_name").max_length
REASON_MAX = TimeOff._meta.get_field("reason").max_length


def eligible_accounts():
    """Accounts a practitioner may be linked to: active staff in the practitioner group that
    are not linked yet."""
    return (
        User.objects.filter(is_active=True, is_patient=False, groups__name=Role.PRACTITIONER)
        .filter(practitioner__isnull=True)
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


def _lock(practitioner: Practitioner) -> Practitioner:
    """Serialise with bookings and other setup changes for this practitioner (bookings lock
    the practitioner's row first, too)."""
    return Practitioner.objects.select_for_update().get(pk=practitioner.pk)


# --- Practitioners ---------------------------------------------------------------------------


@transaction.atomic
def practitioner_create(
    *,
    user: User | None,
    display_name: str,
    active: bool = True,
    by: User,
    request: HttpRequest | None = None,
) -> Practitioner:
    """Link a staff account with the practitioner role as a practitioner."""
    errors: dict[str, list[str]] = {}
    name = text(errors, "display_name", display_name, max_length=NAME_MAX, label="The name")
    if user is None or not eligible_accounts().filter(pk=user.pk).exists():
        errors["user"] = [
            "Choose an active staff account with the practitioner role that is not a "
            "practitioner yet."
        ]
    else:
        User.objects.select_for_update().filter(pk=user.pk).first()  # one link per account
    if errors:
        raise Invalid("The practitioner needs changes.", fields=errors)
    practitioner = Practitioner.objects.create(user=user, display_name=name, active=bool(active))
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=practitioner,
        request=request,
        detail={"user": user.pk, "active": practitioner.active},
    )
    return practitioner


@transaction.atomic
def practitioner_for_account(
    *, user: User, by: User, request: HttpRequest | None = None
) -> Practitioner | None:
    """The practitioner an account with the practitioner role is booked as: made (on the rota,
    named as the account) the first time the account has the role, so an invited practitioner
    can set their hours and be booked without a manager linking them by hand. An account
    without the role, or one already linked, is left as it is."""
    if not user.groups.filter(name=Role.PRACTITIONER).exists():  # as now, not as cached
        return None
    User.objects.select_for_update().filter(pk=user.pk).first()  # one link per account
    found = Practitioner.objects.filter(user=user).first()
    if found is not None:
        return found
    name = user.display_name[:NAME_MAX]
    practitioner = Practitioner.objects.create(user=user, display_name=name, active=True)
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=practitioner,
        request=request,
        detail={"user": user.pk, "active": True, "from_roles": True},
    )
    return practitioner


@transaction.atomic
def practitioner_update(
    *,
    practitioner: Practitioner,
    display_name: str,
    active: bool,
    by: User,
    request: HttpRequest | None = None,
) -> Practitioner:
    """Rename a practitioner or take them off the rota. One who still has upcoming sessions
    stays active until those are moved to someone else or cancelled: a move keeps the
    practitioner, so they cannot be moved automatically (409 with the list)."""
    practitioner = _lock(practitioner)
    errors: dict[str, list[str]] = {}
    name = text(errors, "display_name", display_name, max_length=NAME_MAX, label="The name")
    if errors:
        raise Invalid("The practitioner needs changes.", fields=errors)
    if practitioner.active and not active:
        stranding.refuse(
            stranding.using(practitioner_id=practitioner.pk),
            what=f"Taking {practitioner} off the rota",
            why="book them with another practitioner or cancel them first.",
        )
    values = {"display_name": name, "active": bool(active)}
    detail = changed(practitioner, values)
    if detail:
        save_values(practitioner, values)
        audit.record(
            actor=by, action=Action.UPDATE, obj=practitioner, request=request, detail=detail
        )
    return practitioner


# --- Working hours ---------------------------------------------------------------------------


def _hours_errors(
    practitioner: Practitioner, weekday: Any, start: Any, end: Any, exclude: int | None = None
) -> dict[str, list[str]]:
    """Every problem at once: a weekday 0-6, start before end on one day, no overlap with the
    practitioner's other windows that day (touching is fine: 09:00-12:00 and 12:00-17:00)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
        errors["weekday"] = ["Choose a day of the week."]
    if clock_window(errors, start, end) and "weekday" not in errors:
        clash = (
            WorkingHours.objects.filter(
                practitioner=practitioner, weekday=weekday, start__lt=end, end__gt=start
            )
            .exclude(pk=exclude)
            .first()
        )
        if clash is not None:
            errors["start"] = [f"Overlaps {clash} already on the rota."]
    return errors


@transaction.atomic
def working_hours_create(
    *,
    practitioner: Practitioner,
    weekday: int,
    start: time,
    end: time,
    by: User,
    request: HttpRequest | None = None,
) -> WorkingHours:
    """Add a weekly window of working time (local wall clock). More hours strand nothing."""
    practitioner = _lock(practitioner)
    if errors := _hours_errors(practitioner, weekday, start, end):
        raise Invalid("The working hours need changes.", fields=errors)
    hours = WorkingHours.objects.create(
        practitioner=practitioner, weekday=weekday, start=start, end=end
    )
    audit.record(actor=by, action=Action.CREATE, obj=hours, request=request, detail=_hours(hours))
    return hours


@transaction.atomic
def working_hours_update(
    *,
    hours: WorkingHours,
    weekday: int,
    start: time,
    end: time,
    move_affected: bool = False,
    by: User,
    request: HttpRequest | None = None,
) -> Change[WorkingHours]:
    """Change a window. Upcoming sessions that fitted the practitioner's hours before and no
    longer do are stranded: refused with the list, or moved when `move_affected`."""
    practitioner = _lock(hours.practitioner)
    hours = fresh(hours)
    if errors := _hours_errors(practitioner, weekday, start, end, exclude=hours.pk):
        raise Invalid("The working hours need changes.", fields=errors)
    values = {"weekday": weekday, "start": start, "end": end}
    detail = changed(hours, values)
    if not detail:
        return Change(hours)
    fitted = _fitting(practitioner)
    save_values(hours, values)
    moved = stranding.settle(
        stranding.outside_hours(practitioner.pk, fitted),
        what=f"Changing {practitioner}'s hours",
        move_affected=move_affected,
        by=by,
        request=request,
    )
    audit.record(actor=by, action=Action.UPDATE, obj=hours, request=request, detail=detail)
    return Change(hours, moved)


@transaction.atomic
def working_hours_delete(
    *,
    hours: WorkingHours,
    move_affected: bool = False,
    by: User,
    request: HttpRequest | None = None,
) -> Change[WorkingHours]:
    """Take a window off the rota; the sessions it held are stranded (see the update)."""
    practitioner = _lock(hours.practitioner)
    hours = fresh(hours)
    fitted = _fitting(practitioner)
    detail = {"deleted": _hours(hours)}
    pk = hours.pk
    hours.delete()
    hours.pk = pk  # the audit row and the caller name what was removed
    moved = stranding.settle(
        stranding.outside_hours(practitioner.pk, fitted),
        what=f"Removing {practitioner}'s {hours}",
        move_affected=move_affected,
        by=by,
        request=request,
    )
    audit.record(actor=by, action=Action.UPDATE, obj=hours, request=request, detail=detail)
    return Change(hours, moved)


def _fitting(practitioner: Practitioner) -> list:
    """The practitioner's upcoming sessions that their hours hold now (before the change)."""
    sessions = stranding.using(practitioner_id=practitioner.pk)
    outside = {s.pk for s in stranding.outside_hours(practitioner.pk, sessions)}
    return [s for s in sessions if s.pk not in outside]


def _hours(hours: WorkingHours) -> dict:
    return {
        "weekday": hours.weekday,
        "start": hours.start.isoformat(),
        "end": hours.end.isoformat(),
    }


# --- Time off --------------------------------------------------------------------------------


def _time_off_errors(
    practitioner: Practitioner,
    starts_at: Any,
    ends_at: Any,
    reason: Any,
    exclude: int | None = None,
) -> tuple[dict[str, list[str]], str]:
    errors: dict[str, list[str]] = {}
    reason = text(errors, "reason", reason, max_length=REASON_MAX, required=False)
    if window(errors, starts_at, ends_at, start="starts_at", end="ends_at"):
        clash = (
            TimeOff.objects.filter(
                practitioner=practitioner, starts_at__lt=ends_at, ends_at__gt=starts_at
            )
            .exclude(pk=exclude)
            .first()
        )
        if clash is not None:
            errors["starts_at"] = [
                f"Overlaps time off from {local_format(clash.starts_at, DAY_TIME)} to "
                f"{local_format(clash.ends_at, DAY_TIME)}: change that one instead."
            ]
    return errors, reason


@transaction.atomic
def time_off_create(
    *,
    practitioner: Practitioner,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    move_affected: bool = False,
    by: User,
    request: HttpRequest | None = None,
) -> Change[TimeOff]:
    """Book time off. Upcoming sessions of the practitioner's inside it are stranded: refused
    with the list, or moved when `move_affected`."""
    practitioner = _lock(practitioner)
    errors, reason = _time_off_errors(practitioner, starts_at, ends_at, reason)
    if errors:
        raise Invalid("The time off needs changes.", fields=errors)
    off = TimeOff.objects.create(
        practitioner=practitioner, starts_at=starts_at, ends_at=ends_at, reason=reason
    )
    moved = stranding.settle(
        stranding.in_window(start=starts_at, end=ends_at, practitioner_id=practitioner.pk),
        what=f"Time off for {practitioner}",
        move_affected=move_affected,
        by=by,
        request=request,
    )
    audit.record(actor=by, action=Action.CREATE, obj=off, request=request, detail=_window(off))
    return Change(off, moved)


@transaction.atomic
def time_off_update(
    *,
    time_off: TimeOff,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    move_affected: bool = False,
    by: User,
    request: HttpRequest | None = None,
) -> Change[TimeOff]:
    """Change time off; sessions inside its new window are stranded (see the create)."""
    practitioner = _lock(time_off.practitioner)
    off = fresh(time_off)
    errors, reason = _time_off_errors(practitioner, starts_at, ends_at, reason, exclude=off.pk)
    if errors:
        raise Invalid("The time off needs changes.", fields=errors)
    values = {"starts_at": starts_at, "ends_at": ends_at, "reason": reason}
    detail = changed(off, values)
    if not detail:
        return Change(off)
    save_values(off, values)
    moved = stranding.settle(
        stranding.in_window(start=starts_at, end=ends_at, practitioner_id=practitioner.pk),
        what=f"Time off for {practitioner}",
        move_affected=move_affected,
        by=by,
        request=request,
    )
    audit.record(actor=by, action=Action.UPDATE, obj=off, request=request, detail=detail)
    return Change(off, moved)


@transaction.atomic
def time_off_delete(*, time_off: TimeOff, by: User, request: HttpRequest | None = None) -> TimeOff:
    """Cancel time off: more working time strands nothing."""
    _lock(time_off.practitioner)
    off = fresh(time_off)
    detail = {"deleted": _window(off)}
    pk = off.pk
    off.delete()
    off.pk = pk
    audit.record(actor=by, action=Action.UPDATE, obj=off, request=request, detail=detail)
    return off


def _window(obj) -> dict:
    return {"starts_at": obj.starts_at.isoformat(), "ends_at": obj.ends_at.isoformat()}
