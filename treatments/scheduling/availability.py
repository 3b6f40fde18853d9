"""What is already taken around a few slots, loaded once, so a whole series is checked in a
fixed number of queries however many sessions it has (issue 13 item 3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import F, FilteredRelation, IntegerField, Q, Value

from .models import Device, Session, TimeOff, overlap_q

Span = tuple[datetime, datetime]


def _any_overlap(spans: Sequence[Span], prefix: str = "") -> Q:
    """Rows (with `starts_at` and `ends_at`, of any length) overlapping any of `spans`."""
    starts, ends = f"{prefix}starts_at__lt", f"{prefix}ends_at__gt"
    return reduce(or_, (Q(**{starts: end, ends: start}) for start, end in spans))


def _overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    return other_start < end and start < other_end


@dataclass(frozen=True)
class Taken:
    """Time off, out-of-service periods and active sessions that overlap the slots asked
    about, and the clinic's active devices (lowest id first). Checks are plain Python."""

    practitioner_id: int
    time_off: tuple[Span, ...]
    outages: tuple[tuple[int, datetime, datetime], ...]
    # (pk, practitioner, room, device, starts_at, ends_at), earliest first
    sessions: tuple[tuple[int, int, int, int | None, datetime, datetime], ...]
    devices: tuple[Device, ...]

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


def taken(*, practitioner_id: int, spans: Sequence[Span], exclude: tuple[int, ...] = ()) -> Taken:
    """Everything that could clash with sessions in `spans` (all sessions whose time overlaps
    one of them, whoever they are for, since any may hold a device): two queries. The
    practitioner's time off comes with the sessions (rows with no id), and every device
    with its outages in `spans` (a left join)."""
    if not spans:
        return Taken(practitioner_id, (), (), (), ())
    no_id = Value(None, output_field=IntegerField())
    sessions = (
        Session.objects.active()
        .filter(reduce(or_, (overlap_q(start, end) for start, end in spans)))
        .exclude(pk__in=exclude)
        .order_by()
        .values_list("pk", "practitioner_id", "room_id", "device_id", "starts_at", "ends_at")
    )
    time_off = (
        TimeOff.objects.filter(_any_overlap(spans), practitioner_id=practitioner_id)
        .annotate(no_session=no_id, no_room=no_id, no_device=no_id)
        .order_by()
        .values_list(
            "no_session", "practitioner_id", "no_room", "no_device", "starts_at", "ends_at"
        )
    )
    busy = sessions.union(time_off, all=True).order_by("starts_at", "pk")
    devices = (
        Device.objects.annotate(
            out=FilteredRelation("outages", condition=_any_overlap(spans, "outages__"))
        )
        .annotate(out_starts_at=F("out__starts_at"), out_ends_at=F("out__ends_at"))
        .order_by("pk")
    )
    rows = list(busy)
    found: dict[int, Device] = {}
    outages = []
    for device in devices:
        found.setdefault(device.pk, device)
        if device.out_starts_at is not None:
            outages.append((device.pk, device.out_starts_at, device.out_ends_at))
    return Taken(
        practitioner_id=practitioner_id,
        time_off=tuple((row[4], row[5]) for row in rows if row[0] is None),
        outages=tuple(outages),
        sessions=tuple(row for row in rows if row[0] is not None),
        devices=tuple(device for device in found.values() if device.active),
    )
