"""API shapes for the clinic's setup; the rules live in `treatments.resources.services`.

Inputs are strict (a string is not a number, 1 is not true); a blank name or a number out of
range is the service's to refuse, with every other problem in the same answer. An update takes
any subset of its fields (the others keep their values). `move_affected` confirms moving the booked
sessions a change would strand; without it such a change is a 409 listing them.
"""

from __future__ import annotations

from rest_framework import serializers

from clinic.fields import (
    AwareDateTimeField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    WallClockTimeField,
)
from treatments.scheduling.models import (
    Device,
    DeviceOutage,
    Practitioner,
    Protocol,
    Room,
    Session,
    TimeOff,
    WorkingHours,
)

from .services.protocols import LIMITS, NOTES_MAX

BIGINT_MAX = 2**63 - 1
MOVE_HELP = (
    "Move the booked sessions this change would strand, each to its first free time at or "
    "after its own (all or none). Without it such a change is a 409 listing them, code "
    '"strands_sessions".'
)


def move_affected() -> StrictBooleanField:
    return StrictBooleanField(default=False, write_only=True, help_text=MOVE_HELP)


# --- Output ----------------------------------------------------------------------------------


class StrandedSessionSerializer(serializers.ModelSerializer):
    """A booked session a change would strand (or has moved), with a link to its page."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = serializers.UUIDField(source="patient.public_id", read_only=True)
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    practitioner = serializers.IntegerField(source="practitioner_id", read_only=True)
    room = serializers.IntegerField(source="room_id", read_only=True)
    device = serializers.IntegerField(source="device_id", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "patient",
            "patient_name",
            "number",
            "starts_at",
            "ends_at",
            "status",
            "practitioner",
            "room",
            "device",
            "url",
        ]

    def get_url(self, session: Session) -> str:
        return f"/sessions/{session.public_id}/"


class MovedSessionSerializer(serializers.Serializer):
    session = StrandedSessionSerializer(read_only=True)
    moved_from = serializers.DateTimeField(read_only=True)


class MovedSerializer(serializers.Serializer):
    moved_sessions = MovedSessionSerializer(many=True, read_only=True)


class StrandedErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField(
        help_text='"strands_sessions" (confirm with move_affected), "cannot_move" (one of them '
        'could not be moved: nothing changed) or "conflict".'
    )
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    sessions = StrandedSessionSerializer(
        many=True, required=False, help_text="The booked sessions the change would strand."
    )


class StrandedErrorSerializer(serializers.Serializer):
    """A 409 in the one error shape; a change that would strand booked sessions lists them."""

    error = StrandedErrorDetailSerializer()


class SetupWorkingHoursSerializer(serializers.ModelSerializer):
    start = WallClockTimeField(read_only=True)
    end = WallClockTimeField(read_only=True)

    class Meta:
        model = WorkingHours
        fields = ["id", "practitioner", "weekday", "start", "end"]
        read_only_fields = fields


class SetupTimeOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimeOff
        fields = ["id", "practitioner", "starts_at", "ends_at", "reason"]
        read_only_fields = fields


class SetupPractitionerSerializer(serializers.ModelSerializer):
    """Never the calendar token: it is the credential of the practitioner's .ics feed."""

    username = serializers.CharField(source="user.username", read_only=True)
    working_hours = SetupWorkingHoursSerializer(many=True, read_only=True)
    upcoming_time_off = SetupTimeOffSerializer(many=True, read_only=True)

    class Meta:
        model = Practitioner
        fields = ["id", "user", "username", "display_name", "active", "working_hours",
                  "upcoming_time_off"]  # fmt: skip
        read_only_fields = fields


class SetupRoomSerializer(serializers.ModelSerializer):
    upcoming_sessions = serializers.IntegerField(source="upcoming", read_only=True)

    class Meta:
        model = Room
        fields = ["id", "name", "active", "upcoming_sessions"]
        read_only_fields = fields


class SetupOutageSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeviceOutage
        fields = ["id", "device", "starts_at", "ends_at", "reason"]
        read_only_fields = fields


class SetupDeviceSerializer(serializers.ModelSerializer):
    upcoming_sessions = serializers.IntegerField(source="upcoming", read_only=True)
    upcoming_outages = SetupOutageSerializer(many=True, read_only=True)

    class Meta:
        model = Device
        fields = ["id", "name", "manufacturer", "model", "serial", "regulatory_status", "active",
                  "upcoming_sessions", "upcoming_outages"]  # fmt: skip
        read_only_fields = fields


