"""Workflows that change patient records. Views, the API and tests all call these.

Each is keyword-only and atomic, and writes its own audit rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone

from clinic import audit
from clinic.clock import clinic_today
from clinic.errors import Conflict, Forbidden, Invalid
from clinic.models import Role, User

from . import consent as consent_templates
from . import screening, selectors, signals, vocabulary
from .models import Consent, Hold, IntakeSubmission, Patient, ScreeningResult

Action = audit.Action
MAX_AGE_YEARS = 120
PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "preferred_channel",
    "email_consent",
    "sms_consent",
    "fitzpatrick",
)
DUPLICATE_FIELDS = ("first_name", "last_name", "date_of_birth", "email")


@cache
def _policy(items: tuple) -> screening.Policy:
    return screening.Policy.from_mapping(dict(items))


def screening_policy() -> screening.Policy:
    """The clinic's screening policy: the reference's defaults, overridden by settings."""
    return _policy(tuple(sorted(settings.SCREENING_POLICY.items())))


# --- Validation shared by forms and serializers -----------------------------------------------


def normalise_phone(raw: str) -> str:
    """A phone number in E.164 (`+447700900123`); national numbers use the clinic's region."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, settings.CLINIC_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise Invalid("Invalid phone.", fields={"phone": ["Enter a valid phone number."]}) from exc
    if not phonenumbers.is_valid_number(number):
        raise Invalid(
            "Invalid phone.",
            fields={"phone": ["This is not a valid phone number; include the country code."]},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_date_of_birth(born: date, *, today: date | None = None) -> date:
    today = today or clinic_today()
    if born > today:
        raise Invalid(
            "Invalid date of birth.",
            fields={"date_of_birth": ["Date of birth cannot be in the future."]},
        )
    if screening.age_on(born, today) >= MAX_AGE_YEARS:
        raise Invalid(
            "Invalid date of birth.",
            fields={
                "date_of_birth": [f"Date of birth cannot be more than {MAX_AGE_YEARS} years ago."]
            },
        )
    return born


def _clean_name(value: str, field: str) -> str:
    value = re.sub(r"\s+", " ", (value or "").strip())
    if not value:
        raise Invalid("Missing name.", fields={field: ["This field is required."]})
    return value


def duplicate_keys(
    *, first_name: str, last_name: str, date_of_birth: date | None, email: str
) -> tuple[tuple, ...]:
    """Registration's rule for "the same person", as keys: two records with a key in common
    look like one patient. The same first and last name (any case, outer spaces ignored) and
    date of birth, or the same e-mail address (any case). Registration, editing and the
    importer (within a file too) all match by these keys."""
    keys: list[tuple] = [
        ("name", first_name.strip().lower(), last_name.strip().lower(), date_of_birth)
    ]
    if email and email.strip():
        keys.append(("email", email.strip().lower()))
    return tuple(keys)


def find_duplicates_many(
    candidates: Sequence[Mapping[str, Any]], *, exclude: Patient | None = None
) -> list[list[Patient]]:
    """For each candidate (`first_name`, `last_name`, `date_of_birth`, `email`), the patients
    who look like the same person by `duplicate_keys`, in the patient list's order: one query
    however many candidates (the importer asks for thousands at once)."""
    wanted = [duplicate_keys(**{k: c[k] for k in DUPLICATE_FIELDS}) for c in candidates]
    births = {key[3] for keys in wanted for key in keys if key[0] == "name"}
    emails = {key[1] for keys in wanted for key in keys if key[0] == "email"}
    if not births and not emails:
        return [[] for _ in candidates]
    # A superset (the same birth date, or the e-mail on its lower-case index); the keys decide.
    found = Patient.objects.annotate(email_lower=Lower("email")).filter(
        Q(date_of_birth__in=births) | Q(email_lower__in=emails)
    )
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    by_key: dict[tuple, list[Patient]] = {}
    for patient in found:
        for key in duplicate_keys(**{k: getattr(patient, k) for k in DUPLICATE_FIELDS}):
            by_key.setdefault(key, []).append(patient)
    matches = []
    for keys in wanted:
        seen: dict[int, Patient] = {}
        for key in keys:
            for patient in by_key.get(key, ()):
                seen.setdefault(patient.pk, patient)
        matches.append(sorted(seen.values(), key=_list_order))
    return matches


def _list_order(patient: Patient) -> tuple:
    return (patient.last_name, patient.first_name, patient.pk)


def find_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    email: str,
    exclude: Patient | None = None,
) -> list[Patient]:
    """Patients who look like the same person: same name and date of birth, or same e-mail
    (`duplicate_keys`); at most five."""
    candidate = {
        "first_name": first_name,
        "last_name": last_name,
        "date_of_birth": date_of_birth,
        "email": email,
    }
    return find_duplicates_many([candidate], exclude=exclude)[0][:5]


