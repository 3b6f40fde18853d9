"""Who may do what: role checks for HTML views and API endpoints.

Every page and endpoint requires a login; staff pages also require one of the staff roles,
and a patient's portal account is refused everywhere staff work happens.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from .models import STAFF_ROLES, Role, User

# The role sets the app uses, named once (DESIGN.md §1): every check below takes one of these.
STAFF = (Role.FRONT_DESK, Role.PRACTITIONER, Role.MANAGER)  # anyone who works at the clinic
PLANNERS = (Role.PRACTITIONER, Role.MANAGER)  # plan courses, manage their own feed
FRONT_OFFICE = (Role.FRONT_DESK, Role.MANAGER)  # register and edit patients, send invitations


def remember_roles(user: User, group_names) -> User:
    """Tell `user` the names of its groups, read in the same query as the account (an API
    token's lookup, clinic.tokens), so `user.roles()` asks nothing. A patient's account has
    no role, whatever its groups (as `User.roles`)."""
    user._roles = frozenset() if user.is_patient else frozenset(set(group_names) & STAFF_ROLES)
    return user


def role_required(*roles: str) -> Callable:
    """Decorate a view: log in first, then require one of `roles` (any staff role if none)."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            user = request.user
            allowed = user.has_role(*roles) if roles else user.is_clinic_staff
            if not allowed:
                raise PermissionDenied("Your account does not have access to this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required()


def _refuse_patients(user) -> None:
    """To a patient's account the staff API does not exist: a 404, like another patient's
    record (DESIGN.md §6: ids leak nothing), never a 403 that confirms the endpoint."""
    if user and user.is_authenticated and user.is_patient:
        raise NotFound()


class IsStaff(BasePermission):
    """The API default: an authenticated account in any staff role."""

    message = "This endpoint is for clinic staff."

    def has_permission(self, request, view) -> bool:
        user = request.user
        _refuse_patients(user)
        return bool(user and user.is_authenticated and user.is_clinic_staff)


def HasRole(*roles: str) -> type[BasePermission]:
    """A permission class admitting only `roles`: `permission_classes = [HasRole(...)]`."""

    class _HasRole(BasePermission):
        message = "This action needs the role: " + " or ".join(roles) + "."

        def has_permission(self, request, view) -> bool:
            user = request.user
            _refuse_patients(user)
            return bool(user and user.is_authenticated and user.has_role(*roles))

    _HasRole.__name__ = "HasRole_" + "_".join(roles)
    return _HasRole


def context_processor(request: HttpRequest) -> dict:
    """Expose the current user's roles to templates (for the role-dependent navigation)."""
    base = {"CLINIC_NAME": settings.CLINIC_NAME, "CLINIC_PHONE": settings.CLINIC_PHONE}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {**base, "roles": frozenset()}
    roles = user.roles()
    return {
        **base,
        "roles": roles,
        "is_front_desk": Role.FRONT_DESK in roles,
        "is_practitioner": Role.PRACTITIONER in roles,
        "is_manager": Role.MANAGER in roles,
    }
