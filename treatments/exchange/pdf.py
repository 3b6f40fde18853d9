"""Everything the clinic holds about one patient as a readable PDF: the same records as the
FHIR `$everything` bundle (`selectors.everything`), in plain words and the clinic's wall-clock
time. weasyprint turns `templates/exchange/record.html` into the PDF, as it does the
aftercare sheet; nothing is fetched from anywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.template.loader import render_to_string

from clinic.clock import DATE, DATE_TIME, clinic_today, local_format
from clinic.contact import contact_context
from patients import vocabulary
from patients.consent import TEMPLATES as CONSENT_TEMPLATES
from treatments.scheduling.models import Session

from . import shapes
from .selectors import Everything, consent_resource

try:  # weasyprint loads the system's pango libraries as it is imported
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher
except OSError:  # a machine without them still runs the app (DESIGN.md §2); no PDF there
    HTML = URLFetcher = None

PDF = "application/pdf"
NO_PDF = (
    "This server cannot make PDFs: it lacks the pango libraries (libpango-1.0-0 and "
    "libpangoft2-1.0-0). The FHIR download has the same records."
)
YES_NO = {True: "Yes", False: "No"}


class PdfUnavailable(Exception):
    """No PDF can be made on this machine (`NO_PDF`)."""


def _answer_text(question: vocabulary.Question | None, value: Any) -> str:
    if value is None:
        return "None" if question is not None and question.kind == "int" else "Not applicable"
    if question is None:
        return str(value)
    if question.kind == "bool":
        return YES_NO[bool(value)]
    if question.kind == "choice":
        return dict(question.choices).get(value, str(value))
    if question.kind == "date":
        return local_format(_as_date(value), DATE)
    return f"{value} days ago"


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _areas(codes: list[str]) -> str:
    return ", ".join(vocabulary.AREA_LABELS.get(c, c) for c in codes) or "None"


def _intake(intake) -> dict:
    answers = dict(intake.answers or {})
    carried = set(intake.carried_keys or [])
    rows = []
    for key, question in vocabulary.QUESTIONS.items():
        if key in answers:
            rows.append(
                {
                    "question": question.label,
                    "answer": _answer_text(question, answers.pop(key)),
                    "carried": key in carried,
                }
            )
    rows += [
        {"question": key, "answer": _answer_text(None, v), "carried": False}
        for key, v in sorted(answers.items())
    ]
    return {
        "title": intake.get_kind_display(),
        "when": local_format(intake.submitted_at, DATE_TIME),
        "by": "the patient"
        if intake.submitted_by_patient
        else shapes.staff_name(intake.submitted_by),
        "version": intake.questionnaire_version,
        "areas": _areas(intake.areas or []),
        "answers": rows,
    }


def _screening(result) -> dict:
    findings = [
        {
            "message": f.get("message", ""),
            "outcome": shapes._OUTCOME_LABELS.get(f.get("outcome", ""), f.get("outcome", "")),
            "defer_until": local_format(_as_date(f["defer_until"]), DATE)
            if f.get("defer_until")
            else "",
        }
        for f in result.findings or []
    ]
    sign_off = ""
    if result.is_signed_off:
        sign_off = (
            f"Signed off by {shapes.staff_name(result.signed_off_by)} on "
            f"{local_format(result.signed_off_at, DATE_TIME)}: {result.sign_off_reason}"
        )
        if result.defer_overridden:
            sign_off += " (the acne deferral is overridden)"
    return {
        "outcome": result.get_outcome_display(),
        "when": local_format(result.screened_at, DATE_TIME),
        "valid_until": local_format(result.valid_until, DATE),
        "defer_until": local_format(result.defer_until, DATE) if result.defer_until else "",
        "ruleset": result.ruleset_version,
        "findings": findings,
        "sign_off": sign_off,
    }


def _consent(row) -> dict:
    template = CONSENT_TEMPLATES.get(row.kind)
    active = consent_resource(row)["status"] == "active"
    return {
        "title": template.title if template else row.get_kind_display(),
        "version": row.template_version,
        "signed_name": row.signed_name,
        "when": local_format(row.signed_at, DATE_TIME),
        "status": "Current"
        if active
        else "No longer current (signed again later, or the text has changed)",
    }


def _session(session: Session) -> dict:
    course = session.course
    charts = [
        {
            "area": vocabulary.AREA_LABELS.get(r.area, r.area),
            "setting": f"{r.device_setting_mm} mm",
            "passes": r.passes,
            "lot": r.cartridge_lot,
            "endpoint": r.endpoint,
            "numbing": r.numbing_product,
            "reaction": r.immediate_reaction,
            "notes": "; ".join(x for x in (r.depth_reason, r.notes) if x),
        }
        for r in session.fhir_records
    ]
    return {
        "title": f"{course.protocol.name}: session {session.number} of {course.planned_sessions}",
        "when": local_format(session.starts_at, DATE_TIME),
        "status": session.get_status_display(),
        "practitioner": session.practitioner.display_name,
        "room": session.room.name,
        "device": str(session.device) if session.device_id else "",
        "areas": _areas(list(course.areas or [])),
        "cancel_reason": session.cancel_reason,
        "charts": charts,
    }


def record_context(data: Everything) -> dict:
    p = data.patient
    contact = contact_context()
    details = [
        ("Name", p.full_name),
        ("Date of birth", local_format(p.date_of_birth, DATE)),
        ("E-mail", p.email or "None"),
        ("Phone", p.phone or "None"),
        ("Preferred way to contact", p.get_preferred_channel_display()),
        ("Agreed to e-mail", YES_NO[p.email_consent]),
        ("Agreed to SMS", YES_NO[p.sms_consent]),
        ("Skin type (Fitzpatrick)", p.fitzpatrick or "Not recorded"),
        ("Record created", local_format(p.created_at, DATE)),
        ("Patient id", str(p.public_id)),
    ]
    if p.archived_at:
        details.append(("Archived", f"{local_format(p.archived_at, DATE)}: {p.archive_reason}"))
    return {
        "clinic_name": contact["clinic_name"],
        "clinic_phone": contact["clinic_phone"],
        "made_on": local_format(clinic_today(), DATE),
        "patient_name": p.full_name,
        "details": details,
        "intakes": [_intake(i) for i in data.intakes],
        "screenings": [_screening(s) for s in data.screenings],
        "consents": [_consent(c) for c in data.consents],
        "sessions": [_session(s) for s in data.sessions],
        "messages": [
            {
                "kind": m.get_kind_display(),
                "channel": m.get_channel_display(),
                "when": local_format(m.sent_at, DATE_TIME),
            }
            for m in data.messages
        ],
    }


def record_html(data: Everything) -> str:
    return render_to_string("exchange/record.html", record_context(data))


def record_pdf(data: Everything) -> bytes:
    if HTML is None:
        raise PdfUnavailable(NO_PDF)
    fetcher = URLFetcher(allowed_protocols=frozenset())
    return HTML(string=record_html(data), url_fetcher=fetcher).write_pdf()


def record_filename() -> str:
    """ "clinic-record-2027-03-01.pdf": the day it was made, never the patient's name."""
    return f"clinic-record-{clinic_today().isoformat()}"
