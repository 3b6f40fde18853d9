"""One-time links into the portal: invitations and password resets (DESIGN.md §1 patient).

Nothing is sent from here, nor from any web request. `invite_send` and `reset_request` write
a PortalInvite with no token and, in the same transaction, its outbox message, due now (an
SMS after quiet hours). The worker mints the token when it sends (`link_context`,
registered with messaging's renderer by `receivers.connect`): only the token's hash is
stored, the 72 hours start then, and a retry mints a fresh token, so only the link in the
message that went out last works.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.clock import WHEN, local_format
from clinic.errors import Conflict, Forbidden, Invalid
from clinic.models import User
from clinic.roles import STAFF
from patients import services as patient_services
from patients.models import Patient
from treatments.messaging import outbox, render
from treatments.messaging.models import Message

from .models import PortalInvite

logger = logging.getLogger(__name__)
Action = audit.Action

LINK_HOURS = 72
RESETS_PER_HOUR = 3
# The message kind for each purpose of a link.
KINDS = {
    PortalInvite.Purpose.INVITE: Message.Kind.PORTAL_INVITE,
    PortalInvite.Purpose.RESET: Message.Kind.PASSWORD_RESET,
}

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
REPLACED = "A newer link replaced this one before it was sent."


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_channels(patient: Patient) -> list[str]:
    """The channels a link can go by: those with a contact detail, preferred first."""
    found = [c for c in Message.Channel.values if outbox.contact_for(patient, c)]
    return sorted(found, key=lambda c: c != patient.preferred_channel)


# --- Asking for a link (web requests) -----------------------------------------------------


@transaction.atomic
def invite_send(
    *,
    patient: Patient,
    by: User,
    channel: str | None = None,
    request: HttpRequest | None = None,
) -> PortalInvite:
    """Have a one-time link sent to the patient to set their portal password (DESIGN.md §1).

    A patient who already has an account gets a reset link instead. Earlier links stop
    working. Staff only; a staff account is never linked as a patient's portal account. The
    link goes out from the worker: `sending_note` says when.
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
    """The invite (no token yet) and its message, due now; older links stop working."""
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
    older = PortalInvite.objects.filter(patient=patient, used_at=None, revoked_at=None)
    older_ids = [str(pk) for pk in older.values_list("public_id", flat=True)]
    if older_ids:
        older.update(revoked_at=now)
        outbox.cancel_links(older_ids, REPLACED)
    invite = PortalInvite.objects.create(
        patient=patient,
        purpose=purpose,
        channel=channel,
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(hours=LINK_HOURS),  # from its sending, once sent
    )
    invite.message = outbox.write_now(
        patient=patient, kind=KINDS[purpose], channel=channel, ref=str(invite.public_id), now=now
    )
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=invite,
        request=request,
        detail={"purpose": purpose, "channel": channel},
    )
    return invite


def sending_note(invite: PortalInvite) -> str:
    """What staff read once they asked for a link: when it goes, and for how long it works."""
    what = "The invitation" if invite.purpose == PortalInvite.Purpose.INVITE else "The link"
    how = "by SMS" if invite.channel == PortalInvite.Channel.SMS else "by e-mail"
    message = getattr(invite, "message", None) or Message.objects.get(
        kind=KINDS[invite.purpose], ref=str(invite.public_id)
    )
    due = message.due_at
    if due > timezone.now() + timedelta(minutes=1):
        when = f"on {local_format(due, WHEN)}, after the quiet hours for texts"
    else:
        when = "in a moment"
    return f"{what} will be sent {how} {when}. It works once, for {LINK_HOURS} hours."


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
    with transaction.atomic():
        # Locked, so that two requests at once cannot both pass the hourly limit.
        patient = Patient.objects.select_for_update(of=("self",)).get(pk=found[0].pk)
        hour_ago = timezone.now() - timedelta(hours=1)
        recent = PortalInvite.objects.filter(
            patient=patient, purpose=PortalInvite.Purpose.RESET, created_at__gte=hour_ago
        )
        if recent.count() >= RESETS_PER_HOUR:
            return
        if not link_channels(patient):
            logger.warning("A password reset was asked for a patient with no contact detail.")
            return
        _issue_link(
            patient=patient,
            purpose=PortalInvite.Purpose.RESET,
            channel=None,
            by=None,
            request=request,
        )


