"""The aftercare sheet: a completed session's aftercare as a PDF, printed at checkout or
e-mailed (clinical reference §4: "printed or e-mailed aftercare with emergency number"; issue
10 item 7), so that a patient without a portal account has it all the same.

The words are the portal's, never a copy: the day-by-day stages come from
`services.aftercare_timeline` (the manager's lines or the reference's defaults, with the
face-only and cold-sore lines decided as the portal decides them), the warning and urgent
signs from `aftercare.WARNING_SIGNS` / `URGENT_SIGNS` through the portal's own partials, and
the clinic's name, phone and emergency number from `clinic.contact`. weasyprint turns
`templates/portal/aftercare_sheet.html` into the PDF.

E-mailing it goes through the outbox like every message (`aftercare_sheet_email`): an
`aftercare_sheet` row by e-mail, due now; the worker makes the PDF when it sends
(`sheet_attachment`, registered with messaging's renderer), so the task carries the
message id only and the PDF is never stored.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string

from clinic import audit
from clinic.clock import DATE_TIME, local_format, to_local
from clinic.contact import contact_context
from clinic.errors import Conflict, Forbidden
from clinic.models import User
from clinic.roles import FRONT_OFFICE, PLANNERS
from treatments.messaging import outbox, render
from treatments.messaging.models import Message
from treatments.scheduling.models import Session

from . import aftercare, services

try:  # weasyprint loads the system's pango libraries as it is imported
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher
except OSError:  # a machine without them still runs the app (DESIGN.md §2); no PDF there
    HTML = URLFetcher = None

SHEET = Message.Kind.AFTERCARE_SHEET
EMAIL = Message.Channel.EMAIL
Status = Message.Status
# Who prints and e-mails the sheet: the practitioner who completes the session, and the
# front desk who sees the patient out.
SHEET_ROLES = (*PLANNERS, *FRONT_OFFICE)
PDF = "application/pdf"
NO_PDF = (
    "This server cannot make PDFs: it lacks the pango libraries (libpango-1.0-0 and "
    "libpangoft2-1.0-0). Ask whoever runs it to install them."
)


class SheetUnavailable(Exception):
    """No PDF can be made on this machine (`NO_PDF`)."""


# --- Making the sheet ---------------------------------------------------------------------


def sheet_context(session: Session) -> dict:
    """What the sheet's template shows: every stage from the day of the session on (the
    sheet is read over the coming weeks, not only today), the signs, the contact numbers."""
    timeline = services.aftercare_timeline(session=session, today=services.completed_on(session))
    for stage in timeline.stages:
        stage.acknowledged_at = None  # the portal's "you confirmed reading this" is not for paper
    contact = contact_context()
    return {
        **contact,
        "CLINIC_PHONE": contact["clinic_phone"],  # the name the portal's partials use
        "CLINIC_NAME": contact["clinic_name"],
        "patient_name": session.patient.full_name,
        "session_day": local_format(session.starts_at, "l j F Y"),
        "stages": [timeline.today, *timeline.upcoming],
        "areas": timeline.areas,
        "warning_signs": aftercare.WARNING_SIGNS,
        "urgent_signs": aftercare.URGENT_SIGNS,
        "portal_link": render.portal_link(SHEET),
    }


def sheet_html(session: Session) -> str:
    return render_to_string("portal/aftercare_sheet.html", sheet_context(session))


def sheet_pdf(session: Session) -> bytes:
    """The sheet as a PDF (A4). It fetches nothing: no base URL, and a fetcher that allows
    no protocol (the template needs no image, font or stylesheet from anywhere)."""
    if HTML is None:
        raise SheetUnavailable(NO_PDF)
    fetcher = URLFetcher(allowed_protocols=frozenset())
    return HTML(string=sheet_html(session), url_fetcher=fetcher).write_pdf()


def sheet_filename(session: Session) -> str:
    """ "aftercare-2026-03-30.pdf": the session's local date, never the patient's name."""
    return f"aftercare-{to_local(session.starts_at).date().isoformat()}.pdf"


def sheet_email_context(message: Message) -> dict:
    """For messaging's renderer: the e-mail that carries the sheet lists the portal's warning
    signs too, in the portal's words, for a patient who cannot open the PDF."""
    return {"warning_signs": [sign.text for sign in aftercare.WARNING_SIGNS]}


def sheet_attachment(message: Message) -> list[render.Attachment]:
    """For messaging's renderer, in the worker at send time: the sheet of the message's
    session (the worker has already checked that the session is completed)."""
    session = message.session
    return [render.Attachment(sheet_filename(session), sheet_pdf(session), PDF)]


# --- E-mailing it -------------------------------------------------------------------------


def sheet_message(session: Session) -> Message | None:
    """The session's aftercare-sheet e-mail, if staff ever asked for one."""
    return Message.objects.filter(session=session, kind=SHEET, channel=EMAIL).first()


def email_refusal(session: Session, message: Message | None) -> str:
    """Why the sheet cannot be e-mailed now ("" when it can): staff read it on the session
    page, and print the sheet instead."""
    patient = session.patient
    if session.status != Session.Status.COMPLETED:
        return "The session is not completed, so there is no aftercare sheet yet."
    if HTML is None:
        return NO_PDF
    if patient.is_archived:
        return "This patient's record is archived."
    if not patient.email:
        return "The patient has no e-mail address on their record: print the sheet instead."
    if not patient.email_consent:
        return "The patient has not agreed to e-mail, or withdrew consent: print the sheet instead."
    if message is not None:
        if message.status == Status.SENT:
            when = local_format(message.sent_at, DATE_TIME)
            return f"The aftercare sheet was already e-mailed to the patient on {when}."
        if message.status in (Status.PENDING, Status.SENDING):
            when = local_format(message.updated_at, DATE_TIME)
            return f"The aftercare sheet is already on its way: it was asked for on {when}."
    return ""


@transaction.atomic
def aftercare_sheet_email(
    *, session: Session, by: User, request: HttpRequest | None = None
) -> Message:
    """E-mail the completed session's aftercare sheet to the patient, once: an outbox row due
    now, which the worker sends with the PDF attached. Refused (409) without an e-mail address
    or e-mail consent, and when the sheet was already e-mailed or is on its way; one that was
    skipped or failed may be asked for again. The session row is locked, so two clicks at
    once queue one e-mail."""
    if not by.is_authenticated or not by.has_role(*SHEET_ROLES):
        raise Forbidden("Only clinic staff can e-mail the aftercare sheet.")
    session = (
        Session.objects.select_for_update(of=("self",)).select_related("patient").get(pk=session.pk)
    )
    existing = outbox.requested(session=session, kind=SHEET, channel=EMAIL)
    reason = email_refusal(session, existing)
    if reason:
        raise Conflict(reason)
    message = outbox.write_requested(session=session, kind=SHEET, channel=EMAIL)
    audit.record(
        actor=by,
        action=audit.Action.CREATE if existing is None else audit.Action.UPDATE,
        obj=message,
        request=request,
        detail={"kind": SHEET, "channel": EMAIL},
    )
    return message
