"""Checking a patient in (DESIGN.md flow 4): the answers confirmed aloud on the day, a new
screening when one of them changed, and the one clearance rule on the session's day."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.clock import clinic_today, local_format, localize, to_local
from clinic.errors import Conflict, Invalid
from clinic.models import User
from patients import screening as engine
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients import vocabulary
from patients.models import Hold, IntakeSubmission, ScreeningResult

from .models import CheckInConfirmation, Session, WorkingHours
from .services import lock_session, require_status, transition

Action = audit.Action

STALE = (
    "The patient's answers changed after this check-in was opened: open it again and "
    "confirm the latest answers."
)
INCOMPLETE = (
    "The patient's earlier answers do not cover every question of the current "
    "questionnaire: take the intake questionnaire again."
)


def check_in_window(session: Session) -> tuple[datetime, datetime]:
    """When the front desk may check `session` in: on the session's own day in the clinic's
    zone, from the clinic's opening (`CLINIC_OPENS_AT`, or the day's first working hours or
    the session itself when earlier) to the end of that day. A patient who arrives the day
    before is early, and one whose day has passed did not attend."""
    day = to_local(session.starts_at).date()
    first = WorkingHours.objects.filter(weekday=day.weekday()).aggregate(first=Min("start"))
    opening = time.fromisoformat(settings.CLINIC_OPENS_AT)
    if first["first"] is not None:
        opening = min(opening, first["first"])
    opens = min(session.starts_at, localize(datetime.combine(day, opening)))
    closes = localize(datetime.combine(day + timedelta(days=1), time()))
    return opens, closes


def outside_window(session: Session, now: datetime | None = None) -> str:
    """Why `session` cannot be checked in now (its day has not opened or has passed), or ""."""
    now = now or timezone.now()
    opens, closes = check_in_window(session)
    if now < opens:
        return (
            f"Check-in opens on {local_format(opens, 'l j F Y')} at {local_format(opens, 'H:i')}, "
            "when the clinic opens on the day of the session."
        )
    if now >= closes:
        return (
            "The day of this session has passed: mark it as did not attend, or move it to a "
            "new time."
        )
    return ""


@dataclass(frozen=True)
class CheckInSheet:
    """What the front desk reads out at check-in: each on-the-day question with the answer
    the patient gave in their latest screening (None when there is none), for the course's
    planned areas."""

    session: Session
    earlier: ScreeningResult | None
    keys: tuple[str, ...]
    areas: tuple[str, ...]

    @property
    def answers(self) -> Mapping[str, Any]:
        return self.earlier.submission.answers if self.earlier is not None else {}

    @property
    def area_labels(self) -> list[str]:
        return [vocabulary.AREA_LABELS.get(code, code) for code in self.areas]


def check_in_sheet(session: Session) -> CheckInSheet:
    """The check-in confirmation for `session`, in one query (the latest screening with its
    submission; the session comes with its course)."""
    return CheckInSheet(
        session=session,
        earlier=patient_selectors.latest_screening(session.patient),
        keys=vocabulary.ON_THE_DAY_KEYS,
        areas=tuple(session.course.areas),
    )


def session_check_in(
    *,
    session: Session,
    confirmed: Collection[str],
    changed: Mapping[str, Any] | None = None,
    screening_id: UUID | None = None,
    by: User,
    request: HttpRequest | None = None,
) -> Session:
    """Check a patient in once the front desk has confirmed the answers of the day.

    Every answer the clinical reference says is "confirmed verbally on the day" (§1.2,
    `vocabulary.ON_THE_DAY_KEYS`) is read back from the latest screening and ticked as
    `confirmed` (unchanged) or given in `changed` with the new answer; anything else is a
    400 naming each answer. `screening_id`, when given, is the screening that was read back:
    a newer one makes it a 409, because the patient confirmed answers that are no longer
    the latest.

    All confirmed: the clearance rule decides on the latest screening, as before. A changed
    answer first becomes a new check-in submission (the latest answers with the changed ones
    replaced, the rest carried) and its own screening, which the clearance rule then judges:
    a pregnancy blocks, a cold sore defers. Only answers that cover the course's areas and
    are still current on the session's day are carried forward (otherwise a 409 before
    anything is written).

    Allowed: the session is checked in with the screening that cleared it, and what was
    confirmed, by whom and when is kept (`CheckInConfirmation`). Refused: a 409 with the
    reason (for a new screening, its findings in plain words); the session stays booked.
    A new screening is committed before that refusal is raised, on purpose: it records
    what the patient said, and the patient's record must show it whatever happens next.
    """
    checked_in, refusal = _check_in(
        session=session,
        confirmed=confirmed,
        changed={} if changed is None else changed,
        screening_id=screening_id,
        by=by,
        request=request,
    )
    if refusal:
        raise Conflict(refusal)
    return checked_in


@transaction.atomic
def _check_in(
    *,
    session: Session,
    confirmed: Collection[str],
    changed: Mapping[str, Any],
    screening_id: UUID | None,
    by: User,
    request: HttpRequest | None,
) -> tuple[Session, str]:
    """Check in, or return the clearance rule's refusal with whatever was recorded kept."""
    session = lock_session(session)
    require_status(session, Session.Status.BOOKED, action="checked in")
    if early_or_late := outside_window(session):
        raise Conflict(early_or_late)
    patient, areas = session.patient, session.course.areas
    day = to_local(session.starts_at).date()
    earlier = patient_selectors.latest_screening(patient)
    if earlier is None:
        verdict = patient_selectors.clearance(patient=patient, areas=areas, days=[day])
        raise Conflict(verdict.reason)
    if screening_id is not None and earlier.public_id != screening_id:
        raise Conflict(STALE)
    today = clinic_today()
    try:
        new = vocabulary.clean_confirmation(
            confirmed=confirmed, changed=changed, earlier=earlier.submission.answers, today=today
        )
    except vocabulary.AnswersInvalid as exc:
        raise Invalid("Confirm each answer with the patient.", fields=exc.errors) from exc

    result = earlier
    if new:
        refused = patient_selectors.carry_forward_refusal(screening=earlier, areas=areas, day=day)
        if refused:
            raise Conflict(refused)
        answers = {**earlier.submission.answers, **new}
        if not vocabulary.QUESTIONS.keys() <= answers.keys():
            raise Conflict(INCOMPLETE)
        submission = patient_services.intake_submit(
            patient=patient,
            answers=answers,
            areas=areas,
            by=by,
            kind=IntakeSubmission.Kind.CHECK_IN,
            today=today,
            request=request,
        )
        # As for a pre-session check: the answers not asked today were carried forward.
        carried = sorted(answers.keys() - set(vocabulary.ON_THE_DAY_KEYS))
        IntakeSubmission.objects.filter(pk=submission.pk).update(carried_keys=carried)
        result = submission.screening
        if new.get("unresolved_reaction_from_last_session"):
            # Reference §1.2 row 34: a practitioner must see it; no later answer lifts it.
            patient_services.hold_place(
                patient=patient,
                reason=(
                    f"At check-in on {engine.format_date(today)} the patient said a reaction "
                    "after the last session has not settled."
                ),
                source=Hold.Source.CHECK_IN,
                source_ref=str(submission.public_id),
                by=by,
                request=request,
            )

    verdict = patient_selectors.clearance(
        patient=patient, areas=areas, days=[day], check_in=True, screening=result
    )
    if not verdict:
        return session, _refusal(verdict, rescreened=bool(new))

    confirmation = CheckInConfirmation.objects.create(
        session=session,
        confirmed_by=by,
        confirmed_at=timezone.now(),
        earlier=earlier,
        confirmed_keys=[k for k in vocabulary.ON_THE_DAY_KEYS if k not in new],
        changed_keys=list(new),
    )
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=confirmation,
        request=request,
        detail={"changed": confirmation.changed_keys},
    )
    session.screening = verdict.screening
    transition(
        session,
        Session.Status.CHECKED_IN,
        by,
        request,
        screening=str(verdict.screening.public_id),
    )
    return session, ""


def _refusal(verdict: patient_selectors.Clearance, *, rescreened: bool) -> str:
    """The clearance rule's reason; after a changed answer, also the new screening's own
    findings in plain words (what stops the session, most severe first)."""
    result = verdict.screening
    if not rescreened or result is None or result.cleared_for_treatment:
        return verdict.reason
    order = {engine.BLOCKED: 0, engine.DEFER: 1, engine.REVIEW: 2}
    findings = sorted(
        (f for f in result.findings if f.get("outcome") in order),
        key=lambda f: order[f["outcome"]],
    )
    return " ".join(
        [
            "The changed answers were screened again.",
            verdict.reason,
            *(f["message"] for f in findings),
            "The session stays booked; the new screening is on the patient's record.",
        ]
    )
