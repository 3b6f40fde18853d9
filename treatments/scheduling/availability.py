"""What is already taken around a few slots, loaded once, so a whole series is checked in a
fixed number of queries however many sessions it has (issue 13 item 3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import CharField, DateTimeField, F, IntegerField, Q, QuerySet, Value

from .models import Device, DeviceOutage, Room, Session, TimeOff, overlap_q

Span = tuple[datetime, datetime]


def _across(spans: Sequence[Span]) -> Q:
    """Rows (with `starts_at` and `ends_at`, of any length) overlapping the time from the
    first of `spans` to the last: for the small tables (time off, outages), whose few extra
    rows cost less than a condition per span to build."""
    return Q(starts_at__lt=max(end for _, end in spans), ends_at__gt=min(s for s, _ in spans))


def _overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    return other_start < end and start < other_end


@dataclass(frozen=True)
class Taken:
    """Time off, out-of-service periods and active sessions that overlap the slots asked
    about, and the ids of the clinic's active devices and rooms (lowest first). Checks are
    plain Python."""

    practitioner_id: int
    time_off: tuple[Span, ...]
    outages: tuple[tuple[int, datetime, datetime], ...]
    # (pk, practitioner, room, device, starts_at, ends_at), earliest first
    sessions: tuple[tuple[int, int, int, int | None, datetime, datetime], ...]
    devices: tuple[int, ...]
    rooms: tuple[int, ...] = ()

    def practitioner_off(self, start: datetime, end: datetime) -> bool:
        return any(_overlaps(start, end, s, e) for s, e in self.time_off)

    def device_out(self, device_id: int, start: datetime, end: datetime) -> bool:
        return any(d == device_id and _overlaps(start, end, s, e) for d, s, e in self.outages)

    def device_booked(self, device_id: int, start: datetime, end: datetime) -> bool:
        return any(
            row[3] == device_id and _overlaps(start, end, row[4], row[5]) for row in self.sessions
        )

    def clash(
        self, *, room_id: int, device_id: int | None, start: datetime, end: datetime
    ) -> str | None:
        """What the first clashing session (earliest) shares with the slot: "the
        practitioner", "the room" or "the device"; None when nothing clashes."""
        for _, practitioner_id, room, device, s, e in self.sessions:
            if not _overlaps(start, end, s, e):
                continue
            if practitioner_id == self.practitioner_id:
                return "the practitioner"
            if room == room_id:
                return "the room"
            if device_id is not None and device == device_id:
                return "the device"
        return None

    def busy_devices(self, start: datetime, end: datetime) -> set[int]:
        busy = {row[3] for row in self.sessions if _overlaps(start, end, row[4], row[5])}
        return busy | {d for d, s, e in self.outages if _overlaps(start, end, s, e)}


# What a row of `taken`'s one query is (its first column: text, which needs no conversion
# per row as a number would), and its columns.
SESSION, TIME_OFF, OUTAGE, DEVICE, ROOM = "s", "t", "o", "d", "r"
COLUMNS = ("t_kind", "t_id", "t_practitioner", "t_room", "t_device", "t_start", "t_end")


def _rows(
    queryset: QuerySet,
    kind: str,
    *,
    pk: str = "",
    practitioner: str = "",
    room: str = "",
    device: str = "",
    times: bool = True,
) -> QuerySet:
    """`queryset` as rows of `COLUMNS`: the fields named, NULL for the others."""

    def column(name: str) -> F | Value:
        return F(name) if name else Value(None, output_field=IntegerField())

    def time(name: str) -> F | Value:
        return F(name) if times else Value(None, output_field=DateTimeField())

    return (
        queryset.annotate(
            t_kind=Value(kind, output_field=CharField()),
            t_id=column(pk),
            t_practitioner=column(practitioner),
            t_room=column(room),
            t_device=column(device),
            t_start=time("starts_at"),
            t_end=time("ends_at"),
        )
        .order_by()
        .values_list(*COLUMNS)
    )


def taken(*, practitioner_id: int, spans: Sequence[Span], exclude: tuple[int, ...] = ()) -> Taken:
    """Everything that could clash with sessions in `spans`, in one query however many spans
    there are: every active session whose time overlaps one of them, whoever it is for (any
    may hold a device), the practitioner's time off and every device's outages overlapping
    them, and the active devices and rooms: the branches of one UNION ALL, told apart by a
    column."""
    if not spans:
        return Taken(practitioner_id, (), (), (), ())
    sessions = _rows(
        Session.objects.active()
        .filter(reduce(or_, (overlap_q(start, end) for start, end in spans)))
        .exclude(pk__in=exclude),
        SESSION,
        pk="pk",
        practitioner="practitioner_id",
        room="room_id",
        device="device_id",
    )
    time_off = _rows(
        TimeOff.objects.filter(_across(spans), practitioner_id=practitioner_id),
        TIME_OFF,
        practitioner="practitioner_id",
    )
    outages = _rows(DeviceOutage.objects.filter(_across(spans)), OUTAGE, device="device_id")
    devices = _rows(Device.objects.filter(active=True), DEVICE, device="pk", times=False)
    rooms = _rows(Room.objects.filter(active=True), ROOM, room="pk", times=False)
    found: dict[str, list[tuple]] = {kind: [] for kind in (SESSION, TIME_OFF, OUTAGE, DEVICE, ROOM)}
    # Earliest first, then by id (rooms and devices, with no time, last): sessions in this
    # order let a clash name the first session it meets.
    rows = sessions.union(time_off, outages, devices, rooms, all=True).order_by(
        "t_start", "t_id", "t_device", "t_room"
    )
    for row in rows:  # tuples; a slice leaves out the kind without a list per row
        found[row[0]].append(row[1:])
    return Taken(
        practitioner_id=practitioner_id,
        time_off=tuple((start, end) for *_, start, end in found[TIME_OFF]),
        outages=tuple((device, start, end) for *_, device, start, end in found[OUTAGE]),
        sessions=tuple(found[SESSION]),
        devices=tuple(row[3] for row in found[DEVICE]),
        rooms=tuple(row[2] for row in found[ROOM]),
    )
