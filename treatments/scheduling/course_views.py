"""HTML pages to plan and book a course: practitioners plan, front desk and practitioners book.

Thin views: a form in, one service call, a page out. Service errors show as messages.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from clinic import audit
from clinic.clock import clinic_today, to_local
from clinic.errors import ServiceError
from clinic.forms import add_service_errors
from clinic.roles import PLANNERS, STAFF, role_required
from patients import selectors as patient_selectors
from patients.models import Patient
from patients.vocabulary import AREAS

from . import services
from .models import Course, Practitioner, Protocol, Room


class CourseForm(forms.Form):
    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.filter(active=True))
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.all(), label="Indication")
    areas = forms.MultipleChoiceField(choices=AREAS, widget=forms.CheckboxSelectMultiple)
    sessions = forms.IntegerField(
        min_value=1, max_value=12, required=False, help_text="Leave empty for the protocol's."
    )
    interval_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        required=False,
        label="Days between sessions",
        help_text="Leave empty for the protocol's (usually 28).",
    )


@role_required(*PLANNERS)
def course_new(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.active(), public_id=patient_id)
    latest = patient_selectors.latest_screening(patient)
    initial = {"areas": latest.submission.areas if latest else []}
    practitioner = getattr(request.user, "practitioner", None)
    if practitioner is not None:
        initial["practitioner"] = practitioner.pk
    form = CourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            course = services.course_create(
                patient=patient,
                practitioner=data["practitioner"],
                protocol=data["protocol"],
                areas=data["areas"],
                sessions=data["sessions"],
                interval_days=data["interval_days"],
                by=request.user,
                request=request,
            )
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Course planned. Choose the sessions to book.")
            return redirect("treatments:course", public_id=course.public_id)
    return render(
        request,
        "scheduling/course_new.html",
        {"patient": patient, "form": form, "screening": latest},
    )


@role_required(*STAFF)
def course_detail(request: HttpRequest, public_id) -> HttpResponse:
    course = get_object_or_404(
        Course.objects.select_related("patient", "practitioner", "protocol"),
        public_id=public_id,
    )
    audit.record(actor=request.user, action=audit.Action.VIEW, obj=course, request=request)
    sessions = list(course.sessions.select_related("room", "device").order_by("starts_at"))
    proposal, problem = [], ""
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = clinic_today() + timedelta(days=1)
    if course.status == Course.Status.PLANNED:
        try:
            proposal = services.course_proposal(course=course, start=start)
        except ServiceError as exc:
            problem = exc.message
    rooms = {room.pk: room for room in Room.objects.all()}
    return render(
        request,
        "scheduling/course_detail.html",
        {
            "course": course,
            "sessions": [(s, to_local(s.starts_at), to_local(s.ends_at)) for s in sessions],
            "proposal": [
                (slot, to_local(slot.starts_at), to_local(slot.ends_at), rooms.get(slot.room_id))
                for slot in proposal
            ],
            "problem": problem,
            "start": start,
        },
    )


@require_POST
@role_required(*STAFF)
def course_book(request: HttpRequest, public_id) -> HttpResponse:
    """Book the proposal shown on the course page (the times are posted back as shown)."""
    course = get_object_or_404(Course, public_id=public_id)
    starts = request.POST.getlist("starts_at")
    room_ids = request.POST.getlist("room")
    try:
        rooms = {r.pk: r for r in Room.objects.filter(pk__in=[int(r) for r in room_ids])}
        slots = [
            services.SlotRequest(starts_at=parse_datetime(s), room=rooms[int(r)])
            for s, r in zip(starts, room_ids, strict=True)
        ]
        if any(slot.starts_at is None or slot.starts_at.tzinfo is None for slot in slots):
            raise ValueError("bad time")
    except (ValueError, KeyError):
        messages.error(request, "The proposed times were not understood. Please try again.")
        return redirect("treatments:course", public_id=course.public_id)
    try:
        services.course_book(course=course, slots=slots, by=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, f"Nothing was booked: {exc.as_text()}")
    else:
        messages.success(request, f"Booked all {len(slots)} sessions.")
    return redirect("treatments:course", public_id=course.public_id)


urlpatterns = [
    path("courses/new/<uuid:patient_id>/", course_new, name="course_new"),
    path("courses/<uuid:public_id>/", course_detail, name="course"),
    path("courses/<uuid:public_id>/book/", course_book, name="course_book"),
]
