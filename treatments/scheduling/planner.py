"""The series planner: which start times are free, and the earliest course of sessions that fits.

Pure logic (house style §3): plain data in, plain data out. No Django, no ORM and no clock; the
caller passes the clinic's zone, the earliest date and "now" (`not_before`). A service loads
working hours, time off, existing sessions, rooms and devices, calls this module and books the
result.

Business rules (DESIGN.md §5 flows 2-3 and §6 "Time"; clinical-reference.md §2.1 and §2.3):

* A session occupies the half-open interval ``[start, start + minutes)`` of real elapsed time.
  The slot length (numbing included, about 90 min, 120 min for face, neck and chest, §2.3) comes
  from the protocol; the planner never stretches or shrinks it across a daylight-saving change.
* Working hours, series spacing and "the same time as last session" are wall-clock rules in the
  clinic's zone. A series is expanded by local date and local time, never by adding weeks to a
  UTC instant, so a 10:00 course stays at 10:00 when the clocks change.
* Spacing between sessions counts local calendar days: at least the protocol's minimum interval
  (hard minimum, default 14 days), preferring its default interval (28 days) (§2.1). The hard
  minimum also holds against the patient's sessions in other courses on an overlapping area
  (``patient_sessions``): skin does not know which course needled it.
* Back-to-back is not a conflict: a session may start exactly when another one ends, matching the
  ``tstzrange(start, end, '[)')`` exclusion constraints in the database.

Internally every instant is converted to UTC before it is compared or added to. Python compares
and subtracts two datetimes that share a ``tzinfo`` by their wall clock, ignoring the offset,
which is wrong across a daylight-saving change.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from .intervals import Interval, Resource, Slot, WorkingWindow, to_utc

__all__ = [
    "DayNotKnown",
    "Interval",
    "NoFeasibleSeries",
    "Resource",
    "Slot",
    "WorkingWindow",
    "free_starts",
    "local_datetime",
    "plan_series",
    "spacing_violations",
    "window_span",
]


class NoFeasibleSeries(Exception):
    """No series fits the constraints; ``reason`` says why, in words staff can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DayNotKnown(Exception):
    """The search reached a date outside ``known_days``: the caller passed what is booked on
    some dates only, and must ask again with more."""

    def __init__(self, day: date) -> None:
        super().__init__(f"{day.isoformat()} is not among the known days")
        self.day = day


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The instant at which the clinic's clock shows ``at`` on ``day``, or None if it never does.

    * In a spring-forward gap (01:30 in London on 2026-03-29) the clock jumps over the time, so
      there is no such instant and nothing may be booked then: None.
    * In a fall-back fold (01:30 in London on 2026-10-25) the clock shows the time twice. We take
      the first occurrence (``fold=0``) because that is when anyone watching the clock would
      expect an appointment labelled "01:30", because it is also what ``zoneinfo`` and Django's
      ``make_aware``/form parsing produce for that label (so a session booked by hand lands on
      the same instant), and because one label then names exactly one instant, so a start time
      is never offered twice.

    The result is aware, in ``tz`` (for display). Convert it to UTC before comparing or adding:
    Python compares two datetimes sharing a ``tzinfo`` by wall clock, and (PEP 495) an
    ambiguous one never compares equal to a datetime in another zone.
    """
    if at.tzinfo is not None:
        raise ValueError("`at` is a wall-clock time: pass a naive time")
    candidate = datetime.combine(day, at.replace(fold=0), tzinfo=tz)
    round_trip = candidate.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != candidate.replace(tzinfo=None):
        return None
    return candidate


def _clock_reaches(day: date, at: time, tz: tzinfo) -> datetime:
    """The first instant (UTC) at which the clock on ``day`` shows ``at`` or later.

    This is where a working window opens or closes. For an existing time it is the first
    occurrence. For a time inside a spring-forward gap it is the moment the clock jumps: a window
    "until 01:30" on London's spring-forward night ends when the clock leaps from 01:00 to
    02:00, not at 02:30 by the new clock.
    """
    exact = local_datetime(day, at, tz)
    if exact is not None:
        return exact.astimezone(UTC)
    # Naive on purpose: this is the wall-clock label we are looking for, not an instant.
    wall = datetime.combine(day, at.replace(fold=0))
    # In a gap, fold=1 reads the label with the offset after the jump (an instant before the
    # jump) and fold=0 with the offset before it (an instant after the jump). Transitions fall
    # on whole seconds, so a binary search over seconds between the two finds the jump exactly.
    before = math.floor(wall.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    after = math.ceil(wall.replace(tzinfo=tz, fold=0).astimezone(UTC).timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        shown = datetime.fromtimestamp(middle, UTC).astimezone(tz).replace(tzinfo=None)
        if shown >= wall:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def window_span(day: date, window: WorkingWindow, tz: tzinfo) -> Interval:
    """The real time (UTC) a weekly working window covers on local ``day``: from when the
    clock first shows its start to when it first shows its end, so a window is an hour
    shorter on the spring-forward day and an hour longer on the fall-back day when it spans
    the change (the reports' working hours, `treatments.reports.hours`)."""
    return Interval(_clock_reaches(day, window.start, tz), _clock_reaches(day, window.end, tz))


def _first_free(resources: Sequence[tuple[int, list[Interval]]], session: Interval) -> int | None:
    """The lowest id among ``resources`` (already sorted by id) that is free for ``session``."""
    for resource_id, busy in resources:
        if not any(session.overlaps(interval) for interval in busy):
            return resource_id
    return None


def _overlapping(intervals: Iterable[Interval], span: Interval) -> list[Interval]:
    return [interval for interval in intervals if interval.overlaps(span)]


class _Busy:
    """Intervals sorted by start, with the latest end reached so far, so the ones that touch
    a day are found by bisection instead of a scan: a year of sessions stays cheap."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        self.items = sorted(intervals, key=lambda interval: interval.start)
        self.starts = [interval.start for interval in self.items]
        self.reach: list[datetime] = []
        for interval in self.items:
            latest = self.reach[-1] if self.reach else interval.end
            self.reach.append(max(latest, interval.end))

    def touching(self, span: Interval) -> list[Interval]:
        """The intervals that overlap ``span`` (back-to-back ones do not)."""
        last = bisect_left(self.starts, span.end)  # later ones start at or after its end
        first = bisect_right(self.reach, span.start)  # earlier ones all end by its start
        return _overlapping(self.items[first:last], span)


@dataclass(frozen=True)
class _Calendar:
    """Everything that decides whether a start is free, prepared once for many days."""

    tz: tzinfo
    windows: dict[int, tuple[WorkingWindow, ...]]
    blocked: _Busy
    rooms: tuple[tuple[int, _Busy], ...]
    devices: tuple[tuple[int, _Busy], ...]
    length: timedelta
    step: timedelta
    not_before: datetime | None

    @classmethod
    def build(
        cls,
        *,
        tz: tzinfo,
        working_hours: Iterable[WorkingWindow],
        time_off: Iterable[Interval],
        practitioner_busy: Iterable[Interval],
        rooms: Iterable[Resource],
        devices: Iterable[Resource],
        minutes: int,
        step_minutes: int,
        not_before: datetime | None,
    ) -> _Calendar:
        if not isinstance(tz, tzinfo):
            raise TypeError("tz must be a tzinfo, such as ZoneInfo('Europe/London')")
        if minutes <= 0:
            raise ValueError(f"minutes must be positive, got {minutes}")
        if step_minutes <= 0:
            raise ValueError(f"step_minutes must be positive, got {step_minutes}")
        windows: dict[int, list[WorkingWindow]] = {}
        for window in working_hours:
            windows.setdefault(window.weekday, []).append(window)
        return cls(
            tz=tz,
            windows={
                weekday: tuple(sorted(found, key=lambda w: (w.start, w.end)))
                for weekday, found in windows.items()
            },
            blocked=_Busy((*time_off, *practitioner_busy)),
            rooms=tuple((r.id, _Busy(r.busy)) for r in sorted(rooms, key=lambda r: r.id)),
            devices=tuple((d.id, _Busy(d.busy)) for d in sorted(devices, key=lambda d: d.id)),
            length=timedelta(minutes=minutes),
            step=timedelta(minutes=step_minutes),
            not_before=None if not_before is None else to_utc(not_before, "not_before"),
        )

    def starts_on(self, day: date, extra_busy: Sequence[Interval] = ()) -> list[Slot]:
        """Free starts whose local date is ``day``, earliest first, one per instant.

        Starts sit on a wall-clock grid of ``step`` from each window's start. A label the clock
        skips (spring forward) is not offered; a label the clock shows twice (fall back) is
        offered once, at its first occurrence. The session must end (after ``length`` of real
        time) no later than the window closes.
        """
        windows = self.windows.get(day.weekday(), ())
        if not windows or not self.rooms:
            return []
        edges = [
            (
                window,
                _clock_reaches(day, window.start, self.tz),
                _clock_reaches(day, window.end, self.tz),
            )
            for window in windows
        ]
        # Look only at what touches this day's working hours; a year of sessions stays cheap.
        day_span = Interval(min(e[1] for e in edges), max(e[2] for e in edges))
        blocked = [*self.blocked.touching(day_span), *_overlapping(extra_busy, day_span)]
        rooms = [(room_id, busy.touching(day_span)) for room_id, busy in self.rooms]
        devices = [(device_id, busy.touching(day_span)) for device_id, busy in self.devices]

        found: dict[datetime, Slot] = {}
        for window, opens, closes in edges:
            # Naive on purpose: the grid is made of wall-clock labels on this local date.
            label = datetime.combine(day, window.start)
            last = datetime.combine(day, window.end)
            while label < last:
                local = local_datetime(day, label.time(), self.tz)
                label += self.step
                if local is None:
                    continue  # in the spring-forward gap: the clock never shows this time
                start = local.astimezone(UTC)
                end = start + self.length
                if start < opens or end > closes or start in found:
                    continue
                if self.not_before is not None and start < self.not_before:
                    continue
                session = Interval(start, end)
                if any(session.overlaps(busy) for busy in blocked):
                    continue
                room_id = _first_free(rooms, session)
                if room_id is None:
                    continue
                device_id = None
                if devices:
                    device_id = _first_free(devices, session)
                    if device_id is None:
                        continue
                found[start] = Slot(start, end, room_id, device_id)
        return [found[start] for start in sorted(found)]


def _dates(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def free_starts(
    *,
    tz: ZoneInfo,
    day_from: date,
    day_to: date,
    minutes: int,
    working_hours: Iterable[WorkingWindow],
    time_off: Iterable[Interval],
    practitioner_busy: Iterable[Interval],
    rooms: Iterable[Resource],
    devices: Iterable[Resource],
    step_minutes: int = 15,
    not_before: datetime | None = None,
) -> list[Slot]:
    """Every start on the local dates ``day_from``..``day_to`` (inclusive) where a session fits.

    A start qualifies when, on a ``step_minutes`` grid counted in wall-clock time from the start
    of a working window, the whole session ``[start, start + minutes)`` lies inside that one
    window; it overlaps no time off and nothing the practitioner is already doing; some room is
    free and, when devices are given, some device is free (the slot names the lowest free id of
    each); and it is not earlier than ``not_before`` (pass "now" so the past is never offered).

    Results are sorted by start, with no instant repeated (overlapping windows on one day do not
    produce the same start twice).
    """
    if day_to < day_from:
        raise ValueError(f"day_to ({day_to}) is before day_from ({day_from})")
    calendar = _Calendar.build(
        tz=tz,
        working_hours=working_hours,
        time_off=time_off,
        practitioner_busy=practitioner_busy,
        rooms=rooms,
        devices=devices,
        minutes=minutes,
        step_minutes=step_minutes,
        not_before=not_before,
    )
    return [slot for day in _dates(day_from, day_to) for slot in calendar.starts_on(day)]


def _closest_to(options: Sequence[Slot], target: time, tz: tzinfo) -> Slot:
    """The option whose local time of day is nearest ``target``; the earlier one wins a tie.

    Distance is measured on the wall clock, so "10:00 again" means 10:00 by the clinic's clock
    even on a day the clocks change (and even if 10:00 itself does not exist that day).
    """

    def distance(slot: Slot) -> tuple[timedelta, datetime]:
        local = slot.starts_at.astimezone(tz)
        wanted = datetime.combine(local.date(), target)
        return abs(local.replace(tzinfo=None) - wanted), slot.starts_at

    return min(options, key=distance)


def plan_series(
    *,
    tz: ZoneInfo,
    working_hours: Iterable[WorkingWindow],
    time_off: Iterable[Interval],
    practitioner_busy: Iterable[Interval],
    rooms: Iterable[Resource],
    devices: Iterable[Resource],
    sessions: int,
    interval_days: int,
    min_interval_days: int,
    minutes: int,
    earliest: date,
    not_before: datetime | None = None,
    step_minutes: int = 15,
    horizon_days: int = 366,
    patient_sessions: Iterable[datetime] = (),
    patient_min_interval_days: int | None = None,
    known_days: Collection[date] | None = None,
) -> list[Slot]:
    """The earliest feasible course of ``sessions`` sessions (DESIGN.md §5 flow 2).

    * Session 1 is the earliest free start (see `free_starts`) on or after ``earliest`` (and
      not before ``not_before``).
    * Session k+1 is wanted on the local date of session k plus ``interval_days`` (the
      protocol's default, 28 days in clinical-reference.md §2.1). If that date has no free
      start, the following dates are tried in turn, never an earlier one. On the chosen date the
      same local time of day as session 1 is preferred; failing that, the free start nearest to
      it on the wall clock, the earlier on a tie.
    * Spacing is counted in local calendar days and is never less than ``min_interval_days``
      (the hard minimum, §2.1), so a series keeps its wall-clock time across daylight-saving
      changes while its UTC hour moves.
    * Sessions of one series never overlap each other.
    * No session falls on a local date fewer than ``patient_min_interval_days`` (by default
      ``min_interval_days``) calendar days before or after any of ``patient_sessions``: the
      starts of the patient's active or completed sessions in other courses that share an area
      with this one. Such dates are skipped like full ones, so the series moves later.

    Each session is searched for on at most ``horizon_days`` dates, starting from the date it is
    wanted. Raises ValueError for nonsensical arguments and NoFeasibleSeries, with a reason, when
    no series fits.

    ``known_days``, when given, are the only local dates whose bookings the other arguments
    describe in full: a search that would look at any other working day raises DayNotKnown
    instead (a day without working hours needs nothing), so a series found is the one the
    whole calendar would give.
    """
    if sessions < 1:
        raise ValueError(f"sessions must be at least 1, got {sessions}")
    if minutes <= 0:
        raise ValueError(f"minutes must be positive, got {minutes}")
    if min_interval_days < 1:
        raise ValueError(f"min_interval_days must be at least 1, got {min_interval_days}")
    if interval_days < min_interval_days:
        raise ValueError(
            f"interval_days ({interval_days}) is shorter than the minimum interval "
            f"({min_interval_days} days)"
        )
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")
    if patient_min_interval_days is None:
        patient_min_interval_days = min_interval_days
    if patient_min_interval_days < 1:
        raise ValueError(
            f"patient_min_interval_days must be at least 1, got {patient_min_interval_days}"
        )
    other_days = sorted(
        {
            to_utc(start, f"patient_sessions[{i}]").astimezone(tz).date()
            for i, start in enumerate(patient_sessions)
        }
    )
    working_hours = tuple(working_hours)
    rooms = tuple(rooms)
    calendar = _Calendar.build(
        tz=tz,
        working_hours=working_hours,
        time_off=time_off,
        practitioner_busy=practitioner_busy,
        rooms=rooms,
        devices=devices,
        minutes=minutes,
        step_minutes=step_minutes,
        not_before=not_before,
    )
    if not working_hours:
        raise NoFeasibleSeries("no working hours")
    if not rooms:
        raise NoFeasibleSeries("no rooms")

    worked = set(calendar.windows)
    first_day = earliest
    if calendar.not_before is not None:
        first_day = max(earliest, calendar.not_before.astimezone(tz).date())

    chosen: list[Slot] = []
    target: time | None = None
    for number in range(1, sessions + 1):
        if target is None:
            wanted_day = first_day
        else:
            wanted_day = chosen[-1].starts_at.astimezone(tz).date() + timedelta(days=interval_days)
        # The practitioner cannot be in two of this series' sessions at once either.
        series_busy = [slot.interval for slot in chosen]
        slot: Slot | None = None
        for day in _dates(wanted_day, wanted_day + timedelta(days=horizon_days - 1)):
            if _too_close(day, other_days, patient_min_interval_days):
                continue
            if known_days is not None and day not in known_days and day.weekday() in worked:
                raise DayNotKnown(day)
            options = calendar.starts_on(day, series_busy)
            if options:
                slot = options[0] if target is None else _closest_to(options, target, tz)
                break
        if slot is None:
            apart = patient_min_interval_days if other_days else None
            raise NoFeasibleSeries(
                _no_slot_reason(number, horizon_days, wanted_day, calendar, apart)
            )
        if target is None:
            target = slot.starts_at.astimezone(tz).time()
        chosen.append(slot)
    return chosen


def _too_close(day: date, others: Sequence[date], min_days: int) -> bool:
    """Whether ``day`` is fewer than ``min_days`` local calendar days from any of ``others``."""
    return any(abs((day - other).days) < min_days for other in others)


def _no_slot_reason(
    number: int, horizon_days: int, wanted_day: date, calendar: _Calendar, apart: int | None
) -> str:
    reason = (
        f"session {number} has no free slot within {horizon_days} days "
        f"from {wanted_day.isoformat()}"
    )
    if apart is not None:
        reason += f" at least {apart} days from the patient's sessions in other courses"
    longest = max(
        datetime.combine(wanted_day, window.end) - datetime.combine(wanted_day, window.start)
        for windows in calendar.windows.values()
        for window in windows
    )
    if calendar.length > longest:
        minutes = int(calendar.length.total_seconds() // 60)
        reason += f": a {minutes}-minute session is longer than every working window"
    return reason


def spacing_violations(
    starts: Sequence[datetime], *, tz: ZoneInfo, min_interval_days: int
) -> list[int]:
    """Where sessions booked or moved by hand come too close together (clinical-reference §2.1).

    The starts are sorted by instant; the answer lists each index ``i`` (1 or more, into that
    sorted order, which is the given order for a chronological series) whose local date in
    ``tz`` is fewer than ``min_interval_days`` calendar days after the previous session's.
    Counting local dates, not 24-hour periods, means an evening session and a morning one
    14 local days later are 14 days apart whatever the UTC dates or a clock change say.
    """
    if min_interval_days < 1:
        raise ValueError(f"min_interval_days must be at least 1, got {min_interval_days}")
    ordered = sorted(to_utc(start, f"starts[{i}]") for i, start in enumerate(starts))
    days = [start.astimezone(tz).date() for start in ordered]
    return [i for i in range(1, len(days)) if (days[i] - days[i - 1]).days < min_interval_days]
