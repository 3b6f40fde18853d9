"""The patient joins or leaves the waitlist for their course's next session (issue 15 item 2:
"or the patient, where PORTAL_BOOKING allows"), beside the booking pages.

Only the patient's own booked course whose next session is not booked yet (the target of
`book_next`, never a booked session to move), and only with booking online on: anything else
is a 404. A patient who is not cleared is told why, as on the times page, and never sees the
form. Joining and leaving call the waitlist's own services (`entry_add`, `entry_remove`),
audited with the patient's account as the actor.

The practitioner defaults to the course's own, as the times page offers only theirs; the
patient may tick "any of our practitioners" to be offered more times.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from clinic.errors import Conflict, Forbidden, ServiceError
from treatments.waitlist import selectors as waitlist_selectors
from treatments.waitlist import services as waitlist_services

from . import booking
from .booking_views import target_or_404
from .forms import WaitlistJoinForm
from .views import _private, _render, patient_required

LEFT_IN_PORTAL = "Left by the patient in the portal."


@patient_required
@require_http_methods(["GET", "POST"])
def waitlist_join(request: HttpRequest, course_id) -> HttpResponse:
    """The course's window and the form to join it; or, when already waiting, the dates
    and a button to leave."""
    patient = request.patient
    # A course's id names only its next session still to book, never one to move.
    target = target_or_404(request, course_id, missing="No such course to wait for.")
    course = target.course
    verdict = booking.patient_clearance(patient=patient, areas=course.areas)
    why = booking.explain(verdict)
    entry = waitlist_selectors.waiting_by_course(patient).get(course.pk)
    window = waitlist_services.course_window(course)
    posted = request.POST if request.method == "POST" else None
    form = WaitlistJoinForm(posted, initial={"earliest": window.earliest, "latest": window.latest})
    status = 200
    if posted is not None and why is not None:
        status = 409
    elif posted is not None and entry is not None:
        messages.info(request, "You are already on the waitlist for this course.")
        return redirect(request.path)
    elif posted is not None:
        if form.is_valid():
            data = form.cleaned_data
            own = course.practitioner
            try:
                waitlist_services.entry_add(
                    course=course,
                    by=request.user,
                    earliest=data["earliest"],
                    latest=data["latest"],
                    weekdays=data["weekdays"],
                    not_before=data["not_before"],
                    not_after=data["not_after"],
                    practitioner=None if data["any_practitioner"] or not own.active else own,
                    within_window=True,
                    request=request,
                )
            except (Conflict, Forbidden) as exc:  # the state changed: say so on a fresh page
                messages.error(request, exc.message)
                return redirect(request.path)
            except ServiceError as exc:  # the input: under its fields
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    "You have joined the waitlist. The first patient to take a time that "
                    "comes free gets it, so answer our message soon.",
                )
                return redirect("portal:book")
        status = 400
    context = {
        "target": target,
        "why": why,
        "pre_session": booking.pre_session_link(patient) if why else None,
        "entry": entry,
        "window": window,
        "form": form,
        "nav": "sessions",
    }
    return _private(_render(request, "portal/booking/waitlist.html", context, status))


@patient_required
@require_POST
def waitlist_leave(request: HttpRequest, course_id) -> HttpResponse:
    """Leave the waitlist for the course (an offer in flight is withdrawn). Any of the
    patient's own booked courses, even one whose next session got booked meanwhile."""
    if not booking.books_next_session():
        raise Http404("Booking online is off.")
    course = booking.own_booked_course(request.patient, course_id)
    if course is None:
        raise Http404("No such course.")
    entry = waitlist_selectors.waiting_by_course(request.patient).get(course.pk)
    if entry is None:
        messages.info(request, "You are not on the waitlist for this course.")
        return redirect("portal:book")
    try:
        waitlist_services.entry_remove(
            entry=entry, reason=LEFT_IN_PORTAL, by=request.user, request=request
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "You have left the waitlist. You can join it again at any time.")
    return redirect("portal:book")
