"""What a manager does to staff accounts (issue 11; DESIGN.md §1): invite, change roles,
deactivate, reactivate, send a new invitation. Typed, keyword-only and atomic; each writes
its own audit row. The invitation's e-mail goes through the outbox: `staff_invited` is sent
inside the transaction and `treatments.messaging` writes the message row in it.

Rules a manager expects: an e-mail address belongs to one account; every staff account has
at least one role; a patient's portal account is never staff (404 here); a manager cannot
take away their own manager role nor deactivate themselves, and the clinic always keeps an
active manager. Deactivating ends the account's logins at once: its sessions (whatever the
session store) and its API tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit, two_factor
from clinic import tokens as api_tokens
from clinic.errors import Conflict, Forbidden, Invalid, NotFound
from clinic.models import Role, StaffInvite, User

from .links import invite_hours
from .selectors import email_in_use, role_list
from .signals import staff_invited, staff_roles_set

Action = audit.Action
NAME_MAX = 150
EMAIL_MAX = 254

NOT_MANAGER = "Only a clinic manager can manage staff accounts."
NOT_STAFF = "No such staff account."
SUPERUSER = "This is a site administrator's account: only a site administrator can change it."
EMAIL_TAKEN = (
    "Another account (staff or patient portal) already uses this e-mail address. "
    "Use a different address."
)
NO_ROLE = "Choose at least one role."
OWN_MANAGER_ROLE = (
    "You cannot remove your own manager role: ask another manager to do it. The clinic "
    "always keeps at least one manager."
)
OWN_ACCOUNT = (
    "You cannot deactivate your own account: ask another manager to do it. The clinic "
    "always keeps at least one active manager."
)
OWN_RESET = "You cannot reset your own login: ask another manager to do it."
LAST_MANAGER = (
    "{name} is the clinic's only active manager. Make someone else a manager first: the "
    "clinic always keeps at least one."
)


# --- Checks -------------------------------------------------------------------------------


def clean_roles(roles: Iterable[str] | None) -> tuple[list[str], list[str]]:
    """The chosen roles in `Role` order (duplicates dropped), and what is wrong with them."""
    given = {str(role) for role in roles or ()}
    unknown = sorted(given - set(Role.values))
    problems = []
    if unknown:
        problems.append(
            f"Unknown role: {', '.join(unknown)}. Choose from: {', '.join(Role.values)}."
        )
    chosen = [role for role in Role.values if role in given]
    if not chosen and not unknown:
        problems.append(NO_ROLE)
    return chosen, problems


def _is_manager(user: User) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and not user.is_patient
        and (user.is_superuser or user.has_role(Role.MANAGER))
    )


def _check_manager(by: User) -> None:
    if not _is_manager(by):
        raise Forbidden(NOT_MANAGER)


def _lock_managers(by: User) -> None:
    """Changes that could leave the clinic without a manager run one at a time: two
    managers removing each other at the same moment must not both succeed. Under the lock
    `by` is checked again (another manager may just have demoted or deactivated them)."""
    list(Group.objects.select_for_update().filter(name=Role.MANAGER))
    still = User.objects.filter(pk=by.pk, is_active=True, is_patient=False).filter(
        Q(is_superuser=True) | Q(groups__name=Role.MANAGER)
    )
    if not still.exists():
        raise Forbidden(NOT_MANAGER)


def _staff_for_update(user: User, by: User) -> User:
    """The staff account, locked; a patient's account is a 404, as if it did not exist."""
    account = User.objects.select_for_update().filter(pk=user.pk, is_patient=False).first()
    if account is None:
        raise NotFound(NOT_STAFF)
    if account.is_superuser and not by.is_superuser:
        raise Forbidden(SUPERUSER)
    return account


def _other_active_managers(user: User) -> bool:
    return (
        User.objects.filter(is_active=True, is_patient=False, groups__name=Role.MANAGER)
        .exclude(pk=user.pk)
        .exists()
    )


def _set_roles(user: User, roles: list[str]) -> None:
    """Put the account in exactly these role groups (other groups are left alone); a
    manager can open the clinic's settings in Django admin (`is_staff`)."""
    groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
    for role in set(roles) - set(groups):  # a database missing the migration's groups
        groups[role] = Group.objects.create(name=role)
    user.groups.remove(*[g for name, g in groups.items() if name not in roles])
    user.groups.add(*[g for name, g in groups.items() if name in roles])
    getattr(user, "_prefetched_objects_cache", {}).pop("groups", None)
    user.__dict__.pop("_roles", None)
    user.is_staff = user.is_superuser or Role.MANAGER in roles


