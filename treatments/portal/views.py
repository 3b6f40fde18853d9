"""The patient portal's pages under /portal/ (the staff pages that act on what patients
report are in `staff_views`).

A portal page needs a patient's account and shows only that patient's records: another
patient's session is a 404, the same as one that does not exist, so ids leak nothing
(DESIGN.md §6). Staff accounts are refused here (403). Views stay thin: parse a form,
call one service, render or redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic import audit, backends, contact
from clinic.clock import WHEN_IN_ZONE, clinic_today, local_format
from clinic.errors import Conflict, Invalid, ServiceError
from patients.vocabulary import AREAS
from treatments.scheduling.models import Session
from treatments.waitlist import selectors as waitlist_selectors

from . import aftercare, booking, check_ins, invites, photos
from . import pre_session as pre_session_check
from . import services as portal
from .forms import (
    AcknowledgeForm,
    ChangeRequestForm,
    CheckInForm,
    PortalLoginForm,
    PreferencesForm,
    PreSessionForm,
    ResetRequestForm,
    SetPasswordForm,
)
from .models import CheckInAnswer, ReactionFlag

Action = audit.Action
# A check-in POST larger than this is refused before its body is read (a 5 MB photo + form).
MAX_CHECK_IN_REQUEST = photos.MAX_BYTES + 256 * 1024


def patient_required(view: Callable) -> Callable:
    """A portal page: a logged-in patient's account with its patient record (`request.patient`).

    Anonymous visitors go to the portal's login and come back; staff accounts get a 403.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if not user.is_patient:
            raise PermissionDenied("The portal is for patients; staff use the clinic pages.")
        patient = portal.patient_for(user)
        if patient is None or patient.is_archived:
            raise PermissionDenied("This portal account is closed. Please call the clinic.")
        request.patient = patient
        return view(request, *args, **kwargs)

    return wrapped


def _own_session(request: HttpRequest, session_id, *statuses: str) -> Session:
    """One of the logged-in patient's sessions, else 404 (someone else's is a 404 too)."""
    sessions = Session.objects.select_related("practitioner", "room", "course", "patient")
    if statuses:
        sessions = sessions.filter(status__in=statuses)
    return get_object_or_404(sessions, public_id=session_id, patient=request.patient)


def when(moment) -> str:
    """ "Monday 30 March 2026 at 10:00 BST": the clinic's wall clock, with its zone."""
    return local_format(moment, WHEN_IN_ZONE)


def _render(request, template: str, context: dict | None = None, status: int = 200):
    context = {
        "emergency_number": contact.emergency_number(),
        "urgent_signs": aftercare.URGENT_SIGNS,
        **(context or {}),
    }
    return render(request, template, context, status=status)


def _posted(request: HttpRequest):
    """The form data of a POST (even an empty one, so its errors show), else None."""
    return request.POST if request.method == "POST" else None


def _content_length(request: HttpRequest) -> int:
    """The body's declared size; a header that is not a number declares nothing."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _private(response: HttpResponse) -> HttpResponse:
    """Pages with a token or health details are never cached. (The referrer policy stays
    the site's "same-origin": the token never leaves the site, and "no-referrer" would make
    browsers send `Origin: null`, which the CSRF check rightly refuses.)"""
    response["Cache-Control"] = "no-store, private"
    return response


# --- Logging in and one-time links --------------------------------------------------------


class PortalLoginView(LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalLoginForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_patient:
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        return reverse("portal:home")


@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """A one-time link from an invitation or reset: set a password, then the portal opens."""
    try:
        invite = invites.link_check(token)
    except Invalid as exc:
        return _link_invalid(request, exc)
    form = SetPasswordForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = invites.link_accept(
                token=token, password=form.cleaned_data["password"], request=request
            )
        except Invalid as exc:
            if not exc.fields:
                return _link_invalid(request, exc)
            form.add_service_errors(exc)
        else:
            login(request, user, backend=backends.PATH)
            messages.success(request, "Your password is set. Welcome to your portal.")
            return redirect("portal:home")
    username = invite.patient.portal_user.username if invite.patient.portal_user else None
    context = {
        "form": form,
        "invite": invite,
        "username": username or invites.username_for(invite.patient),
        "first_name": invite.patient.first_name,
    }
    status = 400 if form.errors else 200
    return _private(_render(request, "portal/set_password.html", context, status))


def _link_invalid(request: HttpRequest, exc: Invalid) -> HttpResponse:
    status = 404 if exc.message == invites.LINK_UNKNOWN else 410
    response = _render(request, "portal/link_invalid.html", {"message": exc.message}, status)
    return _private(response)


@never_cache
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    """Forgotten password: a one-time link goes to the patient's e-mail or phone."""
    form = ResetRequestForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            invites.reset_request(identifier=form.cleaned_data["identifier"], request=request)
        except Invalid as exc:
            form.add_service_errors(exc)
        else:
            return _render(request, "portal/reset_sent.html")
    return _render(request, "portal/reset.html", {"form": form}, 400 if form.errors else 200)


