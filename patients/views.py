"""HTML pages for staff: find, register and edit patients, take the intake questionnaire, see
the screening result in colour, sign consents, and (practitioners) sign off a review.

Each view parses with a form, calls one service, and renders; the rules live in the services.
Every page that shows a patient's record writes an audit row (DESIGN.md §6 "Access").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic import audit, panels
from clinic.clock import clinic_today
from clinic.errors import Conflict, Invalid, ServiceError
from clinic.models import Role
from clinic.roles import FRONT_OFFICE, STAFF, role_required, staff_required

from . import consent as consent_templates
from . import selectors, services, vocabulary
from .forms import (
    ConsentForm,
    HoldReleaseForm,
    IntakeForm,
    PatientForm,
    SearchForm,
    SignOffForm,
    answer_text,
    question_text,
)
from .models import Consent, Hold, IntakeSubmission, Patient, ScreeningResult

Action = audit.Action
PAGE_SIZE = 50
MAX_SEARCH = 100


def _render(request: HttpRequest, template: str, context: dict, status: int = 200):
    """Templates show times with `{% load clock %}{{ x|local }}`: no zone is activated."""
    return render(request, template, context, status=status)


def _audit_view(request: HttpRequest, patient: Patient, page: str) -> None:
    audit.record(
        actor=request.user,
        action=Action.VIEW,
        obj=patient,
        request=request,
        detail={"page": page},
    )


def _posted(request: HttpRequest):
    """The form data of a POST (even an empty one, so its errors show), else None."""
    return request.POST if request.method == "POST" else None


def _detail_url(patient: Patient, anchor: str = "") -> str:
    url = reverse("patients:detail", kwargs={"public_id": patient.public_id})
    return f"{url}#{anchor}" if anchor else url


def _error_text(exc: ServiceError) -> str:
    """A service error as one sentence for a message at the top of the page."""
    return exc.as_text()


# --- List ------------------------------------------------------------------------------------


@staff_required
@require_safe
def patient_list(request: HttpRequest) -> HttpResponse:
    """Find a patient by name, phone, e-mail or date of birth (also from the search box in
    the navigation); 50 a page; archived only when asked."""
    form = SearchForm(request.GET)
    form.is_valid()  # every field is optional; a bad value is simply ignored
    term = form.cleaned_data.get("q", "")[:MAX_SEARCH]
    archived = form.cleaned_data.get("archived", False)
    needs_review = form.cleaned_data.get("needs_review", False)
    patients = selectors.patient_list(term=term, archived=archived, needs_review=needs_review)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    labels = dict(ScreeningResult.Outcome.choices)
    for patient in page.object_list:
        patient.latest_outcome_label = labels.get(patient.latest_outcome, "")
    audit.record_many(
        actor=request.user, action=Action.LIST, objects=page.object_list, request=request
    )
    keep = {
        k: v for k, v in (("q", term), ("archived", archived), ("needs_review", needs_review)) if v
    }
    query = urlencode({k: 1 if v is True else v for k, v in keep.items()})
    return _render(
        request,
        "patients/list.html",
        {
            "form": form,
            "page": page,
            "term": term,
            "archived": archived,
            "needs_review": needs_review,
            "query": query,
        },
    )


# --- Register and edit -----------------------------------------------------------------------


@dataclass
class Duplicate:
    text: str
    url: str | None  # None when the service named no record


_DUPLICATE = re.compile(r"^(?P<text>.*): /patients/(?P<public_id>[0-9a-f-]{36})/$")


def _conflict(form: PatientForm, exc: Conflict) -> tuple[str | None, list[Duplicate]]:
    """A likely duplicate is a warning with links; any other conflict is a form error."""
    duplicates = _duplicates(exc)
    if not duplicates:
        form.add_error(None, exc.message)
        return None, []
    return exc.message, duplicates


def _duplicates(exc: Conflict) -> list[Duplicate]:
    """The likely duplicates a service named, as links to their records."""
    found = []
    for line in exc.fields.get("duplicate", []):
        match = _DUPLICATE.match(line)
        if match is None:
            found.append(Duplicate(line, None))
            continue
        # An archived record has its page too: read-only, with "Restore this record".
        url = reverse("patients:detail", args=[match["public_id"]])
        found.append(Duplicate(match["text"], url))
    return found


def _patient_form_page(
    request: HttpRequest, form: PatientForm, duplicates: list, patient: Patient | None, conflict
):
    return _render(
        request,
        "patients/form.html",
        {"form": form, "duplicates": duplicates, "patient": patient, "conflict": conflict},
    )


@role_required(*FRONT_OFFICE)
@require_http_methods(["GET", "HEAD", "POST"])
def patient_create(request: HttpRequest) -> HttpResponse:
    """Register a patient. A likely duplicate is shown before anything is saved."""
    form = PatientForm(_posted(request))
    duplicates: list[Duplicate] = []
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(
                by=request.user,
                data=form.patient_data(),
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                request=request,
            )
        except Invalid as exc:
            form.add_service_errors(exc)
        except Conflict as exc:
            conflict, duplicates = _conflict(form, exc)
        else:
            messages.success(
                request, f"{patient.full_name} is registered. Next, take the intake questionnaire."
            )
            return redirect(_detail_url(patient))
    return _patient_form_page(request, form, duplicates, None, conflict)


@role_required(*FRONT_OFFICE)
@require_http_methods(["GET", "HEAD", "POST"])
def patient_edit(request: HttpRequest, public_id) -> HttpResponse:
    """Change a patient's details, with the same duplicate check as registration."""
    patient = selectors.any_patient(public_id)
    if patient.is_archived:
        return _archived(request, patient)
    form = PatientForm(_posted(request), initial=PatientForm.initial_for(patient), editing=True)
    duplicates: list[Duplicate] = []
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                patient=patient,
                by=request.user,
                data=form.patient_data(),
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                request=request,
            )
        except Invalid as exc:
            form.add_service_errors(exc)
        except Conflict as exc:
            conflict, duplicates = _conflict(form, exc)
        else:
            messages.success(request, "The patient's details are saved.")
            return redirect(_detail_url(patient))
    _audit_view(request, patient, "edit")
    return _patient_form_page(request, form, duplicates, patient, conflict)


