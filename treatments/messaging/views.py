"""The message log on staff pages: the context for `messaging/_message_log.html` and the
"Resend" button's POST view.

A page that shows the log merges `message_log_context(...)` into its context and includes
the partial:

    context.update(message_log_context(request=request, patient=patient))
    {% include "messaging/_message_log.html" %}

Include `urlpatterns` below in treatments/urls.py (namespace "treatments"): the partial's
form posts to `treatments:message_resend`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clinic import audit
from clinic.errors import Conflict
from clinic.roles import STAFF, role_required
from patients.models import Patient
from treatments.scheduling.models import Session

from . import sending
from .api import message_log
from .models import Message


def message_log_context(
    *,
    request: HttpRequest,
    patient: Patient | None = None,
    session: Session | None = None,
) -> dict:
    """What the partial needs: the rows (two queries: the messages with their patient and
    session, and the audit insert), the clinic's zone for the due times, where to come back
    to after a resend, and whether this user may resend."""
    rows = list(message_log(patient=patient, session=session))
    audit.record_many(actor=request.user, action=audit.Action.LIST, objects=rows, request=request)
    return {
        "message_log": rows,
        "message_log_zone": settings.CLINIC_TIME_ZONE,
        "message_log_next": request.get_full_path(),
        "message_log_can_resend": request.user.has_role(*STAFF),
    }


@require_POST
@role_required(*STAFF)
def resend(request: HttpRequest, public_id) -> HttpResponseRedirect:
    """Send a failed message again, then go back to the page the button was on."""
    message = get_object_or_404(
        Message.objects.select_related("patient", "session"), public_id=public_id
    )
    try:
        sending.message_resend(message=message, by=request.user, request=request)
    except Conflict as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, f"The {message.get_kind_display().lower()} will be sent again.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return HttpResponseRedirect(target)


urlpatterns = [
    path("messages/<uuid:public_id>/resend/", resend, name="message_resend"),
]
