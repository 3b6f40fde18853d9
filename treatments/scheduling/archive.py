"""Archiving a patient who still has sessions to come (issue 11 item 4).

Sessions left booked on an archived record would hold their slots in the calendar while the
patient, whose messages an archived record no longer sends, heard nothing. So archiving lists
them and is refused (409, `FutureSessions`) until they are cancelled, or, when staff choose,
cancels each of their courses through `repair.course_cancel` (which withdraws the reminders,
frees the times, ends a waitlist entry and tells the patient once per course, listing the
times) and then archives, all in one transaction: every course and the archive, or none.

`patients.services.patient_archive` asks the same question through the
`patients.signals.patient_archiving` hook (`refuse_while_sessions_to_come`), so no other way
of archiving can leave sessions behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from django.db import transaction
from django.http import HttpRequest

from clinic.clock import DAY_TIME, local_format
from clinic.errors import Conflict
from clinic.models import User
from patients import services as patient_services
from patients.models import Patient
from patients.signals import patient_archiving

from . import repair, selectors
from .models import CancelledBy, Session

CANCEL_REASON = "The patient's record was archived: {reason}"


def describe(session: Session) -> str:
    """One line staff can act on: when on the clinic's clock, with whom, which session."""
    return (
        f"{local_format(session.starts_at, DAY_TIME)} with {session.practitioner} "
        f"(session {session.number} of {session.course.protocol.name})"
    )


class FutureSessions(Conflict):
    """The patient still has sessions to come: archiving is refused until they are cancelled
    or staff confirm cancelling them (`cancel_future_sessions`). `fields["sessions"]` gives
    each one's id and start (UTC) for an API client; the page shows `details`."""

    code = "future_sessions"

    def __init__(self, sessions: Sequence[Session]):
        count = len(sessions)
        noun = "session is" if count == 1 else "sessions are"
        lines = [describe(s) for s in sessions]
        super().__init__(
            f"Not archived: {count} {noun} still booked. Cancel them and tell the patient, "
            "then archive; or keep them and archive later.",
            fields={
                "cancel_future_sessions": lines,
                "sessions": [
                    {
                        "id": str(s.public_id),
                        "starts_at": s.starts_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    }
                    for s in sessions
                ],
            },
        )
        self.sessions = list(sessions)
        self.lines = lines

    @property
    def details(self) -> list[str]:
        return self.lines


def future_sessions(patient: Patient) -> list[Session]:
    """The patient's sessions still to come (booked or checked in, not ended), earliest first."""
    return list(selectors.sessions_to_come().filter(patient=patient))


@transaction.atomic
def patient_archive(
    *,
    patient: Patient,
    reason: str,
    cancel_future_sessions: bool = False,
    by: User,
    request: HttpRequest | None = None,
) -> tuple[Patient, list[Session]]:
    """Archive `patient`, first cancelling the courses of the sessions still to come when
    `cancel_future_sessions` (with the archive's reason); without it, sessions to come
    refuse the archive (`FutureSessions`). Returns the archived patient and the sessions
    cancelled."""
    reason = patient_services.clean_archive_reason(reason)
    # Locked first, as booking locks it (`spacing.lock_patient`): nothing is booked meanwhile.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.is_archived:
        raise Conflict(patient_services.ALREADY_ARCHIVED)
    sessions = future_sessions(patient)
    if sessions and not cancel_future_sessions:
        raise FutureSessions(sessions)
    cancel_reason = CANCEL_REASON.format(reason=reason)[: Session.cancel_reason.field.max_length]
    # The patient leaves: each course with sessions to come is cancelled as a whole, so they
    # get one notice per course listing its times (not one per session), its waitlist entry
    # ends and nothing counts it as open any more. A session checked in refuses it all.
    courses = {session.course_id: session.course for session in sessions}
    for course in courses.values():
        repair.course_cancel(
            course=course,
            reason=cancel_reason,
            by=by,
            request=request,
            # A record is archived because the patient leaves: no apology and rebooking offer.
            initiated_by=CancelledBy.PATIENT,
        )
    cancelled = list(
        Session.objects.filter(pk__in=[s.pk for s in sessions]).order_by("starts_at", "pk")
    )
    archived = patient_services.patient_archive(
        patient=patient, reason=reason, by=by, request=request
    )
    return archived, cancelled


def refuse_while_sessions_to_come(sender, *, patient: Patient, **kwargs) -> None:
    """The `patient_archiving` hook: any archive with sessions still to come is refused."""
    sessions = future_sessions(patient)
    if sessions:
        raise FutureSessions(sessions)


def connect() -> None:
    patient_archiving.connect(refuse_while_sessions_to_come, dispatch_uid="scheduling.archive")
