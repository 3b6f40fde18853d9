"""The check-in confirmation in a real browser: the new answer shows only for a changed
answer, and the session page says who confirmed what (issue 10 item 6)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinic.tests.clock import later_today
from patients import services as patient_services
from patients.forms import question_text
from patients.tests.factories import PatientFactory
from patients.tests.helpers import clear_answers
from patients.vocabulary import ON_THE_DAY_KEYS, QUESTIONS
from treatments.scheduling.models import Session
from treatments.scheduling.tests.factories import (
    CourseFactory,
    PractitionerFactory,
    RoomFactory,
)

pytestmark = pytest.mark.browser


def test_front_desk_confirm_the_answers_of_the_day_and_one_has_changed(
    transactional_db,
    login,
    page,
    live_server,
    front_desk_user,
    practitioner_user,
    check_in_opens_at_midnight,
):
    patient = PatientFactory(first_name="Nia", last_name="Hart")
    patient_services.intake_submit(
        patient=patient, answers=clear_answers(), areas=["cheeks"], by=front_desk_user
    )
    patient_services.consent_sign(
        patient=patient,
        kind="treatment",
        signed_name=patient.full_name,
        agreed=True,
        by=front_desk_user,
    )
    practitioner = PractitionerFactory(user=practitioner_user, display_name="Priya Shah")
    course = CourseFactory(patient=patient, practitioner=practitioner, areas=["cheeks"])
    starts = later_today(timezone.now())
    session = Session.objects.create(
        course=course,
        patient=patient,
        practitioner=practitioner,
        room=RoomFactory(name="Room A"),
        number=1,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=90),
    )

    login(front_desk_user)
    page.goto(f"{live_server.url}/sessions/{session.public_id}/")
    page.get_by_role("link", name="Check in").click()
    expect(page.get_by_role("heading", name="Check in Nia Hart")).to_be_visible()
    expect(page.get_by_text("Cheeks", exact=True)).to_be_visible()

    asked = [key for key in ON_THE_DAY_KEYS if key != "isotretinoin_stopped_on"]
    for key in asked:
        group = page.get_by_role("group", name=question_text(QUESTIONS[key]), exact=True)
        group.get_by_label("Confirmed (unchanged)").check()
    sunburn = page.get_by_role(
        "group", name=question_text(QUESTIONS["sunburn_or_tan_last_14_days"]), exact=True
    )
    new_answer = page.locator("#field-sunburn_or_tan_last_14_days__new")
    expect(new_answer).to_be_hidden()
    sunburn.get_by_label("Changed", exact=True).check()
    expect(new_answer).to_be_visible()
    new_answer.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Check in").click()

    # A sunburn defers: the check-in is refused in plain words, the session stays booked.
    expect(page.get_by_text("Sunburn or a strong tan", exact=False)).to_be_visible()
    expect(page.locator(".badge")).to_have_text("Booked")
