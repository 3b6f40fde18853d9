"""Staff invitations through the outbox (issue 11). The clinic layer announces an
invitation (`clinic.staff.signals.staff_invited`, inside its transaction) and never imports
messaging; here it becomes an outbox row in that same transaction, and at send time the
worker has `clinic.staff.links` mint the one-time token for the e-mail's link.

The token exists only in the rendered e-mail: not in the row, the task's arguments (a
message id) or any log line.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from clinic.models import Role, StaffInvite
from clinic.staff import links
from clinic.staff.selectors import role_list
from clinic.staff.signals import staff_invited

from . import outbox, render
from .models import STAFF_LINK_KINDS, Message

Kind = Message.Kind
Status = Message.Status


def invited(sender, *, invite: StaffInvite, **kwargs) -> None:
    """Write the invitation's e-mail, due now; an older one not yet sent is cancelled (its
    invitation was revoked by this one)."""
    Message.objects.filter(
        kind__in=STAFF_LINK_KINDS, recipient_id=invite.user_id, status=Status.PENDING
    ).update(status=Status.CANCELLED, last_error=links.REPLACED, updated_at=timezone.now())
    outbox.write_now(
        patient=None,
        recipient=invite.user,
        kind=Kind.STAFF_INVITE,
        channel=Message.Channel.EMAIL,
        ref=str(invite.public_id),
    )


def invite_context(message: Message) -> dict:
    """At send time: a fresh token and the link to set a password with it. An invitation
    used, revoked or deactivated since the worker's check is not sent."""
    token = links.invite_mint(message.ref)
    if token is None:
        raise render.Unwanted(links.invite_unwanted(message.ref) or links.REPLACED)
    recipient = message.recipient
    labels = dict(Role.choices)
    return {
        "first_name": recipient.first_name.strip(),
        "username": recipient.username,
        "roles": [labels[role] for role in role_list(recipient)],
        "link": render.portal_url(reverse("staff:welcome", args=[token])),
        "hours": links.invite_hours(),
    }


def invite_unwanted(message: Message) -> str:
    return links.invite_unwanted(message.ref)


def connect() -> None:
    staff_invited.connect(invited, dispatch_uid="messaging.staff_invited")
    for kind in STAFF_LINK_KINDS:
        render.register_context(kind, invite_context)
        render.register_check(kind, invite_unwanted)
