"""Messaging's sections on pages of lower apps (`clinic.panels`): the message log on the
patient record and on the session page."""

from django.conf import settings
from django.http import HttpRequest

from clinic import panels
from clinic.roles import STAFF
from patients.models import Patient
from treatments.scheduling.models import Session

from .api import message_log


def _panel(request: HttpRequest, rows: list, *, can_resend: bool = True) -> panels.Panel:
    return panels.Panel(
        template="messaging/_message_log.html",
        context={
            "message_log": rows,
            "message_log_zone": settings.CLINIC_TIME_ZONE,
            "message_log_next": request.get_full_path(),
            "message_log_can_resend": can_resend and request.user.has_role(*STAFF),
        },
        shown=tuple(rows),
    )


def patient_messages(*, request: HttpRequest, patient: Patient) -> panels.Panel:
    # An archived record sends nothing (`outbox.skip_reason`): no "Resend" to offer.
    return _panel(request, list(message_log(patient=patient)), can_resend=not patient.is_archived)


def session_messages(*, request: HttpRequest, session: Session) -> panels.Panel:
    return _panel(request, list(message_log(session=session)))


def connect() -> None:
    panels.register(panels.PATIENT_RECORD, patient_messages, order=90)
    panels.register(panels.SESSION_PAGE, session_messages, order=90)
