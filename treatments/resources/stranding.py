"""Booked sessions that a setup change would strand, and moving them (issue 11).

Time off over a booking, working hours shrunk under one, a room or device taken out of use, an
outage over sessions that need the device: the change lists the sessions it strands and is
refused (a 409, `Stranded`) until they are moved, or until the manager confirms moving them.
Then each is moved, earliest first, through `scheduling.services.session_reschedule` (so the
clearance rule, the course's spacing, the spacing across courses, free rooms and devices and the
messages' new due times all apply as for a move by hand) to the first free start the planner
finds at or after its own start. One that cannot be moved refuses the whole change: the caller
is atomic, so nothing is changed and nothing is moved (`Unmovable`, naming it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from clinic.clock import DAY_TIME, clinic_today, clinic_zone, local_format, to_local
from clinic.errors import Conflict, ServiceError
from clinic.models import User
from treatments.scheduling import planner, selectors, services, spacing
from treatments.scheduling.models import Practitioner, Room, Session

# How far past a session's own day the next free start is looked for (as for a new series).
HORIZON_DAYS = services.PLANNING_SLACK_DAYS
CHUNK_DAYS = 14  # days of free starts worked out at a time
# Moves the reschedule service may refuse (a clearance that defers, a race) before giving up.
MAX_ATTEMPTS = 8


class Stranded(Conflict):
    """The change would strand these booked sessions: refused until they are moved or the
    manager confirms moving them (`move_affected`)."""

    code = "strands_sessions"

    def __init__(self, message: str, *, sessions: Sequence[Session]):
        super().__init__(message, fields={"move_affected": [describe(s) for s in sessions]})
        self.sessions = list(sessions)


class Unmovable(Stranded):
    """The manager confirmed, but a session could not be moved: nothing changed."""

    code = "cannot_move"


@dataclass(frozen=True)
class Moved:
    """A session moved by a setup change, and where it was."""

    session: Session
    moved_from: datetime


def describe(session: Session) -> str:
    """One line a manager can act on: who, when on the clinic's clock, with whom and where."""
    return (
        f"{session.patient.full_name}, {local_format(session.starts_at, DAY_TIME)} "
        f"(session {session.number}, {session.practitioner}, {session.room})"
    )


# --- Which sessions ------------------------------------------------------------------------


def upcoming() -> QuerySet[Session]:
    """Active sessions that have not ended yet, with what a strand list shows."""
    return selectors.sessions_to_come()


def in_window(*, start: datetime, end: datetime, **where) -> list[Session]:
    """Upcoming sessions matching `where` (a practitioner, a device) overlapping [start, end)."""
    return list(upcoming().filter(**where).overlapping(start, end))


def using(**where) -> list[Session]:
    """Upcoming sessions in a room or with a device, or a practitioner's."""
    return list(upcoming().filter(Q(**where)))


def outside_hours(practitioner_id: int, sessions: Sequence[Session]) -> list[Session]:
    """Those of `sessions` that the practitioner's working hours (as saved now) do not hold:
    the same test booking applies (`scheduling.services`)."""
    practitioner = (
        Practitioner.objects.prefetch_related("working_hours").filter(pk=practitioner_id).first()
    )
    return [
        s
        for s in sessions
        # One answer per question: the booking rule itself, not a copy of it.
        if not services._within_working_hours(practitioner, s.starts_at, s.ends_at)
    ]


# --- Refusing or moving --------------------------------------------------------------------


def settle(
    sessions: Sequence[Session],
    *,
    what: str,
    move_affected: bool,
    by: User,
    request: HttpRequest | None = None,
) -> list[Moved]:
    """Call inside the change's transaction, after the change is saved: nothing stranded is
    fine; otherwise refuse with the list (`Stranded`) or, when confirmed, move them all."""
    if not sessions:
        return []
    count = len(sessions)
    if not move_affected:
        noun = "session" if count == 1 else "sessions"
        raise Stranded(
            f"{what} would strand {count} booked {noun}. Move them first, or confirm to move "
            "each to its next free time.",
            sessions=sessions,
        )
    earliest_first = sorted(sessions, key=lambda s: (s.starts_at, s.pk))
    courses = [s.course_id for s in sessions]
    if len(set(courses)) == len(courses):
        return _move_all(earliest_first, by=by, request=request)
    return _move_in_the_better_order(earliest_first, by=by, request=request)


def _move_all(order: Sequence[Session], *, by: User, request: HttpRequest | None) -> list[Moved]:
    """Move each in turn; one may pass those still to move (they then go after it)."""
    waiting = {s.pk for s in order}
    moved = []
    for session in order:
        waiting.discard(session.pk)
        moved.append(move(session, by=by, request=request, moving=frozenset(waiting)))
    return sorted(moved, key=lambda m: (m.moved_from, m.session.pk))


