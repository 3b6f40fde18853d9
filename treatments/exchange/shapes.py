"""The clinic's records as FHIR R4 resources (plain dicts, ready for JSON).

Each builder takes rows already loaded with what it shows (the selectors join them) and runs
no query: a page of a hundred appointments costs what one does. Ids are the ones the REST
API shows: a patient's, an intake's, a screening's, a consent's, a session's and a message's
public UUID; a practitioner's, a room's and a device's number. An Appointment and, once it is
completed, a Procedure share their session's id (and its identifier). Empty values are left
out, as FHIR requires (no "" and no []).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from clinic import api as clinic_api
from patients import vocabulary
from patients.consent import TEMPLATES as CONSENT_TEMPLATES
from patients.consent import current_version
from patients.models import Consent, IntakeSubmission, Patient, ScreeningResult
from treatments.messaging.models import Message
from treatments.scheduling.models import Device, Practitioner, Room, Session, SessionRecord

from . import codes

Resource = dict[str, Any]

# The date this server's CapabilityStatement was last changed (it changes with the code).
CAPABILITY_DATE = "2026-12-01"


# --- Small pieces -------------------------------------------------------------------------


def instant(moment: datetime) -> str:
    """An aware datetime as a FHIR instant, in UTC to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def day(value: date | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def ref(resource_type: str, resource_id: Any, display: str = "") -> dict:
    out = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str = "") -> dict:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(*codings: dict, text: str = "") -> dict:
    out: dict[str, Any] = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def ext(name: str, **value: Any) -> dict:
    """One of the clinic's extensions: `ext("valid-until", valueDate="2027-01-01")`."""
    return {"url": codes.extension(name), **value}


def sub(name: str, **value: Any) -> dict:
    """A part of a complex extension (its url is relative, as FHIR's own are)."""
    return {"url": name, **value}


def _compact(resource: Resource) -> Resource:
    """Drop None, "" and empty lists/dicts, at every depth (FHIR forbids empty values)."""

    def clean(value: Any) -> Any:
        if isinstance(value, Mapping):
            out = {k: clean(v) for k, v in value.items()}
            return {k: v for k, v in out.items() if not _empty(v)}
        if isinstance(value, list):
            items = [clean(v) for v in value]
            return [v for v in items if not _empty(v)]
        return value

    return clean(resource)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def staff_name(user) -> str:
    """A member of staff as the clinic names them (never their username: an address)."""
    if user is None:
        return ""
    return user.get_full_name() or "Clinic staff"


def area_concept(area: str) -> dict:
    """A treatment area: its SNOMED CT body structure where there is one, and always the
    clinic's own code with the words staff and patients see."""
    label = vocabulary.AREA_LABELS.get(area, area)
    codings = []
    if area in codes.AREA_SNOMED:
        code, display = codes.AREA_SNOMED[area]
        codings.append(coding(codes.SNOMED, code, display))
    codings.append(coding(codes.system("area"), area, label))
    return concept(*codings, text=label)


# --- Patient ------------------------------------------------------------------------------


def patient(p: Patient) -> Resource:
    preferred = p.preferred_channel
    telecom = []
    if p.email:
        telecom.append(
            {
                "system": "email",
                "value": p.email,
                "use": "home",
                "rank": 1 if preferred == "email" else 2,
            }
        )
    if p.phone:
        telecom.append(
            {
                "system": "phone",
                "value": p.phone,
                "use": "mobile",
                "rank": 1 if preferred == "sms" else 2,
            }
        )
    extensions = [
        ext(
            "contact-preferences",
            extension=[
                sub("preferred-channel", valueCode=preferred),
                sub("email-consent", valueBoolean=p.email_consent),
                sub("sms-consent", valueBoolean=p.sms_consent),
            ],
        )
    ]
    if p.fitzpatrick:
        extensions.append(
            ext(
                "fitzpatrick-skin-type",
                valueCoding=coding(
                    codes.system("fitzpatrick"), p.fitzpatrick, f"Type {p.fitzpatrick}"
                ),
            )
        )
    if p.archived_at:
        extensions.append(ext("archived-at", valueDateTime=instant(p.archived_at)))
    return _compact(
        {
            "resourceType": "Patient",
            "id": str(p.public_id),
            "meta": {"lastUpdated": instant(p.updated_at)} if p.updated_at else None,
            "extension": extensions,
            "identifier": [
                {
                    "use": "usual",
                    "system": codes.identifier_system("patient"),
                    "value": str(p.public_id),
                }
            ],
            "active": not p.is_archived,
            "name": [
                {
                    "use": "official",
                    "text": p.full_name,
                    "family": p.last_name,
                    "given": [p.first_name],
                }
            ],
            "telecom": telecom,
            "birthDate": day(p.date_of_birth),
        }
    )


