"""In a real browser (issue 11 item 7): a manager invites a new practitioner, who takes the link
from the e-mail the outbox sends, sets a password, sets their working hours, and sees a booking
made for them appear on their dashboard."""

import datetime as dt
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from clinic.clock import clinic_today, clinic_zone
from clinic.models import Role
from clinic.tests.factories import UserFactory
from patients import services as patient_services
from patients.tests.factories import PatientFactory
from patients.tests.helpers import clear_answers
from treatments.messaging.models import Message
from treatments.messaging.tests.helpers import work_outbox
from treatments.scheduling import services as scheduling
from treatments.scheduling.models import Practitioner, WorkingHours
from treatments.scheduling.tests.factories import RoomFactory, protocol

pytestmark = pytest.mark.browser
LINK = re.compile(r"https?://[^/\s]+(/staff/welcome/[\w-]+/)")
PASSWORD = "a-long-new-passphrase"
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _book_for(practitioner: Practitioner, *, day: dt.date, by) -> None:
    """The front desk books a screened, consenting patient with them (the service the
    booking page and the API call)."""
    patient = PatientFactory(first_name="Nia", last_name="Hart")
    patient_services.intake_submit(
        patient=patient, answers=clear_answers(), areas=["cheeks"], by=by
    )
    patient_services.consent_sign(
        patient=patient, kind="treatment", signed_name=patient.full_name, agreed=True, by=by
    )
    course = scheduling.course_create(
        patient=patient, practitioner=practitioner, protocol=protocol("acne_scars"),
        areas=["cheeks"], sessions=1, interval_days=28, by=by,
    )  # fmt: skip
    starts = dt.datetime.combine(day, dt.time(10), tzinfo=clinic_zone())
    slot = scheduling.SlotRequest(starts_at=starts, room=RoomFactory(name="Room A"))
    scheduling.course_book(course=course, slots=[slot], by=by)


def test_an_invited_practitioner_sets_their_hours_and_sees_a_booking_on_their_dashboard(
    transactional_db, login, page, live_server, mailoutbox
):
    boss = UserFactory(username="boss", role=Role.MANAGER, is_staff=True, first_name="Bo")
    desk = UserFactory(username="desk", role=Role.FRONT_DESK)

    # 1. The manager invites Ida as a practitioner.
    login(boss)
    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("link", name="Invite a member of staff").click()
    page.get_by_label("First name").fill("Ida")
    page.get_by_label("Last name").fill("Ives")
    page.get_by_label("E-mail address").fill("ida@example.com")
    page.get_by_role("checkbox", name=re.compile("Practitioner")).check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("will be e-mailed to ida@example.com")

    # 2. The worker sends the invitation; Ida opens the link in her e-mail.
    work_outbox()
    assert Message.objects.get(kind="staff_invite").status == Message.Status.SENT
    (path,) = LINK.findall(mail.outbox[-1].body)
    ida = page.context.browser.new_context().new_page()
    ida.goto(f"{live_server.url}{path}")
    ida.get_by_label("New password", exact=True).fill(PASSWORD)
    ida.get_by_label("New password again").fill(PASSWORD)
    ida.get_by_role("button", name="Set password and log in").click()
    expect(ida.get_by_role("status")).to_contain_text("Your password is set")
    expect(ida.get_by_role("heading", name="Your day")).to_be_visible()
    expect(ida.get_by_text("Nothing booked with you in the next 7 days.")).to_be_visible()

    # 3. She sets her working hours for tomorrow's weekday.
    tomorrow = clinic_today() + dt.timedelta(days=1)
    ida.get_by_role("link", name="My hours").click()
    expect(ida.get_by_text("No working hours yet")).to_be_visible()
    ida.get_by_role("link", name="Add hours").click()
    ida.get_by_label("Day of the week").select_option(label=WEEKDAYS[tomorrow.weekday()])
    ida.get_by_label("From (clinic time)").fill("09:00")
    ida.get_by_label("Until (clinic time)").fill("17:00")
    ida.get_by_role("button", name="Add hours").click()
    expect(ida.get_by_role("status")).to_contain_text("Added")
    expect(ida.get_by_role("cell", name=WEEKDAYS[tomorrow.weekday()])).to_be_visible()
    practitioner = Practitioner.objects.get(user__username="ida@example.com")
    assert WorkingHours.objects.filter(practitioner=practitioner).count() == 1

    # 4. The front desk books a session with her tomorrow at 10:00; it is on her dashboard.
    _book_for(practitioner, day=tomorrow, by=desk)
    ida.get_by_role("link", name="Dashboard").click()
    upcoming = ida.get_by_role("link", name=re.compile(r"10:00: Nia Hart"))
    expect(upcoming).to_be_visible()
    upcoming.click()
    expect(ida.get_by_role("heading", level=1)).to_have_text("Session 1 of 1")
    expect(ida.get_by_role("main")).to_contain_text("Nia Hart")