def _move_in_the_better_order(
    earliest_first: list[Session], *, by: User, request: HttpRequest | None
) -> list[Moved]:
    """Several sessions of one course are stranded. Earliest first keeps a long leave's
    sessions in order after it, but each must clear where its successors still are; latest
    first keeps a short change close (a lost weekday moves each session a day). Both are
    tried in a savepoint and the one that moves sessions less is kept (earliest first on a
    tie); when neither can move them all, the earliest-first refusal stands."""
    orders = [earliest_first, earliest_first[::-1]]
    results: list[tuple[float, int]] = []
    refused: Unmovable | None = None
    for i, order in enumerate(orders):
        savepoint = transaction.savepoint()
        try:
            moved = _move_all(order, by=by, request=request)
        except Unmovable as exc:
            refused = refused or exc
        else:
            shift = sum((m.session.starts_at - m.moved_from).total_seconds() for m in moved)
            results.append((shift, i))
        transaction.savepoint_rollback(savepoint)
    if not results:
        raise refused
    return _move_all(orders[min(results)[1]], by=by, request=request)


def refuse(sessions: Sequence[Session], *, what: str, why: str) -> None:
    """A change whose stranded sessions cannot be moved automatically (a practitioner leaving:
    a move keeps the practitioner): refused with the list until staff move or cancel them."""
    if sessions:
        raise Unmovable(
            f"{what} would strand {len(sessions)} booked session(s): {why}", sessions=sessions
        )


def move(
    session: Session,
    *,
    by: User,
    request: HttpRequest | None = None,
    moving: frozenset[int] = frozenset(),
) -> Moved:
    """Move one stranded session to the first free start at or after its own, as a move by
    hand would (`session_reschedule`); `Unmovable` when none is found. `moving` names the
    other sessions being moved after it (earliest first), which it may pass: each of them
    then goes after it in turn, so a course keeps its order."""
    who = f"{session.patient.full_name}'s session on {local_format(session.starts_at, DAY_TIME)}"
    if session.status != Session.Status.BOOKED:
        raise Unmovable(
            f"{who} is {session.get_status_display().lower()}, so it cannot be moved and "
            "nothing was changed. Finish or cancel it first.",
            sessions=[session],
        )
    refused: ServiceError | None = None
    failed_days: set[date] = set()
    attempts = 0
    for slot, short in _candidates(session, moving):
        day = to_local(slot.starts_at).date()
        if day in failed_days:
            continue
        attempts += 1
        try:
            moved = services.session_reschedule(
                session=session,
                starts_at=slot.starts_at,
                room=Room.objects.get(pk=slot.room_id),
                confirm_short_interval=short,
                by=by,
                request=request,
            )
        except ServiceError as exc:  # refused on that day (a deferral, a race): try the next
            refused = exc
            failed_days.add(day)
            if attempts >= MAX_ATTEMPTS:
                break
            continue
        return Moved(session=moved, moved_from=session.starts_at)
    why = (
        refused.as_text()
        if refused
        else f"no free time that keeps its course's order and spacing in the {HORIZON_DAYS} "
        "days after it"
    )
    raise Unmovable(
        f"{who} could not be moved ({why}), so nothing was changed.", sessions=[session]
    )


def _candidates(session: Session, moving: frozenset[int]) -> Iterator[tuple[planner.Slot, bool]]:
    """Free starts for `session` at or after its own start, earliest first, that keep the
    course's order and spacing and the hard minimum from the patient's other courses; each
    with whether it is shorter than the usual interval from another course (allowed only when
    the session already was, which staff confirmed when they booked it). The session's own
    room is kept when it is in use and free."""
    tz = clinic_zone()
    course = session.course
    minimum = course.protocol.min_interval_days
    rows = list(
        course.sessions.filter(status__in=[*Session.ACTIVE, Session.Status.COMPLETED])
        .exclude(pk=session.pk)
        .values_list("pk", "number", "starts_at")
    )
    siblings = [start for _, _, start in rows]
    # A session keeps its place (number) in the course: after the sessions before it, before
    # those after it, wherever they are now; those still waiting to move go after it in turn.
    placed = [(number, start) for pk, number, start in rows if pk not in moving]
    earlier = [start for number, start in placed if number < session.number]
    later = [start for number, start in placed if number > session.number]
    after = max(earlier) if earlier else None
    before = min(later) if later else None
    others = spacing.other_sessions(course)
    was_short = bool(spacing.spacing_across_courses(course, [session.starts_at], others)[1])
    minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
    not_before = max(timezone.now(), session.starts_at)
    first = max(to_local(session.starts_at).date(), clinic_today())
    if after is not None:
        first = max(first, to_local(after).date())
    for offset in range(0, HORIZON_DAYS, CHUNK_DAYS):
        day_from = first + timedelta(days=offset)
        day_to = day_from + timedelta(days=CHUNK_DAYS - 1)
        window_start, window_end = selectors.local_day_bounds(day_from, day_to)
        inputs = selectors.planner_inputs(
            practitioner=session.practitioner,
            start=window_start,
            end=window_end,
            exclude_sessions=(session.pk,),
        )
        slots = inputs.free_starts(
            tz=tz,
            day_from=day_from,
            day_to=day_to,
            minutes=minutes,
            not_before=not_before,
        )
        for slot in slots:
            if before is not None and slot.starts_at >= before:
                return
            if after is not None and slot.starts_at <= after:
                continue
            if planner.spacing_violations(
                [*siblings, slot.starts_at], tz=tz, min_interval_days=minimum
            ):
                continue
            too_close, short = spacing.spacing_across_courses(course, [slot.starts_at], others)
            if too_close or (short and not was_short):
                continue
            yield slot.in_room(session.room_id, inputs.rooms), bool(short)