def end_sessions(user: User) -> int:
    """End every logged-in session of `user` at once; returns how many were deleted.

    Raising `session_epoch` changes the hash Django checks on every request (see
    `User._get_session_auth_hash`), so every session of the account fails that check and is
    flushed, whatever the session store, even one on a cookie or in a cache that cannot be
    listed. A database store is also cleared of them now, so nothing is left behind.
    (Deactivation alone would already refuse them, as Django's backend never loads an
    inactive user; the epoch keeps them dead after a reactivation.)
    """
    User.objects.filter(pk=user.pk).update(session_epoch=user.session_epoch + 1)
    user.session_epoch += 1
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    model = store.get_model_class()
    mine = []
    for key, data in (
        model.objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator()
    ):
        if store().decode(data).get(SESSION_KEY) == str(user.pk):
            mine.append(key)
    for key in mine:
        store(session_key=key).delete()
    return len(mine)


# --- Inviting -----------------------------------------------------------------------------


def invite_problems(
    *, email: str, first_name: str, last_name: str, roles: Iterable[str] | None
) -> dict[str, list[str]]:
    """Everything wrong with an invitation, field by field, at once (forms show it all in
    one round)."""
    problems: dict[str, list[str]] = {}
    for field, value, what in (
        ("first_name", first_name, "first name"),
        ("last_name", last_name, "last name"),
    ):
        if not value:
            problems[field] = [f"Enter their {what}."]
        elif len(value) > NAME_MAX:
            problems[field] = [f"Use at most {NAME_MAX} characters."]
    if not email:
        problems["email"] = ["Enter their e-mail address: the invitation goes there."]
    elif len(email) > EMAIL_MAX:
        problems["email"] = [f"Use at most {EMAIL_MAX} characters."]
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems["email"] = ["Enter a valid e-mail address, like name@example.com."]
        else:
            if email_in_use(email):
                problems["email"] = [EMAIL_TAKEN]
    _, role_problems = clean_roles(roles)
    if role_problems:
        problems["roles"] = role_problems
    return problems


