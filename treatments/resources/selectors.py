"""Reads for the setup pages and endpoints, each in a fixed number of queries whatever the
number of rows (house style 10)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from treatments.scheduling.models import (
    Device,
    DeviceOutage,
    Practitioner,
    Protocol,
    Room,
    Session,
    TimeOff,
)


def _upcoming_sessions(prefix: str = "sessions") -> Count:
    """How many active sessions have not ended yet (an annotation on a room or a device)."""
    return Count(
        prefix,
        filter=Q(
            **{f"{prefix}__status__in": Session.ACTIVE, f"{prefix}__ends_at__gt": timezone.now()}
        ),
    )


def practitioners() -> QuerySet[Practitioner]:
    """Every practitioner with their account, hours, and time off that has not ended
    (`upcoming_time_off`): three queries."""
    return (
        Practitioner.objects.select_related("user")
        .prefetch_related(
            "working_hours",
            Prefetch(
                "time_off",
                queryset=TimeOff.objects.filter(ends_at__gt=timezone.now()).order_by("starts_at"),
                to_attr="upcoming_time_off",
            ),
        )
        .order_by("display_name", "pk")
    )


def practitioner(pk: int) -> Practitioner | None:
    """One practitioner for their setup page, with every time off, latest first
    (`all_time_off`)."""
    return (
        Practitioner.objects.select_related("user")
        .prefetch_related(
            "working_hours",
            Prefetch(
                "time_off", queryset=TimeOff.objects.order_by("-starts_at"), to_attr="all_time_off"
            ),
        )
        .filter(pk=pk)
        .first()
    )


def rooms() -> QuerySet[Room]:
    """Every room, with `upcoming` (its booked sessions not yet over): one query."""
    return Room.objects.annotate(upcoming=_upcoming_sessions()).order_by("name", "pk")


def devices() -> QuerySet[Device]:
    """Every device with `upcoming` sessions and its outages not yet over
    (`upcoming_outages`): two queries."""
    return (
        Device.objects.annotate(upcoming=_upcoming_sessions())
        .prefetch_related(
            Prefetch(
                "outages",
                queryset=DeviceOutage.objects.filter(ends_at__gt=timezone.now()).order_by(
                    "starts_at"
                ),
                to_attr="upcoming_outages",
            )
        )
        .order_by("name", "pk")
    )


def device(pk: int) -> Device | None:
    """One device for its setup page, with every outage, latest first (`all_outages`)."""
    return (
        Device.objects.prefetch_related(
            Prefetch(
                "outages",
                queryset=DeviceOutage.objects.order_by("-starts_at"),
                to_attr="all_outages",
            )
        )
        .filter(pk=pk)
        .first()
    )


def protocols(*, current_only: bool = False) -> QuerySet[Protocol]:
    """Protocol versions with `course_count` (courses planned on each version) and
    `versions` (how many versions its indication has): one query."""
    versions = (
        Protocol.objects.filter(indication=OuterRef("indication"))
        .order_by()
        .values("indication")
        .annotate(n=Count("pk"))
        .values("n")
    )
    found = Protocol.objects.select_related("created_by").annotate(
        course_count=Count("courses"), versions=Subquery(versions)
    )
    if current_only:
        found = found.current()
    return found.order_by("name", "indication", "-version")


def protocol_history(protocol: Protocol) -> QuerySet[Protocol]:
    """Every version of `protocol`'s indication, newest first."""
    return protocols().filter(indication=protocol.indication)


@dataclass(frozen=True)
class Overview:
    practitioners: list[Practitioner]
    rooms: list[Room]
    devices: list[Device]
    protocols: list[Protocol]


def overview() -> Overview:
    """What the Clinic setup page lists: seven queries, however many rows."""
    return Overview(
        practitioners=list(practitioners()),
        rooms=list(rooms()),
        devices=list(devices()),
        protocols=list(protocols(current_only=True)),
    )
