"""The "Resend" button of the message log (the log itself is a panel on the patient record
and the session page: `treatments/messaging/panels.py`).

Its URL is in `urls.py` (namespace "treatments"): the partial's form posts to
`treatments:message_resend`.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clinic.errors import Conflict
from clinic.roles import STAFF, role_required

from . import sending
from .models import Message


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
