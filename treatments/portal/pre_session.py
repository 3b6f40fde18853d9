"""The pre-session check (DESIGN.md flow 4): when it opens, which questions it asks again, what
the answers do, and staff resolving a check that stops a session."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.clock import clinic_today, to_local
from clinic.errors import Conflict, Forbidden, Invalid
from clinic.models import Role, User
from clinic.roles import STAFF
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients import vocabulary
from patients.models import Hold, IntakeSubmission, Patient
from patients.screening import format_date
from treatments.scheduling.models import Session

from . import aftercare
from .models import (
    PreSessionCheck,
)

Action = audit.Action

NOTE_MAX = 2000


# --- The pre-session check ----------------------------------------------------------------


def pre_session_opens_on(session: Session) -> date:
    """The questions open 7 days before the session (clinical reference §1.2, §4)."""
    return to_local(session.starts_at).date() - timedelta(days=aftercare.PRE_SESSION_WINDOW_DAYS)


def pre_session_is_open(session: Session, today: date) -> bool:
    return (
        session.status == Session.Status.BOOKED
        and pre_session_opens_on(session) <= today <= to_local(session.starts_at).date()
        and session.starts_at > timezone.now()
    )


def next_booked_session(patient: Patient) -> Session | None:
    return (
        Session.objects.filter(
            patient=patient, status=Session.Status.BOOKED, starts_at__gt=timezone.now()
        )
        .select_related("practitioner", "room", "course")
        .order_by("starts_at")
        .first()
    )


def _carries(full: IntakeSubmission | None, session: Session) -> bool:
    """The full intake's stable answers may be carried forward to this session: it still
    stands on the session's day and answers every stable question (clinical reference §1.2:
    stable history is re-confirmed every 6–12 months, `history_valid_months`)."""
    return (
        patient_selectors.history_stands_on(full, to_local(session.starts_at).date())
        and vocabulary.STABLE_KEYS <= full.answers.keys()
    )


def _questions(full: IntakeSubmission | None, session: Session) -> list[str]:
    asked = vocabulary.EXPIRING_KEYS
    if not _carries(full, session):
        asked = asked | vocabulary.STABLE_KEYS
    return [key for key in vocabulary.QUESTIONS if key in asked]


def pre_session_questions(session: Session) -> list[str]:
    """The keys the pre-session check asks, in the vocabulary's order: the ones that expire,
    and the stable history too when no full intake can be carried forward to the session's
    day (too old, or from an older questionnaire)."""
    return _questions(patient_selectors.latest_full_intake(session.patient), session)


@transaction.atomic
def pre_session_submit(
    *,
    session: Session,
    answers: Any,
    by: User,
    today: date | None = None,
    request: HttpRequest | None = None,
) -> PreSessionCheck:
    """The patient answers the questions that expire (clinical reference §1.2 "re-ask").

    The stable answers are carried from the latest full intake only while it stands on the
    session's day (`pre_session_questions`); otherwise they are asked again here. The merged
    answers become a new pre-session submission (the patient its submitter) and a new
    screening. A result that would stop the session flags it for the front desk, who call
    the patient. A reaction from the last session that has not settled (§1.2 row 34) also
    places a hold that only a practitioner releases: a later "no" does not lift it.
    """
    today = today or clinic_today()
    if not pre_session_is_open(session, today):
        raise Conflict(
            "The questions for this session are not open now: they open 7 days before it."
        )
    full = patient_selectors.latest_full_intake(session.patient)
    if full is None:
        raise Conflict(
            "We need to go through some questions with you in person first. Please call the clinic."
        )
    try:
        fresh = vocabulary.clean_answers(answers, today=today, keys=_questions(full, session))
    except vocabulary.AnswersInvalid as exc:
        raise Invalid("Please answer every question.", fields=exc.errors) from exc
    carried = (
        {k: full.answers[k] for k in sorted(vocabulary.STABLE_KEYS)}
        if _carries(full, session)
        else {}
    )
    merged = {**carried, **vocabulary.answers_to_json(fresh)}
    submission = patient_services.intake_submit(
        patient=session.patient,
        answers=merged,
        areas=session.course.areas,
        by=by,
        kind=IntakeSubmission.Kind.PRE_SESSION,
        today=today,
        request=request,
    )
    # The submission is immutable through the model; the carried keys belong to its creation.
    IntakeSubmission.objects.filter(pk=submission.pk).update(carried_keys=sorted(carried))
    check = PreSessionCheck.objects.create(
        session=session,
        submission=submission,
        stops_session=not submission.screening.cleared_for_treatment,
    )
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=check,
        request=request,
        detail={"stops_session": check.stops_session},
    )
    if fresh["unresolved_reaction_from_last_session"]:
        patient_services.hold_place(
            patient=session.patient,
            reason=(
                f"In the pre-session check on {format_date(today)} the patient said a "
                "reaction after the last session has not settled."
            ),
            source=Hold.Source.PRE_SESSION,
            source_ref=str(check.public_id),
            by=by,
            request=request,
        )
    return check


def pre_session_hold(check: PreSessionCheck) -> Hold | None:
    """The open hold this check placed (an unsettled reaction), if any."""
    return patient_selectors.open_hold(
        source=Hold.Source.PRE_SESSION, source_ref=str(check.public_id)
    )


@transaction.atomic
def pre_session_resolve(
    *, check: PreSessionCheck, note: str, by: User, request: HttpRequest | None = None
) -> PreSessionCheck:
    """Staff close a stopping pre-session check after calling the patient, saying what next.

    A check that placed a hold (an unsettled reaction, clinical reference §1.2 row 34) is
    closed by a practitioner only, and closing it releases the hold with the same note.
    """
    if not by.has_role(*STAFF):
        raise Forbidden("Only clinic staff can resolve this.")
    note = (note or "").strip()
    if not note:
        raise Invalid("A note is required.", fields={"note": ["Say what was agreed."]})
    check = PreSessionCheck.objects.select_for_update().get(pk=check.pk)
    if not check.needs_call:
        raise Conflict("This check does not need a call, or has already been resolved.")
    hold = pre_session_hold(check)
    if hold is not None and not by.has_role(Role.PRACTITIONER):
        raise Forbidden(
            "The patient reported a reaction that has not settled: a practitioner must "
            "resolve this."
        )
    check.resolved_at = timezone.now()
    check.resolved_by = by
    check.resolve_note = note[:NOTE_MAX]
    check.save(update_fields=["resolved_at", "resolved_by", "resolve_note"])
    if hold is not None:
        patient_services.hold_release(hold=hold, note=check.resolve_note, by=by, request=request)
    audit.record(
        actor=by,
        action=Action.UPDATE,
        obj=check,
        request=request,
    )
    return check
