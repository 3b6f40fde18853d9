"""The courses and sessions API (DESIGN.md §7): thin views over treatments.scheduling.services.

Objects named in the URL that do not exist are a 404; ids in a request body that name
nothing are a 400 on that field; conflicts with the screening, consent or other bookings are
a 409 with the reason; a session shorter than the usual interval from another course on the
same area is a 409 with code "short_interval" until the request confirms it.
"""

from __future__ import annotations

from datetime import date

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import audit
from clinic.api import CONFLICT
from clinic.api import ERRORS as BASE_ERRORS
from clinic.clock import outside_date_window
from clinic.models import Role
from clinic.roles import FRONT_OFFICE, PLANNERS, STAFF, HasRole
from patients.models import Patient
from patients.serializers import PatientSerializer

from . import archive, charting, check_in, course_flags, repair, services
from .models import Course, Device, Practitioner, Protocol, Room, Session
from .serializers import (
    AddSessionInputSerializer,
    ArchiveInputSerializer,
    BookInputSerializer,
    CancelInputSerializer,
    CheckInInputSerializer,
    CompleteInputSerializer,
    ConfirmFlagsInputSerializer,
    CourseCancelInputSerializer,
    CourseInputSerializer,
    CourseSerializer,
    DropInputSerializer,
    ProposalSerializer,
    RescheduleInputSerializer,
    SessionRecordSerializer,
    SessionSerializer,
)

Action = audit.Action
# Every workflow endpoint here can also answer 409 (screening, consent, clashes).
ERRORS = {**BASE_ERRORS, **CONFLICT}


def _get(model, field: str, pk, *, active_only: bool = True):
    """A referenced row from a request body, or a 400 naming the field."""
    queryset = model.objects.all()
    if active_only and hasattr(model, "active"):
        queryset = queryset.filter(active=True)
    if active_only and model is Protocol:
        queryset = queryset.current()  # a superseded version stays with its courses only
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise exceptions.ValidationError({field: [f"No such {model._meta.verbose_name}."]})
    return found


def _course(public_id) -> Course:
    return get_object_or_404(
        Course.objects.select_related("patient", "practitioner", "protocol", "flags_confirmed_by"),
        public_id=public_id,
        patient__archived_at__isnull=True,
    )


def _session(public_id) -> Session:
    return get_object_or_404(Session.objects.select_related("course"), public_id=public_id)


class CourseCreateView(APIView):
    permission_classes = [HasRole(*PLANNERS)]

    @extend_schema(request=CourseInputSerializer, responses={201: CourseSerializer, **ERRORS})
    def post(self, request):
        data = CourseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        patient = get_object_or_404(Patient, public_id=v["patient"])  # archived: a 409
        course = services.course_create(
            patient=patient,
            practitioner=_get(Practitioner, "practitioner", v["practitioner"], active_only=False),
            protocol=_get(Protocol, "protocol", v["protocol"]),
            areas=v["areas"],
            sessions=v.get("sessions"),
            interval_days=v.get("interval_days"),
            by=request.user,
            request=request,
        )
        return Response(CourseSerializer(course).data, status=status.HTTP_201_CREATED)


class CourseDetailView(APIView):
    @extend_schema(responses={200: CourseSerializer, **ERRORS})
    def get(self, request, public_id):
        course = _course(public_id)
        audit.record(actor=request.user, action=Action.VIEW, obj=course, request=request)
        return Response(CourseSerializer(course).data)


class CourseConfirmFlagsView(APIView):
    """A practitioner confirms an off-label or pigmentation course (reference §1.1, §2.1)."""

    permission_classes = [HasRole(Role.PRACTITIONER)]

    @extend_schema(request=ConfirmFlagsInputSerializer, responses={200: CourseSerializer, **ERRORS})
    def post(self, request, public_id):
        course = _course(public_id)
        data = ConfirmFlagsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = course_flags.course_confirm_flags(
            course=course, note=data.validated_data["note"], by=request.user, request=request
        )
        return Response(CourseSerializer(course).data)


