"""The admin for treatments: the clinic's resources to look up (protocols, practitioners with
their hours and time off, rooms, devices with their outages: read-only, because the manager
edits them in Clinic setup, `/setup/`, where a change that would strand a booked session is
refused and a protocol change makes a new version), the aftercare wording the manager edits,
and two portal records to look up, read-only and audited (issue 11 item 2; see
clinic/admin.py).

Courses, sessions, charts, messages, check-ins, pre-session checks and portal invitations are
not registered: the app's own pages show them, and only the services change them.
"""

from django.contrib import admin, messages
from django.urls import reverse

from clinic.admin import AuditedReadOnlyAdmin, ReadOnlyAdmin
from clinic.models import Role
from treatments.portal.models import AftercareStep, ReactionFlag, SessionChangeRequest
from treatments.scheduling.models import (
    Device,
    DeviceOutage,
    Practitioner,
    Protocol,
    Room,
    TimeOff,
    WorkingHours,
)


class SetupAdmin(ReadOnlyAdmin):
    """A resource the manager edits in Clinic setup: the admin only shows it, and says where
    it is edited."""

    def changelist_view(self, request, extra_context=None):
        messages.info(
            request,
            f"To change {self.model._meta.verbose_name_plural}, use Clinic setup "
            f"({reverse('treatments:setup')}): it refuses a change that would leave a booked "
            "session without its practitioner, room or device.",
        )
        return super().changelist_view(request, extra_context)


class ReadOnlyInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Protocol)
class ProtocolAdmin(SetupAdmin):
    list_display = [
        "name",
        "indication",
        "default_sessions",
        "default_interval_days",
        "session_minutes",
    ]


class WorkingHoursInline(ReadOnlyInline):
    model = WorkingHours


class TimeOffInline(ReadOnlyInline):
    model = TimeOff


@admin.register(Practitioner)
class PractitionerAdmin(SetupAdmin):
    list_display = ["display_name", "user", "active"]
    list_select_related = ["user"]
    inlines = [WorkingHoursInline, TimeOffInline]


@admin.register(Room)
class RoomAdmin(SetupAdmin):
    list_display = ["name", "active"]


class DeviceOutageInline(ReadOnlyInline):
    model = DeviceOutage


@admin.register(Device)
class DeviceAdmin(SetupAdmin):
    list_display = ["name", "model", "serial", "active"]
    inlines = [DeviceOutageInline]


# --- The patient portal -------------------------------------------------------------------
# The manager edits the aftercare wording. Reactions and change requests are for looking up
# their history (the staff pages show only the open ones); they change only through the
# portal's services, which write the audit trail.


def _is_manager(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_role(Role.MANAGER))


@admin.register(AftercareStep)
class AftercareStepAdmin(admin.ModelAdmin):
    """The aftercare timeline's text (clinical reference §3). A stage with no active line
    shows the reference's default wording. The manager role edits it (the role group holds
    no model permissions of its own)."""

    def has_module_permission(self, request) -> bool:
        return _is_manager(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_manager(request) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return _is_manager(request) or super().has_change_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return _is_manager(request) or super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _is_manager(request) or super().has_delete_permission(request, obj)

    list_display = ["stage", "section", "position", "condition", "text", "active"]
    list_filter = ["stage", "section", "condition", "active"]
    list_editable = ["position", "active"]
    ordering = ["stage", "section", "position", "id"]
    search_fields = ["text"]


@admin.register(ReactionFlag)
class ReactionFlagAdmin(AuditedReadOnlyAdmin):
    list_display = ["patient", "session", "not_settled", "raised_at", "cleared_at", "cleared_by"]
    list_select_related = ["patient", "session", "cleared_by"]
    list_filter = ["not_settled", ("cleared_at", admin.EmptyFieldListFilter)]


@admin.register(SessionChangeRequest)
class SessionChangeRequestAdmin(AuditedReadOnlyAdmin):
    list_display = ["patient", "session", "kind", "status", "created_at", "handled_by"]
    list_select_related = ["patient", "session", "handled_by"]
    list_filter = ["kind", "status"]
