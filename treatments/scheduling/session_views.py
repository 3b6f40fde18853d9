"""The session page's actions: check in (confirming the answers of the day), chart and
complete, move (alone or with the course's later sessions), cancel, no-show, and mark a
cancelled or missed session as not replaced.

Each is a small POST view: a form parses what was typed, one service acts on it. A refusal
(bad input, or a 409/400 from the service) comes back to the session page as a message
saying why, and nothing changes; the chart and check-in pages show their problems next to
the fields. (One thing a refused check-in keeps: a changed answer's new screening.)
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clinic import audit
from clinic.clock import clinic_today
from clinic.errors import ServiceError
from clinic.forms import error_texts
from clinic.models import Role
from clinic.roles import STAFF, role_required

from . import charting, repair, services
from . import check_in as check_in_service
from .check_in_form import CheckInForm
from .forms import CancelForm, ChartForm, DropForm, MoveForm
from .models import Session


def _session(public_id) -> Session:
    return get_object_or_404(
        Session.objects.select_related("course__protocol", "patient"), public_id=public_id
    )


def _back(session: Session) -> HttpResponse:
    return redirect("treatments:session", public_id=session.public_id)


def _done(request: HttpRequest, session: Session, action: Callable, success: str) -> HttpResponse:
    try:
        action()
    except ServiceError as exc:
        messages.error(request, exc.as_text())
    else:
        messages.success(request, success)
    return _back(session)


def _refused(request: HttpRequest, session: Session, form: forms.Form) -> HttpResponse:
    """Input no service could take: each problem as a message on the session page."""
    for text in error_texts(form):
        messages.error(request, text)
    return _back(session)


@role_required(*STAFF)
@require_http_methods(["GET", "HEAD", "POST"])
def check_in(request: HttpRequest, public_id) -> HttpResponse:
    """The on-the-day confirmation, then the check-in (clinical reference §1.2): each answer
    that is confirmed aloud, with what the patient said before and the course's planned
    areas, ticked as confirmed or changed. Unticked or unclear answers come back on the form
    (400); a refusal (409: the screening, consent, a hold, or a changed answer that stops
    the session) goes back to the session page saying why."""
    session = _session(public_id)
    if session.status != Session.Status.BOOKED:
        messages.error(request, f"This session is {session.get_status_display().lower()}.")
        return _back(session)
    if early_or_late := check_in_service.outside_window(session):
        messages.error(request, early_or_late)
        return _back(session)
    sheet = check_in_service.check_in_sheet(session)
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        obj=sheet.earlier or session,
        patient_id=session.patient.public_id,
        request=request,
    )
    posted = request.POST if request.method == "POST" else None
    form = CheckInForm(posted, sheet=sheet, today=clinic_today())
    status = 200
    if posted is not None:
        status = 400
        if form.is_valid():
            confirmed, changed = form.confirmation()
            try:
                check_in_service.session_check_in(
                    session=session,
                    confirmed=confirmed,
                    changed=changed,
                    screening_id=form.cleaned_data["screening"],
                    by=request.user,
                    request=request,
                )
            except ServiceError as exc:
                if exc.status != 400:
                    messages.error(request, exc.as_text())
                    return _back(session)
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    "Checked in with the new answers, screened again."
                    if changed
                    else "Checked in: every answer confirmed.",
                )
                return _back(session)
    return render(
        request,
        "scheduling/check_in.html",
        {"session": session, "sheet": sheet, "form": form, "rows": form.rows()},
        status=status,
    )


@require_POST
@role_required(*STAFF)
def cancel(request: HttpRequest, public_id) -> HttpResponse:
    session = _session(public_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _refused(request, session, form)
    return _done(
        request,
        session,
        lambda: services.session_cancel(
            session=session,
            reason=form.cleaned_data["reason"],
            initiated_by=form.cleaned_data["initiated_by"],
            by=request.user,
            request=request,
        ),
        "Cancelled; its pending reminders are cancelled too, and the patient is told.",
    )


@require_POST
@role_required(*STAFF)
def drop(request: HttpRequest, public_id) -> HttpResponse:
    """A cancelled or missed session will not be replaced: the course completes without it.
    Back to the course page, where the choice is offered."""
    session = _session(public_id)
    form = DropForm(request.POST)
    if form.is_valid():
        try:
            repair.session_drop(
                session=session, reason=form.cleaned_data["reason"], by=request.user,
                request=request,
            )  # fmt: skip
        except ServiceError as exc:
            messages.error(request, exc.as_text())
        else:
            messages.success(request, f"Session {session.number} will not be replaced.")
    else:
        for text in error_texts(form):
            messages.error(request, text)
    return redirect("treatments:course", public_id=session.course.public_id)


@require_POST
@role_required(*STAFF)
def no_show(request: HttpRequest, public_id) -> HttpResponse:
    session = _session(public_id)
    return _done(
        request,
        session,
        lambda: services.session_no_show(session=session, by=request.user, request=request),
        "Recorded as a no-show.",
    )


@require_POST
@role_required(*STAFF)
def reschedule(request: HttpRequest, public_id) -> HttpResponse:
    """The new time is typed on the clinic's wall clock (a datetime-local field)."""
    session = _session(public_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, session, form)
    return _done(
        request,
        session,
        lambda: services.session_reschedule(
            session=session,
            starts_at=form.cleaned_data["starts_at"],
            room=form.cleaned_data["room"],
            confirm_short_interval=form.cleaned_data["confirm_short_interval"],
            shift_following=form.cleaned_data["shift_following"],
            by=request.user,
            request=request,
        ),
        "Moved; the reminders follow the new time, and the patient is told."
        if not form.cleaned_data["shift_following"]
        else "Moved, with the later sessions of the course; the patient is told.",
    )


@role_required(Role.PRACTITIONER)
@require_http_methods(["GET", "HEAD", "POST"])
def complete(request: HttpRequest, public_id) -> HttpResponse:
    """Chart each area of the course (device setting, passes, cartridge lot, endpoint,
    reaction) and complete the session. A refused chart comes back as typed, with each
    problem next to its field (a 400, or the service's 409)."""
    session = _session(public_id)
    chart = ChartForm(session, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if chart.is_valid():
            try:
                charting.session_complete(
                    session=session, records=chart.records(), by=request.user, request=request
                )
            except ServiceError as exc:
                chart.add_service_errors(exc)
                status = exc.status
            else:
                messages.success(request, "Session completed; the aftercare has been sent.")
                return _back(session)
    # The chart shows the patient's session and areas: a read (DESIGN.md §6).
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        obj=session,
        request=request,
        detail={"page": "session_complete"},
    )
    return render(
        request, "scheduling/complete.html", {"session": session, "chart": chart}, status=status
    )