class CourseProposalView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("start", date, required=True, description="Earliest date, YYYY-MM-DD")
        ],
        responses={200: ProposalSerializer, **ERRORS},
    )
    def get(self, request, public_id):
        course = _course(public_id)
        raw = request.query_params.get("start", "")
        try:
            start = date.fromisoformat(raw)
        except ValueError as exc:
            raise exceptions.ValidationError({"start": ["A date as YYYY-MM-DD."]}) from exc
        if problem := outside_date_window(start):
            raise exceptions.ValidationError({"start": [problem]})
        slots = services.course_proposal(course=course, start=start)
        return Response(ProposalSerializer({"sessions": slots}).data)


class CourseBookView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(
        request=BookInputSerializer,
        responses={201: SessionSerializer(many=True), **ERRORS},
    )
    def post(self, request, public_id):
        course = _course(public_id)
        data = BookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Rooms and devices by id: the service reads them as it locks them (a 400 on the
        # slot's room or device when one does not exist or is not in use).
        slots = [
            services.SlotRequest(
                starts_at=slot["starts_at"], room=slot["room"], device=slot.get("device")
            )
            for slot in data.validated_data["sessions"]
        ]
        sessions = services.course_book(
            course=course,
            slots=slots,
            by=request.user,
            confirm_short_interval=data.validated_data["confirm_short_interval"],
            request=request,
        )
        return Response(SessionSerializer(sessions, many=True).data, status=status.HTTP_201_CREATED)


class CourseAddSessionView(APIView):
    """A session in place of a cancelled or missed one of a booked course (issue 11 item 3)."""

    permission_classes = [HasRole(*STAFF)]

    @extend_schema(
        request=AddSessionInputSerializer,
        responses={201: SessionSerializer, **ERRORS},
        description=(
            "Book one session in a booked course to replace a cancelled or missed one that is "
            "not dropped, with the same checks as booking: a 409 when the course has no "
            "session to replace, the screening or consent does not clear the patient, the "
            "time clashes or is too close to the patient's other course; a 400 on starts_at "
            "when it is outside working hours, in the past, or closer than the protocol's "
            "minimum to a session of the course. The course's sessions are numbered in time "
            "order again and the patient gets a confirmation."
        ),
    )
    def post(self, request, public_id):
        course = _course(public_id)
        data = AddSessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        device = v.get("device")
        session = repair.course_add_session(
            course=course,
            slot=services.SlotRequest(
                starts_at=v["starts_at"],
                room=_get(Room, "room", v["room"]),
                device=_get(Device, "device", device) if device else None,
            ),
            by=request.user,
            confirm_short_interval=v["confirm_short_interval"],
            request=request,
        )
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class CourseCancelView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(
        request=CourseCancelInputSerializer,
        responses={200: CourseSerializer, **ERRORS},
        description=(
            "Cancel a planned or booked course with the reason: each booked session is "
            "cancelled with it and the patient is sent one message listing them. A 409 when "
            "the course is already completed or cancelled, or a session is checked in."
        ),
    )
    def post(self, request, public_id):
        course = _course(public_id)
        data = CourseCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = repair.course_cancel(
            course=course,
            reason=data.validated_data["reason"],
            initiated_by=data.validated_data["initiated_by"],
            by=request.user,
            request=request,
        )
        return Response(CourseSerializer(course).data)


class SessionDropView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(
        request=DropInputSerializer,
        responses={200: SessionSerializer, **ERRORS},
        description=(
            "Record that a cancelled or missed session will not be replaced: the course then "
            "completes once the rest is done (at once, with its results reviews, when nothing "
            "else is left). A 409 when the session is not cancelled or missed, was already "
            "replaced or dropped, or nothing of the course was done."
        ),
    )
    def post(self, request, public_id):
        session = _session(public_id)
        data = DropInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = repair.session_drop(
            session=session, reason=data.validated_data["reason"], by=request.user, request=request
        )
        return Response(SessionSerializer(session).data)


class SessionDetailView(APIView):
    @extend_schema(responses={200: SessionSerializer, **ERRORS})
    def get(self, request, public_id):
        session = _session(public_id)
        audit.record(actor=request.user, action=Action.VIEW, obj=session, request=request)
        return Response(SessionSerializer(session).data)


class SessionRescheduleView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(request=RescheduleInputSerializer, responses={200: SessionSerializer, **ERRORS})
    def post(self, request, public_id):
        session = _session(public_id)
        data = RescheduleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        room = data.validated_data.get("room")
        session = services.session_reschedule(
            session=session,
            starts_at=data.validated_data["starts_at"],
            room=_get(Room, "room", room) if room else None,
            by=request.user,
            confirm_short_interval=data.validated_data["confirm_short_interval"],
            shift_following=data.validated_data["shift_following"],
            request=request,
        )
        return Response(SessionSerializer(session).data)


class SessionCancelView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(request=CancelInputSerializer, responses={200: SessionSerializer, **ERRORS})
    def post(self, request, public_id):
        session = _session(public_id)
        data = CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_cancel(
            session=session,
            reason=data.validated_data["reason"],
            initiated_by=data.validated_data["initiated_by"],
            by=request.user,
            request=request,
        )
        return Response(SessionSerializer(session).data)


class SessionCheckInView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(
        request=CheckInInputSerializer,
        responses={200: SessionSerializer, **ERRORS},
        description=(
            "Check the patient in after confirming aloud the answers the clinical reference "
            "says are confirmed on the day (§1.2). Every on-the-day key must be in "
            "`confirmed` or in `changed`: a request without them (or without a body) is a "
            "400 naming each key to confirm. A changed answer is screened again (a new "
            "check-in submission, kept even when the check-in is then refused); a screening "
            "that does not clear the patient, missing consent, or an open hold is a 409 "
            "with the reason, and the session stays booked."
        ),
    )
    def post(self, request, public_id):
        session = _session(public_id)
        data = CheckInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = check_in.session_check_in(
            session=session,
            confirmed=data.validated_data["confirmed"],
            changed=data.validated_data["changed"],
            screening_id=data.validated_data.get("screening"),
            by=request.user,
            request=request,
        )
        return Response(SessionSerializer(session).data)


class SessionNoShowView(APIView):
    permission_classes = [HasRole(*STAFF)]

    @extend_schema(request=None, responses={200: SessionSerializer, **ERRORS})
    def post(self, request, public_id):
        session = services.session_no_show(
            session=_session(public_id), by=request.user, request=request
        )
        return Response(SessionSerializer(session).data)


class SessionCompleteView(APIView):
    permission_classes = [HasRole(Role.PRACTITIONER)]

    @extend_schema(
        request=CompleteInputSerializer,
        responses={200: SessionRecordSerializer(many=True), **ERRORS},
    )
    def post(self, request, public_id):
        session = _session(public_id)
        data = CompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        records = [charting.AreaRecord(**r) for r in data.validated_data["records"]]
        session = charting.session_complete(
            session=session, records=records, by=request.user, request=request
        )
        return Response(SessionRecordSerializer(session.records.all(), many=True).data)


class PatientArchiveView(APIView):
    """`POST /api/patients/{id}/archive/`: here, not in `patients`, because it cancels the
    patient's sessions still to come (`archive.patient_archive`)."""

    permission_classes = [HasRole(*FRONT_OFFICE)]

    @extend_schema(
        request=ArchiveInputSerializer,
        responses={200: PatientSerializer, **ERRORS},
        description=(
            "Archive a patient, saying why; the record stays readable and can be restored. "
            "While the patient has sessions still to come the answer is a 409 with code "
            "`future_sessions` listing them (`fields.sessions`: id and starts_at), unless "
            "`cancel_future_sessions` is true: then each is cancelled (the patient is told) and "
            "the record archived, all or nothing."
        ),
    )
    def post(self, request, public_id):
        patient = get_object_or_404(Patient, public_id=public_id)
        data = ArchiveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patient, _ = archive.patient_archive(
            patient=patient,
            reason=data.validated_data["reason"],
            cancel_future_sessions=data.validated_data["cancel_future_sessions"],
            by=request.user,
            request=request,
        )
        return Response(PatientSerializer(patient).data)
