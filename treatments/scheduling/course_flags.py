"""A practitioner confirms an off-label or pigmentation course before it is booked
(clinical reference §1.1, §2.1): the flags, the confirmation, and the check booking makes."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.errors import Conflict, Forbidden, Invalid
from clinic.models import Role, User

from .indications import CourseFlag, course_flags
from .models import Course, Indication

NOTE_MAX = 2000


def flags_for(course: Course) -> tuple[CourseFlag, ...]:
    """The course's flags now: from its protocol's indication, its areas and the patient's
    skin type as recorded today (an intake may have changed it since the course was made)."""
    indication = course.protocol.indication
    return course_flags(
        indication=indication,
        indication_label=Indication(indication).label,
        areas=course.areas,
        fitzpatrick=course.patient.fitzpatrick,
    )


def unconfirmed_flags(course: Course) -> tuple[CourseFlag, ...]:
    confirmed = set(course.flags_confirmed)
    return tuple(flag for flag in flags_for(course) if flag.code not in confirmed)


def require_flags_confirmed(course: Course) -> None:
    """Booking stops (409) until a practitioner has confirmed every flag the course has."""
    waiting = unconfirmed_flags(course)
    if waiting:
        raise Conflict(
            "A practitioner must confirm this course before it is booked: "
            + " ".join(flag.message for flag in waiting)
        )


@transaction.atomic
def course_confirm_flags(
    *, course: Course, note: str, by: User, request: HttpRequest | None = None
) -> Course:
    """A practitioner (never front desk) confirms the course's flags with a clinical note;
    the note, the name and the time are kept with the course and in the audit log."""
    if not by.has_role(Role.PRACTITIONER):
        raise Forbidden("Only a practitioner can confirm an off-label or pigmentation course.")
    note = (note or "").strip()
    if not note:
        raise Invalid("A note is required.", fields={"note": ["Give the clinical reason."]})
    if len(note) > NOTE_MAX:
        raise Invalid("The note is too long.", fields={"note": [f"At most {NOTE_MAX} characters."]})
    course = (
        Course.objects.select_for_update().select_related("patient", "protocol").get(pk=course.pk)
    )
    waiting = unconfirmed_flags(course)
    if not waiting:
        raise Conflict("This course has nothing waiting for a practitioner's confirmation.")
    course.flags_confirmed = sorted({*course.flags_confirmed, *(f.code for f in waiting)})
    course.flags_confirmed_by = by
    course.flags_confirmed_at = timezone.now()
    course.flags_note = note
    course.save(
        update_fields=["flags_confirmed", "flags_confirmed_by", "flags_confirmed_at", "flags_note"]
    )
    audit.record(
        actor=by,
        action=audit.Action.SIGN_OFF,
        obj=course,
        request=request,
        detail={"flags": [f.code for f in waiting]},
    )
    return course
