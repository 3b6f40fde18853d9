"""FastListSerializer writes exactly what DRF would, field type by field type (issue 13)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from rest_framework import serializers

from clinic.fast_lists import FastListSerializer
from clinic.models import AuditEvent, User
from clinic.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def drf_and_fast(serializer_class, items) -> tuple[list, list]:
    """DRF's own list output and the fast one, for the same rows."""
    drf = serializers.ListSerializer(child=serializer_class()).to_representation(items)
    fast = FastListSerializer(child=serializer_class()).to_representation(items)
    return [dict(row) for row in drf], [dict(row) for row in fast]


class EventSerializer(serializers.ModelSerializer):
    """Every kind of field the fast path writes itself, and some it hands back to DRF."""

    actor_name = serializers.CharField(source="actor.username", read_only=True)
    actor_joined = serializers.DateTimeField(source="actor.date_joined", read_only=True)
    actor_active = serializers.BooleanField(source="actor.is_active", read_only=True)
    actor_epoch = serializers.IntegerField(source="actor.session_epoch", read_only=True)
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    patient_hex = serializers.UUIDField(source="patient_id", read_only=True, format="hex")
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    numbered = serializers.ChoiceField(choices=[(1, "One"), (2, "Two")], source="object_id")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "action",
            "object_type",
            "object_id",
            "ip_address",
            "detail",
            "object_ids",
            "actor_name",
            "actor_joined",
            "actor_active",
            "actor_epoch",
            "patient",
            "patient_hex",
            "action_label",
            "numbered",
        ]


def test_each_field_type_is_written_as_drf_writes_it_with_and_without_a_link():
    actor = UserFactory(username="ida", role="practitioner")
    rows = [
        AuditEvent.objects.create(
            actor=actor,
            action="view",
            object_type="patients.patient",
            object_id="1",
            patient_id=uuid.uuid4(),
            ip_address="10.0.0.1",
            detail={"page": "record", "n": [1, 2]},
            object_ids=["1", "2"],
        ),
        # No actor (a missing link: DRF skips those fields) and no patient.
        AuditEvent.objects.create(action="list", object_type="x.y", object_id="2"),
    ]
    rows = list(AuditEvent.objects.filter(pk__in=[r.pk for r in rows]).order_by("id"))
    drf, fast = drf_and_fast(EventSerializer, rows)
    assert fast == drf
    assert "actor_name" not in fast[1] and fast[1]["patient"] is None
    assert fast[0]["action_label"] == "Viewed"  # a method, called as DRF does
    assert fast[0]["numbered"] == 1  # an integer choice, written as DRF writes it


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "is_patient", "last_login", "date_joined"]
        list_serializer_class = FastListSerializer


def test_a_serializer_that_names_it_lists_through_it_with_the_same_json():
    when = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # the night the clocks change
    UserFactory.create_batch(3, last_login=when)
    users = list(User.objects.order_by("id"))
    listed = UserSerializer(users, many=True)
    assert isinstance(listed, FastListSerializer)
    drf, fast = drf_and_fast(UserSerializer, users)
    assert listed.data == fast == drf
    assert fast[0]["last_login"] == serializers.DateTimeField().to_representation(when)
