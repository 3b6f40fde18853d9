"""The setup API under /api/setup/ (managers only; other staff 403, a patient's account 404).

Thin views over `treatments.resources.services`. A change that would strand booked sessions
answers 409 with code "strands_sessions" and the sessions in `error.sessions`; sent again with
`"move_affected": true` (for a DELETE, `?move_affected=true`) it moves them all or, when one
cannot be moved, changes nothing (409, code "cannot_move", naming it). A write answers with the
row as saved and `moved_sessions`. Protocols are versions: `POST .../versions/` makes the next.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import set_rollback

from clinic import audit
from clinic.api import ERRORS, error_body, query_bool
from clinic.models import Role, User
from clinic.roles import HasRole
from treatments.scheduling.models import (
    Device,
    DeviceOutage,
    Practitioner,
    Protocol,
    Room,
    TimeOff,
    WorkingHours,
)

from . import selectors, services, stranding
from .serializers import (
    DeviceInputSerializer,
    MovedSerializer,
    PractitionerCreateInputSerializer,
    PractitionerUpdateInputSerializer,
    ProtocolVersionInputSerializer,
    RoomInputSerializer,
    SetupDeviceChangeSerializer,
    SetupDeviceSerializer,
    SetupOutageChangeSerializer,
    SetupOutageSerializer,
    SetupPractitionerSerializer,
    SetupProtocolSerializer,
    SetupRoomChangeSerializer,
    SetupRoomSerializer,
    SetupTimeOffChangeSerializer,
    SetupTimeOffSerializer,
    SetupWorkingHoursChangeSerializer,
    StrandedErrorSerializer,
    StrandedSessionSerializer,
    WindowInputSerializer,
    WorkingHoursInputSerializer,
)

STRANDED = {
    409: OpenApiResponse(
        StrandedErrorSerializer,
        description="Conflicts with the current state; a change that would strand booked "
        "sessions lists them",
    )
}
WRITE_ERRORS = {**ERRORS, **STRANDED}
MOVE_PARAMETER = OpenApiParameter(
    "move_affected", bool, description="Move the booked sessions this would strand (all or none)"
)
CURRENT_PARAMETER = OpenApiParameter("current", bool, description="Only the current versions")


class SetupView(GenericAPIView):
    """Managers only; a stranding refusal carries its sessions in the one error shape."""

    permission_classes = [HasRole(Role.MANAGER)]

    def handle_exception(self, exc):
        if not isinstance(exc, stranding.Stranded):
            return super().handle_exception(exc)
        set_rollback()
        audit.record_many(
            actor=self.request.user,
            action=audit.Action.LIST,
            objects=exc.sessions,
            request=self.request,
            detail={"page": "strand list"},
        )
        body = error_body(exc.status, exc.message, exc.fields, exc.code)
        body["error"]["sessions"] = StrandedSessionSerializer(exc.sessions, many=True).data
        return Response(body, status=exc.status)

    def input(self, serializer_class, *, partial: bool = False) -> dict:
        data = serializer_class(data=self.request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def who(self) -> dict:
        return {"by": self.request.user, "request": self.request}

    def page(self, queryset, serializer_class) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


def _changed(change: services.Change, row, serializer_class, code=status.HTTP_200_OK) -> Response:
    row.moved_sessions = change.moved
    return Response(serializer_class(row).data, status=code)


def _merge(validated: dict, row, fields) -> dict:
    """A partial update: what was sent, the row's own values for the rest."""
    return {field: validated.get(field, getattr(row, field)) for field in fields}


# --- Practitioners ---------------------------------------------------------------------------


