"""Workflows that change courses and sessions. Views, the API, tasks and tests call these.

Each is keyword-only and atomic, and writes its own audit rows. The rules come from DESIGN.md
§5 (flows 2-5, 7) and §6, and clinical-reference.md §2. Checking in, with the answers
confirmed on the day, is `check_in.session_check_in`; charting and completing is `charting`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.clock import (
    clinic_today,
    clinic_zone,
    local_format,
    localize,
    outside_booking_window,
    to_local,
)
from clinic.errors import Conflict, Invalid, ServiceError
from clinic.models import User
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients import vocabulary
from patients.models import Patient, ScreeningResult

from . import availability, course_flags, planner, selectors, signals
from .models import CancelledBy, Course, Device, Practitioner, Protocol, Room, Session
from .spacing import lock_patient, other_sessions, require_confirmed, require_spacing_across_courses

Action = audit.Action
# How far ahead the planner looks for a series, beyond the course's own span.
PLANNING_SLACK_DAYS = 120
# A proposal first reads the calendar only on the dates a series is likely to take: up to
# FIRST_SLIP_DAYS after the start for session 1 and SLIP_DAYS more for each later session
# (`likely_days`); the whole span only when the search goes beyond them.
FIRST_SLIP_DAYS, SLIP_DAYS = 4, 1


@dataclass(frozen=True)
class SlotRequest:
    """One session asked for by hand: a start instant, a room, optionally a device.

    The room and the device may be given by id (as the API does): `course_book` reads them as
    it locks them, and one that does not exist or is not in use is a 400 on the slot's
    `room` or `device`."""

    starts_at: datetime
    room: Room | int
    device: Device | int | None = None


def _pk(row: Room | Device | int | None) -> int | None:
    return row if row is None or isinstance(row, int) else row.pk


# --- The clearance rule -----------------------------------------------------------------


def require_clearance(
    patient: Patient,
    areas: Sequence[str],
    days: Sequence[date] = (),
    *,
    check_in: bool = False,
    new_course: bool = False,
) -> ScreeningResult | None:
    """Refuse (409, with the reason) unless the one clearance rule (`patients.selectors.
    clearance`, DESIGN.md §3) allows treating `patient` on `areas` on `days`."""
    verdict = patient_selectors.clearance(
        patient=patient, areas=areas, days=days, check_in=check_in, new_course=new_course
    )
    if not verdict:
        raise Conflict(verdict.reason)
    return verdict.screening


def _within_working_hours(practitioner: Practitioner, start: datetime, end: datetime) -> bool:
    """The whole session lies inside one of the practitioner's local working windows.

    Working hours are read through `practitioner.working_hours.all()`, so a caller that
    prefetches them checks a whole series without a query per session.
    """
    local_start, local_end = to_local(start), to_local(end)
    if local_start.date() != local_end.date():
        return False
    return any(
        hours.weekday == local_start.weekday()
        and hours.start <= local_start.time()
        and local_end.time() <= hours.end
        for hours in practitioner.working_hours.all()
    )


class Locked(NamedTuple):
    """What `_lock_resources` locked: the practitioner (with their working hours), and the
    rooms and devices by id, as read under the lock."""

    practitioner: Practitioner
    rooms: dict[int, Room]
    devices: dict[int, Device]


def _lock_resources(practitioner: int | Practitioner, rooms: set[int], devices: set[int]) -> Locked:
    """Serialise bookings that touch the same practitioner, rooms or devices, and return them:
    the practitioner with their working hours, the rooms and devices as read under the lock
    (an id that names nothing is missing). A `Practitioner` passed in is one whose row the
    caller has already locked.

    Locks are taken in a fixed order (practitioner, rooms, devices, by id) so two bookings
    never deadlock. On PostgreSQL the exclusion constraints are the last line of defence.
    """
    if isinstance(practitioner, Practitioner):
        prefetch_related_objects([practitioner], "working_hours")
    else:
        practitioner = (
            Practitioner.objects.select_for_update()
            .prefetch_related("working_hours")
            .get(pk=practitioner)
        )
    locked_rooms = Room.objects.select_for_update().filter(pk__in=sorted(rooms)).order_by("pk")
    locked_devices = (
        Device.objects.select_for_update().filter(pk__in=sorted(devices)).order_by("pk")
        if devices
        else ()
    )
    return Locked(
        practitioner,
        {room.pk: room for room in locked_rooms},
        {device.pk: device for device in locked_devices},
    )


def _in_use(slots: Sequence[SlotRequest], locked: Locked) -> list[SlotRequest]:
    """`slots` with their rooms and devices as `_lock_resources` read them. A room or device
    given by id must exist and be in use, else a 400 on it (`sessions.N.room`); one given as
    a row is checked by `_check_slot`, which says that it is not in use."""
    resolved, errors = [], {}
    for i, slot in enumerate(slots):
        room = locked.rooms.get(_pk(slot.room))
        if room is None or (isinstance(slot.room, int) and not room.active):
            errors[f"sessions.{i}.room"] = ["No such room."]
        device = locked.devices.get(_pk(slot.device))
        if slot.device is not None and (
            device is None or (isinstance(slot.device, int) and not device.active)
        ):
            errors[f"sessions.{i}.device"] = ["No such device."]
        resolved.append(replace(slot, room=room, device=device))
    if errors:
        raise Invalid("Some fields need attention.", fields=errors)
    return resolved


def _check_slot(
    *,
    practitioner: Practitioner,
    room: Room,
    device: Device | None,
    start: datetime,
    end: datetime,
    field: str,
    taken: availability.Taken,
) -> None:
    """One session's time: from now to the booking horizon, inside working hours, no clash
    (409). `taken` holds what is booked around it (`availability.taken`)."""
    if start <= timezone.now():
        raise Invalid("A session cannot start in the past.", fields={field: ["In the past."]})
    if too_far := outside_booking_window(start):
        raise Invalid(too_far, fields={field: [too_far]})
    if not room.active:
        raise Invalid("That room is not in use.", fields={field: ["The room is not active."]})
    if not _within_working_hours(practitioner, start, end):
        at = local_format(start, "l j F H:i")
        raise Invalid(
            "Outside the practitioner's working hours.",
            fields={field: [f"{at} is outside {practitioner}'s hours."]},
        )
    if taken.practitioner_off(start, end):
        raise Conflict(f"{practitioner} is off at {local_format(start, 'j F H:i')}.", about=field)
    if device is not None and taken.device_out(device.pk, start, end):
        raise Conflict(
            f"{device} is out of service at {local_format(start, 'j F H:i')}.", about=field
        )
    what = taken.clash(
        room_id=room.pk, device_id=device.pk if device else None, start=start, end=end
    )
    if what is not None:
        raise Conflict(
            f"That time is already taken: {what} is booked at {local_format(start, 'j F H:i')}.",
            about=field,
        )


def _device_free(device: Device, start: datetime, end: datetime, taken: availability.Taken) -> bool:
    return device.active and not (
        taken.device_booked(device.pk, start, end) or taken.device_out(device.pk, start, end)
    )


def _free_device(start: datetime, end: datetime, taken: availability.Taken) -> int | None:
    """The id of the first active device free for [start, end), or None when the clinic has
    none."""
    if not taken.devices:
        return None
    busy = taken.busy_devices(start, end)
    for device_id in taken.devices:
        if device_id not in busy:
            return device_id
    raise Conflict(f"No device is free at {local_format(start, 'j F H:i')}.")


# --- Courses ------------------------------------------------------------------------------


@transaction.atomic
def course_create(
    *,
    patient: Patient,
    practitioner: Practitioner,
    protocol: Protocol,
    areas: Any,
    sessions: int | None,
    interval_days: int | None,
    by: User,
    request: HttpRequest | None = None,
) -> Course:
    """Plan a course for a screened patient; the protocol gives the defaults."""
    patient_services.require_open(patient)
    try:
        chosen = vocabulary.clean_areas(areas)
    except vocabulary.AnswersInvalid as exc:
        raise Invalid("Check the areas.", fields=exc.errors) from exc
    sessions = sessions or protocol.default_sessions
    interval_days = interval_days or protocol.default_interval_days
    errors = {}
    if not 1 <= sessions <= 12:
        errors["sessions"] = ["Plan between 1 and 12 sessions."]
    if interval_days < protocol.min_interval_days:
        errors["interval_days"] = [
            f"At least {protocol.min_interval_days} days apart for this protocol."
        ]
    elif interval_days > 365:
        errors["interval_days"] = ["At most 365 days apart."]
    if not practitioner.active:
        errors["practitioner"] = ["This practitioner is not active."]
    if errors:
        raise Invalid("The course needs changes.", fields=errors)
    require_clearance(patient, chosen, new_course=True)
    course = Course.objects.create(
        patient=patient,
        practitioner=practitioner,
        protocol=protocol,
        areas=chosen,
        planned_sessions=sessions,
        interval_days=interval_days,
        created_by=by,
    )
    audit.record(actor=by, action=Action.CREATE, obj=course, request=request)
    return course


def likely_days(*, start: date, sessions: int, interval_days: int) -> list[tuple[date, date]]:
    """The date ranges (first, last) a series from `start` takes unless its sessions slip
    further than FIRST_SLIP_DAYS and SLIP_DAYS each: session k (from 0) is wanted on the date
    of session k-1 plus `interval_days`, so it lies within k intervals and all the slips so far
    of `start`. Ranges that touch are merged."""
    ranges: list[tuple[date, date]] = []
    for k in range(sessions):
        first = start + timedelta(days=k * interval_days)
        last = first + timedelta(days=FIRST_SLIP_DAYS + k * SLIP_DAYS)
        if ranges and first <= ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], max(last, ranges[-1][1]))
        else:
            ranges.append((first, last))
    return ranges


def course_proposal(
    *, course: Course, start: date, now: datetime | None = None
) -> list[planner.Slot]:
    """The earliest feasible series for a course from `start` (DESIGN.md flow 2).

    A `defer` screening moves the first possible date to its `defer_until`. No session is
    proposed closer than the minimum interval to the patient's sessions in other courses on
    a shared area (the stricter protocol's minimum; clinical-reference §2.1).

    The calendar is read on the dates the series is likely to take (`likely_days`), so a
    busy clinic's months of sessions are not all loaded to place six; when the search goes
    beyond them the planner says so (`DayNotKnown`) and the whole span is read, which gives
    the same answer the whole span always would.
    """
    now = now or timezone.now()
    latest = require_clearance(course.patient, course.areas, new_course=True)
    if latest is not None and latest.outcome == ScreeningResult.Outcome.DEFER:
        start = max(start, latest.defer_until)
    start = max(start, clinic_today())
    span = course.interval_days * course.planned_sessions + PLANNING_SLACK_DAYS
    last = start + timedelta(days=span)
    likely = [
        (first, min(end, last))
        for first, end in likely_days(
            start=start, sessions=course.planned_sessions, interval_days=course.interval_days
        )
        if first <= last
    ]
    others = other_sessions(course)
    try:
        return _plan(course, start, last, now, others, likely)
    except planner.DayNotKnown:
        return _plan(course, start, last, now, others, None)


def _plan(
    course: Course,
    start: date,
    last: date,
    now: datetime,
    others: Sequence[selectors.OtherSession],
    days: Sequence[tuple[date, date]] | None,
) -> list[planner.Slot]:
    """The planner's series from `start`, reading the calendar from `start` to `last`, or
    on the date ranges `days` only (the planner then raises DayNotKnown before it looks at
    another working day)."""
    window_start, window_end = selectors.local_day_bounds(start, last)
    inputs = selectors.planner_inputs(
        practitioner=course.practitioner,
        start=window_start,
        end=window_end,
        days=None if days is None else [d for first, end in days for d in _each_day(first, end)],
    )
    try:
        return planner.plan_series(
            tz=clinic_zone(),
            working_hours=inputs.working_hours,
            time_off=inputs.time_off,
            practitioner_busy=inputs.practitioner_busy,
            rooms=inputs.rooms,
            devices=inputs.devices,
            sessions=course.planned_sessions,
            interval_days=course.interval_days,
            min_interval_days=course.protocol.min_interval_days,
            minutes=course.protocol.session_minutes,
            earliest=start,
            not_before=now,
            horizon_days=PLANNING_SLACK_DAYS,
            patient_sessions=[other.starts_at for other in others],
            patient_min_interval_days=max(
                [course.protocol.min_interval_days, *(o.min_interval_days for o in others)]
            ),
            known_days=inputs.days,
        )
    except planner.NoFeasibleSeries as exc:
        raise Conflict(f"No series fits: {exc.reason}.") from exc


def _each_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@transaction.atomic
def course_book(
    *,
    course: Course,
    slots: Sequence[SlotRequest],
    by: User,
    confirm_short_interval: bool = False,
    request: HttpRequest | None = None,
) -> list[Session]:
    """Book the whole series in one transaction: every session or none (DESIGN.md flow 3).

    Refused with a 409 and the reason when the screening or consent does not allow it, when
    any slot clashes with another booking, or when a slot is closer than the minimum interval
    to the patient's session in another course on a shared area; a 400 when a slot is outside
    working hours, in the past, or closer than the protocol's minimum interval to its
    neighbour in the course. A slot shorter than the usual interval from another course's
    session is a 409 with code "short_interval" unless `confirm_short_interval`.
    """
    course = (
        Course.objects.select_for_update()
        .select_related("patient", "practitioner", "protocol")
        .get(pk=course.pk)
    )
    if course.status != Course.Status.PLANNED:
        raise Conflict(f"This course is already {course.get_status_display().lower()}.")
    patient_services.require_open(course.patient)
    course_flags.require_flags_confirmed(course)  # off-label or pigmentation, reference §1.1
    if len(slots) != course.planned_sessions:
        raise Invalid(
            "Book the whole series.",
            fields={"sessions": [f"Give all {course.planned_sessions} sessions of the course."]},
        )
    # The course's FOR UPDATE above also locked its patient's and practitioner's rows (every
    # joined row is locked): what `lock_patient` would take again, and `_lock_resources`
    # takes the rooms and devices next, reading them (one query, two with devices named).
    locked = _lock_resources(
        course.practitioner,
        rooms={_pk(s.room) for s in slots},
        devices={_pk(s.device) for s in slots if s.device is not None},
    )
    slots = sorted(_in_use(slots, locked), key=lambda s: s.starts_at)
    tz = clinic_zone()
    minutes = timedelta(minutes=course.protocol.session_minutes)
    too_close = planner.spacing_violations(
        [s.starts_at for s in slots], tz=tz, min_interval_days=course.protocol.min_interval_days
    )
    if too_close:
        i = too_close[0]
        raise Invalid(
            "Sessions are too close together.",
            fields={
                f"sessions.{i}.starts_at": [
                    f"At least {course.protocol.min_interval_days} days after the previous session."
                ]
            },
        )
    short = require_spacing_across_courses(course, [s.starts_at for s in slots])
    days = [to_local(s.starts_at).date() for s in slots]
    require_clearance(course.patient, course.areas, days, new_course=True)

    practitioner = locked.practitioner
    taken = availability.taken(
        practitioner_id=practitioner.pk, spans=[(s.starts_at, s.starts_at + minutes) for s in slots]
    )
    sessions = []
    for number, slot in enumerate(slots, start=1):
        end = slot.starts_at + minutes
        # Practitioner and room first (the clearer reason), then a device that is free.
        _check_slot(
            practitioner=practitioner,
            room=slot.room,
            device=slot.device,
            start=slot.starts_at,
            end=end,
            field=f"sessions.{number - 1}.starts_at",
            taken=taken,
        )
        sessions.append(
            Session(
                course=course,
                patient=course.patient,
                practitioner=practitioner,
                room=slot.room,
                device_id=_pk(slot.device) or _free_device(slot.starts_at, end, taken),
                number=number,
                starts_at=slot.starts_at,
                ends_at=end,
            )
        )
    require_confirmed(short, confirm_short_interval=confirm_short_interval)
    # The series' own sessions are weeks apart, so checking each against the database and
    # inserting them together is safe; the exclusion constraints check the insert again.
    sessions = Session.objects.bulk_create(sessions)
    course.status = Course.Status.BOOKED
    course.save(update_fields=["status"])
    signals.sessions_booked.send(sender=Session, sessions=sessions)
    detail = {"short_interval_confirmed": short} if short else None
    audit.record_many(
        actor=by, action=Action.CREATE, objects=sessions, request=request, detail=detail
    )
    return sessions


# --- Session transitions ------------------------------------------------------------------


def lock_session(session: Session) -> Session:
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("course__protocol", "patient", "practitioner", "room", "device")
        .get(pk=session.pk)
    )


def require_status(session: Session, *allowed: str, action: str) -> None:
    if session.status not in allowed:
        raise Conflict(f"A {session.get_status_display().lower()} session cannot be {action}.")


def transition(session: Session, status: str, by: User, request, **detail) -> Session:
    session.status = status
    session.status_changed_at = timezone.now()
    session.status_changed_by = by
    session.save()
    audit.record(
        actor=by,
        action=Action.TRANSITION,
        obj=session,
        request=request,
        detail={"to": status, **detail},
    )
    return session


def shifted(moment: datetime, old: datetime, new: datetime) -> datetime:
    """`moment` moved as far as `old` moved to `new`, on the clinic's wall clock: a session at
    10:00 moved a week later stays at 10:00 across a daylight-saving change."""

    def naive(value: datetime) -> datetime:
        return to_local(value).replace(tzinfo=None)

    return localize(naive(moment) + (naive(new) - naive(old)))


def _named(session: Session, to: datetime, exc: ServiceError) -> ServiceError:
    """A later session's refusal in a move of "this and following", naming the session."""
    at = local_format(session.starts_at, "l j F H:i")
    text = f"Session {session.number} ({at}) cannot move to {local_format(to, 'l j F H:i')}"
    named = type(exc)(f"{text}: {exc.message} Nothing was moved.", fields=exc.fields)
    named.code = exc.code
    return named


def _following(session: Session) -> list[Session]:
    """The course's booked sessions after `session`, locked, in order."""
    return list(
        Session.objects.select_for_update(of=("self",))
        .select_related("room", "device")
        .filter(course_id=session.course_id, status=Session.Status.BOOKED)
        .filter(starts_at__gt=session.starts_at)
        .exclude(pk=session.pk)
        .order_by("starts_at")
    )


@transaction.atomic
def session_reschedule(
    *,
    session: Session,
    starts_at: datetime,
    room: Room | None = None,
    by: User,
    confirm_short_interval: bool = False,
    shift_following: bool = False,
    request: HttpRequest | None = None,
) -> Session:
    """Move a booked session: the same checks as booking, and the course's spacing holds,
    and so does the spacing from the patient's other courses on a shared area (see
    `course_book`).

    With `shift_following`, the course's later booked sessions move by the same interval on
    the clinic's wall clock, each keeping its room: all or nothing, and a refusal names the
    session that could not move and why. The patient is told once (`sessions_moved`)."""
    session = lock_session(session)
    require_status(session, Session.Status.BOOKED, action="moved")
    course = session.course
    moves = [(session, starts_at, room or session.room)]
    if shift_following:
        moves += [
            (later, shifted(later.starts_at, session.starts_at, starts_at), later.room)
            for later in _following(session)
        ]
    moving = tuple(s.pk for s, _, _ in moves)
    siblings = list(
        course.sessions.filter(status__in=[*Session.ACTIVE, Session.Status.COMPLETED])
        .exclude(pk__in=moving)
        .values_list("starts_at", flat=True)
    )
    starts = sorted([*siblings, *(to for _, to, _ in moves)])
    if planner.spacing_violations(
        starts, tz=clinic_zone(), min_interval_days=course.protocol.min_interval_days
    ):
        raise Conflict(
            "That move puts a session closer than "
            f"{course.protocol.min_interval_days} days to another in the course."
        )
    lock_patient(session.patient_id)
    short: list[str] = []
    for moved, to, _ in moves:
        try:
            short += require_spacing_across_courses(course, [to])
        except ServiceError as exc:
            if moved is session:
                raise
            raise _named(moved, to, exc) from exc
    short = list(dict.fromkeys(short))
    require_clearance(session.patient, course.areas, [to_local(to).date() for _, to, _ in moves])
    practitioner = _lock_resources(
        session.practitioner_id,
        {r.pk for _, _, r in moves},
        {s.device_id for s, _, _ in moves if s.device_id},
    ).practitioner
    taken = availability.taken(
        practitioner_id=practitioner.pk,
        spans=[(to, to + (moved.ends_at - moved.starts_at)) for moved, to, _ in moves],
        exclude=moving,
    )
    planned = []
    for moved, to, to_room in moves:
        end = to + (moved.ends_at - moved.starts_at)
        try:
            # Its own device if free there, else the first that is (free by construction, so
            # `_check_slot` need not ask about it).
            device, device_id = moved.device, moved.device_id
            if device is not None and not _device_free(device, to, end, taken):
                device, device_id = None, _free_device(to, end, taken)
            _check_slot(
                practitioner=practitioner,
                room=to_room,
                device=device,
                start=to,
                end=end,
                field="starts_at",
                taken=taken,
            )
        except ServiceError as exc:
            if moved is session:
                raise
            raise _named(moved, to, exc) from exc
        planned.append((moved, to, end, to_room, device_id))
    require_confirmed(short, confirm_short_interval=confirm_short_interval)
    retimed = starts_at != session.starts_at  # a change of room alone is not news to tell
    # Later first when moving later (earlier first when earlier), so no session lands on
    # one that has not moved yet: the exclusion constraints check every save.
    if starts_at > session.starts_at:
        planned.reverse()
    with audit.together():  # every moved session's row in one INSERT
        for moved, to, end, to_room, device_id in planned:
            old = moved.starts_at
            previous = signals.Span(
                starts_at=moved.starts_at,
                ends_at=moved.ends_at,
                room_id=moved.room_id,
                device_id=moved.device_id,
                practitioner_id=moved.practitioner_id,
            )
            moved.starts_at, moved.ends_at = to, end
            moved.room, moved.device_id = to_room, device_id
            moved.save()
            signals.session_rescheduled.send(sender=Session, session=moved, previous=previous)
            audit.record(
                actor=by,
                action=Action.UPDATE,
                obj=moved,
                request=request,
                detail={
                    "moved_from": old.isoformat(),
                    "moved_to": to.isoformat(),
                    **({"short_interval_confirmed": short} if short else {}),
                    **({"with_session": str(session.public_id)} if moved is not session else {}),
                },
            )
    if retimed:
        signals.sessions_moved.send(sender=Session, sessions=[m[0] for m in moves])
    return session


@transaction.atomic
def session_cancel(
    *,
    session: Session,
    reason: str,
    by: User,
    initiated_by: str = CancelledBy.CLINIC,
    request: HttpRequest | None = None,
) -> Session:
    """Cancel a booked or checked-in session with the reason. The patient is told
    (`session_cancelled`): a confirmation when they asked (`initiated_by="patient"`), an
    apology with the offer to rebook when the clinic cancelled (the default)."""
    session = lock_session(session)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("A reason is required.", fields={"reason": ["Say why it is cancelled."]})
    if initiated_by not in CancelledBy.values:
        raise Invalid(
            "Say who asked for the cancellation.",
            fields={"initiated_by": ["Choose the patient or the clinic."]},
        )
    require_status(session, Session.Status.BOOKED, Session.Status.CHECKED_IN, action="cancelled")
    session.cancel_reason = reason[:300]
    session.cancel_initiated_by = initiated_by
    transition(session, Session.Status.CANCELLED, by, request, initiated_by=initiated_by)
    signals.session_cancelled.send(sender=Session, session=session)
    return session


@transaction.atomic
def session_no_show(*, session: Session, by: User, request: HttpRequest | None = None) -> Session:
    session = lock_session(session)
    require_status(session, Session.Status.BOOKED, action="marked as a no-show")
    if session.starts_at > timezone.now():
        raise Conflict("A session that has not started yet cannot be a no-show.")
    signals.session_no_show.send(sender=Session, session=session)
    return transition(session, Session.Status.NO_SHOW, by, request)