@transaction.atomic
def staff_invite(
    *,
    email: str,
    first_name: str,
    last_name: str,
    roles: Iterable[str],
    by: User,
    request: HttpRequest | None = None,
) -> StaffInvite:
    """Create a staff account with these roles and no password, and have a one-time link
    e-mailed to it (through the outbox) to set one. The username is the e-mail address in
    lower case."""
    _check_manager(by)
    email = User.objects.normalize_email((email or "").strip())
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    roles = list(roles or ())
    problems = invite_problems(email=email, first_name=first_name, last_name=last_name, roles=roles)
    if problems:
        raise Invalid("Some fields need attention.", fields=problems)
    chosen, _ = clean_roles(roles)
    user = User(
        username=email.lower() if len(email) <= NAME_MAX else f"staff-{uuid.uuid4().hex[:12]}",
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same address invited twice at the same moment
        raise Conflict("An account with this e-mail address was just created.") from exc
    _set_roles(user, chosen)
    user.save(update_fields=["is_staff"])
    audit.record(
        actor=by,
        action=Action.CREATE,
        obj=user,
        request=request,
        detail={"roles": chosen, "invited": True},
    )
    staff_roles_set.send(sender=User, user=user, roles=chosen, by=by, request=request)
    return _new_invite(user=user, by=by, request=request)


def _require_invitable(user: User) -> None:
    """A new invitation needs an open account with an address to send it to."""
    if not user.is_active:
        raise Conflict("This account is deactivated: reactivate it first.")
    if not user.email:
        raise Conflict("This account has no e-mail address to send the invitation to.")


def _new_invite(*, user: User, by: User, request: HttpRequest | None) -> StaffInvite:
    """A new invitation (older open ones stop working) and, through the signal, its
    outbox message, due now."""
    now = timezone.now()
    StaffInvite.objects.filter(user=user, used_at=None, revoked_at=None).update(revoked_at=now)
    invite = StaffInvite.objects.create(
        user=user,
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(hours=invite_hours()),  # from its sending, once sent
    )
    audit.record(
        actor=by, action=Action.CREATE, obj=invite, request=request, detail={"user": user.pk}
    )
    staff_invited.send(sender=StaffInvite, invite=invite)
    return invite


@transaction.atomic
def staff_reinvite(*, user: User, by: User, request: HttpRequest | None = None) -> StaffInvite:
    """Send a new invitation to an account whose member has not set a password yet (the
    link expired or got lost); the older link stops working."""
    _check_manager(by)
    user = _staff_for_update(user, by)
    _require_invitable(user)
    if user.has_usable_password():
        raise Conflict(f"{user.display_name} has already set a password and logs in with it.")
    return _new_invite(user=user, by=by, request=request)


@transaction.atomic
def password_change(*, user: User, password: str, request: HttpRequest | None = None) -> User:
    """A member of staff sets a new password (the form has checked the current one and the
    validators). Their API tokens are deleted (`tokens.on_user_saved`) and their other
    sessions end at their next request (the session hash follows the password); the view
    keeps the one they are using."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(
        actor=user, action=Action.UPDATE, obj=user, request=request, detail={"password": "changed"}
    )
    return user


@transaction.atomic
def staff_reset_login(*, user: User, by: User, request: HttpRequest | None = None) -> StaffInvite:
    """For a member who forgot their password, or lost the phone with their authenticator
    app and their recovery codes: their password and second factor are cleared, their
    sessions and API tokens end at once, and a new invitation lets them set a password and
    set up an app again (`staff_invite`'s link and page). Not one's own account: another
    manager does it, having made sure who is asking. Their roles and records stay."""
    _check_manager(by)
    user = _staff_for_update(user, by)
    if user.pk == by.pk:
        raise Conflict(OWN_RESET)
    _require_invitable(user)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    tokens = api_tokens.delete_tokens(user=user)
    devices = two_factor.forget_devices(user)
    sessions = end_sessions(user)
    audit.record(
        actor=by,
        action=Action.UPDATE,
        obj=user,
        request=request,
        detail={
            "login_reset": True,
            "sessions_ended": sessions,
            "tokens_deleted": tokens,
            "authenticators_removed": devices,
        },
    )
    return _new_invite(user=user, by=by, request=request)


# --- Roles and access ---------------------------------------------------------------------


@transaction.atomic
def staff_set_roles(
    *, user: User, roles: Iterable[str], by: User, request: HttpRequest | None = None
) -> User:
    """Give the account exactly these roles (at least one); they apply from its next
    request."""
    _check_manager(by)
    chosen, problems = clean_roles(roles)
    if problems:
        raise Invalid("Choose the roles again.", fields={"roles": problems})
    _lock_managers(by)
    user = _staff_for_update(user, by)
    before = role_list(user)
    if before == chosen:
        return user
    if Role.MANAGER in before and Role.MANAGER not in chosen:
        if user.pk == by.pk:
            raise Conflict(OWN_MANAGER_ROLE)
        if user.is_active and not _other_active_managers(user):
            raise Conflict(LAST_MANAGER.format(name=user.display_name))
    _set_roles(user, chosen)
    user.save(update_fields=["is_staff"])
    audit.record(
        actor=by,
        action=Action.UPDATE,
        obj=user,
        request=request,
        detail={"roles": {"from": before, "to": chosen}},
    )
    staff_roles_set.send(sender=User, user=user, roles=chosen, by=by, request=request)
    return user


@transaction.atomic
def staff_deactivate(*, user: User, by: User, request: HttpRequest | None = None) -> User:
    """Close the account: it cannot log in, its open sessions end at once, its API tokens
    are deleted and its open invitation stops working. Nothing else is deleted: what it did
    stays in the records and the audit log. Deactivating an inactive account changes
    nothing."""
    _check_manager(by)
    _lock_managers(by)
    user = _staff_for_update(user, by)
    if user.pk == by.pk:
        raise Conflict(OWN_ACCOUNT)
    if not user.is_active:
        return user
    if user.has_role(Role.MANAGER) and not _other_active_managers(user):
        raise Conflict(LAST_MANAGER.format(name=user.display_name))
    tokens = api_tokens.delete_tokens(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions = end_sessions(user)
    revoked = StaffInvite.objects.filter(user=user, used_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    audit.record(
        actor=by,
        action=Action.UPDATE,
        obj=user,
        request=request,
        detail={
            "is_active": False,
            "sessions_ended": sessions,
            "tokens_deleted": tokens,
            "invitations_revoked": revoked,
        },
    )
    return user


@transaction.atomic
def staff_reactivate(*, user: User, by: User, request: HttpRequest | None = None) -> User:
    """Open a deactivated account again with its roles and password as they were (its old
    sessions and tokens stay dead: they log in again). Reactivating an active account
    changes nothing."""
    _check_manager(by)
    user = _staff_for_update(user, by)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit.record(
        actor=by, action=Action.UPDATE, obj=user, request=request, detail={"is_active": True}
    )
    return user
