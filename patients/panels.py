"""The patients app's section on the dashboard (`clinic.panels`): the screenings waiting for a
practitioner's sign-off, for practitioners and the manager."""

from django.http import HttpRequest

from clinic import panels
from clinic.roles import PLANNERS

from . import selectors

QUEUE_LIMIT = 20


def sign_off_queue(*, request: HttpRequest) -> panels.Panel | None:
    """Patients whose latest screening waits for a sign-off (DESIGN.md §4.2 `review`), each
    linking to the record where it is signed: the first QUEUE_LIMIT in the patient list's
    order, and how many in all."""
    if not request.user.has_role(*PLANNERS):
        return None
    waiting = selectors.patient_list(needs_review=True)
    shown = list(waiting[:QUEUE_LIMIT])
    total = waiting.count()
    return panels.Panel(
        "patients/_dashboard_sign_off.html", {"patients": shown, "total": total}, shown=tuple(shown)
    )


def connect() -> None:
    panels.register(panels.DASHBOARD, sign_off_queue, order=50)
