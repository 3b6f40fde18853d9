"""The portal's sections on pages of lower apps (`clinic.panels`): the dashboard's tile of
what patients reported, and for the front desk the pre-session checks not answered yet and the
open requests to cancel or move; on the session page of a completed session, the aftercare sheet to
print or e-mail; on a booked course's page, the offer to invite the patient to the portal."""

from django.http import HttpRequest

from clinic import panels
from clinic.models import Role
from clinic.roles import FRONT_OFFICE, STAFF
from treatments.scheduling.models import Course, Session

from . import aftercare_sheet, check_ins, invites, services, work_queue


def reported_by_patients(*, request: HttpRequest) -> panels.Panel:
    """Counts only (no patient data on the dashboard); the staff page has the details. A
    practitioner always sees how many check-ins wait to be read, even none."""
    unread = None
    if request.user.has_role(Role.PRACTITIONER):
        unread = check_ins.check_ins_unread().count()
    return panels.Panel(
        template="portal/staff/_alerts.html",
        context={
            "alerts": services.staff_alerts(request.user),
            "unread_check_ins": unread,
            "user": request.user,
        },
    )


def pre_session_missing(*, request: HttpRequest) -> panels.Panel | None:
    """Front desk: the coming week's sessions whose pre-session check is still unanswered,
    each linking to its session (its messages, with Resend, and Check in on the day)."""
    if not request.user.has_role(*FRONT_OFFICE):
        return None
    total, sessions = work_queue.pre_session_missing()
    return panels.Panel(
        template="portal/staff/_dashboard_pre_session.html",
        context={"sessions": sessions, "total": total},
        shown=tuple(sessions),
    )


def change_requests(*, request: HttpRequest) -> panels.Panel | None:
    """Front desk: the patients' open requests to cancel or move, each linking to where it is
    handled on the portal alerts page."""
    if not request.user.has_role(*FRONT_OFFICE):
        return None
    total, requests = work_queue.open_change_requests()
    return panels.Panel(
        template="portal/staff/_dashboard_requests.html",
        context={"requests": requests, "total": total},
        shown=tuple(requests),
    )


def aftercare_sheet_panel(*, request: HttpRequest, session: Session) -> panels.Panel | None:
    """ "Print the aftercare sheet" and "E-mail it", once the session is completed (the
    completion flow lands on this page). Why it cannot be e-mailed, or when it was, shows
    instead of the e-mail button."""
    if session.status != Session.Status.COMPLETED:
        return None
    if not request.user.has_role(*aftercare_sheet.SHEET_ROLES):
        return None
    message = aftercare_sheet.sheet_message(session)
    return panels.Panel(
        template="portal/staff/_aftercare_sheet.html",
        context={
            "session": session,
            "sheet_message": message,
            "email_refusal": aftercare_sheet.email_refusal(session, message),
        },
        shown=(message,) if message else (),
    )


def portal_invite_offer(*, request: HttpRequest, course: Course) -> panels.Panel | None:
    """After booking: "Invite <name> to the portal", one click, while the patient has no
    active portal account and no invitation on its way (issue 10 item 7)."""
    if course.status != Course.Status.BOOKED or not request.user.has_role(*STAFF):
        return None
    patient = course.patient
    if not invites.invitation_offered(patient):
        return None
    return panels.Panel(
        template="portal/staff/_invite_offer.html",
        context={
            "course": course,
            "patient": patient,
            "channels": invites.link_channels(patient),
        },
    )


def connect() -> None:
    panels.register(panels.DASHBOARD, pre_session_missing, order=20)
    panels.register(panels.DASHBOARD, change_requests, order=30)
    panels.register(panels.DASHBOARD, reported_by_patients, order=60)
    panels.register(panels.SESSION_PAGE, aftercare_sheet_panel, order=20)
    panels.register(panels.COURSE_PAGE, portal_invite_offer, order=10)
