"""Reads for scheduling: the planner's inputs loaded in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from clinic.clock import clinic_zone

from . import availability, planner
from .models import (
    Course,
    Practitioner,
    Session,
    SessionRecord,
    WorkingHours,
)


@dataclass(frozen=True)
class PlannerInputs:
    working_hours: tuple[planner.WorkingWindow, ...]
    time_off: tuple[planner.Interval, ...]
    practitioner_busy: tuple[planner.Interval, ...]
    rooms: tuple[planner.Resource, ...]
    devices: tuple[planner.Resource, ...]
    # The local dates the rest describes in full when it was read for some dates only.
    days: frozenset[date] | None = None

    def free_starts(self, **window) -> list[planner.Slot]:
        """`planner.free_starts` over these hours and busy times; `window` gives the rest
        (`tz`, `day_from`, `day_to`, `minutes`, and optionally `not_before`, the step)."""
        return planner.free_starts(
            working_hours=self.working_hours,
            time_off=self.time_off,
            practitioner_busy=self.practitioner_busy,
            rooms=self.rooms,
            devices=self.devices,
            **window,
        )


@dataclass(frozen=True)
class OtherSession:
    """One of the patient's sessions in another course that shares an area with this one."""

    starts_at: datetime
    number: int
    course_name: str
    areas: tuple[str, ...]
    min_interval_days: int
    default_interval_days: int


def patient_other_sessions(
    *, patient_id: int, areas: list[str], exclude_course_id: int
) -> tuple[OtherSession, ...]:
    """The patient's booked, checked-in and completed sessions in their other courses on any
    of `areas` (clinical-reference §2.1: spacing is about the skin, not the course), earliest
    first, with what a refusal names. One query, however many courses and sessions.

    Areas are compared here rather than in SQL: JSON containment is not available on every
    backend (the embedded SQLite default), and one patient has few sessions."""
    rows = (
        Session.objects.filter(
            patient_id=patient_id,
            status__in=[*Session.ACTIVE, Session.Status.COMPLETED],
        )
        .exclude(course_id=exclude_course_id)
        .order_by("starts_at", "pk")
        .values_list(
            "starts_at",
            "number",
            "course__protocol__name",
            "course__areas",
            "course__protocol__min_interval_days",
            "course__protocol__default_interval_days",
        )
    )
    wanted = set(areas)
    found = []
    for starts_at, number, name, course_areas, min_days, default_days in rows:
        shared = tuple(area for area in course_areas if area in wanted)
        if shared:
            found.append(
                OtherSession(
                    starts_at=starts_at,
                    number=number,
                    course_name=name,
                    areas=shared,
                    min_interval_days=min_days,
                    default_interval_days=default_days,
                )
            )
    return tuple(found)


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants that open `first` and close `last` on the clinic's wall clock."""
    tz = clinic_zone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def planner_inputs(
    *,
    practitioner: Practitioner,
    start: datetime,
    end: datetime,
    exclude_sessions: tuple[int, ...] = (),
    days: Iterable[date] | None = None,
) -> PlannerInputs:
    """Working hours, time off and busy times in [start, end) for a practitioner and every
    active room and device: two queries (the working hours, and `availability.taken`),
    whatever the number of sessions.

    With `days` (local dates), only what touches them is read, and `days` of the answer
    names those the practitioner works on (the planner needs nothing on another day)."""
    hours = tuple(
        planner.WorkingWindow(weekday=h.weekday, start=h.start, end=h.end)
        for h in WorkingHours.objects.filter(practitioner=practitioner)
    )
    known = None
    spans = [(start, end)]
    if days is not None:
        days = sorted(set(days))
        weekdays = {window.weekday for window in hours}
        known = frozenset(day for day in days if day.weekday() in weekdays)
        # Only the days the practitioner works are read: the planner looks at no other.
        spans = [local_day_bounds(first, last) for first, last in _runs(sorted(known) or days)]
    taken = availability.taken(
        practitioner_id=practitioner.pk, spans=spans, exclude=exclude_sessions
    )
    interval = planner.Interval.from_database
    busy_by_room: dict[int, list[planner.Interval]] = {}
    busy_by_device: dict[int, list[planner.Interval]] = {}
    practitioner_busy = []
    own = practitioner.pk
    for _, practitioner_id, room_id, device_id, s, e in taken.sessions:
        busy = interval(s, e)
        if practitioner_id == own:
            practitioner_busy.append(busy)
        busy_by_room.setdefault(room_id, []).append(busy)
        if device_id is not None:
            busy_by_device.setdefault(device_id, []).append(busy)
    for device_id, s, e in taken.outages:
        busy_by_device.setdefault(device_id, []).append(interval(s, e))
    return PlannerInputs(
        working_hours=hours,
        time_off=tuple(interval(s, e) for s, e in taken.time_off),
        practitioner_busy=tuple(practitioner_busy),
        rooms=tuple(
            planner.Resource(id=pk, busy=tuple(busy_by_room.get(pk, ()))) for pk in taken.rooms
        ),
        devices=tuple(
            planner.Resource(id=pk, busy=tuple(busy_by_device.get(pk, ()))) for pk in taken.devices
        ),
        days=known,
    )


