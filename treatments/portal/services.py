"""The patient portal's workflows: one-time links, aftercare, check-ins, the pre-session check,
change requests and contact preferences (DESIGN.md §1 patient, §5 flows 4 and 6).

Keyword-only and atomic like every service; views, tests and the staff pages call these.
A patient's own writes are audited with the patient's account as the actor. Nothing here
puts patient data in a link, a log line or a task argument (DESIGN.md §6).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from clinic import audit
from clinic.clock import clinic_today, clinic_zone, to_local
from clinic.errors import Conflict, Forbidden, Invalid, ServiceError
from clinic.models import Role, User
from clinic.roles import STAFF
from patients import services as patient_services
from patients import vocabulary
from patients.models import Hold, IntakeSubmission, Patient
from patients.screening import format_date
from treatments.messaging import outbox
from treatments.messaging.models import Message
from treatments.messaging.sms import SmsError, get_sms_backend
from treatments.scheduling import ics
from treatments.scheduling.models import Session

from . import aftercare, photos
from .models import (
    AftercareAcknowledgement,
    AftercareStep,
    CheckInAnswer,
    PortalInvite,
    PreSessionCheck,
    ReactionFlag,
    SessionChangeRequest,
)

logger = logging.getLogger(__name__)
Action = audit.Action

LINK_HOURS = 72
RESETS_PER_HOUR = 3
NOTE_MAX = 2000

LINK_UNKNOWN = (
    "This link does not work. Check that you opened the whole link from your message, or ask "
    "the clinic for a new one."
)
LINK_USED = (
    "This link has already been used, so it cannot be used again. Log in with your password, "
    "or ask for a new link if you have forgotten it."
)
LINK_REVOKED = "A newer link has been sent to you: please use the link in the latest message."
LINK_EXPIRED = (
    f"This link has expired: links work for {LINK_HOURS} hours. Ask the clinic for a new one, "
    "or use “Forgotten your password?” on the login page."
)
LINK_CLOSED = "This link no longer works. Please call the clinic."


def portal_url(path: str) -> str:
    """An absolute portal address for messages: the base and a path, never patient data."""
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def patient_for(user: User) -> Patient | None:
    """The patient whose portal account this is (None for staff and unlinked accounts)."""
    if not user.is_authenticated or not user.is_patient:
        return None
    return Patient.objects.filter(portal_user=user).first()


# --- One-time links: invitations and password resets --------------------------------------


def link_channels(patient: Patient) -> list[str]:
    """The channels a link can go by: those with a contact detail, preferred first."""
    found = [c for c, ok in (("email", patient.email), ("sms", patient.phone)) if ok]
    return sorted(found, key=lambda c: c != patient.preferred_channel)


@transaction.atomic
def invite_send(
    *,
    patient: Patient,
    by: User,
    channel: str | None = None,
    request: HttpRequest | None = None,
) -> PortalInvite:
    """Send the patient a one-time link to set their portal password (DESIGN.md §1).

    A patient who already has an account gets a reset link instead. Earlier links stop
    working. Staff only; a staff account is never linked as a patient's portal account.
    """
    if not by.is_authenticated or not by.has_role(*STAFF):
        raise Forbidden("Only clinic staff can invite a patient to the portal.")
    patient = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("portal_user")
        .get(pk=patient.pk)
    )
    if patient.is_archived:
        raise Conflict("This patient is archived.")
    account = patient.portal_user
    if account is not None and not account.is_patient:
        raise Conflict("This patient is linked to a staff account; a staff account is never a "
                       "patient's portal account. Ask the manager to unlink it.")  # fmt: skip
    purpose = PortalInvite.Purpose.RESET if account else PortalInvite.Purpose.INVITE
    return _issue_link(patient=patient, purpose=purpose, channel=channel, by=by, request=request)


def _issue_link(
    *,
    patient: Patient,
    purpose: str,
    channel: str | None,
    by: User | None,
    request: HttpRequest | None,
) -> PortalInvite:
    available = link_channels(patient)
    if not available:
        raise Invalid(
            "No e-mail or phone.",
            fields={"channel": ["Add the patient's e-mail address or mobile number first."]},
        )
    channel = channel or available[0]
    if channel not in available:
        raise Invalid(
            "Choose another channel.",
            fields={"channel": ["There is no contact detail for that channel."]},
        )
    now = timezone.now()
    PortalInvite.objects.filter(patient=patient, used_at=None, revoked_at=None).update(
        revoked_at=now
    )
    token = secrets.token_urlsafe(32)
    invite = PortalInvite.objects.create(
        patient=patient,
        purpose=purpose,
        channel=channel,
        token_hash=hash_token(token),
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(hours=LINK_HOURS),
    )
    invite.token = token  # only in memory: the database holds the hash
    invite.link = portal_url(reverse("portal:invite", args=[token]))
    _deliver_link(invite, patient)
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=invite,
        request=request,
        detail={"purpose": purpose, "channel": channel},
    )
    return invite


def _deliver_link(invite: PortalInvite, patient: Patient) -> None:
    context = {
        "first_name": patient.first_name.strip(),
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "link": invite.link,
        "hours": LINK_HOURS,
        "is_reset": invite.purpose == PortalInvite.Purpose.RESET,
    }
    try:
        if invite.channel == PortalInvite.Channel.EMAIL:
            folder = "messaging/emails/portal_invite"
            subject = " ".join(render_to_string(f"{folder}/subject.txt", context).split())
            mail = EmailMultiAlternatives(
                subject=subject,
                body=render_to_string(f"{folder}/body.txt", context),
                to=[patient.email],
            )
            mail.attach_alternative(render_to_string(f"{folder}/body.html", context), "text/html")
            mail.send()
        else:
            body = " ".join(render_to_string("portal/invite_sms.txt", context).split())
            get_sms_backend().send(patient.phone, body)
    except (smtplib.SMTPException, OSError, SmsError) as exc:
        raise Conflict(
            "The message could not be sent just now. Check the e-mail address or phone number, "
            "then try again."
        ) from exc


def reset_request(*, identifier: str, request: HttpRequest | None = None) -> None:
    """A patient who forgot their password asks for a link by e-mail address or phone.

    Always answers the same way, whether or not the address is known, so the form tells
    nobody who is a patient here; at most `RESETS_PER_HOUR` links an hour per patient.
    """
    identifier = (identifier or "").strip()
    if not identifier:
        raise Invalid(
            "Missing e-mail.",
            fields={"identifier": ["Enter your e-mail address or mobile number."]},
        )
    match = Q(email__iexact=identifier) | Q(portal_user__username__iexact=identifier)
    try:
        phone = patient_services.normalise_phone(identifier)
    except Invalid:
        phone = ""
    if phone:
        match |= Q(phone=phone)
    found = list(
        Patient.objects.active()
        .filter(match, portal_user__is_patient=True, portal_user__is_active=True)
        .distinct()[:2]
    )
    if len(found) != 1:
        return
    patient = found[0]
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = PortalInvite.objects.filter(
        patient=patient, purpose=PortalInvite.Purpose.RESET, created_at__gte=hour_ago
    )
    if recent.count() >= RESETS_PER_HOUR:
        return
    try:
        with transaction.atomic():
            _issue_link(
                patient=patient,
                purpose=PortalInvite.Purpose.RESET,
                channel=None,
                by=None,
                request=request,
            )
    except ServiceError:
        logger.warning("A password reset link could not be sent.")


def link_check(token: str) -> PortalInvite:
    """The link's invite if it still works; else Invalid with a message for the patient."""
    invite = None
    if token and len(token) <= 100:
        invite = (
            PortalInvite.objects.select_related("patient__portal_user")
            .filter(token_hash=hash_token(token))
            .first()
        )
    if invite is None:
        raise Invalid(LINK_UNKNOWN)
    if invite.used_at is not None:
        raise Invalid(LINK_USED)
    if invite.revoked_at is not None:
        raise Invalid(LINK_REVOKED)
    if invite.expires_at <= timezone.now():
        raise Invalid(LINK_EXPIRED)
    if invite.patient.is_archived:
        raise Invalid(LINK_CLOSED)
    return invite