def describe_duplicate(patient: Patient) -> str:
    archived = " (archived)" if patient.is_archived else ""
    return (
        f"{patient.full_name}, born {screening.format_date(patient.date_of_birth)}"
        f"{archived}: /patients/{patient.public_id}/"
    )


def _clean_email(value: str) -> str:
    return (value or "").strip().lower()


_CLEANERS = {
    "first_name": lambda value: _clean_name(value, "first_name"),
    "last_name": lambda value: _clean_name(value, "last_name"),
    "phone": normalise_phone,
    "email": _clean_email,
    "date_of_birth": check_date_of_birth,
}


def check_patient_details(data: dict[str, Any]) -> dict[str, Any]:
    """A patient's details cleaned, or one `Invalid` naming every field that is wrong, so a
    form shows all its problems in one round (the registration form asks this before saving).

    The preferred channel needs its address or number; that is checked here when the channel,
    e-mail and phone are all given, and on the saved record by `_check_contact`.
    """
    data = {k: v for k, v in data.items() if k in PATIENT_FIELDS}
    problems: list[Invalid] = []
    for field, clean in _CLEANERS.items():
        if field not in data:
            continue
        try:
            data[field] = clean(data[field])
        except Invalid as exc:
            problems.append(exc)
    given = {"preferred_channel", "email", "phone"}
    if given <= set(data) and not {f for exc in problems for f in exc.fields} & given:
        try:
            _check_contact(Patient(**{k: data[k] for k in given}))
        except Invalid as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        fields = {k: v for exc in problems for k, v in exc.fields.items()}
        raise Invalid("Check the patient's details.", fields=fields)
    return data


def _check_contact(patient: Patient) -> None:
    if patient.preferred_channel == Patient.Channel.SMS and not patient.phone:
        raise Invalid("Missing phone.", fields={"phone": ["SMS is preferred: enter a phone."]})
    if patient.preferred_channel == Patient.Channel.EMAIL and not patient.email:
        raise Invalid(
            "Missing e-mail.", fields={"email": ["E-mail is preferred: enter an e-mail."]}
        )


# --- Patients -----------------------------------------------------------------------------


