"""The patient portal's workflows: aftercare, the pre-session check, change requests and
contact preferences (DESIGN.md §1 patient, §5 flows 4 and 6). One-time links are in
`invites`, check-ins and reaction findings in `check_ins`.

Keyword-only and atomic like every service; views, tests and the staff pages call these.
A patient's own writes are audited with the patient's account as the actor. Nothing here
puts patient data in a link, a log line or a task argument (DESIGN.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
from patients import services as patient_services
from patients import vocabulary
from patients.models import IntakeSubmission, Patient
from treatments.messaging import outbox, render
from treatments.scheduling import ics
from treatments.scheduling import services as scheduling_services
from treatments.scheduling.models import CancelledBy, Session

from . import aftercare
from .models import (
    AftercareAcknowledgement,
    AftercareStep,
    BookingRequest,
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
            initiated_by=CancelledBy.PATIENT,
            by=by,
            request=request,
        )
        change.status = SessionChangeRequest.Status.DONE
    elif outcome == "done":
        change.status = SessionChangeRequest.Status.DONE
    elif outcome == "declined":
        require_decline_note(note)
        change.status = SessionChangeRequest.Status.DECLINED
    else:
        raise Invalid("Unknown outcome.", fields={"outcome": ["Cancel, done or declined."]})
    mark_handled(change, note=note, by=by, request=request)
    return change


def require_decline_note(note: str) -> None:
    """A patient's request is declined only with a note saying why."""
    if not note:
        raise Invalid("A note is required.", fields={"note": ["Say why it is not possible."]})


def mark_handled(row, *, note: str, by: User, request: HttpRequest | None) -> None:
    """Close a patient's request (a change request, a booking request) in the status already
    set on it: who handled it, when, their note, and the audit row."""
    row.handled_at = timezone.now()
    row.handled_by = by
    row.staff_note = note
    row.save(update_fields=["status", "handled_at", "handled_by", "staff_note"])
    audit.record(
        actor=by, action=Action.UPDATE, obj=row, request=request, detail={"to": row.status}
    )


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
    asked: int = 0  # requests for a review or a new course (`booking`, PORTAL_BOOKING=full)

    @property
    def total(self) -> int:
        return self.reactions + self.calls + self.requests + self.asked


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
        asked=BookingRequest.objects.filter(status=BookingRequest.Status.REQUESTED).count(),
    )
