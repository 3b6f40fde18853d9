"""The patient portal's workflows: aftercare, the pre-session check, change requests and
contact preferences (DESIGN.md §1 patient, §5 flows 4 and 6). One-time links are in
`invites`, check-ins and reaction findings in `check_ins`.

Keyword-only and atomic like every service; views, tests and the staff pages call these.
A patient's own writes are audited with the patient's account as the actor. Nothing here
puts patient data in a link, a log line or a task argument (DESIGN.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

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
from treatments.messaging import outbox, render
from treatments.scheduling import ics
from treatments.scheduling import services as scheduling_services
from treatments.scheduling.models import Session

from . import aftercare
from .models import (
    AftercareAcknowledgement,
    AftercareStep,
    PreSessionCheck,
    ReactionFlag,
    SessionChangeRequest,
)

Action = audit.Action

NOTE_MAX = 2000


def patient_for(user: User) -> Patient | None:
    """The patient whose portal account this is (None for staff and unlinked accounts)."""
    if not user.is_authenticated or not user.is_patient:
        return None
    return Patient.objects.filter(portal_user=user).first()


# --- Aftercare ----------------------------------------------------------------------------


def completed_on(session: Session) -> date:
    """The local date the session was completed (its status change, else its end)."""
    return to_local(session.status_changed_at or session.ends_at).date()


def cold_sore_noted(session: Session) -> bool:
    """The intake says the patient gets cold sores, or the session's chart mentions one."""
    said = IntakeSubmission.objects.filter(
        Q(answers__cold_sore_history=True) | Q(answers__active_cold_sore=True),
        patient_id=session.patient_id,
    ).exists()
    if said:
        return True
    charted = session.records.values_list("immediate_reaction", "notes")
    return aftercare.mentions_cold_sore(text for pair in charted for text in pair)


def aftercare_steps() -> list[aftercare.StepText]:
    """The manager's lines (active ones); stages with none fall back to the default."""
    return [
        aftercare.StepText(
            stage=s.stage,
            section=s.section,
            condition=s.condition,
            text=s.text,
            position=s.position,
        )
        for s in AftercareStep.objects.filter(active=True).order_by("position", "id")
    ]


def aftercare_values() -> dict[str, str]:
    return {
        "clinic_phone": settings.CLINIC_PHONE,
        "retinoid_stop": render.retinoid_stop(),  # the same words as the messages
    }