class PractitionersView(SetupView):
    serializer_class = SetupPractitionerSerializer
    queryset = Practitioner.objects.none()

    @extend_schema(responses={200: SetupPractitionerSerializer(many=True), **ERRORS})
    def get(self, request):
        return self.page(selectors.practitioners(), SetupPractitionerSerializer)

    @extend_schema(
        request=PractitionerCreateInputSerializer,
        responses={201: SetupPractitionerSerializer, **ERRORS},
    )
    def post(self, request):
        v = self.input(PractitionerCreateInputSerializer)
        user = User.objects.filter(pk=v["user"]).first()
        if user is None:
            raise exceptions.ValidationError({"user": ["No such account."]})
        created = services.practitioner_create(
            user=user, display_name=v["display_name"], active=v["active"], **self.who()
        )
        found = selectors.practitioners().get(pk=created.pk)
        return Response(SetupPractitionerSerializer(found).data, status=status.HTTP_201_CREATED)


class PractitionerView(SetupView):
    serializer_class = SetupPractitionerSerializer
    queryset = Practitioner.objects.none()

    @extend_schema(responses={200: SetupPractitionerSerializer, **ERRORS})
    def get(self, request, id: int):
        return Response(
            SetupPractitionerSerializer(get_object_or_404(selectors.practitioners(), pk=id)).data
        )

    @extend_schema(
        request=PractitionerUpdateInputSerializer,
        responses={200: SetupPractitionerSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, id: int):
        found = get_object_or_404(Practitioner, pk=id)
        v = self.input(PractitionerUpdateInputSerializer, partial=True)
        services.practitioner_update(
            practitioner=found, **_merge(v, found, ("display_name", "active")), **self.who()
        )
        return Response(SetupPractitionerSerializer(selectors.practitioners().get(pk=id)).data)


class WorkingHoursCreateView(SetupView):
    serializer_class = SetupWorkingHoursChangeSerializer
    queryset = WorkingHours.objects.none()

    @extend_schema(
        request=WorkingHoursInputSerializer,
        responses={201: SetupWorkingHoursChangeSerializer, **WRITE_ERRORS},
    )
    def post(self, request, id: int):
        found = get_object_or_404(Practitioner, pk=id)
        v = self.input(WorkingHoursInputSerializer)
        hours = services.working_hours_create(
            practitioner=found, weekday=v["weekday"], start=v["start"], end=v["end"], **self.who()
        )
        return _changed(
            services.Change(hours),
            hours,
            SetupWorkingHoursChangeSerializer,
            status.HTTP_201_CREATED,
        )


class WorkingHoursView(SetupView):
    serializer_class = SetupWorkingHoursChangeSerializer
    queryset = WorkingHours.objects.none()

    @extend_schema(
        request=WorkingHoursInputSerializer,
        responses={200: SetupWorkingHoursChangeSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, id: int):
        found = get_object_or_404(WorkingHours, pk=id)
        v = self.input(WorkingHoursInputSerializer, partial=True)
        change = services.working_hours_update(
            hours=found,
            **_merge(v, found, ("weekday", "start", "end")),
            move_affected=v.get("move_affected", False),
            **self.who(),
        )
        return _changed(change, change.obj, SetupWorkingHoursChangeSerializer)

    @extend_schema(parameters=[MOVE_PARAMETER], responses={200: MovedSerializer, **WRITE_ERRORS})
    def delete(self, request, id: int):
        found = get_object_or_404(WorkingHours, pk=id)
        change = services.working_hours_delete(
            hours=found, move_affected=query_bool(request, "move_affected"), **self.who()
        )
        return Response(MovedSerializer({"moved_sessions": change.moved}).data)


class TimeOffListView(SetupView):
    serializer_class = SetupTimeOffSerializer
    queryset = TimeOff.objects.none()

    @extend_schema(responses={200: SetupTimeOffSerializer(many=True), **ERRORS})
    def get(self, request, id: int):
        found = get_object_or_404(Practitioner, pk=id)
        return self.page(found.time_off.order_by("-starts_at", "-pk"), SetupTimeOffSerializer)

    @extend_schema(
        request=WindowInputSerializer, responses={201: SetupTimeOffChangeSerializer, **WRITE_ERRORS}
    )
    def post(self, request, id: int):
        found = get_object_or_404(Practitioner, pk=id)
        v = self.input(WindowInputSerializer)
        change = services.time_off_create(practitioner=found, **v, **self.who())
        return _changed(change, change.obj, SetupTimeOffChangeSerializer, status.HTTP_201_CREATED)


class TimeOffView(SetupView):
    serializer_class = SetupTimeOffChangeSerializer
    queryset = TimeOff.objects.none()

    @extend_schema(
        request=WindowInputSerializer, responses={200: SetupTimeOffChangeSerializer, **WRITE_ERRORS}
    )
    def patch(self, request, id: int):
        found = get_object_or_404(TimeOff, pk=id)
        v = self.input(WindowInputSerializer, partial=True)
        change = services.time_off_update(
            time_off=found,
            **_merge(v, found, ("starts_at", "ends_at", "reason")),
            move_affected=v.get("move_affected", False),
            **self.who(),
        )
        return _changed(change, change.obj, SetupTimeOffChangeSerializer)

    @extend_schema(responses={200: MovedSerializer, **WRITE_ERRORS})
    def delete(self, request, id: int):
        services.time_off_delete(time_off=get_object_or_404(TimeOff, pk=id), **self.who())
        return Response(MovedSerializer({"moved_sessions": []}).data)


# --- Rooms, devices, outages -----------------------------------------------------------------


class RoomsView(SetupView):
    serializer_class = SetupRoomSerializer
    queryset = Room.objects.none()

    @extend_schema(responses={200: SetupRoomSerializer(many=True), **ERRORS})
    def get(self, request):
        return self.page(selectors.rooms(), SetupRoomSerializer)

    @extend_schema(request=RoomInputSerializer, responses={201: SetupRoomSerializer, **ERRORS})
    def post(self, request):
        v = self.input(RoomInputSerializer)
        room = services.room_create(name=v["name"], active=v["active"], **self.who())
        found = selectors.rooms().get(pk=room.pk)
        return Response(SetupRoomSerializer(found).data, status=status.HTTP_201_CREATED)


class RoomView(SetupView):
    serializer_class = SetupRoomChangeSerializer
    queryset = Room.objects.none()

    @extend_schema(responses={200: SetupRoomSerializer, **ERRORS})
    def get(self, request, id: int):
        return Response(SetupRoomSerializer(get_object_or_404(selectors.rooms(), pk=id)).data)

    @extend_schema(
        request=RoomInputSerializer, responses={200: SetupRoomChangeSerializer, **WRITE_ERRORS}
    )
    def patch(self, request, id: int):
        found = get_object_or_404(Room, pk=id)
        v = self.input(RoomInputSerializer, partial=True)
        change = services.room_update(
            room=found,
            **_merge(v, found, ("name", "active")),
            move_affected=v.get("move_affected", False),
            **self.who(),
        )
        return _changed(change, selectors.rooms().get(pk=id), SetupRoomChangeSerializer)


DEVICE_FIELDS = ("name", "manufacturer", "model", "serial", "regulatory_status", "active")


class DevicesView(SetupView):
    serializer_class = SetupDeviceSerializer
    queryset = Device.objects.none()

    @extend_schema(responses={200: SetupDeviceSerializer(many=True), **ERRORS})
    def get(self, request):
        return self.page(selectors.devices(), SetupDeviceSerializer)

    @extend_schema(request=DeviceInputSerializer, responses={201: SetupDeviceSerializer, **ERRORS})
    def post(self, request):
        v = self.input(DeviceInputSerializer)
        device = services.device_create(**{k: v[k] for k in DEVICE_FIELDS}, **self.who())
        found = selectors.devices().get(pk=device.pk)
        return Response(SetupDeviceSerializer(found).data, status=status.HTTP_201_CREATED)


class DeviceView(SetupView):
    serializer_class = SetupDeviceChangeSerializer
    queryset = Device.objects.none()

    @extend_schema(responses={200: SetupDeviceSerializer, **ERRORS})
    def get(self, request, id: int):
        return Response(SetupDeviceSerializer(get_object_or_404(selectors.devices(), pk=id)).data)

    @extend_schema(
        request=DeviceInputSerializer, responses={200: SetupDeviceChangeSerializer, **WRITE_ERRORS}
    )
    def patch(self, request, id: int):
        found = get_object_or_404(Device, pk=id)
        v = self.input(DeviceInputSerializer, partial=True)
        change = services.device_update(
            device=found,
            **_merge(v, found, DEVICE_FIELDS),
            move_affected=v.get("move_affected", False),
            **self.who(),
        )
        return _changed(change, selectors.devices().get(pk=id), SetupDeviceChangeSerializer)


class OutagesView(SetupView):
    serializer_class = SetupOutageSerializer
    queryset = DeviceOutage.objects.none()

    @extend_schema(responses={200: SetupOutageSerializer(many=True), **ERRORS})
    def get(self, request, id: int):
        found = get_object_or_404(Device, pk=id)
        return self.page(found.outages.order_by("-starts_at", "-pk"), SetupOutageSerializer)

    @extend_schema(
        request=WindowInputSerializer, responses={201: SetupOutageChangeSerializer, **WRITE_ERRORS}
    )
    def post(self, request, id: int):
        found = get_object_or_404(Device, pk=id)
        v = self.input(WindowInputSerializer)
        change = services.outage_create(device=found, **v, **self.who())
        return _changed(change, change.obj, SetupOutageChangeSerializer, status.HTTP_201_CREATED)


class OutageView(SetupView):
    serializer_class = SetupOutageChangeSerializer
    queryset = DeviceOutage.objects.none()

    @extend_schema(
        request=WindowInputSerializer, responses={200: SetupOutageChangeSerializer, **WRITE_ERRORS}
    )
    def patch(self, request, id: int):
        found = get_object_or_404(DeviceOutage, pk=id)
        v = self.input(WindowInputSerializer, partial=True)
        change = services.outage_update(
            outage=found,
            **_merge(v, found, ("starts_at", "ends_at", "reason")),
            move_affected=v.get("move_affected", False),
            **self.who(),
        )
        return _changed(change, change.obj, SetupOutageChangeSerializer)

    @extend_schema(responses={200: MovedSerializer, **WRITE_ERRORS})
    def delete(self, request, id: int):
        services.outage_delete(outage=get_object_or_404(DeviceOutage, pk=id), **self.who())
        return Response(MovedSerializer({"moved_sessions": []}).data)


# --- Protocols -------------------------------------------------------------------------------


class ProtocolsView(SetupView):
    """Every version of every protocol, newest version first within each; `?current=true`
    for the versions offered for new courses."""

    serializer_class = SetupProtocolSerializer
    queryset = Protocol.objects.none()

    @extend_schema(
        parameters=[CURRENT_PARAMETER],
        responses={200: SetupProtocolSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        found = selectors.protocols(current_only=query_bool(request, "current"))
        return self.page(found, SetupProtocolSerializer)


class ProtocolView(SetupView):
    serializer_class = SetupProtocolSerializer
    queryset = Protocol.objects.none()

    @extend_schema(responses={200: SetupProtocolSerializer, **ERRORS})
    def get(self, request, id: int):
        return Response(
            SetupProtocolSerializer(get_object_or_404(selectors.protocols(), pk=id)).data
        )


class ProtocolVersionsView(SetupView):
    serializer_class = SetupProtocolSerializer
    queryset = Protocol.objects.none()

    @extend_schema(
        request=ProtocolVersionInputSerializer,
        responses={201: SetupProtocolSerializer, **WRITE_ERRORS},
    )
    def post(self, request, id: int):
        """Save the changes to the current version `id` as the next version (201), which
        new courses then use; courses already planned keep theirs. 409 for a superseded one."""
        found = get_object_or_404(Protocol, pk=id)
        v = self.input(ProtocolVersionInputSerializer)
        revised = services.protocol_revise(protocol=found, changes=v, **self.who())
        found = selectors.protocols().get(pk=revised.pk)
        return Response(SetupProtocolSerializer(found).data, status=status.HTTP_201_CREATED)