def username_for(patient: Patient) -> str:
    """The patient logs in with their e-mail address (else phone), when no one else has it."""
    for candidate in (patient.email.strip().lower(), patient.phone):
        if candidate and not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    return f"patient-{patient.public_id.hex[:10]}"


@transaction.atomic
def link_accept(*, token: str, password: str, request: HttpRequest | None = None) -> User:
    """Set the portal password through a one-time link; the link then stops working.

    An invitation creates the patient's portal account (never a staff account); a reset
    changes its password, which also ends the account's other logged-in sessions.
    """
    invite = link_check(token)
    invite = PortalInvite.objects.select_for_update().get(pk=invite.pk)
    if invite.used_at is not None or invite.revoked_at is not None:
        raise Invalid(LINK_USED if invite.used_at else LINK_REVOKED)  # lost a race
    patient = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("portal_user")
        .get(pk=invite.patient_id)
    )
    user = patient.portal_user
    if user is None:
        user = User(
            username=username_for(patient),
            first_name=patient.first_name,
            last_name=patient.last_name,
            email=patient.email,
            is_patient=True,
        )
    elif not user.is_patient:
        raise Invalid(LINK_CLOSED)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid("Choose another password.", fields={"password": exc.messages}) from exc
    user.set_password(password)
    user.is_active = True
    user.save()
    if patient.portal_user_id != user.pk:
        Patient.objects.filter(pk=patient.pk).update(portal_user=user)
    invite.used_at = timezone.now()
    invite.save(update_fields=["used_at"])
    axes_reset(username=user.username)
    audit.record(
        actor=user,
        action=Action.UPDATE,
        obj=invite,
        request=request,
        detail={"purpose": invite.purpose, "password_set": True},
    )
    return user


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
        "retinoid_stop": aftercare.retinoid_stop_text(
            int(getattr(settings, "RETINOID_STOP_HOURS", 24))
        ),
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


