"""The portal's sections on pages of lower apps (`clinic.panels`): the dashboard's tile of
what patients reported."""

from django.http import HttpRequest

from clinic import panels

from . import services


def reported_by_patients(*, request: HttpRequest) -> panels.Panel:
    """Counts only (no patient data on the dashboard); the staff page has the details."""
    return panels.Panel(
        template="portal/staff/_alerts.html",
        context={"alerts": services.staff_alerts(request.user), "user": request.user},
    )


def connect() -> None:
    panels.register(panels.DASHBOARD, reported_by_patients, order=10)
