"""HTML pages to plan and book a course: practitioners plan, front desk and practitioners book;
staff repair a booked course (a session in place of a cancelled one) or cancel it.

Thin views: a form in, one service call, a page out. A refused booking shows the page again
with each problem on its session's row; other refusals show as messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic import audit, panels
from clinic.clock import DAY_TIME, clinic_today, local_format, outside_date_window, to_local
from clinic.errors import ServiceError
from clinic.forms import error_texts
from clinic.models import Role
from clinic.roles import PLANNERS, STAFF, role_required
from patients import selectors as patient_selectors
from patients.models import Patient, ScreeningResult
from patients.screening import format_date

from . import course_flags, repair, selectors, services, spacing
from .forms import MAX_SLOTS, AddSessionForm, BookForm, CancelForm, ConfirmFlagsForm, CourseForm
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


@dataclass
class ProposedRow:
    """One session of the proposal on the course page: its time in a box front desk may
    change (clinic wall clock), its room, and what is wrong with it after a refused post."""

    number: int
    value: str
    room_id: int | None
    room: Room | None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    errors: list[str] = field(default_factory=list)


def _box(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def _rows_from_plan(slots, rooms: dict) -> list[ProposedRow]:
    return [
        ProposedRow(
            number=number,
            value=_box(slot.starts_at),
            room_id=slot.room_id,
            room=rooms.get(slot.room_id),
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
        )
        for number, slot in enumerate(slots, start=1)
    ]


def _rows_from_post(form: BookForm, course: Course, rooms: dict) -> list[ProposedRow]:
    """The rows as posted, each with its own problems, so nothing typed is lost."""
    typed = form.data.getlist("starts_at")[:MAX_SLOTS]
    room_ids = form.data.getlist("room")
    length = timedelta(minutes=course.protocol.session_minutes)
    rows = []
    for index, value in enumerate(typed):
        start = form.starts[index] if index < len(form.starts) else None
        room_id = room_ids[index] if index < len(room_ids) else ""
        room_pk = int(room_id) if str(room_id).isdigit() and len(str(room_id)) < 19 else None
        rows.append(
            ProposedRow(
                number=index + 1,
                value=_box(start) if start else value[:40],
                room_id=room_pk,
                room=rooms.get(room_pk),
                starts_at=start,
                ends_at=start + length if start else None,
                errors=form.row_errors.get(index, []),
            )
        )
    return rows


def _deferral_note(screening, asked: date, rows: list[ProposedRow]) -> tuple[str, list[str]]:
    """Why the series starts later than asked: the screening defers treatment (the planner
    starts no earlier than `defer_until`, `services.course_proposal`), and the reasons."""
    if not rows or rows[0].starts_at is None or screening is None:
        return "", []
    if screening.outcome != ScreeningResult.Outcome.DEFER or screening.defer_until <= asked:
        return "", []
    first = to_local(rows[0].starts_at).date()
    if first < screening.defer_until:
        return "", []
    note = (
        f"The series starts on {format_date(first)}, not {format_date(asked)}, because "
        f"treatment is deferred until {format_date(screening.defer_until)}:"
    )
    reasons = [f["message"] for f in screening.findings if f.get("outcome") == "defer"]
    return note, reasons


@role_required(*STAFF)
@require_safe
def course_detail(request: HttpRequest, public_id) -> HttpResponse:
    course = get_object_or_404(_courses(), public_id=public_id)
    return _course_page(request, course)


def _courses():
    return Course.objects.select_related(
        "patient", "practitioner", "protocol", "flags_confirmed_by"
    )


def _course_page(
    request: HttpRequest, course: Course, *, book_form: BookForm | None = None
) -> HttpResponse:
    """The course; while planned, its proposal to book, or (after a refused post) the rows as
    posted with each one's problem, and the screening instead when it stands in the way."""
    audit.record(actor=request.user, action=audit.Action.VIEW, obj=course, request=request)
    sessions = list(course.sessions.select_related("room", "device").order_by("starts_at"))
    rows: list[ProposedRow] = []
    problem, warnings, clearance = "", [], None
    today = clinic_today()
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = today + timedelta(days=1)
    if far := outside_date_window(start):
        messages.error(request, f"No series searched from {start.isoformat()}: {far}")
        start = today + timedelta(days=1)
    rooms = {room.pk: room for room in Room.objects.all()}
    if course.status == Course.Status.PLANNED:
        clearance = patient_selectors.clearance(
            patient=course.patient, areas=course.areas, new_course=True
        )
    if clearance:
        if book_form is not None:
            rows = _rows_from_post(book_form, course, rooms)
        else:
            try:
                rows = _rows_from_plan(services.course_proposal(course=course, start=start), rooms)
            except ServiceError as exc:
                problem = exc.message
        starts = [row.starts_at for row in rows if row.starts_at]
        if starts:
            warnings = spacing.short_interval_warnings(course=course, starts=starts)
    deferral, deferral_reasons = _deferral_note(
        clearance.screening if clearance else None, max(start, today), rows
    )
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
            "clearance": clearance,
            "proposal": rows,
            "book_form": book_form,
            "problem": problem,
            "deferral": deferral,
            "deferral_reasons": deferral_reasons,
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
        # A refused booking is the form again with its problems (as every HTML form answers).
        status=400 if book_form is not None else 200,
    )


@require_POST
@role_required(*STAFF)
def course_book(request: HttpRequest, public_id) -> HttpResponse:
    """Book the proposal shown on the course page: the times as shown or as changed in their
    boxes, re-checked by the same service, with the box ticked when the page warned of a
    short interval from another course. A refusal shows the page again with the rows as
    posted and each problem on its row."""
    course = get_object_or_404(_courses(), public_id=public_id)
    form = BookForm(request.POST)
    if form.is_valid():
        try:
            services.course_book(
                course=course,
                slots=form.slots,
                by=request.user,
                confirm_short_interval=form.cleaned_data["confirm_short_interval"],
                request=request,
            )
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Booked all {len(form.slots)} sessions.")
            return redirect("treatments:course", public_id=course.public_id)
    return _course_page(request, course, book_form=form)


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
