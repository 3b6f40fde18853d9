from django.contrib import admin

from .models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "email", "archived_at"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    readonly_fields = ["public_id", "created_by", "created_at", "updated_at"]
    list_select_related = ["created_by"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # patients are archived, never deleted
