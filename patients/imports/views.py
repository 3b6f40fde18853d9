"""The import pages, for managers: upload a CSV, choose its columns, read the dry run, start
the import and watch its progress bar (htmx polls a fragment), then download each row's
result. Each view parses with a form, calls one service and renders."""

from __future__ import annotations

import csv

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic import audit
from clinic.audit_log import csv_cell
from clinic.clock import clinic_zone
from clinic.errors import ServiceError
from clinic.models import Role
from clinic.roles import role_required

from . import runner, selectors, services
from .forms import UPLOAD_OVERHEAD, ButtonForm, InMemoryUpload, MappingForm, UploadForm
from .models import PatientImport
from .rows import TARGETS

Action = audit.Action
Status = PatientImport.Status
managers_only = role_required(Role.MANAGER)
PREVIEW_PAGE = 200
RESULT_HEADER = ["Row", "Result", "Patient record", "Same person as row", "Reasons"]


def _job(public_id, *, with_file: bool = False) -> PatientImport:
    try:
        if with_file:
            return selectors.job_with_file(public_id)
        return selectors.jobs().get(public_id=public_id)
    except PatientImport.DoesNotExist as exc:
        raise Http404("No such import.") from exc


def _url(name: str, job: PatientImport) -> str:
    return reverse(f"patients:imports:{name}", kwargs={"public_id": job.public_id})


# --- Upload ------------------------------------------------------------------------------------


@managers_only
@csrf_exempt  # checked by `_upload` once the upload handler is in place (Django's pattern)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """The importer's first page: the upload form and the imports run before."""
    if request.method == "POST":
        request.upload_handlers = [InMemoryUpload(request)]
    return _upload(request)


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = UploadForm(request.POST, request.FILES) if posted else UploadForm()
    status = 200
    if request.method == "POST":
        status = 400
        limit = settings.PATIENT_IMPORT_MAX_BYTES
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + UPLOAD_OVERHEAD:
            # Not read (InMemoryUpload): say why rather than "choose a file".
            form = UploadForm(request.POST)
            form.is_valid()
            form.errors.pop("file", None)
            form.add_error("file", services.too_large(limit))
        elif form.is_valid():
            try:
                job = services.patient_import_upload(
                    data=form.cleaned_data["file"].read(), by=request.user, request=request
                )
            except ServiceError as exc:
                form.add_service_errors(exc)
            else:
                return redirect(_url("mapping", job))
    return render(
        request,
        "patients/imports/upload.html",
        {"form": form, "jobs": selectors.recent_jobs(), "status": Status},
        status=status,
    )


# --- Columns -----------------------------------------------------------------------------------


@managers_only
@require_http_methods(["GET", "POST"])
def mapping(request: HttpRequest, public_id) -> HttpResponse:
    """Which column holds which detail, guessed from the headers; saving has the worker check
    every row (the dry run)."""
    job = _job(public_id, with_file=True)
    if not job.is_open:
        return redirect(_url("detail", job))
    table = runner.table_of(job)
    initial = {name: str(index) for name, index in job.mapping.items()}
    data = request.POST if request.method == "POST" else None
    form = MappingForm(data, headers=table.headers, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_import_map(
                job=job, mapping=form.cleaned_data, by=request.user, request=request
            )
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            return redirect(_url("detail", job))
    samples = [cells for _number, cells in table.rows[:3]]
    columns = [
        {"label": label, "samples": [cells[i] if i < len(cells) else "" for cells in samples]}
        for i, label in enumerate(form.fields[TARGETS[0].name].choices[1:])
    ]
    return render(
        request,
        "patients/imports/mapping.html",
        {"job": job, "form": form, "columns": columns, "encoding": table.encoding},
        status=400 if form.errors else 200,
    )


# --- The dry run, the progress and the results ---------------------------------------------------


@managers_only
@require_safe
def detail(request: HttpRequest, public_id) -> HttpResponse:
    """One import: its dry run before it starts, its progress bar while it runs, its counts
    and result file when it has ended."""
    job = _job(public_id, with_file=True)
    if job.status == Status.UPLOADED:
        return redirect(_url("mapping", job))
    context: dict = {"job": job, "status": Status}
    if job.status == Status.MAPPED:
        page = Paginator(job.preview, PREVIEW_PAGE).get_page(request.GET.get("page"))
        page.object_list = selectors.preview_rows(job, list(page.object_list))
        shown = [row.existing for row in page.object_list if row.existing is not None]
        audit.record_many(
            actor=request.user,
            action=Action.LIST,
            objects=shown,
            request=request,
            detail={"page": "import dry run"},
        )
        counts = {outcome: 0 for outcome in selectors.OUTCOME_LABELS}
        for entry in job.preview:
            counts[entry[1]] += 1
        context.update(page=page, counts=counts)
    return render(request, "patients/imports/detail.html", context)


@managers_only
@require_safe
def progress(request: HttpRequest, public_id) -> HttpResponse:
    """The progress bar alone, which the page polls (htmx) until the import has ended."""
    job = _job(public_id)
    if job.status == Status.MAPPED and request.headers.get("HX-Request"):
        # The rows are checked: the whole page shows them (htmx reloads it).
        return HttpResponse(headers={"HX-Refresh": "true"})
    return render(request, "patients/imports/_progress.html", {"job": job, "status": Status})


@managers_only
@require_POST
def start(request: HttpRequest, public_id) -> HttpResponse:
    job = _job(public_id)
    ButtonForm(request.POST).is_valid()
    try:
        services.patient_import_start(job=job, by=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, exc.as_text())
    return redirect(_url("detail", job))


@managers_only
@require_POST
def abandon(request: HttpRequest, public_id) -> HttpResponse:
    job = _job(public_id)
    ButtonForm(request.POST).is_valid()
    try:
        services.patient_import_abandon(job=job, by=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, exc.as_text())
        return redirect(_url("detail", job))
    messages.success(request, "The import is cancelled and its file deleted.")
    return redirect("patients:imports:upload")


@managers_only
@require_safe
def results(request: HttpRequest, public_id) -> HttpResponse:
    """Each row's result as CSV: its row number, what happened, the patient's record it
    created or matched, and the reasons (never the file's values)."""
    job = _job(public_id)
    if job.status != Status.DONE:
        raise Http404("This import has no results yet.")
    found = list(selectors.result_rows(job))
    labels = selectors.OUTCOME_LABELS | {"created": "Imported"}
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = (job.finished_at or job.created_at).astimezone(clinic_zone()).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="patient-import-{stamp}-results.csv"'
    response.write("\ufeff")  # Excel reads the file as UTF-8 with this mark
    writer = csv.writer(response)
    writer.writerow(RESULT_HEADER)
    base = request.build_absolute_uri("/")[:-1]
    for row in found:
        record = (
            base + reverse("patients:detail", kwargs={"public_id": row.patient.public_id})
            if row.patient is not None
            else ""
        )
        writer.writerow(
            [
                row.number,
                labels[row.outcome],
                record,
                row.same_as_row or "",
                csv_cell(" ".join(row.reasons)),
            ]
        )
    patients = {row.patient.pk: row.patient for row in found if row.patient is not None}
    audit.record_many(
        actor=request.user,
        action=Action.EXPORT,
        objects=list(patients.values()),
        request=request,
        detail={"import": str(job.public_id)},
    )
    return response
