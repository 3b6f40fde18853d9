"""The admin, safe for patient data (issue 11 item 2).

A patient's record changes only through the services, which validate, and write the audit
trail; so a patient-data model is either absent from the admin (the app has its own pages
for it) or registered with `AuditedReadOnlyAdmin`: nothing to add, change or delete, and
every list and every record the admin shows is audited like a staff page. Staff accounts and
the audit log appear read-only, for superusers only; the manager's pages are in the app.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit
from .models import AuditEvent, User

ADMIN_PAGE = "admin"


class ReadOnlyAdmin(admin.ModelAdmin):
    """For looking only: no add, change or delete (so every field shows read-only), and no
    bulk actions."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _shown(response: HttpResponse, key: str) -> Any:
    """What an admin page rendered (None for a redirect or an error page)."""
    context = getattr(response, "context_data", None) or {}
    return context.get(key) if response.status_code == 200 else None


class AuditedReadOnlyAdmin(ReadOnlyAdmin):
    """Read-only, and audited as the app's own pages are (DESIGN.md §6 "Access"): a list
    writes one row per record it shows, a record's page one row; each names the patient."""

    def audit_list(self, request: HttpRequest, rows: list) -> None:
        audit.record_many(
            actor=request.user,
            action=audit.Action.LIST,
            objects=rows,
            request=request,
            detail={"page": ADMIN_PAGE},
        )

    def audit_view(self, request: HttpRequest, obj: Any, page: str) -> None:
        audit.record(
            actor=request.user,
            action=audit.Action.VIEW,
            obj=obj,
            request=request,
            detail={"page": f"{ADMIN_PAGE}:{page}"},
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = _shown(response, "cl")
        if changelist is not None:
            # The page's rows, fetched once here; the template reuses them.
            self.audit_list(request, list(changelist.result_list))
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = _shown(response, "original")
        if obj is not None:
            self.audit_view(request, obj, "change")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        obj = _shown(response, "object")
        if obj is not None:
            self.audit_view(request, obj, "history")
        return response


class SuperuserOnly:
    """A ModelAdmin mixin: only a superuser sees the model at all, whatever the groups hold."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


@admin.register(User)
class UserAdmin(SuperuserOnly, ReadOnlyAdmin):
    """Staff accounts, to look up. A patient's portal account is not listed (it is patient
    data, and the portal's services manage it); accounts change on the manager's pages."""

    list_display = [
        "username",
        "display_name",
        "email",
        "role_names",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
    ]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "groups",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    ]
    ordering = ["username"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_patient=False).prefetch_related("groups")

    @admin.display(description="Roles")
    def role_names(self, user: User) -> str:
        return ", ".join(sorted(user.roles())) or "—"


@admin.register(AuditEvent)
class AuditEventAdmin(SuperuserOnly, AuditedReadOnlyAdmin):
    """The audit trail, read-only. Managers read it on the audit log page (`/audit/`), which
    filters by patient and exports CSV; reading it here is audited too."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "patient_id", "ip_address"]
    list_filter = ["action"]
    list_select_related = ["actor"]
    show_full_result_count = False  # no COUNT(*) over the whole trail on every page

    def audit_list(self, request: HttpRequest, rows: list) -> None:
        # One row for the page read, not one per row of the trail it shows.
        audit.record(
            actor=request.user,
            action=audit.Action.LIST,
            object_type=AuditEvent._meta.label_lower,
            request=request,
            detail={"page": ADMIN_PAGE, "rows": len(rows)},
        )


# Nor are the authenticator apps and recovery codes (django-otp registers them): their
# pages show each one's secret key and QR code.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

# API tokens are not in the admin: one minted there would let a superuser act through the
# API as a member of staff, and the audit trail would name the wrong person. Tokens come from
# `POST /api/auth/token/` with the account's own password (clinic/tokens.py).
