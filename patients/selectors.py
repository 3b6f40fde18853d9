"""Reads of patient records with their joins made up front, so a page's query count does not
grow with the number of rows it shows (house style §10)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from clinic.clock import clinic_today, to_local
from clinic.errors import Invalid

from . import consent as consent_templates

# A module import, not `from .services import ...`: services imports this module too, and
# whichever of the two a process happens to import first must load.
from . import services
from .models import Consent, Hold, IntakeSubmission, Patient, ScreeningResult
from .screening import format_date
from .vocabulary import AREA_LABELS

MIN_PHONE_DIGITS = 4


# The ways a receptionist types a date of birth: ISO, and the day first as the UK writes it.
BIRTH_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")


def typed_date(term: str) -> date | None:
    """ "1985-03-14", "14/03/1985", "14.3.1985" or "14-03-1985" as a date, else None."""
    for pattern in BIRTH_DATE_FORMATS:
        try:
            return datetime.strptime(term, pattern).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    return None


def typed_phone(term: str) -> str:
    """The term as registration would store it (E.164 in the clinic's region), or ""."""
    try:
        return services.normalise_phone(term)
    except Invalid:
        return ""


def search(queryset: QuerySet[Patient], term: str) -> QuerySet[Patient]:
    """Name (every word, in either name), e-mail, phone, or date of birth.

    Phones are stored in E.164: a typed number matches the number registration would store
    for it, or any number containing its digits with leading zeros (the national trunk
    prefix) dropped, so "07700 900101" finds "+447700900101". A date of birth is typed as
    1985-03-14 or day first, 14/03/1985 (`BIRTH_DATE_FORMATS`).
    """
    # A NUL can be typed into a query string but never stored: PostgreSQL refuses it in a
    # string literal (a 500), so it matches nothing and is dropped.
    term = (term or "").replace("\x00", "").strip()
    if not term:
        return queryset
    name = Q()
    for word in term.split():
        name &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    query = name | Q(email__icontains=term)
    digits = re.sub(r"\D", "", term).lstrip("0")
    if len(digits) >= MIN_PHONE_DIGITS:
        query |= Q(phone__contains=digits)
    if phone := typed_phone(term):
        query |= Q(phone=phone)
    if born := typed_date(term):
        query |= Q(date_of_birth=born)
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
    sign-off (DESIGN.md §4.2 `review`, or a `defer` with review findings); an earlier result
    does not count, because only the latest one decides whether the patient may be treated.
    """
    patients = Patient.objects.all() if archived else Patient.objects.active()
    patients = with_latest_screening(search(patients, term))
    if needs_review:
        # A defer that also carries review findings waits for the sign-off too (§4.2).
        latest = ScreeningResult.objects.filter(patient=OuterRef("pk")).order_by(
            "-screened_at", "-id"
        )
        patients = patients.annotate(
            latest_reviews=Subquery(
                latest.annotate(
                    reviews=Q(findings__contains=[{"outcome": ScreeningResult.Outcome.REVIEW}])
                ).values("reviews")[:1]
            )
        ).filter(
            Q(latest_outcome=ScreeningResult.Outcome.REVIEW)
            | Q(latest_outcome=ScreeningResult.Outcome.DEFER, latest_reviews=True),
            latest_signed_off_at__isnull=True,
        )
    return patients.order_by("last_name", "first_name", "id")


def patients_by_public_id(ids: Iterable) -> dict:
    """Patients (archived ones too) by public id, in one query: the names the audit log shows
    (`clinic.audit_log.register_patients`)."""
    return {p.public_id: p for p in Patient.objects.filter(public_id__in=list(ids))}


AUDIT_SEARCH_LIMIT = 20


def audit_search(term: str) -> list[Patient]:
    """Patients, archived ones too, whose audit trail a manager may want: by name, e-mail or
    phone, as the patient list searches."""
    return list(
        search(Patient.objects.all(), term).order_by("last_name", "first_name", "id")[
            :AUDIT_SEARCH_LIMIT
        ]
    )


def patient_record(public_id) -> Patient:
    """One patient, archived or not, with everything the record page shows, in a fixed number
    of queries.

    `intakes`, `screenings` and `consents` come prefetched newest first (with who wrote
    them); an unknown id is a 404.
    """
    return get_object_or_404(
        Patient.objects.select_related("archived_by").prefetch_related(
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
            Prefetch(
                "holds",
                queryset=Hold.objects.open().select_related("placed_by").order_by("placed_at"),
                to_attr="open_holds",
            ),
        ),
        public_id=public_id,
    )


def any_patient(public_id) -> Patient:
    """A patient by public id, archived or not, or 404: a page that changes the record then
    says an archived one must be restored first."""
    return get_object_or_404(Patient, public_id=public_id)


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


# --- May this patient be treated? ---------------------------------------------------------


def open_hold(*, source: str, source_ref: str, patient: Patient | None = None) -> Hold | None:
    """The open hold one cause placed (a reaction report, a pre-session check), if any."""
    holds = Hold.objects.open().filter(source=source, source_ref=source_ref)
    if patient is not None:
        holds = holds.filter(patient=patient)
    return holds.first()


def latest_screening(patient: Patient) -> ScreeningResult | None:
    """The patient's latest screening, with its submission (the areas it covered) and signer.

    Only the latest decides: an earlier result, however clear, no longer describes the patient.
    """
    return (
        ScreeningResult.objects.filter(patient=patient)
        .select_related("submission", "signed_off_by")
        .order_by("-screened_at", "-id")
        .first()
    )


def latest_full_intake(patient: Patient) -> IntakeSubmission | None:
    """The patient's latest full intake: where the stable history (keloids, bleeding,
    allergies…) was last taken. Pre-session checks and check-ins only carry it forward."""
    return (
        IntakeSubmission.objects.filter(patient=patient, kind=IntakeSubmission.Kind.INTAKE)
        .order_by("-submitted_at", "-id")
        .first()
    )


def history_taken_on(intake: IntakeSubmission) -> date:
    return to_local(intake.submitted_at).date()


def history_stands_on(intake: IntakeSubmission | None, day: date) -> bool:
    """The full intake's stable answers may still be relied on on `day` (the policy's
    `history_valid_months`; clinical reference §1.2, re-confirmed every 6–12 months)."""
    return intake is not None and services.screening_policy().history_current_on(
        history_taken_on(intake), day
    )


def has_current_treatment_consent(patient: Patient) -> bool:
    """Treatment needs a treatment consent signed against the current template version."""
    return Consent.objects.filter(
        patient=patient,
        kind=Consent.Kind.TREATMENT,
        template_version=consent_templates.current_version("treatment"),
    ).exists()


@dataclass(frozen=True)
class Clearance:
    """The answer to "may this patient be treated on these areas on these days?".

    `reason` is "" when allowed; otherwise one sentence for staff saying why and what to do.
    `screening` is the latest screening that was judged (None when there is none). `code`
    names the rule that refused (one of `REFUSALS`), so a page for patients can say the same
    thing in its own words (the portal's booking).
    """

    allowed: bool
    reason: str
    screening: ScreeningResult | None
    code: str = ""

    def __bool__(self) -> bool:
        return self.allowed


HOLD_SUFFIX = " A practitioner must release the hold before treatment."


# What `Clearance.code` may be when the rule refuses, in the order the rule asks.
REFUSALS = (
    "archived",
    "no_history",
    "history_old",
    "no_screening",
    "areas",
    "blocked",
    "sign_off",
    "deferred",
    "not_cleared",
    "expired",
    "no_consent",
    "hold",
)


def _refused(reason: str, screening: ScreeningResult | None, code: str) -> Clearance:
    return Clearance(allowed=False, reason=reason, screening=screening, code=code)


EXPIRED = (
    "The latest screening is not valid for this session's date: repeat the pre-session "
    "questions (answers expire after 7 days)."
)


def answers_current_on(screening: ScreeningResult, day: date) -> bool:
    """The answers behind `screening` may be relied on for a session on `day`: collected on
    or before it, at most 7 days before (`valid_until`; clinical reference §1.2)."""
    return to_local(screening.screened_at).date() <= day <= screening.valid_until


def _areas_refusal(screening: ScreeningResult, areas: Iterable[str]) -> str:
    missing = set(areas) - set(screening.submission.areas)
    if not missing:
        return ""
    known = [label for code, label in AREA_LABELS.items() if code in missing]
    unknown = sorted(missing - AREA_LABELS.keys())
    return (
        f"The latest screening did not include: {', '.join(known + unknown)}. "
        "Take a new intake that includes every area of the course."
    )


def carry_forward_refusal(*, screening: ScreeningResult, areas: Iterable[str], day: date) -> str:
    """Why the answers behind `screening` may not be carried into a new submission for
    `areas` on `day`, or "" when they may: they must cover every area and still be current
    on the day. Check-in re-asks only the answers confirmed on the day and carries the rest
    (`treatments.scheduling.check_in`), so stale or partial answers would pass unasked."""
    return _areas_refusal(screening, areas) or (
        "" if answers_current_on(screening, day) else EXPIRED
    )


def _history_refusal(taken_at: datetime | None) -> str:
    """Why a course may not start on the full intake submitted at `taken_at` (None: none)."""
    if taken_at is None:
        return (
            "The patient has no full intake on record: take a full intake before starting a course."
        )
    taken_on = to_local(taken_at).date()  # as `history_taken_on`
    if not services.screening_policy().history_current_on(taken_on, clinic_today()):
        return (
            "The patient's medical history was last taken on "
            f"{format_date(taken_on)}: take a full intake before starting a course."
        )
    return ""


def _with_standing(queryset: QuerySet, patient: str, *, history: bool) -> QuerySet:
    """`queryset` with what the clearance rule asks besides the screening, each a subquery
    on the patient whose id is the field `patient`: whether the current treatment consent
    is signed, the reason of the first open hold and, with `history`, when the latest full
    intake was submitted. One query in all, however many rules are asked."""
    consents = Consent.objects.filter(
        patient=OuterRef(patient),
        kind=Consent.Kind.TREATMENT,
        template_version=consent_templates.current_version("treatment"),
    )
    holds = Hold.objects.open().filter(patient=OuterRef(patient)).order_by("placed_at", "id")
    standing = {
        "has_treatment_consent": Exists(consents),
        "open_hold_reason": Subquery(holds.values("reason")[:1]),
    }
    if history:
        intakes = IntakeSubmission.objects.filter(
            patient=OuterRef(patient), kind=IntakeSubmission.Kind.INTAKE
        ).order_by("-submitted_at", "-id")
        standing["history_taken_at"] = Subquery(intakes.values("submitted_at")[:1])
    return queryset.annotate(**standing)


def clearance(
    *,
    patient: Patient,
    areas: Iterable[str],
    days: Iterable[date] = (),
    check_in: bool = False,
    new_course: bool = False,
    screening: ScreeningResult | None = None,
    answers_on: date | None = None,
) -> Clearance:
    """The one clearance rule: booking, planning and check-in all ask it (house style §16).

    In order, the first rule broken is the answer (DESIGN.md §4.2, flows 3, 4 and 6):
    the record is active; with `new_course` (creating, planning or booking a course) the
    latest full intake is within the policy's `history_valid_months` today, because stable
    history is re-confirmed at the start of each series (clinical reference §1.2); the
    latest screening covers every area asked for (a new intake that leaves an area out must
    not clear it, nor skip its review); it is not blocked; a review, or a defer that also
    carries review findings, is signed off by a practitioner; a defer is not before any of
    `days`. With
    `check_in` the result must clear treatment outright and be valid on each day (answers
    at most 7 days old, clinical reference §1.2); `days` defaults to today's local date.
    With `answers_on` (a date), the answers must also be current on that date, as at check-in
    (the portal books only on answers from the last 7 days). Then the current treatment
    consent, then no open hold (reference §1.2 row 34).

    `screening` may be passed when the caller has just loaded the patient's latest result
    (with its submission); it must be the latest. One query either way: the latest screening
    comes with the consent, the holds and the full intake as subqueries (`_with_standing`),
    or, given the screening, those alone are read.
    """
    if patient.is_archived:
        return _refused("This patient is archived.", screening, "archived")
    if screening is None:
        # The latest screening, carrying the rest (None when there is none: refused below).
        screening = standing = (
            _with_standing(
                ScreeningResult.objects.filter(patient=patient), "patient_id", history=new_course
            )
            .select_related("submission", "signed_off_by")
            .order_by("-screened_at", "-id")
            .first()
        )
    elif screening.patient_id != patient.pk:
        raise ValueError("The screening passed to clearance() belongs to another patient.")
    else:
        standing = _with_standing(
            Patient.objects.filter(pk=patient.pk).only("pk"), "pk", history=new_course
        ).get()
    return _judge(
        patient=patient,
        screening=screening,
        standing=standing,
        areas=areas,
        days=days,
        check_in=check_in,
        new_course=new_course,
        answers_on=answers_on,
    )


def clearances(*, asks: Iterable[tuple[Patient, Iterable[str], Iterable[date]]]) -> list[Clearance]:
    """`clearance` for many patients at once (each asked for its own areas and days, not at
    check-in, not for a new course: booking one more session of a booked course), in one
    query however many: each patient's latest screening carries what the rule asks besides
    (`_with_standing`). The same rule, judged by the same function (`_judge`)."""
    asks = list(asks)
    ids = {patient.pk for patient, _, _ in asks}
    newest = ScreeningResult.objects.filter(patient_id=OuterRef("pk")).order_by(
        "-screened_at", "-id"
    )
    latest = Patient.objects.filter(pk__in=ids).values(latest=Subquery(newest.values("pk")[:1]))
    found = {
        row.patient_id: row
        for row in _with_standing(
            ScreeningResult.objects.filter(pk__in=latest), "patient_id", history=False
        )
        .select_related("submission")
        # The rule reads the areas of the submission, not its answers (the bulk of a row).
        .defer("submission__answers", "submission__carried_keys", "sign_off_reason")
    }
    answers = []
    for patient, areas, days in asks:
        screening = found.get(patient.pk)
        if patient.is_archived:
            answers.append(_refused("This patient is archived.", screening, "archived"))
            continue
        answers.append(
            _judge(
                patient=patient,
                screening=screening,
                standing=screening,
                areas=areas,
                days=days,
                check_in=False,
                new_course=False,
                answers_on=None,
            )
        )
    return answers


def _judge(
    *,
    patient: Patient,
    screening: ScreeningResult | None,
    standing,
    areas: Iterable[str],
    days: Iterable[date],
    check_in: bool,
    new_course: bool,
    answers_on: date | None,
) -> Clearance:
    """The rule itself, on what `clearance` or `clearances` loaded: `standing` carries the
    consent, the first open hold and (with `new_course`) the latest full intake."""
    if screening is None:
        return _refused(
            "The patient has not been screened yet: take the intake questionnaire first.",
            None,
            "no_screening",
        )
    if new_course:
        refused = _history_refusal(standing.history_taken_at)
        if refused:
            code = "no_history" if standing.history_taken_at is None else "history_old"
            return _refused(refused, screening, code)
    days = sorted(set(days))
    if check_in and not days:
        days = [clinic_today()]

    refused = _areas_refusal(screening, areas)
    if refused:
        return _refused(refused, screening, "areas")

    if screening.outcome == ScreeningResult.Outcome.BLOCKED:
        return _refused(
            "The latest screening is blocked: this patient cannot be treated.", screening, "blocked"
        )
    if screening.needs_sign_off:
        return _refused(
            "The latest screening needs a practitioner's sign-off before treatment.",
            screening,
            "sign_off",
        )
    if screening.outcome == ScreeningResult.Outcome.DEFER and not screening.defer_overridden:
        early = [day for day in days if day < screening.defer_until]
        if early:
            return _refused(
                "The latest screening defers treatment until "
                f"{format_date(screening.defer_until)}; a session on {format_date(early[0])} "
                "is too early.",
                screening,
                "deferred",
            )

    if check_in:
        if not screening.cleared_for_treatment:
            # Only a defer gets here: its date has come, but a deferring result never clears.
            return _refused(
                "The latest screening defers treatment until "
                f"{format_date(screening.defer_until)} and does not clear the patient: repeat "
                "the pre-session questions on or after that date.",
                screening,
                "not_cleared",
            )
        if any(not answers_current_on(screening, day) for day in days):
            return _refused(EXPIRED, screening, "expired")
    if answers_on is not None and not answers_current_on(screening, answers_on):
        return _refused(EXPIRED, screening, "expired")

    if not standing.has_treatment_consent:
        return _refused(
            "The patient has not signed the current treatment consent.", screening, "no_consent"
        )
    if standing.open_hold_reason is not None:
        return _refused(standing.open_hold_reason.strip() + HOLD_SUFFIX, screening, "hold")
    return Clearance(allowed=True, reason="", screening=screening)