# --- The intake questionnaire and its answers --------------------------------------------


def questionnaire_id(version: str = vocabulary.QUESTIONNAIRE_VERSION) -> str:
    return f"intake-{version}"


def _answer_system(key: str) -> str:
    return codes.system(f"intake-{key.replace('_', '-')}")


_ITEM_TYPES = {"bool": "boolean", "choice": "choice", "date": "date", "int": "integer"}


def questionnaire() -> Resource:
    """The intake vocabulary (DESIGN.md §4.1) as a Questionnaire: its groups, each question
    in the words staff read aloud, the choices, and which answers may be left empty."""
    groups = []
    for group, title in vocabulary.GROUPS:
        items = []
        for question in vocabulary.QUESTIONS.values():
            if question.group != group:
                continue
            item: dict[str, Any] = {
                "linkId": question.key,
                "text": question.label,
                "type": _ITEM_TYPES[question.kind],
                "required": not question.nullable,
            }
            if question.kind == "choice":
                item["answerOption"] = [
                    {"valueCoding": coding(_answer_system(question.key), value, label)}
                    for value, label in question.choices
                ]
            if question.expires:
                item["extension"] = [ext("asked-before-every-session", valueBoolean=True)]
            items.append(item)
        groups.append({"linkId": group, "text": title, "type": "group", "item": items})
    groups.append(
        {
            "linkId": "areas",
            "text": "Which areas are planned for treatment?",
            "type": "choice",
            "required": True,
            "repeats": True,
            "answerOption": [
                {"valueCoding": coding(codes.system("area"), code, label)}
                for code, label in vocabulary.AREAS
            ],
        }
    )
    return _compact(
        {
            "resourceType": "Questionnaire",
            "id": questionnaire_id(),
            "url": codes.questionnaire_url(),
            "version": vocabulary.QUESTIONNAIRE_VERSION,
            "name": "MicroneedlingIntake",
            "title": "Health questions before microneedling",
            "status": "active",
            "subjectType": ["Patient"],
            "item": groups,
        }
    )


def _answer(question: vocabulary.Question | None, key: str, value: Any) -> list[dict]:
    if value is None:
        return []
    if question is None:  # a key of an older questionnaire version
        return [{"valueString": str(value)}]
    if question.kind == "bool":
        return [{"valueBoolean": bool(value)}]
    if question.kind == "int":
        return [{"valueInteger": int(value)}]
    if question.kind == "date":
        return [{"valueDate": day(value)}]
    label = dict(question.choices).get(value, "")
    return [{"valueCoding": coding(_answer_system(key), str(value), label)}]


