"""The one way a message becomes words: an e-mail's subject, text and HTML parts from
`templates/messaging/emails/<kind>/`, an SMS from `templates/messaging/sms/<kind>.txt`.

Every kind gets the clinic's name, phone and emergency number (`clinic.contact`) and shows
times on the clinic's clock (`clinic.clock.local_format`). What only a higher package knows
(a fresh one-time link, a reaction flag's summary, the aftercare sheet's PDF) comes from a
provider which that package registers here at start-up (`register_context`,
`register_attachment`, from `TreatmentsConfig.ready`), so messaging never imports the portal
(DESIGN.md §3). Providers run in the worker at send time, once per attempt; one may raise
`Unwanted` when the message must not go out after all. `register_check` adds a kind's own
"is it still wanted?" rule to the worker's re-check (`sending.unwanted`).

An SMS carries the essentials in its own words, because a patient who prefers texts may have
no portal account (issue 10 item 7): what to avoid and for how long, the warning signs in
short, the clinic's phone and the emergency number, with the portal link as an extra. It says
them in generic words, the same for every patient: its template can reach only `SMS_KEYS`,
which hold a first name and nothing else about the patient (no areas, conditions, findings).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from django.template.loader import render_to_string

from clinic.clock import WHEN, local_format
from clinic.contact import contact_context
from patients.vocabulary import FACE_AREAS
from treatments.scheduling.models import CancelledBy, Session, SessionRecord

from .models import EMAIL_ONLY_KINDS, LINK_KINDS, TO_STAFF_KINDS, Message

Kind = Message.Kind

# Where each kind of message points in the patient portal. Paths only: the portal knows
# who is logged in, so no patient data ever goes into a link.
PORTAL_PATHS = {
    Kind.BOOKING_CONFIRMATION: "/portal/",
    Kind.PRE_SESSION_CHECK: "/portal/questions/",
    Kind.REMINDER_48H: "/portal/",
    Kind.REMINDER_24H: "/portal/",
    Kind.AFTERCARE: "/portal/after-your-visit/",
    Kind.CHECKIN_24H: "/portal/after-your-visit/",
    Kind.CHECKIN_72H: "/portal/after-your-visit/",
    Kind.CHECKIN_7D: "/portal/after-your-visit/",
    Kind.AFTERCARE_SHEET: "/portal/after-your-visit/",
    Kind.REVIEW_4W: "/portal/",
    Kind.REVIEW_3M: "/portal/",
    Kind.REVIEW_6M: "/portal/",
    Kind.SESSION_MOVED: "/portal/",
    Kind.SESSIONS_MOVED: "/portal/",
    Kind.SESSION_CANCELLED: "/portal/",
    Kind.COURSE_CANCELLED: "/portal/",
}
# All an SMS may use (DESIGN.md §6, issue 10 item 7): of the patient, a first name only; of
# the session, its time (and, in a notice of a move or a course's cancellation, the times of
# the sessions it names: `times`), and whether the clinic rather than the patient cancelled
# (`by_clinic`: the text apologises); and what is the same for every patient: the clinic's
# name and phone, the emergency number, how long before a session to stop retinoids (clinic
# policy), a portal link and how long a one-time link works. The clinical essentials are
# written in the templates in generic words; nothing about the patient's areas, conditions or
# findings (not even whether the face was treated) is in reach of an SMS template.
SMS_KEYS = frozenset(
    {
        "first_name",
        "clinic_name",
        "clinic_phone",
        "emergency_number",
        "when",
        "retinoid_stop",
        "link",
        "hours",
        "times",
        "by_clinic",
    }
)
# Areas whose patients read the make-up and pillowcase lines: the same set as the portal's
# aftercare (`treatments.portal.aftercare.FACE_AND_NECK`; a test keeps the two equal).
FACE_AND_NECK = FACE_AREAS | {"neck", "decolletage"}

ContextProvider = Callable[[Message], dict]
Check = Callable[[Message], str]
_providers: dict[str, ContextProvider] = {}
_checks: dict[str, Check] = {}


class Unwanted(Exception):
    """Raised by a provider: the message must not be sent (it is `skipped` with this
    reason, which staff read in the message log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


AttachmentProvider = Callable[[Message], list[Attachment]]
_attachments: dict[str, AttachmentProvider] = {}


# --- The registry -------------------------------------------------------------------------


def register_context(kind: str, provider: ContextProvider) -> None:
    """`provider(message)` adds to the context of every message of `kind`, at send time."""
    _providers[kind] = provider


def register_attachment(kind: str, provider: AttachmentProvider) -> None:
    """`provider(message)` gives the files an e-mail of `kind` carries, made at send time (the
    task still gets the message id only). Without one, a kind's e-mails carry none."""
    _attachments[kind] = provider


def register_check(kind: str, check: Check) -> None:
    """`check(message)` says why a message of `kind` must not go out any more ("" if it
    still may); the worker asks just before each attempt."""
    _checks[kind] = check


def check(message: Message) -> str:
    registered = _checks.get(message.kind)
    return registered(message) if registered else ""


# --- What every message may say -----------------------------------------------------------


def format_when(moment: datetime) -> str:
    """The moment on the clinic's wall clock, e.g. "Monday 30 March at 10:00"."""
    return local_format(moment, WHEN)


def portal_url(path: str) -> str:
    """An absolute portal address for messages: the base and a path, never patient data."""
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def portal_link(kind: str | None = None) -> str:
    return portal_url(PORTAL_PATHS.get(kind, "/portal/"))


def retinoid_stop() -> str:
    """How long before a session to stop retinoids and acids: clinic policy, 24 hours per the
    SkinPen handout, 3–7 days at many clinics (clinical reference §1.2 row 28, §3)."""
    hours = int(getattr(settings, "RETINOID_STOP_HOURS", 24))
    if hours % 24 == 0 and hours > 24:
        return f"{hours // 24} days"
    return f"{hours} hours"


def treats_face(session: Session) -> bool:
    """Whether the session's areas (as charted, or else as planned for the course) include
    the face or neck, as the portal's aftercare decides it."""
    charted = {record.area for record in session.records.all()}  # prefetched by `prepare`
    return bool((charted or set(session.course.areas)) & FACE_AND_NECK)


# Where `prepare` puts a booked course's active sessions for its confirmation.
ACTIVE_SESSIONS = "active_sessions_for_messages"


def _course_times(session: Session) -> list[str]:
    """The course's active sessions, in order, for a booking confirmation."""
    course = session.course
    starts = getattr(course, ACTIVE_SESSIONS, None)  # prefetched by `prepare`
    if starts is None:
        starts = Session.objects.filter(course_id=course.pk, status__in=Session.ACTIVE).order_by(
            "starts_at"
        )
    return [format_when(active.starts_at) for active in starts]


def prepare(messages: list[Message]) -> None:
    """Fetch what rendering these messages reads from other tables once for them all (a
    send task's batch), so that a message costs no query of its own: the charted areas of
    their sessions (`treats_face`) and, for booking confirmations, their courses' active
    sessions. The messages must come with `patient`, `session__course` and `recipient`
    (`sending._claimed` selects them). Rendering one message without it still works, a
    query or two dearer."""
    sessions = [message.session for message in messages if message.session is not None]
    prefetch_related_objects(
        sessions, Prefetch("records", queryset=SessionRecord.objects.only("session_id", "area"))
    )
    courses = [
        message.session.course
        for message in messages
        if message.kind == Kind.BOOKING_CONFIRMATION and message.session is not None
    ]
    prefetch_related_objects(
        courses,
        Prefetch(
            "sessions",
            queryset=Session.objects.filter(status__in=Session.ACTIVE)
            .order_by("starts_at")
            .only("course_id", "starts_at"),
            to_attr=ACTIVE_SESSIONS,
        ),
    )


def context(message: Message) -> dict:
    """Everything the kind's templates may use. Calls the kind's provider (if any) once."""
    result: dict = {**contact_context(), "portal_url": portal_link()}
    if not message.to_staff:
        result["first_name"] = message.patient.first_name.strip()
    if message.kind in PORTAL_PATHS:
        result["link"] = portal_link(message.kind)
    session = message.session
    if session is not None:
        result["when"] = format_when(session.starts_at)
        result["session_minutes"] = int((session.ends_at - session.starts_at).total_seconds() // 60)
        result["retinoid_stop"] = retinoid_stop()
        result["face"] = treats_face(session)
    if message.kind == Kind.BOOKING_CONFIRMATION:
        result["sessions"] = _course_times(session)
    if message.kind in NOTICE_CONTEXT:
        result.update(NOTICE_CONTEXT[message.kind](session))
    provider = _providers.get(message.kind)
    if provider is not None:
        result.update(provider(message))
    elif message.kind in LINK_KINDS or message.kind in TO_STAFF_KINDS:
        # Without its provider such a message has no link to give: never send it half-made.
        raise LookupError(f"No context provider is registered for {message.kind} messages.")
    return result


def _times(sessions) -> list[str]:
    return [format_when(starts_at) for starts_at in sessions.values_list("starts_at", flat=True)]


def _moved_together(session: Session) -> dict:
    """A move of "this and following": the new times of the session and the later ones."""
    later = Session.objects.filter(
        course_id=session.course_id, status__in=Session.ACTIVE, starts_at__gte=session.starts_at
    ).order_by("starts_at")
    return {"times": _times(later)}


def _session_cancelled(session: Session) -> dict:
    return {"by_clinic": session.cancel_initiated_by != CancelledBy.PATIENT}


def _course_cancelled(session: Session) -> dict:
    """The appointments a course's cancellation called off: those still to come then."""
    course = session.course
    cancelled = Session.objects.filter(
        course_id=course.pk, status=Session.Status.CANCELLED, starts_at__gte=session.starts_at
    )
    if course.cancelled_at is not None:
        cancelled = cancelled.filter(status_changed_at__gte=course.cancelled_at)
    return {
        "times": _times(cancelled.order_by("starts_at")),
        "by_clinic": course.cancel_initiated_by != CancelledBy.PATIENT,
    }


# What a notice of a change by staff says beyond its session's time.
NOTICE_CONTEXT: dict[str, Callable[[Session], dict]] = {
    Kind.SESSION_MOVED: lambda session: {},
    Kind.SESSIONS_MOVED: _moved_together,
    Kind.SESSION_CANCELLED: _session_cancelled,
    Kind.COURSE_CANCELLED: _course_cancelled,
}


def sms_context(message: Message) -> dict:
    return {key: value for key, value in context(message).items() if key in SMS_KEYS}


# --- Rendering ----------------------------------------------------------------------------


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_email(message: Message) -> Rendered:
    values = context(message)
    folder = f"messaging/emails/{message.kind}"
    subject = " ".join(render_to_string(f"{folder}/subject.txt", values).split())
    attach = _attachments.get(message.kind)
    return Rendered(
        subject=subject,
        text=_tidy(render_to_string(f"{folder}/body.txt", values)),
        html=render_to_string(f"{folder}/body.html", values),
        attachments=tuple(attach(message)) if attach else (),
    )


class NoSuchChannel(ValueError):
    """A kind that goes by e-mail only (`EMAIL_ONLY_KINDS`) was asked for as an SMS."""


def render_sms(message: Message) -> str:
    """The SMS text, on one line. An e-mail-only kind has no SMS template and never gets one
    (the outbox's constraint keeps such rows off the SMS channel too)."""
    if message.kind in EMAIL_ONLY_KINDS:
        raise NoSuchChannel(f"{message.kind} messages go by e-mail only.")
    return " ".join(
        render_to_string(f"messaging/sms/{message.kind}.txt", sms_context(message)).split()
    )
