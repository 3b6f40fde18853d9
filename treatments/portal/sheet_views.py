"""Staff pages for the aftercare sheet (issue 10 item 7): print it as a PDF, or have it
e-mailed. Linked from a completed session's page (`panels.aftercare_sheet_panel`).

Staff roles only (`aftercare_sheet.SHEET_ROLES`): a patient's portal account gets a 403. A
session that does not exist or is not completed is a 404: it has no sheet.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST, require_safe

from clinic import audit
from clinic.errors import Forbidden, ServiceError
from clinic.roles import role_required
from treatments.scheduling.models import Session

from . import aftercare_sheet
from .aftercare_sheet import SHEET_ROLES
from .views import _private


def _completed(session_id) -> Session:
    return get_object_or_404(
        Session.objects.select_related("patient", "course"),
        public_id=session_id,
        status=Session.Status.COMPLETED,
    )


@role_required(*SHEET_ROLES)
@require_safe
def sheet_pdf(request: HttpRequest, session_id) -> HttpResponse:
    """The sheet, to print: a staff read of the patient's record, audited."""
    session = _completed(session_id)
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        obj=session,
        request=request,
        detail={"aftercare_sheet": "pdf"},
    )
    try:
        pdf = aftercare_sheet.sheet_pdf(session)
    except aftercare_sheet.SheetUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type=aftercare_sheet.PDF)
    name = aftercare_sheet.sheet_filename(session)
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return _private(response)


@role_required(*SHEET_ROLES)
@require_POST
def sheet_email(request: HttpRequest, session_id) -> HttpResponse:
    """Queue the sheet's e-mail; a refusal (no address, no consent, already sent) comes back
    to the session page as a message, and nothing is queued."""
    session = _completed(session_id)
    try:
        aftercare_sheet.aftercare_sheet_email(session=session, by=request.user, request=request)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except ServiceError as exc:
        messages.error(request, f"The sheet was not e-mailed: {exc.message}")
    else:
        messages.success(
            request, "The aftercare sheet will be e-mailed to the patient in a moment, as a PDF."
        )
    return redirect("treatments:session", public_id=session.public_id)
