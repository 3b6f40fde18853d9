"""Treatment pieces on pages that belong to other apps (the patient record), so that
`patients` never imports `treatments` (DESIGN.md §3): `{% load treatments_tags %}`."""

from django import template

from clinic import audit
from clinic.clock import to_local
from clinic.roles import FRONT_OFFICE, PLANNERS
from treatments.messaging.views import message_log_context
from treatments.scheduling.models import Course

register = template.Library()


@register.inclusion_tag("messaging/_message_log.html", takes_context=True)
def message_log(context, patient=None, session=None) -> dict:
    """The message log of a patient or a session (audited as a list read)."""
    request = context["request"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        **message_log_context(request=request, patient=patient, session=session),
    }


@register.inclusion_tag("scheduling/_patient_courses.html", takes_context=True)
def patient_courses(context, patient) -> dict:
    """The patient's courses with their sessions, and "Plan a course" for practitioners."""
    request = context["request"]
    courses = list(
        Course.objects.filter(patient=patient)
        .select_related("protocol", "practitioner")
        .prefetch_related("sessions")
        .order_by("-created_at")
    )
    audit.record_many(
        actor=request.user, action=audit.Action.LIST, objects=courses, request=request
    )
    return {
        "patient": patient,
        "courses": [
            (
                c,
                [
                    (s, to_local(s.starts_at))
                    for s in sorted(c.sessions.all(), key=lambda s: s.starts_at)
                ],
            )
            for c in courses
        ],
        "can_plan": request.user.has_role(*PLANNERS),
        "can_invite": request.user.has_role(*FRONT_OFFICE),
    }
