"""The message log API (DESIGN.md §7): `GET /api/messages/` and `POST …/resend/`.

Staff see what the clinic sent, will send, and why something was not sent; a failed message
can be sent once more. Every listing is audited, one row per message shown.
"""

from __future__ import annotations

import re

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import audit
from clinic.api import CONFLICT, ERRORS
from clinic.roles import STAFF, HasRole
from patients.models import Patient
from treatments.scheduling.models import Session

from . import sending
from .models import Message


class MessageSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = serializers.UUIDField(
        source="patient.public_id",
        read_only=True,
        allow_null=True,
        help_text="The patient the message is about; null for a staff invitation.",
    )
    session = serializers.UUIDField(source="session.public_id", read_only=True, allow_null=True)
    to = serializers.SerializerMethodField(help_text="Who the message goes to.")

    class Meta:
        model = Message
        fields = [
            "id",
            "patient",
            "session",
            "to",
            "kind",
            "channel",
            "due_at",
            "status",
            "attempts",
            "last_error",
            "sent_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": ["patient", "staff"]})
    def get_to(self, message: Message) -> str:
        """The patient, or "staff" for an alert to a practitioner (no staff names here)."""
        return "staff" if message.to_staff else "patient"


class PresentMeansGiven:
    """A query parameter that is present is validated even when empty (`?session=` is a 400,
    not "no filter"), as the schema's format and enum promise."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, empty)


class CanonicalUUIDField(PresentMeansGiven, serializers.UUIDField):
    """Only the 8-4-4-4-12 form the schema's `uuid` format promises (DRF would also take
    32 bare hex digits, braces or a URN)."""

    default_error_messages = {"invalid": "Must be a valid UUID, e.g. {example}."}
    PATTERN = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")

    def to_internal_value(self, data):
        if not isinstance(data, str) or not self.PATTERN.fullmatch(data):
            self.fail("invalid", example="3fa85f64-5717-4562-b3fc-2c963f66afa6")
        return super().to_internal_value(data)


class StatusField(PresentMeansGiven, serializers.ChoiceField):
    pass


class MessageFilterSerializer(serializers.Serializer):
    patient = CanonicalUUIDField(required=False)
    session = CanonicalUUIDField(required=False)
    status = StatusField(choices=Message.Status.choices, required=False)


def message_log(*, patient: Patient | None = None, session: Session | None = None) -> QuerySet:
    """The messages of a patient and/or a session, oldest due first, with what a row shows
    joined in (a constant number of queries, whatever the number of rows). Staff only: it
    includes the alerts sent to practitioners about the patient."""
    messages = Message.objects.select_related("patient", "session", "recipient")
    if patient is not None:
        messages = messages.filter(patient=patient)
    if session is not None:
        messages = messages.filter(session=session)
    return messages.order_by("due_at", "id")


class MessageListView(GenericAPIView):
    serializer_class = MessageSerializer
    queryset = Message.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", OpenApiTypes.UUID, description="A patient's id"),
            OpenApiParameter("session", OpenApiTypes.UUID, description="A session's id"),
            OpenApiParameter(
                "status", str, enum=Message.Status.values, description="Only this status"
            ),
        ],
        responses={200: MessageSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        filters = MessageFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        patient = session = None
        if "patient" in wanted:
            patient = get_object_or_404(Patient, public_id=wanted["patient"])
        if "session" in wanted:
            session = get_object_or_404(Session, public_id=wanted["session"])
        messages = message_log(patient=patient, session=session)
        if "status" in wanted:
            messages = messages.filter(status=wanted["status"])
        page = self.paginate_queryset(messages)
        audit.record_many(
            actor=request.user, action=audit.Action.LIST, objects=page, request=request
        )
        return self.get_paginated_response(MessageSerializer(page, many=True).data)


class MessageResendView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(request=None, responses={200: MessageSerializer, **ERRORS, **CONFLICT})
    def post(self, request, public_id):
        message = get_object_or_404(
            Message.objects.select_related("patient", "session"), public_id=public_id
        )
        message = sending.message_resend(message=message, by=request.user, request=request)
        return Response(MessageSerializer(message).data)
