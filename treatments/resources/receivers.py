"""What the setup listens to from lower layers: an account given the practitioner role
(`clinic.staff.signals.staff_roles_set`, inside the staff service's transaction) becomes a
practitioner in that same transaction."""

from __future__ import annotations

from clinic.models import Role
from clinic.staff.signals import staff_roles_set

from . import services


def roles_set(sender, *, user, roles, by, request=None, **kwargs) -> None:
    if Role.PRACTITIONER in roles:
        services.practitioner_for_account(user=user, by=by, request=request)


def connect() -> None:
    staff_roles_set.connect(roles_set, dispatch_uid="resources.roles_set")