@role_required(*FRONT_OFFICE)
@require_POST
def patient_restore(request: HttpRequest, public_id) -> HttpResponse:
    """Bring an archived record back, from the button on its page. (Archiving, which cancels
    the sessions still to come, is `treatments.scheduling.archive_views`.)"""
    patient = selectors.any_patient(public_id)
    try:
        services.patient_restore(patient=patient, by=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            f"{patient.full_name}'s record is restored: it can be changed and booked again.",
        )
    return redirect(_detail_url(patient))


def _archived(request: HttpRequest, patient: Patient) -> HttpResponse:
    """A page that would change an archived record sends staff back to it, saying why."""
    messages.error(request, services.ARCHIVED)
    return redirect(_detail_url(patient))


# --- The record --------------------------------------------------------------------------------


@dataclass
class Answer:
    question: str
    answer: str
    flagged: bool  # anything other than the plain "no": worth a second look
    carried: bool


@dataclass
class AnswerGroup:
    title: str
    answers: list[Answer]


def readable_answers(submission: IntakeSubmission) -> list[AnswerGroup]:
    """A submission's answers as question → answer, grouped as the questionnaire asks them."""
    groups = {key: AnswerGroup(title, []) for key, title in vocabulary.GROUPS}
    carried = set(submission.carried_keys or [])
    for key, question in vocabulary.QUESTIONS.items():
        if key not in submission.answers:
            text, flagged = "Not asked", False
        else:
            text, flagged = answer_text(question, submission.answers[key])
        groups[question.group].answers.append(
            Answer(question_text(question), text, flagged, key in carried)
        )
    return [group for group in groups.values() if group.answers]


def area_labels(codes) -> str:
    return ", ".join(vocabulary.AREA_LABELS.get(code, code) for code in codes or [])


@dataclass
class ConsentRow:
    kind: str
    title: str
    required: bool
    version: str
    latest: Consent | None

    @property
    def is_current(self) -> bool:
        return self.latest is not None and self.latest.template_version == self.version


@staff_required
@require_safe
def patient_detail(request: HttpRequest, public_id) -> HttpResponse:
    """The record: details, the latest screening in colour, intakes, screenings, consents."""
    return _record_page(request, public_id)


def _record_page(
    request: HttpRequest,
    public_id,
    *,
    sign_off_form: SignOffForm | None = None,
    sign_off_problem: str = "",
) -> HttpResponse:
    """The record; with a refused sign-off, its problems at the top and beside the reason."""
    patient = selectors.patient_record(public_id)
    _audit_view(request, patient, "detail")
    intakes = list(patient.intakes.all())
    screenings = list(patient.screenings.all())
    consents = list(patient.consents.all())
    latest = screenings[0] if screenings else None
    consent_rows = [
        ConsentRow(
            kind=kind,
            title=template.title,
            required=template.required,
            version=template.version,
            latest=next((c for c in consents if c.kind == kind), None),
        )
        for kind, template in consent_templates.TEMPLATES.items()
    ]
    today = clinic_today()
    return _render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "age": patient.age_on(today),
            "today": today,
            "latest": latest,
            "latest_expired": latest is not None and latest.valid_until < today,
            "sign_off_form": sign_off_form or SignOffForm(),
            "sign_off_problem": sign_off_problem,
            "hold_form": HoldReleaseForm(),
            "intakes": [
                (intake, readable_answers(intake), area_labels(intake.areas)) for intake in intakes
            ],
            "screenings": screenings,
            "consents": consents,
            "consent_rows": consent_rows,
            "treatment_consent": selectors.has_current_treatment_consent(patient),
            "can_write": request.user.has_role(*FRONT_OFFICE),
            # Courses and messages, added by the apps that own them (clinic.panels).
            "panels": panels.collect(panels.PATIENT_RECORD, request=request, patient=patient),
        },
        status=400 if sign_off_form is not None else 200,
    )


