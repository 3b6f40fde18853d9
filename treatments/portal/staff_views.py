"""The portal's staff pages under /portal/staff/: what patients reported through the portal
(reactions, pre-session calls, requests to cancel or move) and what the clinic does about
it, and the invitations that open a patient's portal.

Staff roles only: a patient's account gets a 403 from `role_required`. Each action parses a
form and calls one service; a refusal, or input no service could take, comes back to the
staff page as a message, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic import audit, contact
from clinic.errors import Forbidden, ServiceError
from clinic.forms import ClinicForm, error_texts
from clinic.models import Role
from clinic.roles import STAFF, role_required
from patients.models import Patient
from treatments.scheduling.models import Course

from . import booking, check_ins, invites, pre_session
from . import services as portal
from .forms import HandleBookingRequestForm, HandleRequestForm, InviteForm, NoteForm
from .models import (
    BookingRequest,
    CheckInAnswer,
    PreSessionCheck,
    ReactionFlag,
    SessionChangeRequest,
)
from .views import _private, when
from .warning_signs import sign_text

Action = audit.Action


def _staff_action(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[dict], object],
    done: str,
    back: str = "portal:staff",
) -> HttpResponse:
    """Run `action` on the form's cleaned data, then back to the staff page with a message:
    what was done, or why not (the form's problems, or the service's refusal)."""
    if not form.is_valid():
        for text in error_texts(form):
            messages.error(request, text)
        return redirect(back)
    try:
        action(form.cleaned_data)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back)


@role_required(*STAFF)
@require_safe
def staff_home(request: HttpRequest) -> HttpResponse:
    """What patients reported through the portal and what the clinic must do about it."""
    flags = list(
        ReactionFlag.objects.open()
        .select_related("patient", "session__practitioner", "check_in")
        .order_by("raised_at")
    )
    calls = list(
        PreSessionCheck.objects.filter(stops_session=True, resolved_at=None)
        .select_related("session__patient", "session__practitioner", "submission__screening")
        .order_by("session__starts_at")
    )
    requests = list(
        SessionChangeRequest.objects.filter(status=SessionChangeRequest.Status.OPEN)
        .select_related("patient", "session__practitioner")
        .order_by("session__starts_at")
    )
    asked = list(
        BookingRequest.objects.filter(status=BookingRequest.Status.REQUESTED)
        .select_related("patient", "protocol", "intake__screening")
        .order_by("created_at", "pk")
    )
    audit.record_many(
        actor=request.user,
        action=Action.LIST,
        objects=[*flags, *calls, *requests, *asked],
        request=request,
    )
    for flag in flags:
        flag.signs = [sign_text(c) for c in flag.warning_signs]
        flag.session_when = when(flag.session.starts_at)
        flag.mine = flag.session.practitioner.user_id == request.user.pk
    for item in [*calls, *requests]:
        item.session_when = when(item.session.starts_at)
    context = {
        "flags": flags,
        "calls": calls,
        "requests": requests,
        "booking_requests": asked,
        "can_clear": request.user.has_role(Role.PRACTITIONER),
        "can_triage": request.user.has_role(*TRIAGE),
    }
    return render(request, "portal/staff/home.html", context)


# --- Triage: every check-in answer, until a practitioner has read it -------------------------

# Who sees the triage list: the clinicians, and the manager who answers for them. Only a
# practitioner marks an answer read (`check_ins.check_in_mark_read`).
TRIAGE = (Role.PRACTITIONER, Role.MANAGER)


class MarkReadForm(ClinicForm):
    """ "Mark as read" on one answer of the triage list: which answer."""

    NOT_FOUND = "That check-in does not exist."

    check_in = forms.UUIDField(
        label="Check-in", widget=forms.HiddenInput, error_messages={"invalid": NOT_FOUND}
    )

    def clean_check_in(self) -> CheckInAnswer:
        answer = CheckInAnswer.objects.filter(public_id=self.cleaned_data["check_in"]).first()
        if answer is None:
            raise forms.ValidationError(self.NOT_FOUND)
        return answer


def _age(moment, now) -> str:
    """ "2 hours ago": the largest unit only, which is what a triage list needs."""
    if (now - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, now, depth=1)} ago"


@role_required(*TRIAGE)
@require_safe
def staff_triage(request: HttpRequest) -> HttpResponse:
    """Every check-in answer no practitioner has read, flagged ones first, newest first: how
    the skin is, the warning signs ticked or named in the note, the photo (DESIGN.md flow 6).
    The same queries for one answer or a hundred; each answer shown is audited as read."""
    answers = list(check_ins.triage_list())
    audit.record_many(actor=request.user, action=Action.LIST, objects=answers, request=request)
    now = timezone.now()
    for answer in answers:
        answer.age = _age(answer.submitted_at, now)
        # (text, named only in the note): the ticked boxes first, then what the note added.
        ticked = list(answer.warning_signs)
        answer.signs = [(sign_text(c), False) for c in ticked] + [
            (sign_text(c), True) for c in answer.note_signs if c not in ticked
        ]
        answer.flag_open = answer.flagged and answer.flag.is_open
        answer.session_when = when(answer.session.starts_at)
        answer.mine = answer.session.practitioner.user_id == request.user.pk
    context = {
        "answers": answers,
        "can_mark": request.user.has_role(Role.PRACTITIONER),
        "form": MarkReadForm(),
        "emergency_number": contact.emergency_number(),
    }
    return render(request, "portal/staff/triage.html", context)


@role_required(Role.PRACTITIONER)
@require_POST
def staff_check_in_read(request: HttpRequest) -> HttpResponse:
    return _staff_action(
        request,
        MarkReadForm(request.POST),
        lambda data: check_ins.check_in_mark_read(
            answer=data["check_in"], by=request.user, request=request
        ),
        "Marked as read.",
        back="portal:staff_triage",
    )


@role_required(Role.PRACTITIONER)
@require_POST
def staff_flag_clear(request: HttpRequest, flag_id) -> HttpResponse:
    flag = get_object_or_404(ReactionFlag, public_id=flag_id)
    return _staff_action(
        request,
        NoteForm(request.POST),
        lambda data: check_ins.reaction_flag_clear(
            flag=flag, note=data["note"], by=request.user, request=request
        ),
        "Cleared: the patient's next session can be checked in.",
    )


@role_required(Role.PRACTITIONER)
@require_safe
def staff_check_in_photo(request: HttpRequest, check_in_id) -> HttpResponse:
    answer = get_object_or_404(CheckInAnswer.objects.exclude(photo=""), public_id=check_in_id)
    audit.record(
        actor=request.user,
        action=Action.VIEW,
        obj=answer,
        request=request,
        detail={"photo": True},
    )
    response = FileResponse(answer.photo.open("rb"), content_type=answer.photo_type)
    response["Content-Disposition"] = "inline"
    return _private(response)


@role_required(*STAFF)
@require_POST
def staff_call_resolve(request: HttpRequest, check_id) -> HttpResponse:
    check = get_object_or_404(PreSessionCheck.objects.select_related("session__patient"),
                              public_id=check_id)  # fmt: skip
    return _staff_action(
        request,
        NoteForm(request.POST),
        lambda data: pre_session.pre_session_resolve(
            check=check, note=data["note"], by=request.user, request=request
        ),
        "Marked as resolved.",
    )


@role_required(*STAFF)
@require_POST
def staff_request_handle(request: HttpRequest, request_id) -> HttpResponse:
    change = get_object_or_404(SessionChangeRequest, public_id=request_id)
    return _staff_action(
        request,
        HandleRequestForm(request.POST),
        lambda data: portal.change_request_handle(
            change=change,
            outcome=data["outcome"],
            note=data["note"],
            by=request.user,
            request=request,
        ),
        "The request is closed.",
    )


@role_required(*STAFF)
@require_POST
def staff_booking_request_handle(request: HttpRequest, request_id) -> HttpResponse:
    """A practitioner confirms or declines a patient's request for a review or a new course."""
    asked = get_object_or_404(BookingRequest, public_id=request_id)
    return _staff_action(
        request,
        HandleBookingRequestForm(request.POST),
        lambda data: booking.booking_request_handle(
            booking_request=asked,
            outcome=data["outcome"],
            note=data["note"],
            by=request.user,
            request=request,
        ),
        "The request is answered.",
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def staff_invite(request: HttpRequest, patient_id) -> HttpResponse:
    """Invite a patient to the portal (or send a new link): a one-time link by e-mail or SMS."""
    patient = get_object_or_404(
        Patient.objects.select_related("portal_user").prefetch_related(
            Prefetch("portal_invites", to_attr="links")
        ),
        public_id=patient_id,
    )
    channels = invites.link_channels(patient)
    form = InviteForm(
        request.POST if request.method == "POST" else None,
        initial={"channel": channels[0] if channels else ""},
    )
    form.fields["channel"].choices = [c for c in form.fields["channel"].choices if c[0] in channels]
    if request.method == "POST" and form.is_valid():
        try:
            invite = invites.invite_send(
                patient=patient, by=request.user, channel=form.cleaned_data["channel"],
                request=request,
            )  # fmt: skip
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, invites.sending_note(invite))
            return redirect("portal:staff_invite", patient_id=patient.public_id)
    else:
        audit.record(actor=request.user, action=Action.VIEW, obj=patient, request=request)
    context = {
        "patient": patient,
        "form": form,
        "channels": channels,
        "links": patient.links[:5],
        "now": timezone.now(),
    }
    return render(request, "portal/staff/invite.html", context, status=400 if form.errors else 200)


@role_required(*STAFF)
@require_POST
def staff_invite_offer(request: HttpRequest, course_id) -> HttpResponse:
    """The one-click invitation offered on a booked course's page; back to the course page
    with when it goes, or why nothing was sent."""
    course = get_object_or_404(Course.objects.select_related("patient"), public_id=course_id)
    try:
        invite = invites.invite_offer_accept(
            patient=course.patient, by=request.user, request=request
        )
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except ServiceError as exc:
        messages.error(request, exc.as_text())
    else:
        messages.success(request, invites.sending_note(invite))
    return redirect("treatments:course", public_id=course.public_id)
