"""API shapes for the waitlist; rules live in services."""

from __future__ import annotations

from rest_framework import serializers

from clinic.fields import (
    AwareDateTimeField,
    StrictCharField,
    StrictIntegerField,
    WallClockTimeField,
)

from .models import FreedSlot, SlotOffer, WaitlistEntry

BIGINT_MAX = 2**63 - 1


class EntryInputSerializer(serializers.Serializer):
    course = serializers.UUIDField(help_text="The booked course whose next session is wanted.")
    earliest = serializers.DateField(
        required=False, help_text="First possible day (default: from the course's spacing)."
    )
    latest = serializers.DateField(
        required=False, help_text="Last possible day (default: from the course's spacing)."
    )
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        max_length=7,
        help_text="Preferred weekdays, 0 (Monday) to 6; empty or left out: any day.",
    )
    not_before = WallClockTimeField(required=False, allow_null=True)
    not_after = WallClockTimeField(required=False, allow_null=True)
    practitioner = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=BIGINT_MAX,
        help_text="Only this practitioner; left out or null: any practitioner.",
    )


class ReasonInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=300, help_text="Why the patient leaves the waitlist.")


class FreeSlotInputSerializer(serializers.Serializer):
    practitioner = StrictIntegerField(min_value=1, max_value=BIGINT_MAX)
    room = StrictIntegerField(min_value=1, max_value=BIGINT_MAX)
    starts_at = AwareDateTimeField()
    minutes = StrictIntegerField(min_value=15, max_value=480)


class OfferInputSerializer(serializers.Serializer):
    entry = serializers.UUIDField(help_text="The waitlist entry to offer the slot to.")


class OfferSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    slot = serializers.UUIDField(source="slot.public_id", read_only=True)
    entry = serializers.UUIDField(source="entry.public_id", read_only=True)
    patient = serializers.UUIDField(source="patient.public_id", read_only=True)
    made_by = serializers.IntegerField(source="made_by_id", read_only=True, allow_null=True)

    class Meta:
        model = SlotOffer
        fields = [
            "id",
            "slot",
            "entry",
            "patient",
            "status",
            "outcome",
            "opens_at",
            "expires_at",
            "answered_at",
            "made_by",
        ]


class EntrySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    course = serializers.UUIDField(source="course.public_id", read_only=True)
    patient = serializers.UUIDField(source="patient.public_id", read_only=True)
    practitioner = serializers.IntegerField(
        source="practitioner_id", read_only=True, allow_null=True
    )
    session = serializers.SerializerMethodField()
    offers = OfferSerializer(many=True, read_only=True)

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "course",
            "patient",
            "practitioner",
            "earliest",
            "latest",
            "due_on",
            "weekdays",
            "not_before",
            "not_after",
            "status",
            "session",
            "created_at",
            "removed_at",
            "remove_reason",
            "offers",
        ]

    def get_session(self, entry) -> str | None:
        return str(entry.session.public_id) if entry.session_id else None


class SlotSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    practitioner = serializers.IntegerField(source="practitioner_id", read_only=True)
    room = serializers.IntegerField(source="room_id", read_only=True)
    freed_by = serializers.SerializerMethodField(
        help_text="The cancelled or moved session that freed it; null when staff opened it."
    )
    session = serializers.SerializerMethodField()
    offers = OfferSerializer(many=True, read_only=True)

    class Meta:
        model = FreedSlot
        fields = [
            "id",
            "practitioner",
            "room",
            "starts_at",
            "ends_at",
            "status",
            "outcome",
            "freed_by",
            "session",
            "offers",
        ]

    def get_freed_by(self, slot) -> str | None:
        return str(slot.freed_by.public_id) if slot.freed_by_id else None

    def get_session(self, slot) -> str | None:
        return str(slot.session.public_id) if slot.session_id else None


class DayQuery(serializers.Serializer):
    day = serializers.DateField(help_text="The clinic's local date.")
    practitioner = serializers.IntegerField(
        required=False, min_value=1, max_value=BIGINT_MAX, help_text="Only this practitioner."
    )
