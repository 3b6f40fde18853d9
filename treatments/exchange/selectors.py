"""Reads for the FHIR API and the exports: each FHIR type's rows with their joins, its search
parameters and how each filters, and everything the clinic holds about one patient.

A page of any type costs the same queries however many rows it has (the joins are made here,
the shapes run none): its count, its rows and, for Procedure, the charts of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Concat

from patients.models import Consent, IntakeSubmission, Patient, ScreeningResult
from treatments.messaging.models import Message
from treatments.scheduling.models import Device, Practitioner, Room, Session, SessionRecord

from . import codes, shapes
from .search import DateRange, Param, parse_int_id, parse_reference, parse_uuid

Resource = shapes.Resource

# HL7 appointment status → the session statuses it stands for.
SESSION_STATUS = {fhir: ours for ours, fhir in codes.APPOINTMENT_STATUS.items()}


def date_q(field_name: str, span: DateRange, *, dates: bool = False) -> Q:
    """The rows whose `field_name` falls as `span.prefix` says against the span."""
    low, high = (span.first_day, span.after_day) if dates else (span.start, span.end)
    inside = Q(**{f"{field_name}__gte": low, f"{field_name}__lt": high})
    return {
        "eq": inside,
        "ne": ~inside,
        "gt": Q(**{f"{field_name}__gte": high}),
        "sa": Q(**{f"{field_name}__gte": high}),
        "ge": Q(**{f"{field_name}__gte": low}),
        "lt": Q(**{f"{field_name}__lt": low}),
        "eb": Q(**{f"{field_name}__lt": low}),
        "le": Q(**{f"{field_name}__lt": high}),
    }[span.prefix]


def string_q(fields: tuple[str, ...], modifier: str, value: str) -> Q:
    """FHIR string search: starts with (any case) by default, `:contains`, `:exact`."""
    lookup = {"": "istartswith", "contains": "icontains", "exact": "exact"}[modifier]
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__{lookup}": value})
    return q


# --- Each type: its rows, its parameters, its filters, its shape --------------------------


@dataclass(frozen=True)
class FhirType:
    name: str
    rows: Callable[[], QuerySet]
    id_field: str  # "public_id" (a UUID) or "pk" (a number)
    params: dict[str, Param]
    filters: dict[str, Callable[[str, list], Q]]  # name → (modifier, values) → Q
    order: tuple[str, ...]
    build: Callable[[Any], Resource]

    def read_id(self, raw: str) -> Any:
        return parse_uuid(raw) if self.id_field == "public_id" else parse_int_id(raw)

    def find(self, raw_id: str):
        """The row with this id, or None (an id this server never gives out finds nothing)."""
        try:
            value = self.read_id(raw_id)
        except ValueError:
            return None
        return self.rows().filter(**{self.id_field: value}).first()


def _id_param() -> Param:
    return Param("_id", "token", "The resource's id.")


def _patient_param() -> Param:
    return Param("patient", "reference", "The patient's id, or Patient/<id>.")


def _ids(fhir_type_id_field: str):
    return lambda modifier, values: Q(**{f"{fhir_type_id_field}__in": values})


def _patients(field_name: str = "patient__public_id"):
    return lambda modifier, values: Q(**{f"{field_name}__in": values})


def _dates(field_name: str, *, dates: bool = False):
    return lambda modifier, values: date_q(field_name, values[0], dates=dates)


def _patient_records(date_param: str, column: str, says: str) -> dict:
    """The searches every record of one patient offers: by its id, by the patient, and by
    its date (`date_param`, read from `column`); a FhirType's `params` and `filters`."""
    return {
        "params": {
            "_id": _id_param(),
            "patient": _patient_param(),
            date_param: Param(date_param, "date", says),
        },
        "filters": {"_id": _ids("public_id"), "patient": _patients(), date_param: _dates(column)},
    }


def _strings(*fields: str):
    def build(modifier: str, values: list) -> Q:
        q = Q()
        for value in values:
            q |= string_q(fields, modifier, value)
        return q

    return build


def _identifier(modifier: str, values: list) -> Q:
    return Q(public_id__in=values)


def _statuses(modifier: str, values: list) -> Q:
    return Q(status__in=values)


def _numbers(field_name: str):
    return lambda modifier, values: Q(**{f"{field_name}__in": values})


def read_value(param: Param, modifier: str, text: str, *, fhir_type: FhirType) -> Any:
    """One search value as the filter takes it (ValueError: the words to show)."""
    if param.name == "_id":
        return fhir_type.read_id(text)
    if param.name in ("patient", "subject"):
        return parse_uuid(parse_reference(text, "Patient"))
    if param.name == "practitioner":
        return parse_int_id(parse_reference(text, "Practitioner"))
    if param.name == "location":
        return parse_int_id(parse_reference(text, "Location"))
    if param.name == "identifier":
        system, bar, value = text.rpartition("|")
        if bar and system and system != codes.identifier_system("patient"):
            raise ValueError(f"Patients are identified in {codes.identifier_system('patient')}.")
        return parse_uuid(value)
    if param.name == "status":
        if text not in SESSION_STATUS:
            raise ValueError("Use one of: " + ", ".join(SESSION_STATUS) + ".")
        return SESSION_STATUS[text]
    return text  # strings