# --- Intake ------------------------------------------------------------------------------------


@role_required(*STAFF)
@require_http_methods(["GET", "HEAD", "POST"])
def intake(request: HttpRequest, public_id) -> HttpResponse:
    """Take the questionnaire; the engine screens it at once and the record shows the result."""
    patient = selectors.any_patient(public_id)
    if patient.is_archived:
        return _archived(request, patient)
    today = clinic_today()
    form = IntakeForm(_posted(request), today=today, initial={"fitzpatrick": patient.fitzpatrick})
    if request.method == "POST" and form.is_valid():
        try:
            submission = services.intake_submit(
                patient=patient,
                answers=form.answers(),
                areas=form.cleaned_data["areas"],
                fitzpatrick=form.cleaned_data["fitzpatrick"] or None,
                by=request.user,
                today=today,
                request=request,
            )
        except Invalid as exc:
            form.add_service_errors(exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            outcome = submission.screening.get_outcome_display().lower()
            messages.success(request, f"The answers are saved and screened: {outcome}.")
            return redirect(_detail_url(patient, "screening"))
    _audit_view(request, patient, "intake")
    return _render(
        request, "patients/intake.html", {"patient": patient, "form": form, "today": today}
    )


# --- Consent -----------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def consent(request: HttpRequest, public_id, kind: str) -> HttpResponse:
    """Show a consent's text and record the patient's typed name and explicit agreement."""
    template = consent_templates.TEMPLATES.get(kind)
    if template is None:
        raise Http404("No such consent.")
    patient = selectors.any_patient(public_id)
    if patient.is_archived:
        return _archived(request, patient)
    form = ConsentForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_sign(
                patient=patient,
                kind=kind,
                signed_name=form.cleaned_data["signed_name"],
                agreed=form.cleaned_data["agreed"],
                by=request.user,
                request=request,
            )
        except Invalid as exc:
            form.add_service_errors(exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{template.title}: signed.")
            return redirect(_detail_url(patient, "consents"))
    _audit_view(request, patient, f"consent:{kind}")
    signed = selectors.latest_consent(patient, kind=kind, version=template.version)
    return _render(
        request,
        "patients/consent.html",
        {"patient": patient, "form": form, "template": template, "signed": signed},
    )


# --- Sign-off ----------------------------------------------------------------------------------


@role_required(Role.PRACTITIONER)
@require_POST
def screening_sign_off(request: HttpRequest, public_id) -> HttpResponse:
    """A practitioner approves a result that needs review, with the clinical reason."""
    result: ScreeningResult = selectors.screening_for_sign_off(public_id)
    form = SignOffForm(request.POST)
    problem = "The sign-off is not saved."
    if form.is_valid():
        try:
            services.screening_sign_off(
                screening_result=result,
                reason=form.cleaned_data["reason"],
                by=request.user,
                override_defer=form.cleaned_data["override_defer"],
                request=request,
            )
        except Invalid as exc:
            form.add_service_errors(exc)
            problem = exc.message
        except ServiceError as exc:  # nothing to correct on the form: say why at the top
            messages.error(request, _error_text(exc))
            return redirect(_detail_url(result.patient, "screening"))
        else:
            messages.success(
                request, "Signed off. Your name, the time and the reason are recorded."
            )
            return redirect(_detail_url(result.patient, "screening"))
    # The record again, the problem at its top and beside the reason (the cursor there),
    # rather than a message at the top of a page scrolled down to the screening.
    if "reason" in form.errors:
        form.fields["reason"].widget.attrs["autofocus"] = True
    return _record_page(
        request, result.patient.public_id, sign_off_form=form, sign_off_problem=problem
    )


# --- Holds -------------------------------------------------------------------------------------


@role_required(Role.PRACTITIONER)
@require_POST
def hold_release(request: HttpRequest, public_id) -> HttpResponse:
    """A practitioner releases a hold from the patient's record, saying what they found (the
    portal's staff pages release the holds their own reports placed the same way)."""
    hold = get_object_or_404(
        Hold.objects.select_related("patient"),
        public_id=public_id,
        patient__archived_at__isnull=True,
    )
    form = HoldReleaseForm(request.POST)
    form.is_valid()  # the service checks the note and says what is wrong
    try:
        services.hold_release(
            hold=hold, note=form.cleaned_data.get("note", ""), by=request.user, request=request
        )
    except ServiceError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Released. Your name, the time and your note are recorded.")
    return redirect(_detail_url(hold.patient, "holds"))
