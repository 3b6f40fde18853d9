"""The waitlist API under /api/waitlist/ (staff): put a patient on the waitlist and take them
off, see a day's freed slots with their offers and outcome, open a free time by hand, offer
a slot to one patient, close a slot. Thin views over `services`; every read of patient data
is audited as a list read (`clinic.audit`)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import audit
from clinic.api import ERRORS
from clinic.clock import outside_date_window
from clinic.roles import STAFF, HasRole
from treatments.scheduling.models import Course, Practitioner, Room

from . import selectors, services
from .models import FreedSlot, WaitlistEntry
from .serializers import (
    DayQuery,
    EntryInputSerializer,
    EntrySerializer,
    FreeSlotInputSerializer,
    OfferInputSerializer,
    OfferSerializer,
    ReasonInputSerializer,
    SlotSerializer,
)


def _get(model, field: str, pk, **filters):
    found = model.objects.filter(pk=pk, **filters).first()
    if found is None:
        raise exceptions.ValidationError({field: [f"No such {model._meta.verbose_name}."]})
    return found


def _entry(public_id) -> WaitlistEntry:
    return get_object_or_404(
        WaitlistEntry.objects.select_related("patient", "course", "session", "practitioner"),
        public_id=public_id,
    )


def _slot(public_id) -> FreedSlot:
    return get_object_or_404(
        FreedSlot.objects.select_related("room", "device", "practitioner"), public_id=public_id
    )


def _day(request) -> tuple:
    query = DayQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    day = query.validated_data["day"]
    if problem := outside_date_window(day):
        raise exceptions.ValidationError({"day": [problem]})
    pk = query.validated_data.get("practitioner")
    practitioner = _get(Practitioner, "practitioner", pk) if pk else None
    return day, practitioner


DAY_PARAMETERS = [
    OpenApiParameter("day", str, required=True, description="The clinic's local date."),
    OpenApiParameter("practitioner", int, description="Only this practitioner."),
]


class EntryListView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(
        parameters=DAY_PARAMETERS,
        responses={200: EntrySerializer(many=True), **ERRORS},
        description="The patients waiting whose window holds the day, ranked (longest "
        "waiting, then the course's due date).",
    )
    def get(self, request):
        day, practitioner = _day(request)
        entries = selectors.waiting_on(day, practitioner)
        audit.record_many(
            actor=request.user, action=audit.Action.LIST, objects=entries, request=request
        )
        return Response(EntrySerializer(entries, many=True).data)

    @extend_schema(
        request=EntryInputSerializer,
        responses={201: EntrySerializer, **ERRORS},
        description="Put the patient on the waitlist for the course's next session. The "
        "window defaults to the course's spacing. A 409 when the course is not booked, has "
        "no session left to book, or is already on the waitlist.",
    )
    def post(self, request):
        data = EntryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        course = get_object_or_404(
            Course.objects.select_related("patient"),
            public_id=v["course"],
            patient__archived_at__isnull=True,
        )
        pk = v.get("practitioner")
        entry = services.entry_add(
            course=course,
            by=request.user,
            earliest=v.get("earliest"),
            latest=v.get("latest"),
            weekdays=v.get("weekdays", []),
            not_before=v.get("not_before"),
            not_after=v.get("not_after"),
            practitioner=_get(Practitioner, "practitioner", pk) if pk else None,
            request=request,
        )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class EntryDetailView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(responses={200: EntrySerializer, **ERRORS})
    def get(self, request, public_id):
        entry = _entry(public_id)
        audit.record(actor=request.user, action=audit.Action.VIEW, obj=entry, request=request)
        return Response(EntrySerializer(entry).data)


class EntryRemoveView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(
        request=ReasonInputSerializer,
        responses={200: EntrySerializer, **ERRORS},
        description="Take the patient off the waitlist; an offer in flight is withdrawn. A "
        "409 when the entry is no longer waiting.",
    )
    def post(self, request, public_id):
        entry = _entry(public_id)
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.entry_remove(
            entry=entry, reason=data.validated_data["reason"], by=request.user, request=request
        )
        return Response(EntrySerializer(entry).data)


class SlotListView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(
        parameters=DAY_PARAMETERS,
        responses={200: SlotSerializer(many=True), **ERRORS},
        description="The day's freed slots, with the offers in flight and their outcome.",
    )
    def get(self, request):
        day, practitioner = _day(request)
        slots = selectors.slots_of_day(day, practitioner)
        offers = [offer for slot in slots for offer in slot.offers.all()]
        if offers:
            audit.record_many(
                actor=request.user, action=audit.Action.LIST, objects=offers, request=request
            )
        return Response(SlotSerializer(slots, many=True).data)

    @extend_schema(
        request=FreeSlotInputSerializer,
        responses={201: SlotSerializer, **ERRORS},
        description="Offer a free time to the waitlist by hand (a gap no cancelled or moved "
        "session made). The sweep then offers it like a cancelled session's time.",
    )
    def post(self, request):
        data = FreeSlotInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        slot = services.slot_open(
            practitioner=_get(Practitioner, "practitioner", v["practitioner"]),
            room=_get(Room, "room", v["room"]),
            starts_at=v["starts_at"],
            minutes=v["minutes"],
            by=request.user,
            request=request,
        )
        return Response(SlotSerializer(slot).data, status=status.HTTP_201_CREATED)


class SlotOfferView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(
        request=OfferInputSerializer,
        responses={201: OfferSerializer, **ERRORS},
        description="Offer the slot to one waiting patient by hand, with the same checks as "
        "an automatic offer: a 409 with the reason when it does not suit them.",
    )
    def post(self, request, public_id):
        slot = _slot(public_id)
        data = OfferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = get_object_or_404(
            WaitlistEntry.objects.select_related("patient", "course__protocol"),
            public_id=data.validated_data["entry"],
        )
        offer = services.offer_make(slot=slot, entry=entry, by=request.user, request=request)
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)


class SlotCloseView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(
        request=None,
        responses={200: SlotSerializer, **ERRORS},
        description="Stop offering the slot; offers in flight are withdrawn.",
    )
    def post(self, request, public_id):
        slot = services.slot_close(slot=_slot(public_id), by=request.user, request=request)
        return Response(SlotSerializer(slot).data)