def _patient_rows() -> QuerySet:
    return Patient.objects.annotate(fhir_full_name=Concat("first_name", Value(" "), "last_name"))


def _session_rows() -> QuerySet:
    return Session.objects.select_related(
        "patient", "practitioner", "room", "device", "course__protocol", "screening"
    )


def _procedure_rows() -> QuerySet:
    return _session_rows().filter(status=Session.Status.COMPLETED).prefetch_related(_records())


def _records() -> Prefetch:
    return Prefetch(
        "records", queryset=SessionRecord.objects.order_by("id"), to_attr="fhir_records"
    )


def _consent_rows() -> QuerySet:
    later = Consent.objects.filter(patient=OuterRef("patient"), kind=OuterRef("kind")).filter(
        Q(signed_at__gt=OuterRef("signed_at"))
        | Q(signed_at=OuterRef("signed_at"), id__gt=OuterRef("id"))
    )
    return Consent.objects.select_related("patient").annotate(fhir_superseded=Exists(later))


def _message_rows() -> QuerySet:
    return (
        Message.objects.to_patients()
        .filter(status=Message.Status.SENT, patient__isnull=False)
        .select_related("patient", "session")
    )


def consent_resource(row: Consent) -> Resource:
    return shapes.consent(row, latest=not row.fhir_superseded)


def procedure_resource(session: Session) -> Resource:
    return shapes.procedure(session, session.fhir_records)


TYPES: dict[str, FhirType] = {
    "Patient": FhirType(
        name="Patient",
        rows=_patient_rows,
        id_field="public_id",
        params={
            "_id": _id_param(),
            "identifier": Param("identifier", "token", "The patient's id, optionally system|id."),
            "name": Param(
                "name", "string", "Any part of the name (starts with; :contains, :exact)."
            ),
            "family": Param("family", "string", "The last name."),
            "given": Param("given", "string", "The first name."),
            "birthdate": Param(
                "birthdate", "date", "The date of birth (YYYY, YYYY-MM, YYYY-MM-DD)."
            ),
        },
        filters={
            "_id": _ids("public_id"),
            "identifier": _identifier,
            "name": _strings("first_name", "last_name", "fhir_full_name"),
            "family": _strings("last_name"),
            "given": _strings("first_name"),
            "birthdate": _dates("date_of_birth", dates=True),
        },
        order=("last_name", "first_name", "id"),
        build=shapes.patient,
    ),
    "Appointment": FhirType(
        name="Appointment",
        rows=_session_rows,
        id_field="public_id",
        params={
            "_id": _id_param(),
            "patient": _patient_param(),
            "date": Param("date", "date", "When the session starts."),
            "status": Param("status", "token", "booked, checked-in, fulfilled, cancelled, noshow."),
            "practitioner": Param("practitioner", "reference", "The practitioner's id."),
            "location": Param("location", "reference", "The room's id."),
        },
        filters={
            "_id": _ids("public_id"),
            "patient": _patients(),
            "date": _dates("starts_at"),
            "status": _statuses,
            "practitioner": _numbers("practitioner_id"),
            "location": _numbers("room_id"),
        },
        order=("starts_at", "id"),
        build=shapes.appointment,
    ),
    "Procedure": FhirType(
        name="Procedure",
        rows=_procedure_rows,
        id_field="public_id",
        **_patient_records("date", "starts_at", "When the session started."),
        order=("starts_at", "id"),
        build=procedure_resource,
    ),
    "QuestionnaireResponse": FhirType(
        name="QuestionnaireResponse",
        rows=lambda: IntakeSubmission.objects.select_related("patient", "submitted_by"),
        id_field="public_id",
        **_patient_records("authored", "submitted_at", "When the questions were answered."),
        order=("submitted_at", "id"),
        build=shapes.questionnaire_response,
    ),
    "RiskAssessment": FhirType(
        name="RiskAssessment",
        rows=lambda: ScreeningResult.objects.select_related(
            "patient", "submission", "signed_off_by"
        ),
        id_field="public_id",
        **_patient_records("date", "screened_at", "When the screening ran."),
        order=("screened_at", "id"),
        build=shapes.risk_assessment,
    ),
    "Consent": FhirType(
        name="Consent",
        rows=_consent_rows,
        id_field="public_id",
        **_patient_records("date", "signed_at", "When it was signed."),
        order=("signed_at", "id"),
        build=consent_resource,
    ),
    "Communication": FhirType(
        name="Communication",
        rows=_message_rows,
        id_field="public_id",
        **_patient_records("sent", "sent_at", "When it was sent."),
        order=("sent_at", "id"),
        build=shapes.communication,
    ),
    "Practitioner": FhirType(
        name="Practitioner",
        rows=lambda: Practitioner.objects.all(),
        id_field="pk",
        params={"_id": _id_param(), "name": Param("name", "string", "The name (starts with).")},
        filters={"_id": _ids("pk"), "name": _strings("display_name")},
        order=("display_name", "id"),
        build=shapes.practitioner,
    ),
    "Location": FhirType(
        name="Location",
        rows=lambda: Room.objects.all(),
        id_field="pk",
        params={
            "_id": _id_param(),
            "name": Param("name", "string", "The room's name (starts with)."),
        },
        filters={"_id": _ids("pk"), "name": _strings("name")},
        order=("name", "id"),
        build=shapes.location,
    ),
    "Device": FhirType(
        name="Device",
        rows=lambda: Device.objects.all(),
        id_field="pk",
        params={"_id": _id_param()},
        filters={"_id": _ids("pk")},
        order=("name", "id"),
        build=shapes.device,
    ),
}


