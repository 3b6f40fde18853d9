"""Scheduling's sections on pages of lower apps (`clinic.panels`): the patient's courses on
the patient record."""

from django.http import HttpRequest

from clinic import panels
from clinic.roles import FRONT_OFFICE, PLANNERS
from patients.models import Patient

from . import selectors


def patient_courses(*, request: HttpRequest, patient: Patient) -> panels.Panel:
    """The patient's courses with their sessions, and "Plan a course" for practitioners (not
    on an archived record, which is read-only)."""
    courses = selectors.patient_courses(patient)
    is_open = not patient.is_archived
    return panels.Panel(
        template="scheduling/_patient_courses.html",
        context={
            "patient": patient,
            "courses": courses,
            "can_plan": is_open and request.user.has_role(*PLANNERS),
            "can_invite": is_open and request.user.has_role(*FRONT_OFFICE),
        },
        shown=tuple(course for course, _ in courses),
    )


def connect() -> None:
    panels.register(panels.PATIENT_RECORD, patient_courses, order=10)
