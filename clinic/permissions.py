"""What the manager role may do in Django admin (DESIGN.md §1: working hours, time off,
rooms, devices, protocols, message templates, staff accounts).

Granted after every `migrate` (permissions exist only once their models are migrated), so a
manager who is not a superuser can run the clinic's settings. Patient records, courses,
sessions and messages change only through the services: they are not in the admin at all, so
the view permissions below show nothing there (clinic/admin.py), and staff accounts and the
audit log appear there for superusers only.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

MANAGED = {
    "treatments": [
        "protocol", "practitioner", "workinghours", "timeoff", "room", "device",
        "deviceoutage", "aftercarestep",
    ],
    "clinic": ["user"],
}  # fmt: skip
READ_ONLY = {
    "treatments": ["course", "session", "sessionrecord", "message"],
    "patients": ["patient", "intakesubmission", "consent", "screeningresult"],
    "clinic": ["auditevent"],
    "auth": ["group"],
}


def grant_manager_permissions(**kwargs) -> None:
    manager = Group.objects.filter(name="manager").first()
    if manager is None:
        return
    wanted = Q(pk__in=[])
    for app, models in MANAGED.items():
        wanted |= Q(content_type__app_label=app, content_type__model__in=models)
    for app, models in READ_ONLY.items():
        wanted |= Q(
            content_type__app_label=app,
            content_type__model__in=models,
            codename__startswith="view_",
        )
    manager.permissions.add(*Permission.objects.filter(wanted))
