"""Reads of patient records with their joins made up front, so a page's query count does not
grow with the number of rows it shows (house style §10)."""

from __future__ import annotations

import re

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from .models import Consent, IntakeSubmission, Patient, ScreeningResult

MIN_PHONE_DIGITS = 4


def search(queryset: QuerySet[Patient], term: str) -> QuerySet[Patient]:
    """Name (every word, in either name), e-mail, or phone.

    Phones are stored in E.164, so a typed number is matched on its digits with any leading
    zeros (the national trunk prefix) dropped: "07700 900101" finds "+447700900101".
    """
    term = (term or "").strip()
    if not term:
        return queryset
    name = Q()
    for word in term.split():
        name &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    query = name | Q(email__icontains=term)
    digits = re.sub(r"\D", "", term).lstrip("0")
    if len(digits) >= MIN_PHONE_DIGITS:
        query |= Q(phone__contains=digits)
    return queryset.filter(query)


def with_latest_screening(queryset: QuerySet[Patient]) -> QuerySet[Patient]:
    """Annotate each patient with their latest screening's outcome and sign-off time.

    Subqueries in the same SELECT, so a page of 50 patients is still one query.
    """
    latest = ScreeningResult.objects.filter(patient=OuterRef("pk")).order_by("-screened_at", "-id")
    return queryset.annotate(
        latest_outcome=Subquery(latest.values("outcome")[:1]),
        latest_signed_off_at=Subquery(latest.values("signed_off_at")[:1]),
    )


def patient_list(
    *, term: str = "", archived: bool = False, needs_review: bool = False
) -> QuerySet[Patient]:
    """The staff list: active patients (or every patient with `archived`), searched.

    `needs_review` keeps the patients whose latest screening waits for a practitioner's
    sign-off (DESIGN.md §4.2 `review`); an earlier result does not count, because only the
    latest one decides whether the patient may be treated.
    """
    patients = Patient.objects.all() if archived else Patient.objects.active()
    patients = with_latest_screening(search(patients, term))
    if needs_review:
        patients = patients.filter(
            latest_outcome=ScreeningResult.Outcome.REVIEW, latest_signed_off_at__isnull=True
        )
    return patients.order_by("last_name", "first_name", "id")


def patient_record(public_id) -> Patient:
    """One active patient with everything the record page shows, in a fixed number of queries.

    `intakes`, `screenings` and `consents` come prefetched newest first (with who wrote
    them); an archived or unknown id is a 404.
    """
    return get_object_or_404(
        Patient.objects.active().prefetch_related(
            Prefetch(
                "intakes",
                queryset=IntakeSubmission.objects.select_related(
                    "submitted_by", "screening"
                ).order_by("-submitted_at", "-id"),
            ),
            Prefetch(
                "screenings",
                queryset=ScreeningResult.objects.select_related(
                    "signed_off_by", "submission"
                ).order_by("-screened_at", "-id"),
            ),
            Prefetch(
                "consents",
                queryset=Consent.objects.select_related("recorded_by").order_by(
                    "-signed_at", "-id"
                ),
            ),
        ),
        public_id=public_id,
    )


def active_patient(public_id) -> Patient:
    """An active patient by public id, or 404 (archived records are read-only history)."""
    return get_object_or_404(Patient.objects.active(), public_id=public_id)


def screening_for_sign_off(public_id) -> ScreeningResult:
    """A screening result of an active patient, or 404."""
    return get_object_or_404(
        ScreeningResult.objects.select_related("patient").filter(patient__archived_at__isnull=True),
        public_id=public_id,
    )


def latest_consent(patient: Patient, *, kind: str, version: str) -> Consent | None:
    """The patient's most recent consent of `kind` signed against template `version`."""
    return (
        Consent.objects.filter(patient=patient, kind=kind, template_version=version)
        .select_related("recorded_by")
        .order_by("-signed_at", "-id")
        .first()
    )
