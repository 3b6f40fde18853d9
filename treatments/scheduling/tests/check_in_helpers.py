"""Checking in as the front desk does: every answer of the day confirmed, or some changed."""

import time_machine

from patients import services as patient_services
from patients.forms import CONDITIONAL
from patients.models import IntakeSubmission
from patients.tests.helpers import clear_answers
from patients.vocabulary import ON_THE_DAY_KEYS
from treatments.scheduling import check_in as check_in_service
from treatments.scheduling.check_in_form import CONFIRMED


def api_body(**changed) -> dict:
    """The API's check-in body: `changed` answers, every other answer of the day confirmed."""
    return {"confirmed": [k for k in ON_THE_DAY_KEYS if k not in changed], "changed": changed}


# A change that clears: a peel more than a year ago, as the page posts it.
HARMLESS = {
    "recent_procedure_in_area_days": "changed",
    "recent_procedure_in_area_days__new": "yes",
    "recent_procedure_in_area_days__days": "400",
}


def form_data(**changed_fields) -> dict:
    """The check-in page's POST with every answer ticked "Confirmed (unchanged)", then
    `changed_fields` on top (e.g. ``pregnant_or_breastfeeding="changed",
    pregnant_or_breastfeeding__new="yes"``)."""
    data = {key: CONFIRMED for key in ON_THE_DAY_KEYS if key not in CONDITIONAL}
    data.update(changed_fields)
    return data


def check_in(session, *, by, changed=None, request=None):
    """`session_check_in` with `changed` answers and every other answer confirmed."""
    changed = changed or {}
    return check_in_service.session_check_in(
        session=session,
        confirmed=[k for k in ON_THE_DAY_KEYS if k not in changed],
        changed=changed,
        by=by,
        request=request,
    )


def pre_session_answers(session, *, by, at, **answers):
    """The patient's pre-session check for `session`, answered at `at` (aware): every answer
    "no" but `answers`, on the course's areas."""
    with time_machine.travel(at, tick=False):
        return patient_services.intake_submit(
            patient=session.patient,
            answers=clear_answers(**answers),
            areas=session.course.areas,
            by=by,
            kind=IntakeSubmission.Kind.PRE_SESSION,
        )
