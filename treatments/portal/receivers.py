"""The portal's part in sending (connected in `TreatmentsConfig.ready`): messaging renders
and sends every message, but only the portal can mint a one-time link, summarise a reaction
flag or make the aftercare sheet's PDF, and say whether such a message still stands. It
gives messaging's renderer those answers here, so that messaging never imports the portal
(DESIGN.md §3)."""

from treatments.messaging import render
from treatments.messaging.models import Message

from . import aftercare_sheet, check_ins, invites

Kind = Message.Kind


def connect() -> None:
    for kind in (Kind.PORTAL_INVITE, Kind.PASSWORD_RESET):
        render.register_context(kind, invites.link_context)
        render.register_check(kind, invites.link_unwanted)
    render.register_context(Kind.PRACTITIONER_ALERT, check_ins.alert_context)
    render.register_check(Kind.PRACTITIONER_ALERT, check_ins.alert_unwanted)
    render.register_context(Kind.AFTERCARE_SHEET, aftercare_sheet.sheet_email_context)
    render.register_attachment(Kind.AFTERCARE_SHEET, aftercare_sheet.sheet_attachment)