def questionnaire_response(intake: IntakeSubmission) -> Resource:
    """One questionnaire taken: the answers grouped as the Questionnaire asks them; an answer
    carried from the full intake into a pre-session check says so."""
    answers = dict(intake.answers or {})
    carried = set(intake.carried_keys or [])
    groups = []
    for group, title in vocabulary.GROUPS:
        items = []
        for question in vocabulary.QUESTIONS.values():
            if question.group != group or question.key not in answers:
                continue
            value = answers.pop(question.key)
            items.append(
                {
                    "linkId": question.key,
                    "text": question.label,
                    "answer": _answer(question, question.key, value),
                    "extension": [ext("carried-forward", valueBoolean=True)]
                    if question.key in carried
                    else None,
                }
            )
        if items:
            groups.append({"linkId": group, "text": title, "item": items})
    if answers:  # keys this version of the vocabulary no longer asks
        groups.append(
            {
                "linkId": "other",
                "text": "Other answers",
                "item": [
                    {"linkId": key, "text": key, "answer": _answer(None, key, value)}
                    for key, value in sorted(answers.items())
                ],
            }
        )
    groups.append(
        {
            "linkId": "areas",
            "text": "Which areas are planned for treatment?",
            "answer": [
                {
                    "valueCoding": coding(
                        codes.system("area"), area, vocabulary.AREA_LABELS.get(area, "")
                    )
                }
                for area in intake.areas or []
            ],
        }
    )
    if intake.submitted_by_patient:
        author = ref("Patient", intake.patient.public_id)
    else:
        author = {"display": staff_name(intake.submitted_by)}
    return _compact(
        {
            "resourceType": "QuestionnaireResponse",
            "id": str(intake.public_id),
            "extension": [
                ext(
                    "intake-kind",
                    valueCoding=coding(
                        codes.system("intake-kind"), intake.kind, intake.get_kind_display()
                    ),
                )
            ],
            "questionnaire": f"{codes.questionnaire_url()}|{intake.questionnaire_version}",
            "status": "completed",
            "subject": ref("Patient", intake.patient.public_id),
            "authored": instant(intake.submitted_at),
            "author": author,
            "item": groups,
        }
    )


# --- Screening ----------------------------------------------------------------------------

_OUTCOME_LABELS = {
    "blocked": "Blocked",
    "defer": "Deferred",
    "review": "Needs a practitioner's review",
    "cleared": "Cleared",
    "advise": "Advice",
}


def _outcome(code: str) -> dict:
    return concept(coding(codes.system("screening-outcome"), code, _OUTCOME_LABELS.get(code, "")))


def risk_assessment(result: ScreeningResult) -> Resource:
    """A screening result (DESIGN.md §4.2): its outcome, each finding with the reason staff
    read, the date a deferral lasts until, how long it is valid, and a practitioner's
    sign-off."""
    predictions = []
    for finding in result.findings or []:
        predictions.append(
            {
                "extension": [ext("defer-until", valueDate=finding.get("defer_until"))]
                if finding.get("defer_until")
                else None,
                "outcome": concept(
                    coding(codes.system("screening-rule"), str(finding.get("rule", ""))),
                    text=finding.get("message", ""),
                ),
                "qualitativeRisk": _outcome(str(finding.get("outcome", ""))),
                "rationale": finding.get("message", ""),
            }
        )
    extensions = [
        ext("screening-outcome", valueCoding=_outcome(result.outcome)["coding"][0]),
        ext("valid-until", valueDate=day(result.valid_until)),
        ext("cleared-for-treatment", valueBoolean=result.cleared_for_treatment),
    ]
    if result.defer_until:
        extensions.append(ext("defer-until", valueDate=day(result.defer_until)))
    notes = []
    if result.is_signed_off:
        who = staff_name(result.signed_off_by)
        extensions.append(
            ext(
                "sign-off",
                extension=[
                    sub("by", valueString=who),
                    sub("at", valueDateTime=instant(result.signed_off_at)),
                    sub("reason", valueString=result.sign_off_reason),
                    sub("overrides-deferral", valueBoolean=result.defer_overridden),
                ],
            )
        )
        text = f"Signed off by a practitioner: {result.sign_off_reason}"
        if result.defer_overridden:
            text += " (the acne deferral is overridden)"
        notes.append({"authorString": who, "time": instant(result.signed_off_at), "text": text})
    return _compact(
        {
            "resourceType": "RiskAssessment",
            "id": str(result.public_id),
            "extension": extensions,
            "status": "amended" if result.is_signed_off else "final",
            "method": concept(
                coding(codes.system("screening-ruleset"), result.ruleset_version),
                text=f"The clinic's screening rules, version {result.ruleset_version}",
            ),
            "code": concept(
                coding(
                    codes.system("assessment"),
                    "microneedling-screening",
                    "Screening before microneedling",
                )
            ),
            "subject": ref("Patient", result.patient.public_id),
            "occurrenceDateTime": instant(result.screened_at),
            "basis": [ref("QuestionnaireResponse", result.submission.public_id)],
            "prediction": predictions,
            "note": notes,
        }
    )


