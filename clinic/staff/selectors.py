"""Reads of staff accounts: the list with what each row shows, where an account stands, and
whether an e-mail address is taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet, TextChoices
from django.utils import timezone

from clinic.models import Role, StaffInvite, User


class Status(TextChoices):
    ACTIVE = "active", "Active"
    INVITED = "invited", "Invitation sent"
    NEEDS_INVITATION = "needs_invitation", "Needs a new invitation"
    DEACTIVATED = "deactivated", "Deactivated"


@dataclass(frozen=True)
class AccountStatus:
    code: str
    label: str
    # The newest invitation that was neither used nor revoked, for its dates ("sent on …,
    # works until …"); None when there is none.
    invite: StaffInvite | None

    @property
    def pending(self) -> bool:
        """The member of staff has not set a password yet."""
        return self.code in (Status.INVITED, Status.NEEDS_INVITATION)


def staff_accounts() -> QuerySet[User]:
    """Every account that is not a patient's, active ones first, by name, with its roles and
    invitations joined in: three queries, whatever the number of accounts."""
    return (
        User.objects.filter(is_patient=False)
        .prefetch_related(
            "groups",
            Prefetch(
                "staff_invites",
                queryset=StaffInvite.objects.order_by("-created_at", "-id"),
                to_attr="invites_newest_first",
            ),
        )
        .order_by("-is_active", "last_name", "first_name", "username", "id")
    )


def open_invite(user: User) -> StaffInvite | None:
    """The account's newest invitation still open (neither used nor revoked)."""
    invites = getattr(user, "invites_newest_first", None)
    if invites is None:
        invites = user.staff_invites.order_by("-created_at", "-id")
    return next((invite for invite in invites if invite.is_open), None)


def account_status(user: User, now: datetime | None = None) -> AccountStatus:
    """Where the account stands: deactivated; active (a password is set); invited (a link
    is on its way or works now); or needing a new invitation (the link expired or none)."""
    now = now or timezone.now()
    invite = open_invite(user)
    if not user.is_active:
        return AccountStatus(Status.DEACTIVATED, Status.DEACTIVATED.label, None)
    if user.has_usable_password():
        return AccountStatus(Status.ACTIVE, Status.ACTIVE.label, None)
    if invite is not None and (invite.sent_at is None or invite.expires_at > now):
        label = Status.INVITED.label if invite.sent_at else "Invitation waiting to be sent"
        return AccountStatus(Status.INVITED, label, invite)
    return AccountStatus(Status.NEEDS_INVITATION, Status.NEEDS_INVITATION.label, invite)


def role_list(user: User) -> list[str]:
    """The account's roles in the order of `Role` (front desk, practitioner, manager)."""
    held = user.roles()
    return [role for role in Role.values if role in held]


def email_in_use(email: str) -> bool:
    """Whether any account, staff or patient, already has this e-mail address as its
    address or username (compared case-insensitively)."""
    email = (email or "").strip()
    return bool(email) and (
        User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists()
    )
