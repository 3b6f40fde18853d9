"""The outbox listens to what scheduling, patients and staff accounts announce (connected in
`TreatmentsConfig.ready`); each handler runs inside the announcing transaction."""

from patients.signals import contact_consent_withdrawn
from treatments.scheduling import signals as scheduling

from . import outbox, staff_links


def booked(sender, *, sessions, **kwargs) -> None:
    outbox.on_booked(sessions)


def rescheduled(sender, *, session, **kwargs) -> None:
    outbox.on_rescheduled(session)


def cancelled(sender, *, session, **kwargs) -> None:
    outbox.on_cancelled(session)


def moved(sender, *, sessions, **kwargs) -> None:
    outbox.on_moved(sessions)


def course_cancelled(sender, *, course, sessions, **kwargs) -> None:
    outbox.on_course_cancelled(sessions)


def course_completed(sender, *, course, session, **kwargs) -> None:
    outbox.on_course_completed(session)


def no_show(sender, *, session, **kwargs) -> None:
    outbox.on_no_show(session)


def completed(sender, *, session, course_completed, **kwargs) -> None:
    outbox.on_completed(session, course_completed=course_completed)


def consent_withdrawn(sender, *, patient, channel, **kwargs) -> None:
    outbox.on_consent_withdrawn(patient, channel)


def connect() -> None:
    pairs = (
        (scheduling.sessions_booked, booked),
        (scheduling.session_rescheduled, rescheduled),
        (scheduling.session_cancelled, cancelled),
        (scheduling.session_no_show, no_show),
        (scheduling.session_completed, completed),
        (scheduling.sessions_moved, moved),
        (scheduling.course_cancelled, course_cancelled),
        (scheduling.course_completed, course_completed),
        (contact_consent_withdrawn, consent_withdrawn),
    )
    for signal, handler in pairs:
        signal.connect(handler, dispatch_uid=f"messaging.{handler.__name__}")
    staff_links.connect()