# --- Consent ------------------------------------------------------------------------------


def consent(row: Consent, *, latest: bool) -> Resource:
    """A signed consent. `active` while it is the patient's latest of its kind and signed
    against the current text; a later signing or a new version of the text makes it
    `inactive` (the app records no withdrawal of a signed consent: a patient's e-mail and
    SMS consent are on the Patient, under contact preferences)."""
    template = CONSENT_TEMPLATES.get(row.kind)
    current = latest and template is not None and row.template_version == current_version(row.kind)
    scope_code, scope_display = codes.CONSENT_SCOPES.get(
        row.kind, ("patient-privacy", "Privacy Consent")
    )
    title = template.title if template else row.get_kind_display()
    return _compact(
        {
            "resourceType": "Consent",
            "id": str(row.public_id),
            "status": "active" if current else "inactive",
            "scope": concept(coding(codes.CONSENT_SCOPE, scope_code, scope_display)),
            "category": [
                concept(
                    coding(codes.LOINC, "59284-0", "Patient Consent"),
                    coding(codes.system("consent-kind"), row.kind, row.get_kind_display()),
                )
            ],
            "patient": ref("Patient", row.patient.public_id),
            "dateTime": instant(row.signed_at),
            "performer": [ref("Patient", row.patient.public_id, row.signed_name)],
            "policyRule": concept(
                coding(codes.system("consent-text"), f"{row.kind}-{row.template_version}"),
                text=f"{title}, version {row.template_version}",
            ),
            "provision": {"type": "permit"},
        }
    )


# --- Sessions -----------------------------------------------------------------------------


def _session_identifier(session: Session) -> list[dict]:
    return [{"system": codes.identifier_system("session"), "value": str(session.public_id)}]


def _indication(session: Session) -> dict:
    protocol = session.course.protocol
    return concept(
        coding(codes.system("indication"), protocol.indication, protocol.get_indication_display()),
        text=protocol.get_indication_display(),
    )


