"""API shapes for courses and sessions; rules live in services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.fast_lists import FastListSerializer
from clinic.fields import (
    AwareDateTimeField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from patients import vocabulary

from . import course_flags
from .models import CancelledBy, Course, Session, SessionRecord


class CourseFlagSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    reference = serializers.CharField()
    confirmed = serializers.BooleanField()


class CourseInputSerializer(serializers.Serializer):
    patient = serializers.UUIDField(help_text="The patient's id.")
    practitioner = StrictIntegerField(min_value=1)
    protocol = StrictIntegerField(min_value=1)
    areas = serializers.ListField(
        child=serializers.ChoiceField(choices=vocabulary.AREAS), allow_empty=False
    )
    sessions = StrictIntegerField(min_value=1, max_value=12, required=False)
    interval_days = StrictIntegerField(min_value=1, max_value=365, required=False)


class CourseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = serializers.UUIDField(source="patient.public_id", read_only=True)
    protocol = serializers.IntegerField(source="protocol_id", read_only=True)
    practitioner = serializers.IntegerField(source="practitioner_id", read_only=True)
    sessions = serializers.IntegerField(source="planned_sessions", read_only=True)
    flags = serializers.SerializerMethodField()
    flags_confirmed_by = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = [
            "id",
            "patient",
            "practitioner",
            "protocol",
            "areas",
            "sessions",
            "interval_days",
            "status",
            "created_at",
            "flags",
            "flags_confirmed_by",
            "flags_confirmed_at",
            "flags_note",
            "cancel_reason",
            "cancel_initiated_by",
            "cancelled_at",
        ]

    @extend_schema_field(CourseFlagSerializer(many=True))
    def get_flags(self, obj: Course) -> list[dict]:
        """What a practitioner confirms before booking (reference §1.1, §2.1)."""
        confirmed = set(obj.flags_confirmed)
        return [
            {
                "code": flag.code,
                "message": flag.message,
                "reference": flag.reference,
                "confirmed": flag.code in confirmed,
            }
            for flag in course_flags.flags_for(obj)
        ]

    def get_flags_confirmed_by(self, obj: Course) -> str | None:
        return obj.flags_confirmed_by.display_name if obj.flags_confirmed_by_id else None


class ConfirmFlagsInputSerializer(serializers.Serializer):
    note = StrictCharField(max_length=2000)


class ProposedSessionSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    room = serializers.IntegerField(source="room_id")
    device = serializers.IntegerField(source="device_id", allow_null=True)


class ProposalSerializer(serializers.Serializer):
    sessions = ProposedSessionSerializer(many=True)


class SlotInputSerializer(serializers.Serializer):
    starts_at = AwareDateTimeField()
    room = StrictIntegerField(min_value=1)
    device = StrictIntegerField(min_value=1, required=False, allow_null=True)


class BookInputSerializer(serializers.Serializer):
    sessions = SlotInputSerializer(many=True, allow_empty=False, max_length=12)
    confirm_short_interval = StrictBooleanField(
        default=False,
        help_text=(
            "Book even though a session is less than the usual interval (but at least the "
            "minimum) from the patient's session in another course on the same area. Without "
            'it such a request is a 409 with code "short_interval".'
        ),
    )


class SessionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    course = serializers.UUIDField(source="course.public_id", read_only=True)
    patient = serializers.UUIDField(source="patient.public_id", read_only=True)
    practitioner = serializers.IntegerField(source="practitioner_id", read_only=True)
    room = serializers.IntegerField(source="room_id", read_only=True)
    device = serializers.IntegerField(source="device_id", read_only=True, allow_null=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "course",
            "patient",
            "practitioner",
            "room",
            "device",
            "number",
            "starts_at",
            "ends_at",
            "status",
            "cancel_reason",
            "cancel_initiated_by",
            "dropped_reason",
        ]
        list_serializer_class = FastListSerializer  # a page of them, without DRF's per-field cost


class RescheduleInputSerializer(serializers.Serializer):
    starts_at = AwareDateTimeField()
    room = StrictIntegerField(min_value=1, required=False)
    confirm_short_interval = StrictBooleanField(
        default=False,
        help_text=(
            "Book even though a session is less than the usual interval (but at least the "
            "minimum) from the patient's session in another course on the same area. Without "
            'it such a request is a 409 with code "short_interval".'
        ),
    )
    shift_following = StrictBooleanField(
        default=False,
        help_text=(
            "Move the course's later booked sessions by the same interval on the clinic's "
            "wall clock, each in its own room. All or nothing: when one of them cannot move, "
            "nothing moves and the 409 or 400 names that session and why."
        ),
    )


INITIATED_BY_HELP = (
    "Who asked for the cancellation: `patient` (the patient is sent a confirmation) or "
    "`clinic` (the patient is sent an apology and the offer to rebook, with the clinic's "
    "phone number). Default `clinic`."
)


class CancelInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=300)
    initiated_by = serializers.ChoiceField(
        choices=CancelledBy.choices, default=CancelledBy.CLINIC, help_text=INITIATED_BY_HELP
    )


class CourseCancelInputSerializer(CancelInputSerializer):
    """Cancel the course and every booked session of it; the patient is told once."""


class DropInputSerializer(serializers.Serializer):
    reason = StrictCharField(
        max_length=300, help_text="Why this cancelled or missed session will not be replaced."
    )


class AddSessionInputSerializer(SlotInputSerializer):
    confirm_short_interval = StrictBooleanField(
        default=False,
        help_text=(
            "Book even though the session is less than the usual interval (but at least the "
            "minimum) from the patient's session in another course on the same area. Without "
            'it such a request is a 409 with code "short_interval".'
        ),
    )


class ArchiveInputSerializer(serializers.Serializer):
    """Archive a patient. With sessions still to come, `cancel_future_sessions` cancels them
    (the patient is told) first; without it they refuse the archive (409, listing them)."""

    reason = StrictCharField(max_length=300)
    cancel_future_sessions = StrictBooleanField(default=False)


class CheckInInputSerializer(serializers.Serializer):
    """What the front desk confirmed aloud (clinical reference §1.2): every key of
    `patients.vocabulary.ON_THE_DAY_KEYS` either in `confirmed` or in `changed`."""

    confirmed = serializers.ListField(
        child=StrictCharField(max_length=100),
        required=False,
        default=list,
        max_length=100,
        help_text=(
            "Question keys the patient confirmed unchanged: "
            + ", ".join(vocabulary.ON_THE_DAY_KEYS)
            + "."
        ),
    )
    changed = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        default=dict,
        help_text=(
            "Question key: the new answer, as in an intake's answers (true/false, a choice, "
            "a date YYYY-MM-DD, a number of days, or null). A changed answer makes a new "
            "check-in submission and screening, which the check-in is then judged on."
        ),
    )
    screening = serializers.UUIDField(
        required=False,
        help_text=(
            "The id of the screening whose answers were read back. When given and the "
            "patient has a newer one, the check-in is a 409."
        ),
    )


class AreaRecordInputSerializer(serializers.Serializer):
    area = serializers.ChoiceField(choices=vocabulary.AREAS)
    device_setting_mm = serializers.DecimalField(
        max_digits=3, decimal_places=2, min_value=0, max_value=3
    )
    passes = StrictIntegerField(min_value=1, max_value=20)
    cartridge_lot = StrictCharField(max_length=60)
    endpoint = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    numbing_product = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    immediate_reaction = StrictCharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    notes = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")
    depth_reason = StrictCharField(
        max_length=150,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "The practitioner's reason for a setting above the area's flag_above, or on an area "
            "the protocol gives no range; without it such a record is a 400 on this field. A "
            "setting above the area's max (at most 2.5 mm) is a 400 on device_setting_mm."
        ),
    )


class CompleteInputSerializer(serializers.Serializer):
    records = AreaRecordInputSerializer(many=True, allow_empty=False, max_length=16)


class SessionRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionRecord
        fields = [
            "area",
            "device_setting_mm",
            "passes",
            "cartridge_lot",
            "endpoint",
            "numbing_product",
            "immediate_reaction",
            "notes",
            "flagged",
            "flag_reason",
            "depth_reason",
        ]
