"""The audit log page for managers (issue 11 item 8): who read or changed which record, when
and from where, filtered by patient, staff member, action and dates; paged; exported as CSV.

Reading it and exporting it are audited like any other read. The patient filter is the
patient's public id, never a name: a name is typed in a search that is POSTed, and the
answers link to `?patient=<public id>` (DESIGN.md §6, no patient data in query strings).
"""

from __future__ import annotations

import csv
from datetime import date

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_safe

from . import audit, audit_log
from .clock import clinic_today
from .forms import ClinicForm, DateInput
from .models import AuditEvent, Role, User
from .roles import role_required

Action = AuditEvent.Action
PAGE = "audit_log"
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name if obj.is_active else f"{obj.display_name} (inactive)"


class FilterForm(ClinicForm):
    """The filters, from the query string; `before`/`after` say which page."""

    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    actor = StaffChoiceField(
        queryset=User.objects.filter(is_patient=False).order_by("first_name", "last_name", "id"),
        required=False,
        label="Staff member",
        empty_label="Anyone",
    )
    action = forms.ChoiceField(
        choices=[("", "Any action"), *Action.choices], required=False, label="Action"
    )
    since = forms.DateField(required=False, label="From", widget=DateInput)
    until = forms.DateField(required=False, label="To", widget=DateInput)
    before = forms.CharField(required=False, widget=forms.HiddenInput)
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError("Choose a date between 1900 and 9998.")
        return day

    def clean_since(self) -> date | None:
        return self._clean_day("since")

    def clean_until(self) -> date | None:
        return self._clean_day("until")

    def _clean_cursor(self, name: str) -> audit_log.Cursor | None:
        text = self.cleaned_data.get(name) or ""
        if not text:
            return None
        try:
            return audit_log.Cursor.parse(text)
        except ValueError as exc:
            raise forms.ValidationError("This page of the log does not exist.") from exc

    def clean_before(self) -> audit_log.Cursor | None:
        return self._clean_cursor("before")

    def clean_after(self) -> audit_log.Cursor | None:
        return self._clean_cursor("after")

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        if data.get("before") and data.get("after"):
            self.add_error(None, "Ask for one page at a time.")
        return data

    def filters(self) -> audit_log.Filters:
        data = self.cleaned_data
        return audit_log.Filters(
            patient=data["patient"],
            actor=data["actor"],
            action=data["action"],
            since=data["since"],
            until=data["until"],
        )


class PatientSearchForm(ClinicForm):
    q = forms.CharField(
        max_length=100, label="Find a patient", help_text="Name, e-mail or phone number."
    )


def _query(params: dict, **changes) -> str:
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v})


def _bad_request(request: HttpRequest, form: FilterForm) -> HttpResponse:
    """Filters that make no sense: the form with its problems, and no rows (nothing read)."""
    return render(
        request,
        "clinic/audit_log.html",
        {"form": form, "search_form": PatientSearchForm(), "rows": None},
        status=400,
    )


@role_required(Role.MANAGER)
@require_http_methods(["GET", "HEAD", "POST"])
def audit_log_page(request: HttpRequest) -> HttpResponse:
    """The log, newest first, 50 a page. A POST searches for a patient to filter by."""
    form = FilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form)
    filters = form.filters()
    params = filters.as_params()

    search_form = PatientSearchForm(request.POST if request.method == "POST" else None)
    found = []
    if search_form.is_bound and search_form.is_valid():
        found = audit_log.patient_search(search_form.cleaned_data["q"])
        audit.record_many(
            actor=request.user,
            action=Action.LIST,
            objects=found,
            request=request,
            detail={"page": PAGE, "search": True},
        )

    page = audit_log.page(
        audit_log.filtered(filters),
        before=form.cleaned_data["before"],
        after=form.cleaned_data["after"],
    )
    names = audit_log.patients_by_id({e.patient_id for e in page.events} | {filters.patient})
    audit.record(
        actor=request.user,
        action=Action.LIST,
        object_type=AuditEvent._meta.label_lower,
        patient_id=filters.patient,
        request=request,
        detail={"page": PAGE, "filters": params, "rows": len(page.events)},
    )
    rows = [
        {
            "event": event,
            "who": audit_log.who(event),
            "what": audit_log.what(event),
            # Filtered by a patient, every row is about them, list reads of several too.
            "patient": names.get(event.patient_id or filters.patient),
        }
        for event in page.events
    ]
    without_patient = {k: v for k, v in params.items() if k != "patient"}
    return render(
        request,
        "clinic/audit_log.html",
        {
            "form": form,
            "filters": filters,
            "patient": names.get(filters.patient) if filters.patient else None,
            "search_form": search_form,
            "found": [(p, _query(without_patient, patient=p.public_id)) for p in found],
            "rows": rows,
            "page": page,
            "query": _query(params),
            "clear_patient_query": _query(without_patient),
            "newer_query": _query(params, after=str(page.newer)) if page.newer else "",
            "older_query": _query(params, before=str(page.older)) if page.older else "",
        },
    )


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


@role_required(Role.MANAGER)
@require_safe
def audit_log_export(request: HttpRequest) -> HttpResponse:
    """Every row the filters select, as CSV, streamed (a year of the log is millions of rows).
    Written to the log before the first row is sent."""
    form = FilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form)
    filters = form.filters()
    audit.record(
        actor=request.user,
        action=Action.EXPORT,
        object_type=AuditEvent._meta.label_lower,
        patient_id=filters.patient,
        request=request,
        detail={"page": PAGE, "format": "csv", "filters": filters.as_params()},
    )
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in audit_log.csv_rows(filters)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="audit-log-{clinic_today()}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