def appointment(session: Session) -> Resource:
    """A session as an Appointment: its status in HL7's codes, the patient, the
    practitioner, the room (a Location) and the pen (a Device) as participants."""
    course = session.course
    participants = [
        {
            "actor": ref("Patient", session.patient.public_id),
            "required": "required",
            "status": "accepted",
        },
        {
            "type": [concept(coding(codes.PARTICIPANT_TYPE, "PPRF", "primary performer"))],
            "actor": ref(
                "Practitioner", session.practitioner_id, session.practitioner.display_name
            ),
            "required": "required",
            "status": "accepted",
        },
        {
            "actor": ref("Location", session.room_id, session.room.name),
            "required": "required",
            "status": "accepted",
        },
    ]
    if session.device_id:
        participants.append(
            {
                "actor": ref("Device", session.device_id, session.device.name),
                "required": "required",
                "status": "accepted",
            }
        )
    cancelled = session.status == Session.Status.CANCELLED
    return _compact(
        {
            "resourceType": "Appointment",
            "id": str(session.public_id),
            "identifier": _session_identifier(session),
            "status": codes.APPOINTMENT_STATUS[session.status],
            "cancelationReason": concept(text=session.cancel_reason) if cancelled else None,
            "serviceType": [
                concept(coding(codes.system("procedure"), "microneedling", "Microneedling"))
            ],
            "reasonCode": [_indication(session)],
            "description": (
                f"{course.protocol.name}: session {session.number} of {course.planned_sessions}"
            ),
            "supportingInformation": [ref("RiskAssessment", session.screening.public_id)]
            if session.screening_id
            else None,
            "start": instant(session.starts_at),
            "end": instant(session.ends_at),
            "minutesDuration": int((session.ends_at - session.starts_at).total_seconds() // 60),
            "created": instant(session.created_at) if session.created_at else None,
            "participant": participants,
        }
    )


def _decimal(value: Decimal) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else number


def _record_note(record: SessionRecord) -> str:
    label = vocabulary.AREA_LABELS.get(record.area, record.area)
    parts = [
        f"{label}: device setting {record.device_setting_mm} mm",
        f"{record.passes} pass{'es' if record.passes != 1 else ''}",
        f"cartridge lot {record.cartridge_lot}",
    ]
    for name, value in (
        ("endpoint", record.endpoint),
        ("numbing", record.numbing_product),
        ("immediate reaction", record.immediate_reaction),
        ("reason for the depth", record.depth_reason),
        ("notes", record.notes),
    ):
        if value:
            parts.append(f"{name} {value}")
    return "; ".join(parts) + "."


def _record_extension(record: SessionRecord) -> dict:
    return ext(
        "area-chart",
        extension=[
            sub(
                "area",
                valueCoding=coding(
                    codes.system("area"), record.area, vocabulary.AREA_LABELS.get(record.area, "")
                ),
            ),
            sub("device-setting-mm", valueDecimal=_decimal(record.device_setting_mm)),
            sub("passes", valueInteger=record.passes),
            sub("cartridge-lot", valueString=record.cartridge_lot),
            sub("endpoint", valueString=record.endpoint),
            sub("numbing-product", valueString=record.numbing_product),
            sub("immediate-reaction", valueString=record.immediate_reaction),
            sub("depth-reason", valueString=record.depth_reason),
            sub("notes", valueString=record.notes),
        ],
    )


def procedure(session: Session, records: Iterable[SessionRecord]) -> Resource:
    """A completed session as a Procedure: the areas charted as body sites, and for each its
    device setting (depth), passes and cartridge lot, as a note in words and as the
    clinic's `area-chart` extension."""
    records = list(records)
    areas = [r.area for r in records] or list(session.course.areas or [])
    return _compact(
        {
            "resourceType": "Procedure",
            "id": str(session.public_id),
            "extension": [_record_extension(r) for r in records],
            "identifier": _session_identifier(session),
            "status": "completed",
            "code": concept(
                coding(
                    codes.system("procedure"),
                    "microneedling",
                    "Microneedling (collagen induction therapy)",
                ),
                text="Microneedling",
            ),
            "subject": ref("Patient", session.patient.public_id),
            "performedPeriod": {
                "start": instant(session.starts_at),
                "end": instant(session.ends_at),
            },
            "performer": [
                {
                    "actor": ref(
                        "Practitioner", session.practitioner_id, session.practitioner.display_name
                    )
                }
            ],
            "location": ref("Location", session.room_id, session.room.name),
            "reasonCode": [_indication(session)],
            "bodySite": [area_concept(area) for area in areas],
            "focalDevice": [{"manipulated": ref("Device", session.device_id, session.device.name)}]
            if session.device_id
            else None,
            "note": [{"text": _record_note(r)} for r in records],
        }
    )


# --- Messages -----------------------------------------------------------------------------


def communication(message: Message) -> Resource:
    """A message sent to the patient: its kind, by e-mail or SMS, when, about which session.
    The words themselves are not kept (they are rendered as they are sent)."""
    medium_code, medium_display = codes.MEDIUM[message.channel]
    return _compact(
        {
            "resourceType": "Communication",
            "id": str(message.public_id),
            "status": "completed",
            "category": [
                concept(
                    coding(codes.system("message-kind"), message.kind, message.get_kind_display()),
                    text=message.get_kind_display(),
                )
            ],
            "medium": [
                concept(
                    coding(codes.PARTICIPATION_MODE, medium_code, medium_display),
                    coding(
                        codes.system("message-channel"),
                        message.channel,
                        message.get_channel_display(),
                    ),
                )
            ],
            "subject": ref("Patient", message.patient.public_id),
            "about": [ref("Appointment", message.session.public_id)]
            if message.session_id
            else None,
            "sent": instant(message.sent_at) if message.sent_at else None,
            "recipient": [ref("Patient", message.patient.public_id)],
            "topic": concept(text=message.get_kind_display()),
        }
    )


# --- The clinic's resources ---------------------------------------------------------------


def practitioner(row: Practitioner) -> Resource:
    return _compact(
        {
            "resourceType": "Practitioner",
            "id": str(row.pk),
            "identifier": [
                {"system": codes.identifier_system("practitioner"), "value": str(row.pk)}
            ],
            "active": row.active,
            "name": [{"text": row.display_name}],
        }
    )


def location(room: Room) -> Resource:
    return _compact(
        {
            "resourceType": "Location",
            "id": str(room.pk),
            "status": "active" if room.active else "inactive",
            "name": room.name,
            "mode": "instance",
            "physicalType": concept(coding(codes.LOCATION_TYPE, "ro", "Room")),
        }
    )


def device(row: Device) -> Resource:
    return _compact(
        {
            "resourceType": "Device",
            "id": str(row.pk),
            "identifier": [{"system": codes.identifier_system("device"), "value": row.serial}],
            "status": "active" if row.active else "inactive",
            "manufacturer": row.manufacturer,
            "serialNumber": row.serial,
            "deviceName": [{"name": row.name, "type": "user-friendly-name"}],
            "modelNumber": row.model,
            "type": concept(text="Microneedling device"),
            "note": [{"text": f"Regulatory status: {row.regulatory_status}"}]
            if row.regulatory_status
            else None,
        }
    )


# --- Bundles, errors, the server's statement ----------------------------------------------


def bundle(
    entries: Iterable[tuple[Resource, str]],
    *,
    total: int | None = None,
    links: Iterable[tuple[str, str]] = (),
    mode: str = "match",
    timestamp: datetime | None = None,
) -> Resource:
    """A searchset Bundle of (resource, full URL) pairs."""
    out: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if timestamp is not None:
        out["timestamp"] = instant(timestamp)
    if total is not None:
        out["total"] = total
    out["link"] = [{"relation": relation, "url": url} for relation, url in links]
    out["entry"] = [
        {"fullUrl": url, "resource": resource, "search": {"mode": mode}}
        for resource, url in entries
    ]
    return _compact(out)


operation_outcome = clinic_api.operation_outcome


def capability_statement(
    resources: Mapping[str, Iterable[tuple[str, str, str]]], *, url: str, name: str
) -> Resource:
    """What this server does: read and search each type with the parameters given as
    (name, FHIR type, what it matches), and Patient/$everything."""
    rest_resources = []
    for resource_type, params in resources.items():
        item: dict[str, Any] = {
            "type": resource_type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": pname, "type": ptype, "documentation": doc} for pname, ptype, doc in params
            ],
        }
        if resource_type == "Patient":
            item["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        rest_resources.append(item)
    return _compact(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": CAPABILITY_DATE,
            "publisher": name,
            "kind": "instance",
            "software": {"name": "Clinic"},
            "implementation": {"description": f"{name}: read-only FHIR API", "url": url},
            "fhirVersion": codes.FHIR_VERSION,
            "format": [codes.FHIR_JSON, "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": "Read-only. Staff accounts only, by API token "
                    "(Authorization: Token ...) or a logged-in session. Every read is audited.",
                    "security": {
                        "cors": False,
                        "description": "Token (POST /api/auth/token/) or session authentication.",
                    },
                    "resource": rest_resources,
                    "searchParam": [
                        {
                            "name": "_count",
                            "type": "number",
                            "documentation": "Entries per page, 1 to 200 (50).",
                        },
                        {
                            "name": "_offset",
                            "type": "number",
                            "documentation": "Entries to skip (paging).",
                        },
                    ],
                }
            ],
        }
    )
