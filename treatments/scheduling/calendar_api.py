"""Calendar and reference-data endpoints (DESIGN.md §7): protocols, practitioners and rooms,
the session calendar, and a practitioner's free start times. Reads only: bookings and moves
go through treatments.scheduling.api and treatments.scheduling.services.

Ranges are half-open, `[start, end)`. A bare date names the local midnight that opens that day
in the clinic's zone (CLINIC_TIME_ZONE), so `start=2026-03-02&end=2026-03-09` is the local week
Monday 2 to Sunday 8 March, whatever the daylight-saving offset.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import audit
from clinic.api import ERRORS, query_bool
from clinic.clock import clinic_zone, outside_date_window

from . import planner, selectors
from .models import Practitioner, Protocol, Room, Session, WorkingHours
from .serializers import SessionSerializer

MAX_CALENDAR_DAYS = 62
MAX_AVAILABILITY_DAYS = 31
DEFAULT_MINUTES = 90
BIGINT_MAX = 2**63 - 1

ACTIVE_PARAMETER = OpenApiParameter(
    "active", bool, description="Only active (true) or only inactive (false) ones"
)


# --- Input -----------------------------------------------------------------------------------

# The schema's promise; the parser also takes what Python's ISO 8601 reader takes.
INSTANT_PATTERN = (
    r"^\d{4}-\d{2}-\d{2}"
    r"([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?))?$"
)
# An unencoded "+" in a query string arrives as a space: "2026-03-02T10:00:00 01:00".
_SPACED_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


@extend_schema_field(
    {
        "type": "string",
        "pattern": INSTANT_PATTERN,
        "example": "2026-03-02",
        "description": "A date (local midnight in the clinic's zone) or an ISO 8601 date-time "
        "with its UTC offset.",
    }
)
class InstantField(serializers.Field):
    """A date (the local midnight that opens it, in the clinic's zone) or an aware date-time.

    A date-time without an offset is refused: it names no instant (house style §9).
    """

    default_error_messages = {
        "invalid": "Give a date (YYYY-MM-DD) or a date-time with its UTC offset, "
        "e.g. 2026-03-02T09:00:00+00:00.",
        "naive": "Give the time with its UTC offset, e.g. 2026-03-02T09:00:00+00:00.",
    }

    def to_internal_value(self, data) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        text = _SPACED_OFFSET.sub(r"\1+\2", data.strip())
        try:
            day = parse_date(text)
            moment = None if day is not None else parse_datetime(text)
        except ValueError:  # well formed, but no such date (2026-02-30)
            self.fail("invalid")
        if day is not None:
            if problem := outside_date_window(day):
                raise serializers.ValidationError(problem)
            return datetime.combine(day, time.min, tzinfo=clinic_zone())
        if moment is None:
            self.fail("invalid")
        if moment.tzinfo is None or moment.utcoffset() is None:
            self.fail("naive")
        if problem := outside_date_window(moment.date()):
            raise serializers.ValidationError(problem)
        return moment

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


def wall_clock_days(start: datetime, end: datetime) -> timedelta:
    """How far apart two instants are on the clinic's wall clock (a 25-hour local day counts
    as one day, so "at most 31 days" means 31 local days in any season)."""
    tz = clinic_zone()
    return end.astimezone(tz).replace(tzinfo=None) - start.astimezone(tz).replace(tzinfo=None)


class RangeQuery(serializers.Serializer):
    start = InstantField(help_text="Start of the range (inclusive).")
    end = InstantField(help_text="End of the range (exclusive).")

    max_days = MAX_CALENDAR_DAYS

    def validate(self, attrs: dict) -> dict:
        start, end = attrs["start"], attrs["end"]
        if end <= start:
            raise serializers.ValidationError({"end": ["Must be after start."]})
        if wall_clock_days(start, end) > timedelta(days=self.max_days):
            raise serializers.ValidationError(
                {"end": [f"The range may cover at most {self.max_days} days."]}
            )
        return attrs


class SessionsQuery(RangeQuery):
    practitioner = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=BIGINT_MAX,
        help_text="Only this practitioner's sessions (all practitioners when left out).",
    )


class AvailabilityQuery(RangeQuery):
    minutes = serializers.IntegerField(
        required=False,
        default=DEFAULT_MINUTES,
        min_value=15,
        max_value=480,
        help_text="Length of the session to fit, numbing included.",
    )

    max_days = MAX_AVAILABILITY_DAYS


# --- Output ----------------------------------------------------------------------------------


class ProtocolSerializer(serializers.ModelSerializer):
    class Meta:
        model = Protocol
        fields = [
            "id",
            "indication",
            "name",
            "default_sessions",
            "default_interval_days",
            "min_interval_days",
            "session_minutes",
            "depth_ranges",
            "notes",
            "version",
        ]


class WorkingHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end"]


class PractitionerSerializer(serializers.ModelSerializer):
    """Never the calendar token: it is the credential of the practitioner's .ics feed."""

    working_hours = WorkingHoursSerializer(many=True, read_only=True)

    class Meta:
        model = Practitioner
        fields = ["id", "display_name", "active", "working_hours"]