# --- Home ---------------------------------------------------------------------------------


@patient_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    patient = request.patient
    today = clinic_today()
    latest = (
        Session.objects.filter(patient=patient, status=Session.Status.COMPLETED)
        .select_related("course")
        .order_by("-status_changed_at", "-starts_at")
        .first()
    )
    timeline = portal.aftercare_timeline(session=latest, today=today) if latest else None
    upcoming = portal.upcoming_sessions(patient)
    next_session = upcoming[0] if upcoming else None
    pre_session = None
    if next_session is not None and pre_session_check.pre_session_is_open(next_session, today):
        pre_session = {
            "session": next_session,
            "check": next_session.pre_session_checks.order_by("-created_at").first(),
        }
    context = {
        "patient": patient,
        "latest": latest,
        "latest_when": when(latest.starts_at) if latest else "",
        "timeline": timeline,
        "next_session": next_session,
        "next_when": when(next_session.starts_at) if next_session else "",
        "pre_session": pre_session,
        "open_flag": ReactionFlag.objects.open().filter(patient=patient).exists(),
        "booking_online": booking.books_next_session(),
        "nav": "home",
    }
    return _private(_render(request, "portal/home.html", context))


# --- Aftercare and check-ins --------------------------------------------------------------


@patient_required
@require_safe
def aftercare_latest(request: HttpRequest) -> HttpResponse:
    """The link in aftercare and check-in messages: the most recent session's aftercare."""
    latest = (
        Session.objects.filter(patient=request.patient, status=Session.Status.COMPLETED)
        .order_by("-status_changed_at", "-starts_at")
        .first()
    )
    if latest is None:
        return _render(request, "portal/aftercare_none.html", {"nav": "aftercare"})
    return redirect("portal:aftercare", session_id=latest.public_id)


@patient_required
@require_safe
def aftercare_detail(request: HttpRequest, session_id) -> HttpResponse:
    session = _own_session(request, session_id, Session.Status.COMPLETED)
    timeline = portal.aftercare_timeline(session=session)
    context = {
        "session": session,
        "session_when": when(session.starts_at),
        "timeline": timeline,
        "warning_signs": aftercare.WARNING_SIGNS,
        "check_ins": CheckInAnswer.objects.filter(session=session).order_by("-submitted_at")[:5],
        "open_flag": ReactionFlag.objects.open().filter(session=session).exists(),
        "nav": "aftercare",
    }
    return _private(_render(request, "portal/aftercare.html", context))


@patient_required
@require_POST
def aftercare_acknowledge(request: HttpRequest, session_id) -> HttpResponse:
    session = _own_session(request, session_id, Session.Status.COMPLETED)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a step of the timeline.")
        return redirect("portal:aftercare", session_id=session.public_id)
    try:
        portal.aftercare_acknowledge(
            session=session, stage=form.cleaned_data["stage"], by=request.user, request=request
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Thank you: we have noted that you read this step.")
    return redirect(reverse("portal:aftercare", args=[session.public_id]) + "#today")


@patient_required
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, session_id) -> HttpResponse:
    """ "How is your skin?": the check-in after a session, with an optional photo."""
    session = _own_session(request, session_id, Session.Status.COMPLETED)
    form = CheckInForm()
    status = 200
    if request.method == "POST":
        if _content_length(request) > MAX_CHECK_IN_REQUEST:
            # Far too big: refused without looking at it. (The proxy in front should cap
            # request bodies too; Django has already spooled this one to a temporary file.)
            form = CheckInForm(data={})
            form.full_clean()
            form.errors.clear()
            form.add_error("photo", photos.TOO_BIG)
            status = 400
        else:
            form = CheckInForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data.get("photo")
                data = None
                if upload:
                    data = upload.read(photos.MAX_BYTES + 1)
                try:
                    answer = check_ins.check_in_submit(
                        session=session,
                        skin=form.cleaned_data["skin"],
                        warning_signs=form.cleaned_data["warning_signs"],
                        note=form.cleaned_data["note"],
                        photo=data,
                        by=request.user,
                        request=request,
                    )
                except Invalid as exc:
                    form.add_service_errors(exc)
                else:
                    if answer.urgent:  # first, and in red: emergency services, not us
                        messages.error(request, check_ins.emergency_notice())
                    if hasattr(answer, "flag"):
                        messages.warning(
                            request,
                            "Thank you. We have told your practitioner, who will contact you. "
                            f"If it gets worse, call us on {settings.CLINIC_PHONE}.",
                        )
                    else:
                        messages.success(request, "Thank you for telling us how your skin is.")
                    return redirect("portal:aftercare", session_id=session.public_id)
            status = 400
    context = {
        "session": session,
        "session_when": when(session.starts_at),
        "form": form,
        "nav": "aftercare",
    }
    return _private(_render(request, "portal/check_in.html", context, status))


