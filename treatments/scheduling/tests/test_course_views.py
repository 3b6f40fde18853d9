"""The HTML pages to plan and book a course."""

import datetime as dt

import pytest
import time_machine

from clinic.clock import TIME, local_format
from patients import services as patient_services
from patients.tests.helpers import clear_answers
from treatments.scheduling.models import Course, Session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC), tick=True):
        yield


def test_a_practitioner_plans_a_course_and_books_the_proposed_series(
    practitioner_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    page = practitioner_client.get(f"/courses/new/{patient.public_id}/")
    assert page.status_code == 200
    assert b"Plan a course" in page.content
    response = practitioner_client.post(
        f"/courses/new/{patient.public_id}/",
        {
            "practitioner": clinic.practitioner.pk,
            "protocol": acne_protocol.pk,
            "areas": ["cheeks"],
            "sessions": 3,
        },
    )
    course = Course.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{course.public_id}/"
    page = practitioner_client.get(f"/courses/{course.public_id}/", {"start": "2026-03-09"})
    assert b"Book all 3 sessions" in page.content
    proposal = page.context["proposal"]
    assert [local_format(slot.starts_at, TIME) for slot, _ in proposal] == ["09:00"] * 3
    response = practitioner_client.post(
        f"/courses/{course.public_id}/book/",
        {
            "starts_at": [slot.starts_at.isoformat() for slot, *_ in proposal],
            "room": [slot.room_id for slot, *_ in proposal],
        },
        follow=True,
    )
    assert b"Booked all 3 sessions" in response.content
    assert Session.objects.count() == 3


def test_the_course_form_shows_service_errors_on_the_field(
    practitioner_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    response = practitioner_client.post(
        f"/courses/new/{patient.public_id}/",
        {
            "practitioner": clinic.practitioner.pk,
            "protocol": acne_protocol.pk,
            "areas": ["cheeks"],
            "interval_days": 7,
        },
    )
    assert response.status_code == 200
    assert "interval_days" in response.context["form"].errors
    assert not Course.objects.exists()


def test_a_refused_booking_books_nothing_and_says_why(
    practitioner_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(patient, protocol=acne_protocol, by=front_desk_user)
    patient_services.intake_submit(  # since planning, a new intake says she is pregnant
        patient=patient,
        answers=clear_answers(pregnant_or_breastfeeding=True),
        areas=["cheeks", "forehead"],
        by=front_desk_user,
    )
    response = practitioner_client.post(
        f"/courses/{course.public_id}/book/",
        {"starts_at": ["2026-03-09T10:00:00+00:00"], "room": [clinic.rooms[0].pk]},
        follow=True,
    )
    assert b"Nothing was booked" in response.content
    assert b"screening is blocked" in response.content
    assert not Session.objects.exists()


def test_front_desk_cannot_plan_and_patients_cannot_see_courses(
    front_desk_client, patient_client, front_desk_user, clinic
):
    patient = clinic.screened_patient(front_desk_user)
    assert front_desk_client.get(f"/courses/new/{patient.public_id}/").status_code == 403
    assert patient_client.get(f"/courses/new/{patient.public_id}/").status_code == 403
