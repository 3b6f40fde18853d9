from django.contrib import admin

from .models import Hold, Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "email", "archived_at"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    readonly_fields = ["public_id", "created_by", "created_at", "updated_at"]
    list_select_related = ["created_by"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # patients are archived, never deleted


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    """For looking only: holds are placed and released through the services, which check
    the role, ask for a note and write the audit rows."""

    list_display = ["patient", "source", "placed_at", "placed_by", "released_at", "released_by"]
    list_filter = ["source", ("released_at", admin.EmptyFieldListFilter)]
    list_select_related = ["patient", "placed_by", "released_by"]
    search_fields = ["patient__last_name", "patient__first_name", "source_ref"]
    readonly_fields = [f.name for f in Hold._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
