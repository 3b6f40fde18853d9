"""The staff invitation's one-time link: minted by the worker when it sends the e-mail
(`invite_mint`, which `treatments.messaging` calls at send time), checked when opened, and
used once to set the password (`link_accept`).

As with the portal's links (`treatments/portal/invites.py`): the token lives only in the
e-mail and the link's path, never in a query string, a task's arguments or a log; only its
SHA-256 is stored, so a copy of the database opens no account. A retry mints a fresh token,
so only the link in the e-mail that went out last works.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.errors import Invalid
from clinic.models import StaffInvite, User

TOKEN_MAX = 100

LINK_UNKNOWN = (
    "This link does not work. Check that you opened the whole link from your e-mail, or ask "
    "your clinic manager to send you a new invitation."
)
LINK_USED = (
    "This link has already been used, so it cannot be used again. Log in with your username "
    "and password. If you have forgotten your password, ask your clinic manager."
)
LINK_REVOKED = (
    "This invitation has been withdrawn or replaced by a newer one. Use the link in the "
    "latest e-mail, or ask your clinic manager to send you a new invitation."
)
LINK_CLOSED = (
    "This account has been closed. If you think this is a mistake, ask your clinic manager."
)
REPLACED = (
    "A newer invitation replaced this one, or the account was deactivated, before it was sent."
)


def invite_hours() -> int:
    """How long a link works from its sending (STAFF_INVITE_HOURS, default 72)."""
    return int(settings.STAFF_INVITE_HOURS)


def link_expired_text() -> str:
    return (
        f"This link has expired: invitation links work for {invite_hours()} hours. Ask your "
        "clinic manager to send you a new invitation."
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Sending (the worker) -----------------------------------------------------------------


def invite_unwanted(ref: str) -> str:
    """Why the invitation `ref` must not be sent any more ("" if it still may)."""
    invite = StaffInvite.objects.select_related("user").filter(public_id=ref).first()
    if invite is None:
        return "The invitation this link belongs to does not exist."
    if invite.used_at is not None:
        return "The invitation has already been used."
    if invite.revoked_at is not None or not invite.user.is_active:
        return REPLACED
    return ""


def invite_mint(ref: str) -> str | None:
    """At send time: a fresh token for the invitation `ref`, only its hash kept, its hours
    counted from now. None when the invitation was used, revoked or its account
    deactivated meanwhile (the message is then not sent)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    minted = StaffInvite.objects.filter(
        public_id=ref, used_at=None, revoked_at=None, user__is_active=True
    ).update(
        token_hash=hash_token(token), sent_at=now, expires_at=now + timedelta(hours=invite_hours())
    )
    return token if minted else None


# --- Using a link -------------------------------------------------------------------------


def link_check(token: str) -> StaffInvite:
    """The link's invitation if it still works; else Invalid with words for the invitee."""
    invite = None
    if token and len(token) <= TOKEN_MAX:
        invite = StaffInvite.objects.select_related("user").filter(token_hash=hash_token(token))
        invite = invite.first()
    if invite is None:
        raise Invalid(LINK_UNKNOWN)
    if not invite.user.is_active or invite.user.is_patient:
        raise Invalid(LINK_CLOSED)
    if invite.used_at is not None:
        raise Invalid(LINK_USED)
    if invite.revoked_at is not None:
        raise Invalid(LINK_REVOKED)
    if invite.expires_at <= timezone.now():
        raise Invalid(link_expired_text())
    return invite


@transaction.atomic
def link_accept(*, token: str, password: str, request: HttpRequest | None = None) -> User:
    """Set the staff member's password through their one-time link (Django's password
    validators apply); the link, and any other open invitation of theirs, then stops
    working."""
    invite = link_check(token)
    invite = StaffInvite.objects.select_for_update().get(pk=invite.pk)
    if not invite.is_open:  # lost a race with another use or a revocation
        raise Invalid(LINK_USED if invite.used_at else LINK_REVOKED)
    if invite.token_hash != hash_token(token):
        raise Invalid(LINK_UNKNOWN)  # a retry minted a newer token meanwhile
    user = User.objects.select_for_update().get(pk=invite.user_id)
    if not user.is_active or user.is_patient:
        raise Invalid(LINK_CLOSED)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid("Choose another password.", fields={"password": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    now = timezone.now()
    invite.used_at = now
    invite.save(update_fields=["used_at"])
    StaffInvite.objects.filter(user=user, used_at=None, revoked_at=None).update(revoked_at=now)
    axes_reset(username=user.username)
    audit.record(
        actor=user,
        action=audit.Action.UPDATE,
        obj=invite,
        request=request,
        detail={"password_set": True},
    )
    return user
