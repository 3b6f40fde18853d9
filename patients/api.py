"""The patients API (DESIGN.md §7): thin views over services. Patients are addressed by
their public UUID; an unknown id is a 404. An archived record stays readable; a change to it
is a 409 until it is restored. Every read of patient data by staff is audited."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import audit
from clinic.api import CONFLICT, ERRORS, query_bool
from clinic.models import Role
from clinic.roles import FRONT_OFFICE, HasRole

from . import selectors, services
from .models import Consent, IntakeSubmission, Patient, ScreeningResult
from .serializers import (
    ConsentInputSerializer,
    ConsentSerializer,
    IntakeInputSerializer,
    IntakeSerializer,
    PatientInputSerializer,
    PatientSerializer,
    ScreeningSerializer,
    SignOffInputSerializer,
)

Action = audit.Action


def get_patient(public_id) -> Patient:
    """A patient, archived or not (an archived record is read-only: its services refuse)."""
    return get_object_or_404(Patient, public_id=public_id)


class PatientListView(GenericAPIView):
    serializer_class = PatientSerializer
    queryset = Patient.objects.none()

    def get_permissions(self):
        if self.request.method == "POST":
            return [HasRole(*FRONT_OFFICE)()]
        return super().get_permissions()

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Name, e-mail or phone"),
            OpenApiParameter("archived", bool, description="Include archived patients"),
        ],
        responses={200: PatientSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        archived = query_bool(request, "archived")
        patients = Patient.objects.all() if archived else Patient.objects.active()
        patients = selectors.search(patients, request.query_params.get("search", ""))
        page = self.paginate_queryset(patients.order_by("last_name", "first_name", "id"))
        audit.record_many(actor=request.user, action=Action.LIST, objects=page, request=request)
        return self.get_paginated_response(PatientSerializer(page, many=True).data)

    @extend_schema(
        request=PatientInputSerializer,
        responses={201: PatientSerializer, **ERRORS, **CONFLICT},
    )
    def post(self, request):
        data = PatientInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        confirm = fields.pop("confirm_duplicate")
        patient = services.patient_create(
            by=request.user, data=fields, confirm_duplicate=confirm, request=request
        )
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailView(APIView):
    def get_permissions(self):
        if self.request.method == "PATCH":
            return [HasRole(*FRONT_OFFICE)()]
        return super().get_permissions()

    @extend_schema(responses={200: PatientSerializer, **ERRORS})
    def get(self, request, public_id):
        patient = get_patient(public_id)
        audit.record(actor=request.user, action=Action.VIEW, obj=patient, request=request)
        return Response(PatientSerializer(patient).data)

    @extend_schema(
        request=PatientInputSerializer(partial=True),
        responses={200: PatientSerializer, **ERRORS, **CONFLICT},
    )
    def patch(self, request, public_id):
        patient = get_patient(public_id)
        data = PatientInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        confirm = fields.pop("confirm_duplicate", False)
        patient = services.patient_update(
            patient=patient,
            by=request.user,
            data=fields,
            confirm_duplicate=confirm,
            request=request,
        )
        return Response(PatientSerializer(patient).data)


class PatientRestoreView(APIView):
    """Bring an archived record back (archiving is `treatments.scheduling.api`, which cancels
    the sessions still to come)."""

    permission_classes = [HasRole(*FRONT_OFFICE)]

    @extend_schema(request=None, responses={200: PatientSerializer, **ERRORS, **CONFLICT})
    def post(self, request, public_id):
        patient = get_patient(public_id)
        patient = services.patient_restore(patient=patient, by=request.user, request=request)
        return Response(PatientSerializer(patient).data)


class IntakeListView(GenericAPIView):
    serializer_class = IntakeSerializer
    queryset = IntakeSubmission.objects.none()

    @extend_schema(responses={200: IntakeSerializer(many=True), **ERRORS})
    def get(self, request, public_id):
        patient = get_patient(public_id)
        intakes = patient.intakes.select_related(
            "submitted_by", "screening", "screening__signed_off_by"
        ).order_by("-submitted_at", "-id")
        page = self.paginate_queryset(intakes)
        audit.record_many(actor=request.user, action=Action.LIST, objects=page, request=request)
        return self.get_paginated_response(IntakeSerializer(page, many=True).data)

    @extend_schema(
        request=IntakeInputSerializer,
        responses={201: IntakeSerializer, **ERRORS, **CONFLICT},
    )
    def post(self, request, public_id):
        patient = get_patient(public_id)
        data = IntakeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.intake_submit(
            patient=patient,
            answers=data.validated_data["answers"],
            areas=data.validated_data["areas"],
            fitzpatrick=data.validated_data.get("fitzpatrick"),
            by=request.user,
            request=request,
        )
        return Response(IntakeSerializer(submission).data, status=status.HTTP_201_CREATED)


class ScreeningListView(GenericAPIView):
    serializer_class = ScreeningSerializer
    queryset = ScreeningResult.objects.none()

    @extend_schema(responses={200: ScreeningSerializer(many=True), **ERRORS})
    def get(self, request, public_id):
        patient = get_patient(public_id)
        results = patient.screenings.select_related("signed_off_by").order_by("-screened_at", "-id")
        page = self.paginate_queryset(results)
        audit.record_many(actor=request.user, action=Action.LIST, objects=page, request=request)
        return self.get_paginated_response(ScreeningSerializer(page, many=True).data)


class ConsentListView(GenericAPIView):
    serializer_class = ConsentSerializer
    queryset = Consent.objects.none()

    @extend_schema(responses={200: ConsentSerializer(many=True), **ERRORS})
    def get(self, request, public_id):
        patient = get_patient(public_id)
        page = self.paginate_queryset(patient.consents.order_by("-signed_at", "-id"))
        audit.record_many(actor=request.user, action=Action.LIST, objects=page, request=request)
        return self.get_paginated_response(ConsentSerializer(page, many=True).data)

    @extend_schema(
        request=ConsentInputSerializer,
        responses={201: ConsentSerializer, **ERRORS, **CONFLICT},
    )
    def post(self, request, public_id):
        patient = get_patient(public_id)
        data = ConsentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_sign(
            patient=patient, by=request.user, request=request, **data.validated_data
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class ScreeningSignOffView(APIView):
    permission_classes = [HasRole(Role.PRACTITIONER)]

    @extend_schema(
        request=SignOffInputSerializer,
        responses={200: ScreeningSerializer, **ERRORS, **CONFLICT},
    )
    def post(self, request, public_id):
        result = get_object_or_404(ScreeningResult, public_id=public_id)
        data = SignOffInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.screening_sign_off(
            screening_result=result,
            reason=data.validated_data["reason"],
            by=request.user,
            override_defer=data.validated_data["override_defer"],
            request=request,
        )
        return Response(ScreeningSerializer(result).data)