# --- The pre-session check ----------------------------------------------------------------


@patient_required
@require_safe
def pre_session_next(request: HttpRequest) -> HttpResponse:
    """The link in the pre-session message: the check for the patient's next session."""
    session = pre_session_check.next_booked_session(request.patient)
    if session is None:
        return _render(request, "portal/pre_session_none.html", {"nav": "sessions"})
    return redirect("portal:pre_session", session_id=session.public_id)


@patient_required
@require_http_methods(["GET", "POST"])
def pre_session(request: HttpRequest, session_id) -> HttpResponse:
    session = _own_session(request, session_id, Session.Status.BOOKED)
    if session.starts_at <= timezone.now():
        raise Http404("This session has already started.")
    today = clinic_today()
    latest = session.pre_session_checks.order_by("-created_at").first()
    context = {
        "session": session,
        "session_when": when(session.starts_at),
        "planned_areas": aftercare.area_list(
            [a for a, _label in AREAS if a in session.course.areas]
        ),
        "opens_on": pre_session_check.pre_session_opens_on(session),
        "is_open": pre_session_check.pre_session_is_open(session, today),
        "latest": latest,
        "nav": "sessions",
    }
    form = None
    status = 200
    posted = request.method == "POST"
    if context["is_open"] and (latest is None or request.GET.get("again") or posted):
        form = PreSessionForm(
            _posted(request), today=today, keys=pre_session_check.pre_session_questions(session)
        )
        if request.method == "POST" and form.is_valid():
            try:
                pre_session_check.pre_session_submit(
                    session=session, answers=form.answers(), by=request.user, request=request
                )
            except Conflict as exc:
                messages.error(request, exc.message)
                return redirect("portal:pre_session", session_id=session.public_id)
            except Invalid as exc:
                form.add_service_errors(exc)
            else:
                return redirect("portal:pre_session", session_id=session.public_id)
        if form.errors:
            status = 400
    context["form"] = form
    return _private(_render(request, "portal/pre_session.html", context, status))


# --- Sessions -----------------------------------------------------------------------------


@patient_required
@require_safe
def sessions(request: HttpRequest) -> HttpResponse:
    upcoming = portal.upcoming_sessions(request.patient)
    today = clinic_today()
    online = booking.books_next_session()
    # The next booked session of each course may be moved here (the booking page says
    # whether the patient is cleared to, and shows the times).
    movable = set()
    for s in upcoming:
        if (
            s.status == Session.Status.BOOKED
            and s.starts_at > timezone.now()
            and not any(m.course_id == s.course_id for m in movable)
        ):
            movable.add(s)
    rows = [
        {
            "session": s,
            "when": when(s.starts_at),
            "pre_session_open": pre_session_check.pre_session_is_open(s, today),
            "can_change": s.status == Session.Status.BOOKED,
            "can_move_online": online and s in movable,
        }
        for s in upcoming
    ]
    context = {
        "rows": rows,
        "nav": "sessions",
        "booking_online": online,
        # Courses waiting for a time to come free (the booking page shows how to leave).
        "waiting": list(waitlist_selectors.waiting_by_course(request.patient).values())
        if online
        else [],
    }
    return _render(request, "portal/sessions.html", context)


@patient_required
@require_safe
def session_ics(request: HttpRequest, session_id) -> HttpResponse:
    session = _own_session(request, session_id, *Session.ACTIVE)
    response = HttpResponse(
        portal.session_calendar_file(session), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="microneedling-session.ics"'
    return _private(response)


@patient_required
@require_http_methods(["GET", "POST"])
def change_request(request: HttpRequest, session_id) -> HttpResponse:
    session = _own_session(request, session_id, Session.Status.BOOKED)
    form = ChangeRequestForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            portal.change_request_create(
                session=session,
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
                by=request.user,
                request=request,
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("portal:sessions")
        except Invalid as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, "Thank you. The clinic will contact you to confirm the change."
            )
            return redirect("portal:sessions")
    context = {
        "session": session,
        "session_when": when(session.starts_at),
        "form": form,
        "nav": "sessions",
    }
    return _render(request, "portal/change_request.html", context, 400 if form.errors else 200)


# --- Preferences --------------------------------------------------------------------------


@patient_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    patient = request.patient
    initial = {
        "email_consent": patient.email_consent,
        "sms_consent": patient.sms_consent,
        "preferred_channel": patient.preferred_channel,
    }
    form = PreferencesForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            portal.preferences_update(patient=patient, by=request.user, request=request,
                                      **form.cleaned_data)  # fmt: skip
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Your preferences are saved.")
            return redirect("portal:preferences")
    context = {"form": form, "patient": patient, "nav": "preferences"}
    return _render(request, "portal/preferences.html", context, 400 if form.errors else 200)
