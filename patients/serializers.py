"""API shapes for patients, intakes, consents and screenings. Input is checked for types
here; the rules (phone, date of birth, duplicates, vocabulary) live in services."""

from __future__ import annotations

from rest_framework import serializers

from clinic.fast_lists import FastListSerializer
from clinic.fields import StrictBooleanField, StrictCharField

from . import vocabulary
from .models import Consent, IntakeSubmission, Patient, ScreeningResult


class PatientSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    archived = serializers.BooleanField(source="is_archived", read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "email",
            "phone",
            "preferred_channel",
            "email_consent",
            "sms_consent",
            "fitzpatrick",
            "archived",
            "archived_at",
            "archive_reason",
            "created_at",
        ]
        read_only_fields = ["created_at", "archived_at", "archive_reason"]
        list_serializer_class = FastListSerializer  # a page of them, without DRF's per-field cost


class PatientInputSerializer(serializers.Serializer):
    """Create or edit a patient. `confirm_duplicate` registers a likely duplicate anyway."""

    first_name = StrictCharField(max_length=100)
    last_name = StrictCharField(max_length=100)
    date_of_birth = serializers.DateField()
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = StrictCharField(required=False, allow_blank=True, max_length=32, default="")
    preferred_channel = serializers.ChoiceField(
        choices=Patient.Channel.choices, default=Patient.Channel.EMAIL
    )
    email_consent = StrictBooleanField(default=False)
    sms_consent = StrictBooleanField(default=False)
    fitzpatrick = serializers.ChoiceField(
        choices=Patient.Fitzpatrick.choices, required=False, allow_blank=True, default=""
    )
    confirm_duplicate = StrictBooleanField(default=False, write_only=True)


class FindingSerializer(serializers.Serializer):
    rule = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["blocked", "defer", "review", "advise"])
    message = serializers.CharField()
    defer_until = serializers.DateField(allow_null=True)


class ScreeningSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    findings = FindingSerializer(many=True, read_only=True)
    signed_off_by = serializers.SerializerMethodField()
    cleared_for_treatment = serializers.BooleanField(read_only=True)

    class Meta:
        model = ScreeningResult
        fields = [
            "id",
            "outcome",
            "findings",
            "ruleset_version",
            "screened_at",
            "valid_until",
            "defer_until",
            "signed_off_by",
            "signed_off_at",
            "sign_off_reason",
            "defer_overridden",
            "cleared_for_treatment",
        ]

    def get_signed_off_by(self, obj: ScreeningResult) -> str | None:
        return obj.signed_off_by.display_name if obj.signed_off_by_id else None


class IntakeInputSerializer(serializers.Serializer):
    """`answers` is checked key by key against the vocabulary by the service (400 naming the
    field); here it only has to be an object."""

    answers = serializers.DictField(
        help_text="Exactly the keys of DESIGN.md §4.1, every one answered."
    )
    areas = serializers.ListField(
        child=serializers.ChoiceField(choices=vocabulary.AREAS), allow_empty=False
    )
    fitzpatrick = serializers.ChoiceField(
        choices=Patient.Fitzpatrick.choices,
        required=False,
        help_text="The skin type assessed at this intake; recorded on the patient (omit to "
        "keep the one on record).",
    )


class IntakeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    screening = ScreeningSerializer(read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.display_name", read_only=True)

    class Meta:
        model = IntakeSubmission
        fields = [
            "id",
            "kind",
            "answers",
            "areas",
            "carried_keys",
            "questionnaire_version",
            "submitted_by",
            "submitted_by_patient",
            "submitted_at",
            "screening",
        ]


class ConsentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Consent.Kind.choices)
    signed_name = StrictCharField(max_length=200)
    agreed = StrictBooleanField(help_text="Must be true: the patient agrees explicitly.")


class ConsentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Consent
        fields = ["id", "kind", "template_version", "signed_name", "signed_at"]


class SignOffInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000)
    override_defer = StrictBooleanField(
        default=False,
        help_text="Also lift a deferral for inflamed acne (reference §1.2 row 7); only that "
        "deferral may be overridden.",
    )
