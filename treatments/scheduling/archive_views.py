"""The page that archives a patient (issue 11 item 4): scheduling's, not the patient app's,
because it shows and cancels the patient's sessions still to come (`archive`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clinic import audit
from clinic.errors import Conflict, Invalid
from clinic.roles import FRONT_OFFICE, role_required
from patients.models import Patient

from . import archive
from .forms import ArchiveForm

Action = audit.Action
CANCEL = "cancel"  # the button: cancel the sessions to come and tell the patient, then archive


def _record(patient: Patient) -> str:
    return reverse("patients:detail", kwargs={"public_id": patient.public_id})


@role_required(*FRONT_OFFICE)
@require_http_methods(["GET", "HEAD", "POST"])
def patient_archive(request: HttpRequest, public_id) -> HttpResponse:
    """Ask why, show the sessions still to come, and archive: cancelling them (the patient
    told) when staff press that button, or refused, listing them, when they keep them."""
    patient = get_object_or_404(Patient, public_id=public_id)
    if patient.is_archived:
        messages.info(request, f"{patient.full_name}'s record is archived already.")
        return redirect(_record(patient))
    form = ArchiveForm(request.POST if request.method == "POST" else None)
    refused: archive.FutureSessions | None = None
    if request.method == "POST" and form.is_valid():
        try:
            patient, cancelled = archive.patient_archive(
                patient=patient,
                reason=form.cleaned_data["reason"],
                cancel_future_sessions=request.POST.get("sessions") == CANCEL,
                by=request.user,
                request=request,
            )
        except archive.FutureSessions as exc:
            refused = exc
        except Invalid as exc:
            form.add_service_errors(exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            done = f"{patient.full_name}'s record is archived. It stays here, read-only"
            if cancelled:
                n = len(cancelled)
                done += f"; {n} session{'s' if n != 1 else ''} cancelled and the patient told"
            messages.success(request, done + ".")
            return redirect(_record(patient))
    sessions = archive.future_sessions(patient)
    audit.record(
        actor=request.user,
        action=Action.VIEW,
        obj=patient,
        request=request,
        detail={"page": "archive"},
    )
    audit.record_many(actor=request.user, action=Action.LIST, objects=sessions, request=request)
    return render(
        request,
        "scheduling/patient_archive.html",
        {"patient": patient, "form": form, "sessions": sessions, "refused": refused},
        status=409 if refused else 400 if form.errors else 200,
    )