@transaction.atomic
def patient_create(
    *,
    by: User,
    data: dict[str, Any],
    confirm_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> Patient:
    """Register a patient. A likely duplicate is refused (409) unless confirmed."""
    data = check_patient_details(data)
    patient = Patient(**data, created_by=by)
    _check_contact(patient)
    if not confirm_duplicate:
        duplicates = find_duplicates(
            first_name=patient.first_name,
            last_name=patient.last_name,
            date_of_birth=patient.date_of_birth,
            email=patient.email,
        )
        if duplicates:
            raise Conflict(
                "This looks like a patient who is already registered. Open their record, or "
                "confirm that this is a different person.",
                fields={"duplicate": [describe_duplicate(p) for p in duplicates]},
            )
    patient.save()
    audit.record(actor=by, action=Action.CREATE, obj=patient, request=request)
    return patient


@transaction.atomic
def patient_update(
    *,
    patient: Patient,
    by: User,
    data: dict[str, Any],
    confirm_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> Patient:
    """Edit a patient's details; the audit row names the fields that changed (not values)."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    require_open(patient)
    data = check_patient_details(data)
    changed = sorted(k for k, v in data.items() if getattr(patient, k) != v)
    for key in changed:
        setattr(patient, key, data[key])
    _check_contact(patient)
    if not confirm_duplicate and {"first_name", "last_name", "date_of_birth", "email"} & set(
        changed
    ):
        duplicates = find_duplicates(
            first_name=patient.first_name,
            last_name=patient.last_name,
            date_of_birth=patient.date_of_birth,
            email=patient.email,
            exclude=patient,
        )
        if duplicates:
            raise Conflict(
                "These details match another patient. Check the record, or confirm.",
                fields={"duplicate": [describe_duplicate(p) for p in duplicates]},
            )
    if changed:
        patient.save()
        withdrawn = [
            channel
            for channel, field in (("email", "email_consent"), ("sms", "sms_consent"))
            if field in changed and not getattr(patient, field)
        ]
        for channel in withdrawn:
            # In this transaction: whoever keeps an outbox (treatments) stops that channel.
            signals.contact_consent_withdrawn.send(Patient, patient=patient, channel=channel)
    audit.record(
        actor=by, action=Action.UPDATE, obj=patient, request=request, detail={"fields": changed}
    )
    return patient


ARCHIVED = (
    "This patient's record is archived, so it can only be read. To change it, restore the "
    "record first (“Restore this record” at the top of their page)."
)
ALREADY_ARCHIVED = "This patient's record is archived already."
ARCHIVE_REASON_MAX = Patient._meta.get_field("archive_reason").max_length


def require_open(patient: Patient) -> None:
    """Refuse (409) any change to an archived record: it stays readable, not writable, until
    staff restore it."""
    if patient.is_archived:
        raise Conflict(ARCHIVED)


def clean_archive_reason(reason: str) -> str:
    """The reason for archiving, trimmed: required, and short enough to keep whole."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            "A reason is required.", fields={"reason": ["Say why the record is archived."]}
        )
    if len(reason) > ARCHIVE_REASON_MAX:
        raise Invalid(
            "The reason is too long.",
            fields={"reason": [f"Keep it to {ARCHIVE_REASON_MAX} characters."]},
        )
    return reason


@transaction.atomic
def patient_archive(
    *, patient: Patient, reason: str, by: User, request: HttpRequest | None = None
) -> Patient:
    """Archive a patient, saying why: the record is kept for good and stays readable.

    Refused (409) when it is archived already, and while a listener of
    `signals.patient_archiving` still has something booked for the patient (scheduling:
    sessions to come; `treatments.scheduling.archive` cancels them first when staff choose).
    """
    reason = clean_archive_reason(reason)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.is_archived:
        raise Conflict(ALREADY_ARCHIVED)
    signals.patient_archiving.send(Patient, patient=patient)
    patient.archived_at = timezone.now()
    patient.archived_by = by
    patient.archive_reason = reason
    patient.save(update_fields=["archived_at", "archived_by", "archive_reason", "updated_at"])
    audit.record(actor=by, action=Action.ARCHIVE, obj=patient, request=request)
    return patient


@transaction.atomic
def patient_restore(*, patient: Patient, by: User, request: HttpRequest | None = None) -> Patient:
    """Bring an archived record back: it is listed, and can be changed and booked, again.
    Restoring a record that is not archived is refused (409)."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not patient.is_archived:
        raise Conflict("This patient's record is not archived.")
    patient.archived_at = None
    patient.archived_by = None
    patient.archive_reason = ""
    patient.save(update_fields=["archived_at", "archived_by", "archive_reason", "updated_at"])
    audit.record(actor=by, action=Action.RESTORE, obj=patient, request=request)
    return patient


# --- Intake and screening -----------------------------------------------------------------


def _invalid_answers(exc: vocabulary.AnswersInvalid, prefix: str) -> Invalid:
    fields = {
        (key if key in ("answers", "areas") else f"{prefix}.{key}"): msgs
        for key, msgs in exc.errors.items()
    }
    return Invalid("Some answers need attention.", fields=fields)


@transaction.atomic
def intake_submit(
    *,
    patient: Patient,
    answers: Any,
    areas: Any,
    by: User,
    kind: str = IntakeSubmission.Kind.INTAKE,
    fitzpatrick: str | None = None,
    today: date | None = None,
    request: HttpRequest | None = None,
) -> IntakeSubmission:
    """Record a questionnaire and screen it in the same transaction (DESIGN.md flow 1).

    Every key of the vocabulary must be answered; the submission and its ScreeningResult are
    new rows, so nothing overwrites an earlier answer. `fitzpatrick`, the skin type assessed
    at the intake (reference §1.2 row 30, re-confirmed each series), is recorded on the
    patient before screening; None keeps the one on record.
    """
    require_open(patient)
    today = today or clinic_today()
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    chosen: list[str] = []
    try:
        cleaned = vocabulary.clean_answers(answers, today=today)
    except vocabulary.AnswersInvalid as exc:
        errors.update(_invalid_answers(exc, "answers").fields)
    try:
        chosen = vocabulary.clean_areas(areas)
    except vocabulary.AnswersInvalid as exc:
        errors.update(exc.errors)
    if fitzpatrick is not None and fitzpatrick not in Patient.Fitzpatrick.values:
        errors["fitzpatrick"] = ["Choose a skin type from I to VI."]
    if errors:
        raise Invalid("Some answers need attention.", fields=errors)
    if fitzpatrick is not None and fitzpatrick != patient.fitzpatrick:
        patient.fitzpatrick = fitzpatrick
        patient.save(update_fields=["fitzpatrick", "updated_at"])
        audit.record(
            actor=by,
            action=Action.UPDATE,
            obj=patient,
            request=request,
            detail={"fields": ["fitzpatrick"]},
        )

    result = screening.screen(
        answers=cleaned,
        areas=chosen,
        age=patient.age_on(today),
        today=today,
        fitzpatrick=patient.fitzpatrick or None,
        policy=screening_policy(),
    )
    submission = IntakeSubmission.objects.create(
        patient=patient,
        kind=kind,
        answers=vocabulary.answers_to_json(cleaned),
        areas=chosen,
        questionnaire_version=vocabulary.QUESTIONNAIRE_VERSION,
        submitted_by=by,
        submitted_by_patient=by.is_patient,
    )
    verdict = ScreeningResult.objects.create(
        submission=submission,
        patient=patient,
        outcome=result.outcome,
        findings=[f.to_json() for f in result.findings],
        ruleset_version=result.ruleset_version,
        valid_until=result.valid_until,
        defer_until=result.defer_until,
    )
    with audit.together():  # both rows in one INSERT
        audit.record(actor=by, action=Action.CREATE, obj=submission, request=request)
        audit.record(
            actor=by,
            action=Action.CREATE,
            obj=verdict,
            request=request,
            detail={"outcome": verdict.outcome},
        )
    submission.screening = verdict
    return submission


@transaction.atomic
def screening_sign_off(
    *,
    screening_result: ScreeningResult,
    reason: str,
    by: User,
    override_defer: bool = False,
    request: HttpRequest | None = None,
) -> ScreeningResult:
    """A practitioner (never front desk) approves a `review` result, with a reason.

    A `defer` that also carries review findings (anticoagulants and a sunburn) is signed off
    the same way: the review is the clinician's call, the defer's date still stands. With
    `override_defer` the practitioner also lifts a deferral for inflamed acne, the one the
    reference lets a clinician override (§1.2 row 7: mild spots, or spots outside the area);
    the reason documents why. Blocked results, and other defers with nothing to review, are
    not a clinician's call.
    """
    if not by.has_role(Role.PRACTITIONER):
        raise Forbidden("Only a practitioner can sign off a screening.")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("A reason is required.", fields={"reason": ["Give the clinical reason."]})
    result = ScreeningResult.objects.select_for_update().get(pk=screening_result.pk)
    if override_defer and not result.can_override_defer:
        raise Conflict(
            "Only a deferral for inflamed acne can be overridden; this result does not defer only "
            "for that."
        )
    if not result.can_be_signed_off:
        raise Conflict(
            f"A {result.get_outcome_display().lower()} result cannot be signed off; "
            "only results that need review can."
        )
    if result.is_signed_off:
        raise Conflict("This result has already been signed off.")
    if not result.needs_sign_off and not override_defer:
        raise Conflict(
            "Nothing here needs review: this result defers treatment for inflamed acne. "
            "To treat now, tick the override and give your reason."
        )
    result.signed_off_by = by
    result.signed_off_at = timezone.now()
    result.sign_off_reason = reason
    result.defer_overridden = override_defer
    # The verdict is immutable: only the sign-off columns are written.
    ScreeningResult.objects.filter(pk=result.pk).update(
        signed_off_by=by,
        signed_off_at=result.signed_off_at,
        sign_off_reason=reason,
        defer_overridden=override_defer,
    )
    audit.record(
        actor=by,
        action=Action.SIGN_OFF,
        obj=result,
        request=request,
        detail={"override_defer": True} if override_defer else None,
    )
    return result


# --- Consent ------------------------------------------------------------------------------


def _same_name(a: str, b: str) -> bool:
    return re.sub(r"\s+", " ", a.strip()).casefold() == re.sub(r"\s+", " ", b.strip()).casefold()


@transaction.atomic
def consent_sign(
    *,
    patient: Patient,
    kind: str,
    signed_name: str,
    agreed: Any,
    by: User,
    request: HttpRequest | None = None,
) -> Consent:
    """Record a signed consent: the patient's typed full name and an explicit agreement."""
    errors: dict[str, list[str]] = {}
    if kind not in consent_templates.TEMPLATES:
        errors["kind"] = ["Choose one of: " + ", ".join(consent_templates.TEMPLATES) + "."]
    if agreed is not True:
        errors["agreed"] = ["The patient must tick the box to agree."]
    if not _same_name(signed_name or "", patient.full_name):
        errors["signed_name"] = ["Type the patient's full name exactly as registered."]
    if errors:
        raise Invalid("The consent is not complete.", fields=errors)
    require_open(patient)
    consent = Consent.objects.create(
        patient=patient,
        kind=kind,
        template_version=consent_templates.current_version(kind),
        signed_name=signed_name.strip(),
        recorded_by=by,
    )
    audit.record(actor=by, action=Action.CREATE, obj=consent, request=request)
    return consent


# --- Holds --------------------------------------------------------------------------------


@transaction.atomic
def hold_place(
    *,
    patient: Patient,
    reason: str,
    source: str,
    source_ref: str = "",
    by: User | None = None,
    request: HttpRequest | None = None,
) -> Hold:
    """Stop treatment until a practitioner releases the hold (clinical reference §1.2 row 34).

    Placing the same hold again (same patient, source and source_ref) while it is open
    returns the open one, so a caller that runs twice places one hold.
    """
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["Say in plain words what happened."]
    if source not in Hold.Source.values:
        errors["source"] = ["Choose one of: " + ", ".join(Hold.Source.values) + "."]
    if errors:
        raise Invalid("The hold is not complete.", fields=errors)
    # Serialise holds for one patient, so two callers cannot both find none and insert.
    list(Patient.objects.select_for_update().filter(pk=patient.pk))
    existing = selectors.open_hold(patient=patient, source=source, source_ref=source_ref)
    if existing is not None:
        return existing
    hold = Hold.objects.create(
        patient=patient, reason=reason, source=source, source_ref=source_ref, placed_by=by
    )
    audit.record(
        actor=by, action=Action.CREATE, obj=hold, request=request, detail={"source": source}
    )
    return hold


@transaction.atomic
def hold_release(*, hold: Hold, note: str, by: User, request: HttpRequest | None = None) -> Hold:
    """A practitioner (never front desk) releases a hold, saying what they found or did."""
    if not by.has_role(Role.PRACTITIONER):
        raise Forbidden("Only a practitioner can release a hold.")
    note = (note or "").strip()
    if not note:
        raise Invalid("A note is required.", fields={"note": ["Say what you found or did."]})
    hold = Hold.objects.select_for_update().get(pk=hold.pk)
    if not hold.is_open:
        raise Conflict("This hold has already been released.")
    hold.released_at = timezone.now()
    hold.released_by = by
    hold.release_note = note
    hold.save(update_fields=["released_at", "released_by", "release_note"])
    audit.record(actor=by, action=Action.SIGN_OFF, obj=hold, request=request)
    return hold