def search_rows(fhir_type: FhirType, criteria) -> QuerySet:
    rows = fhir_type.rows()
    for name, entries in criteria.params.items():
        for modifier, values in entries:
            rows = rows.filter(fhir_type.filters[name](modifier, values))
    return rows.order_by(*fhir_type.order)


# --- Everything about one patient ---------------------------------------------------------


@dataclass
class Everything:
    """What the clinic holds about one patient, loaded in a fixed number of queries."""

    patient: Patient
    intakes: list[IntakeSubmission]
    screenings: list[ScreeningResult]
    consents: list[Consent]
    sessions: list[Session]
    messages: list[Message]
    practitioners: list[Practitioner] = field(default_factory=list)
    rooms: list[Room] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)

    @property
    def completed(self) -> list[Session]:
        return [s for s in self.sessions if s.status == Session.Status.COMPLETED]

    def rows(self) -> list:
        """Every row of the patient's own shown (for the audit trail)."""
        return [
            self.patient,
            *self.intakes,
            *self.screenings,
            *self.consents,
            *self.sessions,
            *self.messages,
        ]


def everything(patient: Patient) -> Everything:
    """Six queries whatever the record's size: intakes, screenings, consents, sessions (with
    their practitioner, room, device, course and protocol), their charts, sent messages."""
    intakes = list(
        IntakeSubmission.objects.filter(patient=patient)
        .select_related("submitted_by")
        .order_by("submitted_at", "id")
    )
    screenings = list(
        ScreeningResult.objects.filter(patient=patient)
        .select_related("submission", "signed_off_by")
        .order_by("screened_at", "id")
    )
    consents = list(_consent_rows().filter(patient=patient).order_by("signed_at", "id"))
    sessions = list(
        _session_rows()
        .filter(patient=patient)
        .prefetch_related(_records())
        .order_by("starts_at", "id")
    )
    messages = list(_message_rows().filter(patient=patient).order_by("sent_at", "id"))
    for row in (*intakes, *screenings, *consents, *sessions, *messages):
        row.patient = patient  # the one already loaded: no query per row
    practitioners = {s.practitioner_id: s.practitioner for s in sessions}
    rooms = {s.room_id: s.room for s in sessions}
    devices = {s.device_id: s.device for s in sessions if s.device_id}
    return Everything(
        patient=patient,
        intakes=intakes,
        screenings=screenings,
        consents=consents,
        sessions=sessions,
        messages=messages,
        practitioners=sorted(practitioners.values(), key=lambda p: p.pk),
        rooms=sorted(rooms.values(), key=lambda r: r.pk),
        devices=sorted(devices.values(), key=lambda d: d.pk),
    )


def everything_resources(data: Everything) -> list[Resource]:
    """The patient's $everything: the Patient, then each record, then the Questionnaire and
    the practitioners, rooms and devices the records point to."""
    resources: list[Resource] = [shapes.patient(data.patient)]
    resources += [shapes.questionnaire_response(i) for i in data.intakes]
    resources += [shapes.risk_assessment(s) for s in data.screenings]
    resources += [consent_resource(c) for c in data.consents]
    resources += [shapes.appointment(s) for s in data.sessions]
    resources += [procedure_resource(s) for s in data.completed]
    resources += [shapes.communication(m) for m in data.messages]
    if data.intakes:
        resources.append(shapes.questionnaire())
    resources += [shapes.practitioner(p) for p in data.practitioners]
    resources += [shapes.location(r) for r in data.rooms]
    resources += [shapes.device(d) for d in data.devices]
    return resources
