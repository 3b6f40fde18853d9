"""The reports page (managers, and practitioners for their own figures) and its CSV files.

No audit row: every figure is a count, a sum of hours or a median that names no patient
(see `selectors`). Front desk gets a 403, as on every manager page.
"""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from clinic.audit_log import csv_cell
from clinic.models import Role
from clinic.roles import role_required

from . import sections
from .forms import ExportForm, ReportForm

READERS = (Role.PRACTITIONER, Role.MANAGER)


def _bad_request(request: HttpRequest, form: ReportForm) -> HttpResponse:
    """Dates that make no sense: the form with its problems, and no figures."""
    return render(request, "reports/reports.html", {"form": form, "sections": None}, status=400)


@role_required(*READERS)
@require_safe
def reports_page(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET, user=request.user)
    if not form.is_valid():
        return _bad_request(request, form)
    period, scope = form.period, form.scope
    shown = []
    for make in sections.SECTIONS.values():
        section = make(period, scope)
        links = [urlencode(form.query(table=f.table.slug)) for f in section.figures]
        shown.append((section, list(zip(section.figures, links, strict=True))))
    return render(
        request,
        "reports/reports.html",
        {"form": form, "period": period, "scope": scope, "sections": shown},
    )


@role_required(*READERS)
@require_safe
def report_export(request: HttpRequest) -> HttpResponse:
    """One report's table as CSV, with formula-safe cells."""
    form = ExportForm(request.GET, user=request.user)
    if not form.is_valid():
        return _bad_request(request, form)
    period, slug = form.period, form.cleaned_data["table"]
    table = sections.table(slug, period, form.scope)
    if table is None:  # rooms and devices, asked by a practitioner
        form.add_error("table", "This table is for managers.")
        return _bad_request(request, form)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{slug}-{period.first.isoformat()}-to-{period.last.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow([csv_cell(cell) for cell in table.header])
    for row in table.rows:
        writer.writerow([csv_cell(cell) for cell in row])
    if table.total is not None:
        writer.writerow([csv_cell(cell) for cell in table.total])
    return response
