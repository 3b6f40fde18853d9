"""HTML pages to plan and book a course: practitioners plan, front desk and practitioners book;
staff repair a booked course (a session in place of a cancelled one) or cancel it.

Thin views: a form in, one service call, a page out. Service errors show as messages.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic import audit, panels
from clinic.clock import DAY_TIME, clinic_today, local_format
from clinic.errors import ServiceError
from clinic.forms import error_texts
from clinic.models import Role
from clinic.roles import PLANNERS, STAFF, role_required
from patients import selectors as patient_selectors
from patients.models import Patient

from . import course_flags, repair, selectors, services, spacing
from .forms import AddSessionForm, BookForm, CancelForm, ConfirmFlagsForm, CourseForm
from .models import Course, Room


@role_required(*PLANNERS)
@require_http_methods(["GET", "HEAD", "POST"])
def course_new(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.active(), public_id=patient_id)
    latest = patient_selectors.latest_screening(patient)
    initial = {"areas": latest.submission.areas if latest else []}
    practitioner = getattr(request.user, "practitioner", None)
    if practitioner is not None:
        initial["practitioner"] = practitioner.pk
    form = CourseForm(request.POST if request.method == "POST" else None, initial=initial)
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
            form.add_service_errors(exc)
        else:
            messages.success(request, "Course planned. Choose the sessions to book.")
            return redirect("treatments:course", public_id=course.public_id)
    # The planning page shows the patient and their latest screening: a read (DESIGN.md §6).
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        obj=patient,
        request=request,
        detail={"page": "course_new"},
    )
    return render(
        request,
        "scheduling/course_new.html",
        {"patient": patient, "form": form, "screening": latest},
    )


@role_required(*STAFF)
@require_safe
def course_detail(request: HttpRequest, public_id) -> HttpResponse:
    course = get_object_or_404(
        Course.objects.select_related("patient", "practitioner", "protocol", "flags_confirmed_by"),
        public_id=public_id,
    )
    audit.record(actor=request.user, action=audit.Action.VIEW, obj=course, request=request)
    sessions = list(course.sessions.select_related("room", "device").order_by("starts_at"))
    proposal, problem, warnings = [], "", []
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = clinic_today() + timedelta(days=1)
    if course.status == Course.Status.PLANNED:
        try:
            proposal = services.course_proposal(course=course, start=start)
        except ServiceError as exc:
            problem = exc.message
        else:
            warnings = spacing.short_interval_warnings(
                course=course, starts=[slot.starts_at for slot in proposal]
            )
    rooms = {room.pk: room for room in Room.objects.all()}
    flags = course_flags.flags_for(course)
    progress = selectors.course_progress(course)
    repairable = course.status == Course.Status.BOOKED and progress.open > 0
    return render(
        request,
        "scheduling/course_detail.html",
        {
            "course": course,
            "flags": flags,
            "flags_waiting": course_flags.unconfirmed_flags(course),
            "confirm_form": ConfirmFlagsForm(),
            "is_practitioner": request.user.has_role(Role.PRACTITIONER),
            "sessions": sessions,
            "proposal": [(slot, rooms.get(slot.room_id)) for slot in proposal],
            "problem": problem,
            "short_interval_warnings": warnings,
            "start": start,
            "progress": progress,
            "repairable": repairable,
            "droppable": [
                s.pk
                for s in sessions
                if repairable and s.status in ("cancelled", "no_show") and not s.dropped_reason
            ],
            "add_form": AddSessionForm(initial={"room": course_room(sessions)}),
            "cancel_form": CancelForm(auto_id="course-cancel-%s"),
            "can_cancel": course.status in (Course.Status.PLANNED, Course.Status.BOOKED),
            # Sections of higher packages: the portal offers an invitation once it is booked.
            "panels": panels.collect(panels.COURSE_PAGE, request=request, course=course),
        },
    )


@require_POST
@role_required(*STAFF)
def course_book(request: HttpRequest, public_id) -> HttpResponse:
    """Book the proposal shown on the course page (the times are posted back as shown), with
    the box ticked when the page warned of a short interval from another course."""
    course = get_object_or_404(Course, public_id=public_id)
    form = BookForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The proposed times were not understood. Please try again.")
        return redirect("treatments:course", public_id=course.public_id)
    slots = form.slots
    try:
        services.course_book(
            course=course,
            slots=slots,
            by=request.user,
            confirm_short_interval=form.cleaned_data["confirm_short_interval"],
            request=request,
        )
    except ServiceError as exc:
        messages.error(request, f"Nothing was booked: {exc.as_text()}")
    else:
        messages.success(request, f"Booked all {len(slots)} sessions.")
    return redirect("treatments:course", public_id=course.public_id)


def course_room(sessions: list) -> int | None:
    """The room the course's last session was in: the likeliest for a replacement."""
    return sessions[-1].room_id if sessions else None


def _back(course: Course) -> HttpResponse:
    return redirect("treatments:course", public_id=course.public_id)


@require_POST
@role_required(*STAFF)
def course_add_session(request: HttpRequest, public_id) -> HttpResponse:
    """Book a session in place of a cancelled or missed one (issue 11 item 3)."""
    course = get_object_or_404(Course, public_id=public_id)
    form = AddSessionForm(request.POST)
    if not form.is_valid():
        for text in error_texts(form):
            messages.error(request, f"Nothing was booked: {text}")
        return _back(course)
    try:
        session = repair.course_add_session(
            course=course,
            slot=services.SlotRequest(
                starts_at=form.cleaned_data["starts_at"], room=form.cleaned_data["room"]
            ),
            confirm_short_interval=form.cleaned_data["confirm_short_interval"],
            by=request.user,
            request=request,
        )
    except ServiceError as exc:
        messages.error(request, f"Nothing was booked: {exc.as_text()}")
    else:
        messages.success(
            request,
            f"Booked session {session.number} on {local_format(session.starts_at, DAY_TIME)}; "
            "the patient is sent a confirmation.",
        )
    return _back(course)


@require_POST
@role_required(*STAFF)
def course_cancel(request: HttpRequest, public_id) -> HttpResponse:
    """Cancel the whole course and its booked sessions; the patient is told once."""
    course = get_object_or_404(Course, public_id=public_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        for text in error_texts(form):
            messages.error(request, f"Nothing was cancelled: {text}")
        return _back(course)
    try:
        repair.course_cancel(
            course=course,
            reason=form.cleaned_data["reason"],
            initiated_by=form.cleaned_data["initiated_by"],
            by=request.user,
            request=request,
        )
    except ServiceError as exc:
        messages.error(request, exc.as_text())
    else:
        messages.success(
            request, "The course is cancelled, with its booked sessions; the patient is told."
        )
    return _back(course)


@require_POST
@role_required(Role.PRACTITIONER)
def course_confirm_flags(request: HttpRequest, public_id) -> HttpResponse:
    """A practitioner confirms an off-label or pigmentation course, with the clinical note."""
    course = get_object_or_404(Course, public_id=public_id)
    form = ConfirmFlagsForm(request.POST)
    form.is_valid()  # the service checks the note and says what is wrong
    try:
        course_flags.course_confirm_flags(
            course=course, note=form.cleaned_data.get("note", ""), by=request.user, request=request
        )
    except ServiceError as exc:
        messages.error(request, exc.as_text())
    else:
        messages.success(request, "Confirmed. Your name, the time and the note are recorded.")
    return redirect("treatments:course", public_id=course.public_id)
