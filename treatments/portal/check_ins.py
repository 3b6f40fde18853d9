"""Check-ins after a session, the reaction findings they raise, and the alert that tells a
practitioner (DESIGN.md flow 6; clinical reference §3, §4).

The alert is an outbox message written with the flag, in the patient's transaction; the
worker e-mails it. It says a first name and initial, the session's day and where to look
(`alert_context`, registered with messaging's renderer by `receivers.connect`): the signs
themselves stay behind the login.
"""

from __future__ import annotations

import logging
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from clinic import audit, contact
from clinic.clock import DATE, clinic_today, local_format
from clinic.errors import Conflict, Forbidden, Invalid
from clinic.models import Role, User
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.models import Hold
from patients.screening import format_date
from treatments.messaging import outbox, render
from treatments.messaging.models import Message
from treatments.scheduling import ics
from treatments.scheduling.models import Session

from . import aftercare, photos
from .models import CheckInAnswer, ReactionFlag
from .services import NOTE_MAX, completed_on
from .warning_signs import is_urgent, screen_note

logger = logging.getLogger(__name__)
Action = audit.Action


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
    practitioner at once: their dashboard, and an alert in the outbox written with the flag.
    Skin not settled at the 7-day check-in flags it too (§4, rule 34). A sign named in the
    note counts as its ticked box (`warning_signs.screen_note`); an urgent one (trouble
    breathing, swelling of the lips, tongue or throat) also marks the answer `urgent`, and the
    page after it tells the patient to call emergency services (`emergency_notice`). Every
    open flag blocks the next check-in until a practitioner clears it. Every answer, flagged
    or not, waits in the practitioners' triage list until one marks it read. Bad input
    changes nothing: no row and no file.
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
    note_signs = screen_note(note)
    answer = CheckInAnswer(
        session=session,
        patient_id=session.patient_id,
        kind=kind,
        skin=skin,
        warning_signs=signs,
        note=note,
        note_signs=note_signs,
        urgent=is_urgent(note_signs),
        submitted_by=by,
    )
    if clean_photo is not None:
        answer.photo.save(
            f"photo.{clean_photo.extension}", ContentFile(clean_photo.data), save=False
        )
        answer.photo_type = clean_photo.content_type
    answer.save()

    alert = list(dict.fromkeys([*signs, *note_signs]))
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
        alert_practitioners(flag=flag, session=session)
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=answer,
        request=request,
        detail={"kind": kind, "flagged": bool(alert or not_settled), "urgent": answer.urgent},
    )
    return answer


def emergency_notice() -> str:
    """What the patient reads at once after a note naming an urgent sign (clinical reference
    §3, last row): emergency services, not the clinic."""
    number = contact.emergency_number()
    return (
        f"Call {number} now if you have trouble breathing, your throat feels tight, or your "
        f"lips or tongue are swelling. Don't wait for us to contact you."
    )


# --- Triage: every answer reaches a clinician -------------------------------------------------


def check_ins_unread() -> QuerySet[CheckInAnswer]:
    return CheckInAnswer.objects.filter(read_at__isnull=True)


def triage_list() -> QuerySet[CheckInAnswer]:
    """Every check-in answer no practitioner has read yet: flagged ones first, each group
    newest first, with what the page shows joined in (one query, whatever the rows)."""
    flagged = ReactionFlag.objects.filter(check_in=OuterRef("pk"))
    return (
        check_ins_unread()
        .select_related("patient", "session__practitioner", "flag")
        .annotate(flagged=Exists(flagged))
        .order_by("-flagged", "-submitted_at", "-id")
    )


@transaction.atomic
def check_in_mark_read(
    *, answer: CheckInAnswer, by: User, request: HttpRequest | None = None
) -> CheckInAnswer:
    """A practitioner (only) has read a check-in answer: it leaves the triage list. Marking it
    read clears nothing: a flag it raised stays until a practitioner clears it with a note."""
    if not by.has_role(Role.PRACTITIONER):
        raise Forbidden("Only a practitioner can mark a check-in as read.")
    answer = CheckInAnswer.objects.select_for_update().get(pk=answer.pk)
    if answer.read_at is not None:
        raise Conflict("Someone has already marked this check-in as read.")
    answer.read_at = timezone.now()
    answer.read_by = by
    answer.save(update_fields=["read_at", "read_by"])
    audit.record(actor=by, action=Action.UPDATE, obj=answer, request=request, detail={"read": True})
    return answer


def alert_recipients(session: Session) -> list[User]:
    """Who hears of a reaction: the session's practitioner, or, when they cannot get an
    e-mail, every active practitioner who can."""
    user = session.practitioner.user
    if user.is_active and user.email:
        return [user]
    return list(
        User.objects.filter(groups__name=Role.PRACTITIONER, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def alert_practitioners(*, flag: ReactionFlag, session: Session) -> list[Message]:
    """One alert message per recipient, written in the flag's transaction and due now. With
    no one to e-mail, the dashboard still shows the flag."""
    recipients = alert_recipients(session)
    if not recipients:
        logger.warning("No practitioner e-mail for reaction flag %s.", flag.public_id)
    return [
        outbox.write_now(
            patient=session.patient,
            session=session,
            recipient=user,
            kind=Message.Kind.PRACTITIONER_ALERT,
            channel=Message.Channel.EMAIL,
            ref=str(flag.public_id),
        )
        for user in recipients
    ]


def alert_unwanted(message: Message) -> str:
    """An alert about a reaction a practitioner has cleared meanwhile is not sent."""
    flag = ReactionFlag.objects.filter(public_id=message.ref).first()
    if flag is None:
        return "The reaction this alert is about does not exist."
    if not flag.is_open:
        return "A practitioner has already cleared this reaction."
    return ""


def alert_context(message: Message) -> dict:
    """At send time: the patient as first name and initial, the session's day, whether it is
    a warning sign or skin not settled, and the staff page (nothing clinical)."""
    flag = ReactionFlag.objects.select_related("patient", "session").get(public_id=message.ref)
    return {
        "patient": ics.patient_label(flag.patient.first_name, flag.patient.last_name),
        "session_day": local_format(flag.session.starts_at, DATE),
        "warning": bool(flag.warning_signs),
        "not_settled": flag.not_settled,
        "link": render.portal_url(reverse("portal:staff")),
    }


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
    hold = patient_selectors.open_hold(source=Hold.Source.REACTION, source_ref=str(flag.public_id))
    if hold is not None:
        patient_services.hold_release(hold=hold, note=flag.clear_note, by=by, request=request)
    audit.record(actor=by, action=Action.SIGN_OFF, obj=flag, request=request)
    return flag