class SetupProtocolSerializer(serializers.ModelSerializer):
    course_count = serializers.IntegerField(read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Protocol
        fields = ["id", "indication", "version", "is_current", "name", "default_sessions",
                  "default_interval_days", "min_interval_days", "session_minutes",
                  "depth_ranges", "notes", "created_at", "created_by", "course_count"]  # fmt: skip
        read_only_fields = fields


# The writes' answers: the row as saved, and the sessions the change moved.
class SetupWorkingHoursChangeSerializer(SetupWorkingHoursSerializer, MovedSerializer):
    class Meta(SetupWorkingHoursSerializer.Meta):
        fields = [*SetupWorkingHoursSerializer.Meta.fields, "moved_sessions"]


class SetupTimeOffChangeSerializer(SetupTimeOffSerializer, MovedSerializer):
    class Meta(SetupTimeOffSerializer.Meta):
        fields = [*SetupTimeOffSerializer.Meta.fields, "moved_sessions"]


class SetupRoomChangeSerializer(SetupRoomSerializer, MovedSerializer):
    class Meta(SetupRoomSerializer.Meta):
        fields = [*SetupRoomSerializer.Meta.fields, "moved_sessions"]


class SetupDeviceChangeSerializer(SetupDeviceSerializer, MovedSerializer):
    class Meta(SetupDeviceSerializer.Meta):
        fields = [*SetupDeviceSerializer.Meta.fields, "moved_sessions"]


class SetupOutageChangeSerializer(SetupOutageSerializer, MovedSerializer):
    class Meta(SetupOutageSerializer.Meta):
        fields = [*SetupOutageSerializer.Meta.fields, "moved_sessions"]


# --- Input -----------------------------------------------------------------------------------


class PractitionerCreateInputSerializer(serializers.Serializer):
    user = StrictIntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        help_text="An active staff account with the practitioner role, not linked yet.",
    )
    display_name = StrictCharField(max_length=100, allow_blank=True)
    active = StrictBooleanField(default=True)


class PractitionerUpdateInputSerializer(serializers.Serializer):
    display_name = StrictCharField(max_length=100, required=False, allow_blank=True)
    active = StrictBooleanField(
        required=False,
        help_text="false takes them off the rota; refused (409, with the list) while they "
        "have booked sessions ahead.",
    )


class WorkingHoursInputSerializer(serializers.Serializer):
    weekday = StrictIntegerField(min_value=0, max_value=6, help_text="0 is Monday.")
    start = WallClockTimeField(help_text="Clinic time (CLINIC_TIME_ZONE), e.g. 09:00.")
    end = WallClockTimeField(help_text="Clinic time, after start, the same day.")
    move_affected = move_affected()


class WindowInputSerializer(serializers.Serializer):
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    reason = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    move_affected = move_affected()


class RoomInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, allow_blank=True)
    active = StrictBooleanField(default=True, help_text="false: out of use.")
    move_affected = move_affected()


class DeviceInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, allow_blank=True)
    manufacturer = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    model = StrictCharField(max_length=100, allow_blank=True)
    serial = StrictCharField(max_length=100, allow_blank=True)
    regulatory_status = StrictCharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    active = StrictBooleanField(default=True, help_text="false: out of use.")
    move_affected = move_affected()


def _whole(field: str) -> serializers.IntegerField:
    """A whole number; its range is the service's to check, so that every problem comes back
    in one answer."""
    low, high = LIMITS[field]
    return serializers.IntegerField(required=False, help_text=f"From {low} to {high}.")


class ProtocolVersionInputSerializer(serializers.Serializer):
    """The values to change; the others are copied from the version being edited."""

    name = StrictCharField(max_length=100, required=False, allow_blank=True)
    default_sessions = _whole("default_sessions")
    default_interval_days = _whole("default_interval_days")
    min_interval_days = _whole("min_interval_days")
    session_minutes = _whole("session_minutes")
    depth_ranges = serializers.DictField(
        child=serializers.DictField(),
        required=False,
        help_text='Area code to {"start": [low, high], "flag_above": mm, "max": mm}; the '
        "maximum at most 2.5 mm (clinical reference §2.2).",
    )
    notes = StrictCharField(max_length=NOTES_MAX, required=False, allow_blank=True)
