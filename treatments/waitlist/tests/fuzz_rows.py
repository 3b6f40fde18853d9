"""The waitlist's forms in the form fuzz test (`treatments/portal/tests/test_form_fuzz.py`,
which walks every URL that takes a POST): what they act on (`make`, called by its world) and
one row per form (`forms`, given that test's `Form` class and field kinds)."""

import datetime as dt
from zoneinfo import ZoneInfo

from treatments.scheduling.models import Course
from treatments.waitlist import services
from treatments.waitlist.models import FreedSlot, SlotOffer, WaitlistEntry

from .factories import course_to_book, waiting_course

LONDON = ZoneInfo("Europe/London")
TOKEN = "fuzz-offer-token-0123456789abcdef"


def make(clinic, protocol, desk, now: dt.datetime, portal_patient=None) -> None:
    """Wren waits for her course's next session and is offered a freed Monday 9 March 14:00
    (`TOKEN` opens the offer); Xia's course could wait too, and so could a course of the
    world's portal patient (the portal's form to join the waitlist)."""
    if portal_patient is not None:
        course_to_book(clinic, portal_patient, protocol=protocol)
    wren = waiting_course(clinic, desk, protocol=protocol, first_name="Wren")
    entry = services.entry_add(course=wren, by=desk)
    waiting_course(clinic, desk, protocol=protocol, first_name="Xia")
    starts = dt.datetime(2026, 3, 9, 14, tzinfo=LONDON)
    slot = FreedSlot.objects.create(
        practitioner=clinic.practitioner,
        room=clinic.rooms[1],
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        next_check_at=now,
    )
    SlotOffer.objects.create(
        slot=slot,
        entry=entry,
        patient=entry.patient,
        token_hash=services.hash_token(TOKEN),
        opens_at=now,
        expires_at=now + dt.timedelta(hours=1),
    )


def _entry(w) -> dict:
    return {"public_id": WaitlistEntry.objects.get(patient__first_name="Wren").public_id}


def _slot(w) -> dict:
    return {"public_id": FreedSlot.objects.get().public_id}


def _xia(w) -> dict:
    return {"public_id": Course.objects.get(patient__first_name="Xia").public_id}


def _own(w) -> dict:
    """The portal patient's course whose next session is still to book."""
    course = Course.objects.get(patient=w.patient, planned_sessions=2, status=Course.Status.BOOKED)
    return {"course_id": course.public_id}


def forms(Form, *, TEXT, VALUE, OPTIONAL, FLAG) -> list:  # noqa: N803 - the test's names
    entry_fields = {
        "earliest": VALUE,
        "latest": VALUE,
        "weekdays": FLAG,  # ticked days: a wrong one is refused, two right ones are fine
        "not_before": OPTIONAL,
        "not_after": OPTIONAL,
        "practitioner": OPTIONAL,
    }
    return [
        Form("treatments:waitlist_new", "front_desk", entry_fields, kwargs=_xia,
             base=lambda w: {"earliest": "2026-03-03", "latest": "2026-03-30"}),
        Form("treatments:waitlist_remove", "front_desk", {"reason": TEXT}, kwargs=_entry,
             base=lambda w: {"reason": "Booked by phone"}),
        Form("treatments:waitlist_offer", "front_desk", {"entry": VALUE}, kwargs=_slot,
             base=lambda w: {"entry": str(_entry(w)["public_id"])}),
        Form("treatments:waitlist_close", "front_desk", {}, kwargs=_slot),
        Form("waitlist_offer:offer", "anonymous", {}, kwargs=lambda w: {"token": TOKEN}),
        # The patient joins (every field may stay empty: the course's window) and leaves.
        Form("portal:waitlist_join", "patient",
             {"earliest": OPTIONAL, "latest": OPTIONAL, "weekdays": FLAG,
              "not_before": OPTIONAL, "not_after": OPTIONAL, "any_practitioner": FLAG},
             kwargs=_own),
        Form("portal:waitlist_leave", "patient", {}, kwargs=_own),
    ]  # fmt: skip
