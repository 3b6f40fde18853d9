"""The planner's plain data: half-open intervals of real time, working windows on the wall
clock, bookable resources and proposed slots. Every instant is kept in UTC (see
`treatments.scheduling.planner` for why)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

# Zones whose wall clock is UTC: an instant in one is kept as it is, which spares a
# conversion per row when a year of sessions comes from the database (already in UTC).
_UTC_ZONES = (UTC, ZoneInfo("UTC"))


def to_utc(value: datetime, name: str) -> datetime:
    """The same instant in UTC; naive datetimes are refused because they name no instant."""
    if type(value) is datetime and value.tzinfo in _UTC_ZONES:
        return value
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Interval:
    """A half-open span of time ``[start, end)`` between two instants.

    Any zone may be passed in; both ends are stored in UTC so that comparisons are between
    instants, never wall clocks. An empty interval (``start == end``) overlaps nothing, like an
    empty ``tstzrange`` in PostgreSQL.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start = to_utc(self.start, "Interval.start")
        end = to_utc(self.end, "Interval.end")
        if end < start:
            raise ValueError(
                f"an interval cannot end ({end.isoformat()}) before it starts ({start.isoformat()})"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @classmethod
    def from_database(cls, start: datetime, end: datetime) -> Interval:
        """An interval from a row whose ends the database returned in UTC with the end not
        before the start (a check constraint says so): kept as they are, without the checks
        of every other construction, for the thousands of rows a planner's window holds."""
        if not (start.tzinfo in _UTC_ZONES and end.tzinfo in _UTC_ZONES and start <= end):
            return cls(start, end)
        interval = object.__new__(cls)
        object.__setattr__(interval, "start", start)
        object.__setattr__(interval, "end", end)
        return interval

    def overlaps(self, other: Interval) -> bool:
        """Whether the two share an instant; ``a.end == b.start`` (back-to-back) does not."""
        if self.start == self.end or other.start == other.end:
            return False
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class WorkingWindow:
    """One stretch of weekly working hours, in wall-clock time in the clinic's zone.

    ``weekday`` is 0 for Monday. A window lies within one local day (``start < end``); a day
    may have several windows (morning and afternoon, say). A session must fit inside one of
    them: two windows that touch are not joined, because the gap between "until 12:00" and
    "from 12:00" is usually a break someone meant to keep.
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("working hours are wall-clock times: pass naive times, not aware ones")
        if not self.start < self.end:
            raise ValueError(
                f"a working window must end after it starts on the same day, got "
                f"{self.start.isoformat()}-{self.end.isoformat()}"
            )


@dataclass(frozen=True)
class Resource:
    """A room or a device, with the intervals it is unavailable (sessions, out of service)."""

    id: int
    busy: tuple[Interval, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "busy", tuple(self.busy))


@dataclass(frozen=True)
class Slot:
    """A proposed session: when (UTC instants), in which room, on which device (if any)."""

    starts_at: datetime
    ends_at: datetime
    room_id: int
    device_id: int | None

    def __post_init__(self) -> None:
        starts_at = to_utc(self.starts_at, "Slot.starts_at")
        ends_at = to_utc(self.ends_at, "Slot.ends_at")
        if not starts_at < ends_at:
            raise ValueError("a slot must end after it starts")
        object.__setattr__(self, "starts_at", starts_at)
        object.__setattr__(self, "ends_at", ends_at)

    @property
    def interval(self) -> Interval:
        return Interval(self.starts_at, self.ends_at)

    def in_room(self, room_id: int, rooms: Sequence[Resource]) -> Slot:
        """This slot in `room_id` instead when that room is in use and free then (a session
        moved keeps its own room where it can); else this slot as it is."""
        for room in rooms:
            if room.id == room_id and not any(self.interval.overlaps(b) for b in room.busy):
                return Slot(self.starts_at, self.ends_at, room_id, self.device_id)
        return self