class RoomSerializer(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "name", "active"]


class CalendarSessionSerializer(SessionSerializer):
    """One session as a calendar shows it; needs Session.objects.for_calendar()."""

    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    room_name = serializers.CharField(source="room.name", read_only=True)

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "patient_name", "room_name"]


class FreeStartSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    room = serializers.IntegerField(source="room_id")
    device = serializers.IntegerField(source="device_id", allow_null=True)


class AvailabilitySerializer(serializers.Serializer):
    starts = FreeStartSerializer(many=True)


# --- Views -----------------------------------------------------------------------------------


def _filter_active(request, queryset):
    if "active" in request.query_params:
        return queryset.filter(active=query_bool(request, "active"))
    return queryset


class ProtocolListView(GenericAPIView):
    """The current version of each protocol: the ones new courses are planned with."""

    serializer_class = ProtocolSerializer
    queryset = Protocol.objects.current().order_by("name", "id")

    @extend_schema(responses={200: ProtocolSerializer(many=True), **ERRORS})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ProtocolSerializer(page, many=True).data)


class PractitionerListView(GenericAPIView):
    serializer_class = PractitionerSerializer
    queryset = Practitioner.objects.prefetch_related("working_hours").order_by("display_name", "id")

    @extend_schema(
        parameters=[ACTIVE_PARAMETER],
        responses={200: PractitionerSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        page = self.paginate_queryset(_filter_active(request, self.get_queryset()))
        return self.get_paginated_response(PractitionerSerializer(page, many=True).data)


class RoomListView(GenericAPIView):
    serializer_class = RoomSerializer
    queryset = Room.objects.order_by("name", "id")

    @extend_schema(
        parameters=[ACTIVE_PARAMETER], responses={200: RoomSerializer(many=True), **ERRORS}
    )
    def get(self, request):
        page = self.paginate_queryset(_filter_active(request, self.get_queryset()))
        return self.get_paginated_response(RoomSerializer(page, many=True).data)


class SessionCalendarView(GenericAPIView):
    """Sessions of every status overlapping `[start, end)`, earliest first, paged."""

    serializer_class = CalendarSessionSerializer
    queryset = Session.objects.none()

    @extend_schema(
        parameters=[SessionsQuery],
        responses={200: CalendarSessionSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        query = SessionsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        practitioner = None
        if "practitioner" in query.validated_data:
            practitioner = get_object_or_404(Practitioner, pk=query.validated_data["practitioner"])
        sessions = selectors.sessions_between(
            start=query.validated_data["start"],
            end=query.validated_data["end"],
            practitioner=practitioner,
        )
        page = self.paginate_queryset(sessions.for_api_list())
        audit.record_many(
            actor=request.user, action=audit.Action.LIST, objects=page, request=request
        )
        return self.get_paginated_response(CalendarSessionSerializer(page, many=True).data)


class AvailabilityView(APIView):
    """Free start times: the planner over the practitioner's hours, time off, sessions and the
    clinic's rooms and devices. The past is never offered; an inactive practitioner has none."""

    @extend_schema(
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="Practitioner id"),
            AvailabilityQuery,
        ],
        responses={200: AvailabilitySerializer, **ERRORS},
    )
    def get(self, request, id: int):
        practitioner = get_object_or_404(Practitioner, pk=id)
        query = AvailabilityQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        starts: list[planner.Slot] = []
        if practitioner.active:
            starts = _free_starts(practitioner, start, end, query.validated_data["minutes"])
        return Response(AvailabilitySerializer({"starts": starts}).data)


def _free_starts(
    practitioner: Practitioner, start: datetime, end: datetime, minutes: int
) -> list[planner.Slot]:
    tz = clinic_zone()
    day_from = start.astimezone(tz).date()
    day_to = (end - timedelta(microseconds=1)).astimezone(tz).date()
    # Working windows close on the day they open, so whole local days hold every session.
    window_start, window_end = selectors.local_day_bounds(day_from, day_to)
    inputs = selectors.planner_inputs(practitioner=practitioner, start=window_start, end=window_end)
    slots = inputs.free_starts(
        tz=tz,
        day_from=day_from,
        day_to=day_to,
        minutes=minutes,
        not_before=max(timezone.now(), start),
    )
    return [slot for slot in slots if slot.starts_at < end]