# --- Check-ins and reaction findings ------------------------------------------------------


def check_in_kind(*, completed: date, today: date) -> str:
    """Which check-in an answer is, by the local days since the session: the 24-hour one on
    days 0–1, the 72-hour one on days 2–5, the 7-day one from day 6 (clinical reference §4)."""
    days = (today - completed).days
    if days <= 1:
        return CheckInAnswer.Kind.HOURS_24
    if days <= 5:
        return CheckInAnswer.Kind.HOURS_72
    return CheckInAnswer.Kind.DAYS_7


@transaction.atomic
def check_in_submit(
    *,
    session: Session,
    skin: str,
    warning_signs: list[str],
    note: str,
    photo: bytes | None,
    by: User,
    today: date | None = None,
    request: HttpRequest | None = None,
) -> CheckInAnswer:
    """Record how the skin is after a session, and raise a finding when it needs a clinician.

    A warning sign (clinical reference §3), or skin not improving from day 2, flags the
    practitioner at once (their dashboard and an e-mail). Skin not settled at the 7-day
    check-in flags it too (§4, rule 34). Every open flag blocks the next check-in until a
    practitioner clears it. Bad input changes nothing: no row and no file.
    """
    if session.status != Session.Status.COMPLETED:
        raise Conflict("There is no check-in for a session that has not taken place.")
    today = today or clinic_today()
    errors: dict[str, list[str]] = {}
    if skin not in CheckInAnswer.Skin.values:
        errors["skin"] = ["Choose how your skin is."]
    signs = list(dict.fromkeys(warning_signs or []))
    if set(signs) - aftercare.WARNING_CODES:
        errors["warning_signs"] = ["Choose from the signs listed."]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [f"Keep it under {NOTE_MAX} characters, or call us."]
    clean_photo = None
    if photo is not None:
        try:
            clean_photo = photos.clean(photo)
        except photos.PhotoRejected as exc:
            errors["photo"] = [str(exc)]
    if errors:
        raise Invalid("Please check your answers.", fields=errors)

    kind = check_in_kind(completed=completed_on(session), today=today)
    answer = CheckInAnswer(
        session=session,
        patient_id=session.patient_id,
        kind=kind,
        skin=skin,
        warning_signs=signs,
        note=note,
        submitted_by=by,
    )
    if clean_photo is not None:
        answer.photo.save(
            f"photo.{clean_photo.extension}", ContentFile(clean_photo.data), save=False
        )
        answer.photo_type = clean_photo.content_type
    answer.save()

    alert = list(signs)
    if skin == CheckInAnswer.Skin.NOT_IMPROVING and kind != CheckInAnswer.Kind.HOURS_24:
        alert = list(dict.fromkeys([*alert, "not_improving"]))
    not_settled = kind == CheckInAnswer.Kind.DAYS_7 and skin != CheckInAnswer.Skin.SETTLED
    if alert or not_settled:
        flag = ReactionFlag.objects.create(
            patient_id=session.patient_id,
            session=session,
            check_in=answer,
            warning_signs=alert,
            not_settled=not_settled,
        )
        # The reaction becomes a hold on the patient: no session until a practitioner has
        # seen it and released it (DESIGN.md flow 6; clinical reference §1.2 row 34).
        patient_services.hold_place(
            patient=session.patient,
            reason=(
                "The patient reported a reaction after the session on "
                f"{format_date(completed_on(session))}."
            ),
            source=Hold.Source.REACTION,
            source_ref=str(flag.public_id),
            by=by,
            request=request,
        )
        transaction.on_commit(partial(alert_practitioner, flag.pk))
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=answer,
        request=request,
        detail={"kind": kind, "flagged": bool(alert or not_settled)},
    )
    return answer


