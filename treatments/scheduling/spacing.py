"""The minimum interval between a patient's sessions on an overlapping area, across courses
(issue 10 item 3; clinical reference §2.1), and the soft warning below the usual interval."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from clinic.clock import DATE, clinic_zone, local_format
from clinic.errors import Conflict
from patients.models import Patient
from patients.vocabulary import AREA_LABELS

from . import selectors
from .models import Course


class ShortInterval(Conflict):
    """A session at or above the minimum interval but below the usual one from a session of
    another course on the same area: booked only once staff confirm it (a 409 until then)."""

    code = "short_interval"


# --- Spacing across courses --------------------------------------------------------------


def areas_text(areas: Sequence[str]) -> str:
    """ "the cheeks", "the cheeks and the forehead", "around the mouth"."""
    names = [AREA_LABELS.get(area, area).lower() for area in areas]
    names = [name if name.startswith("around ") else f"the {name}" for name in names]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def other_sessions(course: Course) -> tuple[selectors.OtherSession, ...]:
    return selectors.patient_other_sessions(
        patient_id=course.patient_id, areas=list(course.areas), exclude_course_id=course.pk
    )


def spacing_across_courses(
    course: Course, starts: Sequence[datetime], others: Sequence[selectors.OtherSession]
) -> tuple[list[str], list[str]]:
    """What is wrong with `starts` for `course` against the patient's sessions in other
    courses on a shared area (clinical-reference §2.1): (too close, shorter than usual).

    Days are local calendar days, as in `planner.spacing_violations`. Between two courses the
    stricter protocol counts: the larger minimum is a hard refusal, the larger usual interval
    (`default_interval_days`, 28) a warning staff must confirm. Each message is given once.
    """
    tz = clinic_zone()
    too_close: dict[str, None] = {}
    short: dict[str, None] = {}
    for start in starts:
        day = start.astimezone(tz).date()
        for other in others:
            gap = abs((day - other.starts_at.astimezone(tz).date()).days)
            minimum = max(course.protocol.min_interval_days, other.min_interval_days)
            usual = max(course.protocol.default_interval_days, other.default_interval_days)
            where = (
                f"session {other.number} of the {other.course_name} course on "
                f"{local_format(other.starts_at, DATE)}"
            )
            if gap < minimum:
                too_close[
                    f"Too close to {where}: at least {minimum} days apart on "
                    f"{areas_text(other.areas)}."
                ] = None
            elif gap < usual:
                short[
                    f"{gap} days from {where}: usually {usual} days apart on "
                    f"{areas_text(other.areas)}."
                ] = None
    return list(too_close), list(short)


def require_spacing_across_courses(course: Course, starts: Sequence[datetime]) -> list[str]:
    """Refuse (409) a start too close to the patient's sessions in other courses on a shared
    area; return the warnings about starts shorter than usual, for `require_confirmed`."""
    too_close, short = spacing_across_courses(course, starts, other_sessions(course))
    if too_close:
        raise Conflict(too_close[0])
    return short


def require_confirmed(short: list[str], *, confirm_short_interval: bool) -> None:
    """Refuse (409, code "short_interval") a short interval that staff have not confirmed.
    Checked last, so staff confirm only a booking that nothing else stands in the way of."""
    if short and not confirm_short_interval:
        raise ShortInterval(
            "Shorter than the usual interval from another course on the same area: "
            "confirm the short interval to book.",
            fields={"confirm_short_interval": short},
        )


def short_interval_warnings(*, course: Course, starts: Sequence[datetime]) -> list[str]:
    """The warnings staff must confirm before booking `starts` for `course` (one query)."""
    return spacing_across_courses(course, starts, other_sessions(course))[1]


def lock_patient(patient_id: int) -> None:
    """Serialise bookings and moves for one patient, so two courses booked at once cannot
    both miss each other's sessions when the spacing across courses is checked."""
    list(Patient.objects.select_for_update().filter(pk=patient_id))
