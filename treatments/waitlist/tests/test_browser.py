"""On a phone (390×844) in Debian's Chromium, with the clock frozen on Monday 2 March 2026:
a patient on the waitlist gets an offer, opens its link, takes the time and sees the session
among their upcoming ones, while the freed time leaves the staff calendar's free list."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect

from clinic.tests.factories import PASSWORD, PatientUserFactory
from treatments.messaging import sending
from treatments.messaging.models import Message
from treatments.scheduling.models import Session
from treatments.waitlist import tasks
from treatments.waitlist.models import FreedSlot

from .factories import NOW, cancelled_session, local, wait

pytestmark = pytest.mark.browser
SLOT = local(2026, 3, 9, 10)


def free_starts(page, base, practitioner) -> set[str]:
    """The practitioner's free start times on 9 March (the calendar's free list), as staff."""
    response = page.request.get(
        f"{base}/api/practitioners/{practitioner.pk}/availability/"
        "?start=2026-03-09T00:00:00Z&end=2026-03-10T00:00:00Z&minutes=120"
    )
    assert response.status == 200, response.text()
    return {start["starts_at"] for start in response.json()["starts"]}


def test_a_waiting_patient_takes_an_offered_time_from_the_link_on_a_phone(
    transactional_db,
    live_server,
    browser,
    mobile_page,
    clinic,
    front_desk_user,
    acne_protocol,
):
    # Ticking from NOW: the live server's threads answer while the clock runs on.
    with time_machine.travel(NOW, tick=True):
        entry = wait(
            clinic,
            front_desk_user,
            protocol=acne_protocol,
            patient_fields={
                "first_name": "Maya",
                "last_name": "Okafor",
                "email": "maya@example.com",
                "preferred_channel": "email",
            },
        )
        patient = entry.patient
        patient.portal_user = PatientUserFactory(
            username=patient.email, first_name="Maya", last_name="Okafor"
        )
        patient.save(update_fields=["portal_user"])
        cancelled_session(clinic, front_desk_user, starts_at=SLOT, protocol=acne_protocol)
        staff = browser.new_context()
        staff_page = staff.new_page()
        staff_page.goto(f"{live_server.url}/login/")
        staff_page.get_by_label("Username").fill(front_desk_user.username)
        staff_page.get_by_label("Password").fill(PASSWORD)
        staff_page.get_by_role("button", name="Log in").click()
        expect(staff_page.get_by_role("link", name="Waitlist")).to_be_visible()
        slot_start = SLOT.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        assert any(
            s.startswith("2026-03-09T10:00")
            for s in free_starts(staff_page, live_server.url, clinic.practitioner)
        ), "the cancelled session's time is free"

        # The sweep offers the time to Maya; the worker sends the e-mail with its link.
        tasks.sweep()
        message = Message.objects.get(kind="waitlist_offer")
        assert sending.send(message.pk) == "sent"
        (email,) = [m for m in mail.outbox if "earlier time" in m.subject]
        link = re.search(r"http\S+/portal/offers/\S+/", email.body).group(0)
        path = link[link.index("/portal/") :]

        page = mobile_page
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("E-mail address").fill("maya@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", name="An earlier time for your session")).to_be_visible()
        expect(page.get_by_text("Monday 9 March 2026 at 10:00")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the offer page scrolls sideways ({width}px wide)"
        page.get_by_role("button", name="Take this time").click()
        expect(page.get_by_role("heading", name="This time is yours")).to_be_visible()
        page.get_by_role("link", name="See your sessions").click()
        expect(page.get_by_role("heading", name="Your sessions")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("Monday 9 March"))).to_be_visible()

        session = Session.objects.get(course=entry.course, status="booked")
        assert session.starts_at == SLOT
        assert FreedSlot.objects.get().status == "filled"
        starts = free_starts(staff_page, live_server.url, clinic.practitioner)
        assert not any(s.startswith("2026-03-09T10:00") for s in starts), slot_start
        staff.close()
