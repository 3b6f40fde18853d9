"""Messaging's sections on pages of lower apps (`clinic.panels`): the message log on the
patient record and on the session page; the failed messages on the front desk's dashboard."""

from django.conf import settings
from django.http import HttpRequest

from clinic import panels
from clinic.models import Role
from clinic.roles import FRONT_OFFICE, STAFF
from patients.models import Patient
from treatments.scheduling.models import Session
from treatments.scheduling.selectors import QUEUE_LIMIT

from .api import message_log
from .models import Message


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


def failed_messages(*, request: HttpRequest) -> panels.Panel | None:
    """Front desk and the manager: messages that ended `failed`, newest first, each with
    Resend and a link to its session or patient (a manager also sees failed staff
    invitations, linked to the account)."""
    user = request.user
    if not user.has_role(*FRONT_OFFICE):
        return None
    failed = Message.objects.filter(status=Message.Status.FAILED)
    if not user.has_role(Role.MANAGER):
        failed = failed.exclude(patient=None)
    shown = list(
        failed.select_related("patient", "session", "recipient").order_by("-updated_at", "-id")[
            :QUEUE_LIMIT
        ]
    )
    total = failed.count()
    return panels.Panel(
        template="messaging/_dashboard_failed.html",
        context={"failed": shown, "total": total},
        shown=tuple(m for m in shown if m.patient_id),
    )


def connect() -> None:
    panels.register(panels.PATIENT_RECORD, patient_messages, order=90)
    panels.register(panels.SESSION_PAGE, session_messages, order=90)
    panels.register(panels.DASHBOARD, failed_messages, order=40)