def alert_practitioner(flag_id: int) -> None:
    """E-mail the session's practitioner that a patient reported a reaction.

    Only a first name and initial, the session's date and a link to the staff page: the
    signs themselves stay behind the login. A failure is logged (the dashboard flag remains).
    """
    flag = ReactionFlag.objects.select_related("patient", "session__practitioner__user").get(
        pk=flag_id
    )
    practitioner_user = flag.session.practitioner.user
    recipients = [practitioner_user.email] if practitioner_user.email else []
    if not recipients:
        recipients = list(
            User.objects.filter(groups__name=Role.PRACTITIONER, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    if not recipients:
        logger.warning("No practitioner e-mail for reaction flag %s.", flag.public_id)
        return
    context = {
        "patient": ics.patient_label(flag.patient.first_name, flag.patient.last_name),
        "session_day": f"{to_local(flag.session.starts_at):%d %B %Y}",
        "warning": bool(flag.warning_signs),
        "not_settled": flag.not_settled,
        "link": portal_url(reverse("portal:staff")),
        "clinic_name": settings.CLINIC_NAME,
    }
    folder = "messaging/emails/portal_alert"
    try:
        mail = EmailMultiAlternatives(
            subject=" ".join(render_to_string(f"{folder}/subject.txt", context).split()),
            body=render_to_string(f"{folder}/body.txt", context),
            to=recipients,
        )
        mail.attach_alternative(render_to_string(f"{folder}/body.html", context), "text/html")
        mail.send()
    except (smtplib.SMTPException, OSError):
        logger.warning("The alert for reaction flag %s could not be e-mailed.", flag.public_id)


@transaction.atomic
def reaction_flag_clear(
    *, flag: ReactionFlag, note: str, by: User, request: HttpRequest | None = None
) -> ReactionFlag:
    """A practitioner (only) clears a reaction finding after reviewing it, saying why."""
    if not by.has_role(Role.PRACTITIONER):
        raise Forbidden("Only a practitioner can clear a reported reaction.")
    note = (note or "").strip()
    if not note:
        raise Invalid("A note is required.", fields={"note": ["Say what you found or did."]})
    flag = ReactionFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.cleared_at is not None:
        raise Conflict("This reaction has already been cleared.")
    flag.cleared_at = timezone.now()
    flag.cleared_by = by
    flag.clear_note = note[:NOTE_MAX]
    flag.save(update_fields=["cleared_at", "cleared_by", "clear_note"])
    hold = (
        Hold.objects.open()
        .filter(patient_id=flag.patient_id, source=Hold.Source.REACTION)
        .filter(source_ref=str(flag.public_id))
        .first()
    )
    if hold is not None:
        patient_services.hold_release(hold=hold, note=flag.clear_note, by=by, request=request)
    audit.record(actor=by, action=Action.SIGN_OFF, obj=flag, request=request)
    return flag


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

    The stable answers are carried from the latest full intake; the merged answers become a
    new pre-session submission (the patient its submitter) and a new screening. A result
    that would stop the session flags it for the front desk, who call the patient.
    """
    today = today or clinic_today()
    if not pre_session_is_open(session, today):
        raise Conflict(
            "The questions for this session are not open now: they open 7 days before it."
        )
    try:
        fresh = vocabulary.clean_answers(answers, today=today, keys=vocabulary.EXPIRING_KEYS)
    except vocabulary.AnswersInvalid as exc:
        raise Invalid("Please answer every question.", fields=exc.errors) from exc
    full = (
        IntakeSubmission.objects.filter(
            patient_id=session.patient_id, kind=IntakeSubmission.Kind.INTAKE
        )
        .order_by("-submitted_at", "-id")
        .first()
    )
    carried = {
        k: full.answers[k] for k in sorted(vocabulary.STABLE_KEYS) if full and k in full.answers
    }
    if full is None or set(carried) != vocabulary.STABLE_KEYS:
        raise Conflict(
            "We need to go through some questions with you in person first. Please call the clinic."
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
    return check


@transaction.atomic
def pre_session_resolve(
    *, check: PreSessionCheck, note: str, by: User, request: HttpRequest | None = None
) -> PreSessionCheck:
    """Staff close a stopping pre-session check after calling the patient, saying what next."""
    if not by.has_role(*STAFF):
        raise Forbidden("Only clinic staff can resolve this.")
    note = (note or "").strip()
    if not note:
        raise Invalid("A note is required.", fields={"note": ["Say what was agreed."]})
    check = PreSessionCheck.objects.select_for_update().get(pk=check.pk)
    if not check.needs_call:
        raise Conflict("This check does not need a call, or has already been resolved.")
    check.resolved_at = timezone.now()
    check.resolved_by = by
    check.resolve_note = note[:NOTE_MAX]
    check.save(update_fields=["resolved_at", "resolved_by", "resolve_note"])
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
        session, now=timezone.now(), url_for=lambda s: portal_url(reverse("portal:sessions"))
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
    from treatments.scheduling import services  # services import this module for the check-in gate

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
        services.session_cancel(
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

# Why the outbox skipped a message for consent alone (compared case-insensitively).
_CONSENT_REASONS = frozenset(
    reason.casefold()
    for reason in (*map(outbox.withdrawn_reason, Message.Channel.values), outbox.NO_CONSENT)
)


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
    _reroute_pending(patient)
    return patient


def _reroute_pending(patient: Patient, now: datetime | None = None) -> int:
    now = now or timezone.now()
    channel, reason = outbox.channel_for(patient)
    changed = 0
    messages = Message.objects.filter(
        patient=patient,
        due_at__gt=now,
        status__in=[Message.Status.PENDING, Message.Status.SKIPPED],
    ).order_by("id")
    for message in messages:
        if message.status == Message.Status.SKIPPED:
            if message.last_error.casefold() not in _CONSENT_REASONS or reason:
                continue
        elif not reason and message.channel == channel:
            continue
        if reason:
            message.status, message.last_error = Message.Status.SKIPPED, reason
        else:
            taken = Message.objects.filter(
                session_id=message.session_id, kind=message.kind, channel=channel
            ).exclude(pk=message.pk)
            if taken.exists():
                continue
            message.channel, message.status, message.last_error = (
                channel,
                Message.Status.PENDING,
                "",
            )
            if channel == Message.Channel.SMS:
                message.due_at = outbox.after_quiet_hours(message.due_at, clinic_zone())
        message.enqueued_at = None
        message.save(
            update_fields=["channel", "status", "last_error", "due_at", "enqueued_at", "updated_at"]
        )
        changed += 1
    return changed


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