# --- The offer at booking (issue 10 item 7) -----------------------------------------------

# A link's message that ended like this never reached the patient: the link is not on its way.
NOT_DELIVERED = (Message.Status.FAILED, Message.Status.SKIPPED, Message.Status.CANCELLED)


def portal_reachable(patient: Patient) -> bool:
    """The patient can get into the portal, or soon will: an active portal account, or a link
    not used, replaced or expired whose message is on its way or was sent."""
    account = patient.portal_user
    if account is not None and account.is_active:
        return True
    waiting = [
        str(public_id)
        for public_id in PortalInvite.objects.filter(
            patient=patient, used_at=None, revoked_at=None, expires_at__gt=timezone.now()
        ).values_list("public_id", flat=True)
    ]
    if not waiting:
        return False
    undelivered = Message.objects.filter(
        kind__in=list(KINDS.values()), ref__in=waiting, status__in=NOT_DELIVERED
    ).count()
    return undelivered < len(waiting)


def invitation_offered(patient: Patient) -> bool:
    """Whether staff who just booked for this patient are offered "Invite to the portal": a
    patient who prefers SMS otherwise gets texts whose portal link leads to a login page.
    Not for an archived record, nor one linked to a staff account, nor a patient who can get
    into the portal already (`portal_reachable`)."""
    account = patient.portal_user
    if patient.is_archived or (account is not None and not account.is_patient):
        return False
    return not portal_reachable(patient)


@transaction.atomic
def invite_offer_accept(
    *, patient: Patient, by: User, request: HttpRequest | None = None
) -> PortalInvite:
    """The one-click invitation offered after booking, by the patient's preferred channel
    that has a contact detail. Refused (409) when it is no longer offered: another click or
    a colleague was first, or the patient has an account now."""
    patient = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("portal_user")
        .get(pk=patient.pk)
    )
    if portal_reachable(patient):  # invite_send refuses an archived or staff-linked record
        raise Conflict(
            f"{patient.first_name} already has a portal account or an invitation on its way; "
            "nothing more was sent."
        )
    return invite_send(patient=patient, by=by, request=request)


# --- Sending a link (the worker) ----------------------------------------------------------


def link_unwanted(message: Message) -> str:
    """Why this link's message must not go out any more ("" if it still may)."""
    invite = PortalInvite.objects.filter(public_id=message.ref).first()
    if invite is None:
        return "The invitation this link belongs to does not exist."
    if invite.used_at is not None:
        return "The link has already been used."
    if invite.revoked_at is not None:
        return REPLACED
    return ""


def link_context(message: Message) -> dict:
    """At send time: a fresh token for the message's invite, only its hash kept, the link's
    hours counted from now, and the link for the message. A link replaced or used since
    the worker's check is not sent (`render.Unwanted`)."""
    token = secrets.token_urlsafe(32)
    minted = PortalInvite.objects.filter(
        public_id=message.ref, used_at=None, revoked_at=None
    ).update(token_hash=hash_token(token), expires_at=timezone.now() + timedelta(hours=LINK_HOURS))
    if not minted:
        raise render.Unwanted(link_unwanted(message) or REPLACED)
    return {"link": render.portal_url(reverse("portal:invite", args=[token])), "hours": LINK_HOURS}


# --- Using a link -------------------------------------------------------------------------


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
    if invite.token_hash != hash_token(token):
        raise Invalid(LINK_UNKNOWN)  # a retry minted a newer token meanwhile
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
