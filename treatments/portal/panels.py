"""The portal's sections on pages of lower apps (`clinic.panels`): the dashboard's tile of
what patients reported."""

from django.http import HttpRequest

from clinic import panels
from clinic.models import Role

from . import check_ins, services


def reported_by_patients(*, request: HttpRequest) -> panels.Panel:
    """Counts only (no patient data on the dashboard); the staff page has the details. A
    practitioner always sees how many check-ins wait to be read, even none."""
    unread = None
    if request.user.has_role(Role.PRACTITIONER):
        unread = check_ins.check_ins_unread().count()
    return panels.Panel(
        template="portal/staff/_alerts.html",
        context={
            "alerts": services.staff_alerts(request.user),
            "unread_check_ins": unread,
            "user": request.user,
        },
    )


def connect() -> None:
    panels.register(panels.DASHBOARD, reported_by_patients, order=10)
