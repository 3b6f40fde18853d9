"""Booking for yourself on a phone (390×844) in Debian's Chromium: a cleared patient moves
their next session to another free time, with radio buttons and no script, and finds it
among their upcoming sessions; a patient with no time that suits joins the waitlist."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from clinic.tests.factories import PASSWORD, PatientUserFactory
from patients import services as patient_services
from patients.tests.screening_cases import clear_answers
from treatments.scheduling import services as scheduling
from treatments.scheduling.models import Session
from treatments.waitlist.models import WaitlistEntry
from treatments.waitlist.tests.factories import course_to_book

from .test_browser import assert_accessible, assert_fits_the_phone

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)  # Monday 2 March 2026, 08:00 in London


def test_a_cleared_patient_moves_their_next_session_on_a_phone(
    transactional_db, live_server, mobile_page, clinic, acne_protocol, front_desk_user,
    practitioner_user,
):  # fmt: skip
    # Ticking: the live server's threads answer while the clock runs on from NOW.
    with time_machine.travel(NOW, tick=True):
        patient = clinic.screened_patient(
            front_desk_user, first_name="Maya", last_name="Okafor", email="maya@example.com"
        )
        patient.portal_user = PatientUserFactory(username=patient.email)
        patient.save(update_fields=["portal_user"])
        patient_services.intake_submit(
            patient=patient, answers=clear_answers(), areas=["cheeks"], by=front_desk_user
        )
        course = clinic.course(patient, protocol=acne_protocol, by=practitioner_user)
        booked_at = dt.datetime(2026, 3, 12, 10, tzinfo=LONDON)  # Thursday 12 March 10:00
        [session] = scheduling.course_book(
            course=course,
            slots=[scheduling.SlotRequest(starts_at=booked_at, room=clinic.rooms[0])],
            by=front_desk_user,
        )

        page = mobile_page
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("E-mail address").fill(patient.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Sessions", exact=True).click()
        before = page.get_by_role("heading", name="Thursday 12 March 2026 at 10:00 GMT")
        expect(before).to_be_visible()

        page.get_by_role("link", name="Choose another time").click()
        expect(page.get_by_role("heading", name="Move your session")).to_be_visible()
        assert_accessible(page)
        assert_fits_the_phone(page)
        # The first free day is Wednesday 4 March (48 hours' notice); times are local.
        expect(page.get_by_role("group", name="Wednesday 4 March")).to_be_visible()
        page.get_by_role("link", name="Later dates").click()
        expect(page.get_by_role("group", name="Wednesday 11 March")).to_be_visible()
        page.get_by_label("11:30 on Wednesday 11 March").check()
        page.get_by_role("button", name="Move my session").click()

        said = "Your session is booked for Wednesday 11 March 2026 at 11:30"
        expect(page.get_by_text(said)).to_be_visible()
        after = page.get_by_role("heading", name="Wednesday 11 March 2026 at 11:30 GMT")
        expect(after).to_be_visible()
        expect(before).to_have_count(0)
        assert_fits_the_phone(page)

    session.refresh_from_db()
    assert session.starts_at == dt.datetime(2026, 3, 11, 11, 30, tzinfo=LONDON)
    assert session.status == Session.Status.BOOKED


def test_a_patient_whose_answers_are_old_reads_why_and_can_ask_for_a_review_on_a_phone(
    transactional_db, live_server, mobile_page, clinic, acne_protocol, front_desk_user,
    practitioner_user, settings,
):  # fmt: skip
    settings.PORTAL_BOOKING = "full"
    with time_machine.travel(NOW - dt.timedelta(days=10), tick=False):
        patient = clinic.screened_patient(
            front_desk_user, first_name="Omar", last_name="Reed", email="omar@example.com"
        )
        course = clinic.course(patient, protocol=acne_protocol, by=practitioner_user)
        scheduling.course_book(
            course=course,
            slots=[
                scheduling.SlotRequest(
                    starts_at=dt.datetime(2026, 3, 19, 10, tzinfo=LONDON), room=clinic.rooms[0]
                )
            ],
            by=front_desk_user,
        )
    patient.portal_user = PatientUserFactory(username=patient.email)
    patient.save(update_fields=["portal_user"])
    with time_machine.travel(NOW, tick=True):
        page = mobile_page
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("E-mail address").fill(patient.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Book or move a session").click()
        expect(page.get_by_text("more than 7 days old")).to_be_visible()
        expect(page.get_by_role("radio")).to_have_count(0)
        assert_accessible(page)
        assert_fits_the_phone(page)

        page.get_by_role("link", name="Ask for a review or a new course").click()
        assert_accessible(page)
        assert_fits_the_phone(page)
        page.get_by_label("A review of my results").check()
        page.get_by_label("Days and times that suit you (optional)").fill("Friday mornings")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("A practitioner will look at your request")).to_be_visible()
        expect(
            page.get_by_text("You asked for a review of your results on 2 March 2026")
        ).to_be_visible()


def test_a_patient_joins_and_leaves_the_waitlist_on_a_phone(
    transactional_db, live_server, mobile_page, clinic, acne_protocol, front_desk_user,
):  # fmt: skip
    with time_machine.travel(NOW, tick=True):
        patient = clinic.screened_patient(
            front_desk_user, first_name="Lena", last_name="Park", email="lena@example.com"
        )
        patient.portal_user = PatientUserFactory(username=patient.email)
        patient.save(update_fields=["portal_user"])
        # Session 1 done on Monday 16 February; session 2 is hers to book (or wait for).
        course = course_to_book(clinic, patient, protocol=acne_protocol)

        page = mobile_page
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("E-mail address").fill(patient.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Sessions", exact=True).click()
        page.get_by_role("link", name="Book or move a session").click()
        page.get_by_role("link", name="None of these times suit? Join the waitlist").click()
        expect(page.get_by_role("heading", name="Join the waitlist")).to_be_visible()
        assert_accessible(page)
        assert_fits_the_phone(page)
        page.get_by_label("Until").fill("2026-03-20")
        page.get_by_label("Monday").check()
        page.get_by_label("Thursday").check()
        page.get_by_label("Finished by (optional)").fill("13:00")
        page.get_by_role("button", name="Join the waitlist").click()

        expect(page.get_by_text("You have joined the waitlist.")).to_be_visible()
        said = "You are on the waitlist from Tuesday 3 March to Friday 20 March."
        expect(page.get_by_text(said)).to_be_visible()
        assert_fits_the_phone(page)
        page.get_by_role("button", name="Leave the waitlist").click()
        expect(page.get_by_text("You have left the waitlist.")).to_be_visible()

    entry = WaitlistEntry.objects.get(course=course)
    assert (entry.weekdays, entry.not_after, entry.status) == ([0, 3], dt.time(13), "removed")