def _runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """Sorted dates as runs of consecutive ones: (first, last) each."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def sessions_between(*, start: datetime, end: datetime, practitioner: Practitioner | None = None):
    """The calendar: sessions overlapping [start, end), with what a calendar shows, joined."""
    sessions = Session.objects.overlapping(start, end).for_calendar()
    if practitioner is not None:
        sessions = sessions.filter(practitioner=practitioner)
    return sessions.order_by("starts_at", "id")


def patient_courses(patient) -> list[tuple[Course, list[Session]]]:
    """A patient's courses, newest first, each with its sessions in time order (two queries:
    the courses with protocol, practitioner and patient (for the audit rows), and their
    sessions)."""
    courses = (
        Course.objects.filter(patient=patient)
        .select_related("protocol", "practitioner", "patient")
        .prefetch_related("sessions")
        .order_by("-created_at")
    )
    return [(c, sorted(c.sessions.all(), key=lambda s: s.starts_at)) for c in courses]


def sessions_to_come():
    """Active (booked or checked-in) sessions that have not ended yet, earliest first, with
    what a list of them shows: the slots they still hold in the calendar."""
    return (
        Session.objects.active()
        .filter(ends_at__gt=timezone.now())
        .select_related("patient", "practitioner", "room", "device", "course__protocol")
        .order_by("starts_at", "pk")
    )


# --- The dashboard's work queue (issue 11 item 7): each a fixed number of queries ----------

QUEUE_LIMIT = 20  # rows a dashboard list shows; the total and a link to the full page say more


def sessions_of_day(day: date, *, practitioner: Practitioner | None = None) -> list[Session]:
    """A day's sessions in time order, cancelled ones left out, with what the list shows."""
    start, end = local_day_bounds(day, day)
    sessions = (
        Session.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Session.Status.CANCELLED)
        .select_related("patient", "practitioner", "room")
        .order_by("starts_at", "id")
    )
    if practitioner is not None:
        sessions = sessions.filter(practitioner=practitioner)
    return list(sessions)


def upcoming_sessions(
    *, practitioner: Practitioner, after: datetime, until: datetime
) -> list[Session]:
    """A practitioner's booked sessions from `after` to `until`, soonest first."""
    return list(
        Session.objects.filter(
            practitioner=practitioner,
            status=Session.Status.BOOKED,
            starts_at__gte=after,
            starts_at__lt=until,
        )
        .select_related("patient", "room")
        .order_by("starts_at", "id")[:QUEUE_LIMIT]
    )


def depth_flags(
    *, since: datetime, practitioner: Practitioner | None = None
) -> tuple[int, list[SessionRecord]]:
    """Charted settings above an area's flag (clinical reference §2.2) in sessions since
    `since`, newest first: how many, and the first QUEUE_LIMIT with their session."""
    records = SessionRecord.objects.filter(flagged=True, session__starts_at__gte=since)
    if practitioner is not None:
        records = records.filter(session__practitioner=practitioner)
    shown = list(
        records.select_related("session__patient", "session__practitioner").order_by(
            "-session__starts_at", "id"
        )[:QUEUE_LIMIT]
    )
    return records.count(), shown


def week_counts(first: date) -> dict[str, int]:
    """Sessions in the clinic's week starting on `first`, by status, in one query."""
    start, end = local_day_bounds(first, first + timedelta(days=6))
    counts = dict(
        Session.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Session.Status.values}


@dataclass(frozen=True)
class Progress:
    """Where a course's planned sessions stand: done, still booked (or checked in), and
    dropped (cancelled or missed, and not to be replaced)."""

    planned: int
    done: int
    active: int
    dropped: int

    @property
    def open(self) -> int:
        """Planned sessions neither done, booked nor dropped: each may be replaced."""
        return max(self.planned - self.done - self.active - self.dropped, 0)

    @property
    def complete(self) -> bool:
        """Every planned session was done or dropped, none is still to come, and at least
        one was done (a course with nothing done is cancelled, not completed)."""
        return self.active == 0 and self.done >= 1 and self.done + self.dropped >= self.planned


def course_progress(course: Course) -> Progress:
    """The course's `Progress`, in one query."""
    S = Session.Status
    counts = course.sessions.aggregate(
        done=Count("pk", filter=Q(status=S.COMPLETED)),
        active=Count("pk", filter=Q(status__in=Session.ACTIVE)),
        dropped=Count("pk", filter=Q(status__in=[S.CANCELLED, S.NO_SHOW]) & ~Q(dropped_reason="")),
    )
    return Progress(planned=course.planned_sessions, **counts)
