"""The admin for patients (issue 11 item 2; see clinic/admin.py).

`Patient`, intakes, screenings and consents are not registered: the patient pages and the API
are the only way to read or change them, through the services that validate and audit. Holds
appear read-only and audited, because no page lists their history (placed, released, by whom
and why); they are placed and released only through the services.
"""

from django.contrib import admin

from clinic.admin import AuditedReadOnlyAdmin

from .models import Hold


@admin.register(Hold)
class HoldAdmin(AuditedReadOnlyAdmin):
    list_display = ["patient", "source", "placed_at", "placed_by", "released_at", "released_by"]
    list_filter = ["source", ("released_at", admin.EmptyFieldListFilter)]
    list_select_related = ["patient", "placed_by", "released_by"]
    # No search: a patient's name typed here would travel in the query string (DESIGN.md §6).