def aftercare_timeline(*, session: Session, today: date | None = None) -> aftercare.Timeline:
    """The completed session's aftercare, today's stage first, adjusted to the areas charted
    (or planned) and to cold-sore history (clinical reference §3)."""
    today = today or clinic_today()
    charted = list(session.records.values_list("area", flat=True))
    areas = [a for a, _label in vocabulary.AREAS if a in (charted or session.course.areas)]
    following = (
        Session.objects.filter(
            patient_id=session.patient_id,
            status__in=Session.ACTIVE,
            starts_at__gt=session.starts_at,
        )
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    timeline = aftercare.build_timeline(
        completed_on=completed_on(session),
        today=today,
        areas=areas,
        cold_sore=cold_sore_noted(session),
        steps=aftercare_steps(),
        values=aftercare_values(),
        next_session_on=to_local(following).date() if following else None,
    )
    read = dict(
        AftercareAcknowledgement.objects.filter(session=session).values_list(
            "stage", "acknowledged_at"
        )
    )
    for stage in timeline.stages:
        stage.acknowledged_at = read.get(stage.code)
    return timeline


@transaction.atomic
def aftercare_acknowledge(
    *, session: Session, stage: str, by: User, request: HttpRequest | None = None
) -> AftercareAcknowledgement:
    """The patient confirms reading a stage of the session's aftercare; the first time counts."""
    if session.status != Session.Status.COMPLETED:
        raise Conflict("There is no aftercare for a session that has not taken place.")
    if stage not in AftercareStep.Stage.values:
        raise Invalid("Unknown step.", fields={"stage": ["Choose a step of the timeline."]})
    ack, created = AftercareAcknowledgement.objects.get_or_create(
        session=session,
        stage=stage,
        defaults={"patient_id": session.patient_id, "acknowledged_by": by},
    )
    if created:
        audit.record(
            actor=by, action=Action.CREATE, obj=ack, request=request, detail={"stage": stage}
        )
    return ack


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
    return (
        Hold.objects.open()
        .filter(source=Hold.Source.PRE_SESSION, source_ref=str(check.public_id))
        .first()
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


# --- Upcoming sessions and change requests ------------------------------------------------


def upcoming_sessions(patient: Patient) -> list[Session]:
    """Booked or checked-in sessions that have not ended, with their open requests."""
    sessions = list(
        Session.objects.filter(
            patient=patient, status__in=Session.ACTIVE, ends_at__gt=timezone.now()
        )
        .select_related("practitioner", "room")
        .order_by("starts_at")
    )
    requests = {
        r.session_id: r
        for r in SessionChangeRequest.objects.filter(
            session__in=sessions, status=SessionChangeRequest.Status.OPEN
        )
    }
    for session in sessions:
        session.open_request = requests.get(session.pk)
    return sessions


def session_calendar_file(session: Session) -> bytes:
    """One session as an .ics file for the patient's own calendar: the clinic, the time, the
    practitioner; the same event UID as the staff feed, so moves update it."""
    event = ics.session_event(
        session, now=timezone.now(), url_for=lambda s: render.portal_url(reverse("portal:sessions"))
    )
    del event["summary"]
    event.add("summary", f"Microneedling at {settings.CLINIC_NAME}")
    del event["description"]
    event.add("description", f"Session {session.number} with {session.practitioner}")
    calendar = Calendar()
    calendar.add("prodid", ics.PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical()


@transaction.atomic
def change_request_create(
    *,
    session: Session,
    kind: str,
    note: str,
    by: User,
    request: HttpRequest | None = None,
) -> SessionChangeRequest:
    """The patient asks to cancel or move a session; the front desk confirms. Never a booking."""
    session = Session.objects.select_for_update(of=("self",)).get(pk=session.pk)
    if session.status != Session.Status.BOOKED or session.starts_at <= timezone.now():
        raise Conflict(
            f"This session can no longer be changed here. Please call us on "
            f"{settings.CLINIC_PHONE}."
        )
    errors: dict[str, list[str]] = {}
    if kind not in SessionChangeRequest.Kind.values:
        errors["kind"] = ["Choose whether to cancel or move the session."]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [f"Keep it under {NOTE_MAX} characters, or call us."]
    if errors:
        raise Invalid("Please check your request.", fields=errors)
    if SessionChangeRequest.objects.filter(
        session=session, status=SessionChangeRequest.Status.OPEN
    ).exists():
        raise Conflict("You have already asked us to change this session; we will be in touch.")
    try:
        with transaction.atomic():
            change = SessionChangeRequest.objects.create(
                session=session, patient_id=session.patient_id, kind=kind, note=note
            )
    except IntegrityError as exc:
        raise Conflict("You have already asked us to change this session.") from exc
    audit.record(actor=by, action=Action.CREATE, obj=change, request=request, detail={"kind": kind})
    return change


@transaction.atomic
def change_request_handle(
    *,
    change: SessionChangeRequest,
    outcome: str,
    note: str,
    by: User,
    request: HttpRequest | None = None,
) -> SessionChangeRequest:
    """Front desk closes a patient's request: `cancel` cancels the session (a cancel request
    only), `done` says it was handled (e.g. moved on the calendar), `declined` needs a note."""
    if not by.has_role(*STAFF):
        raise Forbidden("Only clinic staff can handle a request.")
    change = (
        SessionChangeRequest.objects.select_for_update(of=("self",))
        .select_related("session")
        .get(pk=change.pk)
    )
    if change.status != SessionChangeRequest.Status.OPEN:
        raise Conflict("This request has already been handled.")
    note = (note or "").strip()[:NOTE_MAX]
    if outcome == "cancel":
        if change.kind != SessionChangeRequest.Kind.CANCEL:
            raise Conflict("Only a cancellation request cancels the session from here.")
        scheduling_services.session_cancel(
            session=change.session,
            reason=("The patient asked in the portal. " + note).strip(),
            by=by,
            request=request,
        )
        change.status = SessionChangeRequest.Status.DONE
    elif outcome == "done":
        change.status = SessionChangeRequest.Status.DONE
    elif outcome == "declined":
        if not note:
            raise Invalid("A note is required.", fields={"note": ["Say why it is not possible."]})
        change.status = SessionChangeRequest.Status.DECLINED
    else:
        raise Invalid("Unknown outcome.", fields={"outcome": ["Cancel, done or declined."]})
    change.handled_at = timezone.now()
    change.handled_by = by
    change.staff_note = note
    change.save(update_fields=["status", "handled_at", "handled_by", "staff_note"])
    audit.record(
        actor=by, action=Action.UPDATE, obj=change, request=request, detail={"to": change.status}
    )
    return change


# --- Contact preferences ------------------------------------------------------------------


@transaction.atomic
def preferences_update(
    *,
    patient: Patient,
    by: User,
    email_consent: bool,
    sms_consent: bool,
    preferred_channel: str,
    request: HttpRequest | None = None,
) -> Patient:
    """The patient changes e-mail and SMS consent; pending messages follow at once.

    Withdrawing a channel skips its pending messages (the consent signal); any message still
    to come then moves to a channel the patient agrees to, and one skipped only for consent
    comes back when the patient agrees again.
    """
    patient = patient_services.patient_update(
        patient=patient,
        by=by,
        data={
            "email_consent": bool(email_consent),
            "sms_consent": bool(sms_consent),
            "preferred_channel": preferred_channel,
        },
        request=request,
    )
    outbox.reroute_pending(patient)
    return patient


# --- What staff need to act on ------------------------------------------------------------


@dataclass
class StaffAlerts:
    reactions: int
    calls: int
    requests: int

    @property
    def total(self) -> int:
        return self.reactions + self.calls + self.requests


def staff_alerts(user: User) -> StaffAlerts:
    """Counts for the dashboard: a practitioner's own patients' reactions (everyone's for a
    manager or front desk), stopping pre-session checks, open change requests."""
    reactions = ReactionFlag.objects.open()
    if user.has_role(Role.PRACTITIONER) and not user.has_role(Role.MANAGER, Role.FRONT_DESK):
        reactions = reactions.filter(session__practitioner__user=user)
    return StaffAlerts(
        reactions=reactions.count(),
        calls=PreSessionCheck.objects.filter(stops_session=True, resolved_at=None).count(),
        requests=SessionChangeRequest.objects.filter(
            status=SessionChangeRequest.Status.OPEN
        ).count(),
    )
