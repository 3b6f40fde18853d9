"""The portal's booking pages (`treatments.portal.booking`): what the patient may book, the
free times of their next session as a list of radio buttons (a phone's screen, no script),
and, with `PORTAL_BOOKING=full`, asking for a review or a new course.

Only the patient's own courses and sessions: anything else is a 404. A patient who is not
cleared is told why and what to do, never shown a time. Paths carry public ids; the query
string only ever carries a date (`?from=2026-03-09`, the page of times), never patient data.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_safe

from clinic.clock import clinic_today, outside_date_window
from clinic.errors import Conflict, Forbidden, Invalid, ServiceError
from patients.vocabulary import AREA_LABELS, QUESTIONS
from treatments.waitlist import selectors as waitlist_selectors

from . import booking
from .forms import BookingRequestForm, PreSessionForm, SlotForm
from .models import BookingRequest
from .views import _private, _render, patient_required, when


def _day_from(request: HttpRequest) -> date | None:
    """`?from=YYYY-MM-DD`: the first day of the page of times (anything else: the first)."""
    raw = request.GET.get("from", "")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return None if outside_date_window(day) else day


@patient_required
@require_safe
def book_home(request: HttpRequest) -> HttpResponse:
    """What the patient may book now, or why not and what to do."""
    patient = request.patient
    rows = []
    if booking.books_next_session():
        targets = booking.next_sessions(patient)
        waiting = (
            waitlist_selectors.waiting_by_course(patient)
            if any(not t.moving for t in targets)
            else {}
        )
        for target in targets:
            verdict = booking.patient_clearance(patient=patient, areas=target.course.areas)
            rows.append(
                {
                    "target": target,
                    "when": when(target.session.starts_at) if target.moving else "",
                    "why": booking.explain(verdict),
                    "waiting": waiting.get(target.course.pk),
                }
            )
    context = {
        "mode": booking.mode(),
        "rows": rows,
        "pre_session": (booking.pre_session_link(patient) if any(r["why"] for r in rows) else None),
        "requests": booking.open_requests(patient) if booking.takes_requests() else [],
        "takes_requests": booking.takes_requests(),
        "nav": "sessions",
    }
    return _private(_render(request, "portal/booking/home.html", context))


def target_or_404(request: HttpRequest, ref, missing: str = "No such session to book."):
    """The patient's next session to book or move named by `ref` (a session's id, or a
    course's for its next session still to book), or a 404: booking online is off, or `ref`
    names nothing of theirs to book."""
    if not booking.books_next_session():
        raise Http404("Booking online is off.")
    try:
        return booking.next_session_for(request.patient, ref)
    except LookupError as exc:
        raise Http404(missing) from exc


@patient_required
@require_http_methods(["GET", "POST"])
def book_move(request: HttpRequest, session_id) -> HttpResponse:
    return _slots_page(request, target_or_404(request, session_id))


@patient_required
@require_http_methods(["GET", "POST"])
def book_next(request: HttpRequest, course_id) -> HttpResponse:
    if booking.books_next_session() and booking.own_booked_course(request.patient, course_id):
        try:
            target = booking.next_session_for(request.patient, course_id)
        except LookupError:
            # Booked meanwhile (another tab), or nothing left to book: say so, not a 404.
            messages.error(request, "There is no session left to book in this course.")
            return redirect("portal:sessions")
        return _slots_page(request, target)
    raise Http404("No such course to book.")


def _slots_page(request: HttpRequest, target: booking.NextSession) -> HttpResponse:
    """The free times for the next session, a week at a time; choosing one books or moves
    it (or, inside the notice period, asks the front desk to)."""
    patient = request.patient
    verdict = booking.patient_clearance(patient=patient, areas=target.course.areas)
    why = booking.explain(verdict)
    form = SlotForm(request.POST if request.method == "POST" else None)
    status = 200
    if why is None and request.method == "POST":
        if form.is_valid():
            try:
                done = booking.next_session_book(
                    patient=patient,
                    target=target,
                    starts_at=form.cleaned_data["starts_at"],
                    by=request.user,
                    request=request,
                )
            except (Conflict, Forbidden) as exc:  # the state changed: say so on a fresh page
                messages.error(request, exc.message)
                return redirect(request.path)
            except ServiceError as exc:  # the input: under its fields
                form.add_service_errors(exc)
            else:
                if done.change is not None:
                    messages.success(
                        request,
                        "Your session is less than "
                        f"{booking.notice().total_seconds() // 3600:.0f} hours away, so we "
                        "have asked the front desk to move it. They will contact you to "
                        "confirm; until then your session stays as it is.",
                    )
                else:
                    messages.success(
                        request,
                        f"Your session is booked for {when(done.session.starts_at)}. "
                        "We have sent you a confirmation.",
                    )
                return redirect("portal:sessions")
        status = 400
    elif why is not None and request.method == "POST":
        status = 409
    page = None
    if why is None:
        page = booking.slots(target, screening=verdict.screening, day_from=_day_from(request))
    context = {
        "target": target,
        # The way onto (or off) the waitlist when no time suits: a session still to book only.
        "waiting": (
            waitlist_selectors.waiting_by_course(patient).get(target.course.pk)
            if why is None and not target.moving
            else None
        ),
        "course_areas": ", ".join(AREA_LABELS.get(a, a).lower() for a in target.course.areas),
        "when": when(target.session.starts_at) if target.moving else "",
        "why": why,
        "pre_session": booking.pre_session_link(patient) if why else None,
        "page": page,
        "form": form,
        "notice_hours": round(booking.notice().total_seconds() / 3600),
        "today": clinic_today(),
        "nav": "sessions",
    }
    return _private(_render(request, "portal/booking/slots.html", context, status))


# --- Asking for a review or a new course ----------------------------------------------------


@patient_required
@require_http_methods(["GET", "POST"])
def book_request(request: HttpRequest) -> HttpResponse:
    """Step one: a review or a new course (which treatment, which areas); a new course then
    takes the full health questions (step two, the same form posted again with them)."""
    if not booking.takes_requests():
        if request.method == "POST":
            messages.error(request, "Please call us to ask for a review or a new course.")
            return redirect("portal:book")
        return _private(_render(request, "portal/booking/request.html", {"off": True}))
    patient = request.patient
    protocols = booking.online_protocols()
    posted = request.POST if request.method == "POST" else None
    form = BookingRequestForm(posted, protocols=protocols)
    questions = None
    status = 200
    if posted is not None:
        if form.is_valid():
            data = form.cleaned_data
            new_course = data["kind"] == BookingRequest.Kind.NEW_COURSE
            if new_course:
                questions = PreSessionForm(
                    posted if posted.get("step") == "questions" else None,
                    today=clinic_today(),
                    keys=QUESTIONS.keys(),
                )
            if not new_course or questions.is_bound:
                if questions is None or questions.is_valid():
                    try:
                        booking.booking_request_create(
                            patient=patient,
                            kind=data["kind"],
                            protocol=data["protocol"],
                            areas=data["areas"],
                            answers=questions.answers() if questions else None,
                            when_suits=data["when_suits"],
                            by=request.user,
                            request=request,
                        )
                    except Invalid as exc:
                        (questions or form).add_service_errors(exc)
                    except (Conflict, Forbidden) as exc:
                        messages.error(request, exc.message)
                        return redirect("portal:book")
                    else:
                        messages.success(
                            request,
                            "Thank you. A practitioner will look at your request and contact "
                            "you to confirm.",
                        )
                        return redirect("portal:book")
                status = 400
        else:
            status = 400
    context = {
        "form": form,
        "questions": questions,
        "protocols": protocols,
        "nav": "sessions",
    }
    return _private(_render(request, "portal/booking/request.html", context, status))
