"""The HTML pages to plan and book a course."""

import datetime as dt
import re

import pytest
import time_machine

from clinic.clock import TIME, local_format
from patients import services as patient_services
from patients.screening import format_date
from patients.tests.helpers import clear_answers
from patients.tests.view_helpers import text
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
    assert [local_format(row.starts_at, TIME) for row in proposal] == ["09:00"] * 3
    response = practitioner_client.post(
        f"/courses/{course.public_id}/book/",
        {
            "starts_at": [row.starts_at.isoformat() for row in proposal],
            "room": [row.room_id for row in proposal],
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


# --- What the course page tells front desk (issue 11 item 9) ------------------------------------


def test_a_blocked_patients_course_page_shows_the_screening_and_no_book_button(
    front_desk_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(patient, protocol=acne_protocol, by=front_desk_user)
    patient_services.intake_submit(  # since planning, a new intake says she is pregnant
        patient=patient,
        answers=clear_answers(pregnant_or_breastfeeding=True),
        areas=["cheeks", "forehead"],
        by=front_desk_user,
    )
    page = front_desk_client.get(f"/courses/{course.public_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "This course cannot be booked now" in html
    assert '<span class="outcome outcome-blocked">Blocked</span>' in html
    assert 'class="finding-blocked"' in html  # the finding itself, in its colour
    assert f'href="/patients/{patient.public_id}/#screening"' in html
    assert "Book all" not in html
    assert "Find the earliest series" not in html


def test_a_deferred_series_says_why_it_starts_later(
    front_desk_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(
        front_desk_user, answers=clear_answers(recent_procedure_in_area_days=3)
    )
    screening = patient.screenings.get()
    assert screening.outcome == "defer" and screening.defer_until > dt.date(2026, 3, 9)
    course = clinic.course(patient, protocol=acne_protocol, by=front_desk_user)
    page = front_desk_client.get(f"/courses/{course.public_id}/", {"start": "2026-03-03"})
    first = page.context["proposal"][0].starts_at
    assert first.date() >= screening.defer_until
    said = text(page)
    assert (
        f"The series starts on {format_date(first.date())}, not 3 March 2026, because "
        f"treatment is deferred until {format_date(screening.defer_until)}:"
    ) in said
    defer_finding = next(f for f in screening.findings if f["outcome"] == "defer")
    assert defer_finding["message"] in said


def test_an_undeferred_series_says_nothing_of_a_deferral(
    front_desk_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(patient, protocol=acne_protocol, by=front_desk_user)
    page = front_desk_client.get(f"/courses/{course.public_id}/", {"start": "2026-03-09"})
    assert page.context["deferral"] == ""
    assert "deferred until" not in text(page)


def _proposed(client, course) -> tuple[list[str], list[str]]:
    page = client.get(f"/courses/{course.public_id}/", {"start": "2026-03-09"})
    boxes = re.findall(r'name="starts_at" value="([^"]+)"', page.content.decode())
    rooms = re.findall(r'name="room" value="([^"]+)"', page.content.decode())
    return boxes, rooms


def test_front_desk_changes_one_proposed_time_before_booking(
    front_desk_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(patient, protocol=acne_protocol, by=front_desk_user, sessions=3)
    boxes, rooms = _proposed(front_desk_client, course)
    assert boxes == ["2026-03-09T09:00", "2026-04-06T09:00", "2026-05-04T09:00"]
    boxes[1] = "2026-04-07T14:30"  # the patient asks for the Tuesday afternoon instead
    response = front_desk_client.post(
        f"/courses/{course.public_id}/book/", {"starts_at": boxes, "room": rooms}
    )
    assert response.status_code == 302
    starts = [local_format(s.starts_at, "Y-m-d H:i") for s in Session.objects.order_by("number")]
    assert starts == ["2026-03-09 09:00", "2026-04-07 14:30", "2026-05-04 09:00"]


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("2026-04-05T10:00", "outside"),  # a Sunday: outside the practitioner's hours
        ("2026-03-12T09:00", "At least"),  # three days after session 1
        ("2026-02-30T09:00", "Enter a date and time"),
        ("2026-05-10T09:00", "Must be earlier than session 3."),  # after session 3
    ],
    ids=["outside-hours", "too-close", "no-such-day", "out-of-order"],
)
def test_a_changed_time_that_does_not_fit_is_refused_on_its_row(
    front_desk_client, front_desk_user, clinic, acne_protocol, typed, said
):
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(patient, protocol=acne_protocol, by=front_desk_user, sessions=3)
    boxes, rooms = _proposed(front_desk_client, course)
    boxes[1] = typed
    response = front_desk_client.post(
        f"/courses/{course.public_id}/book/", {"starts_at": boxes, "room": rooms}
    )
    assert response.status_code == 400
    html = response.content.decode()
    row = html[html.index('id="field-session-2"') - 30 :]
    row = row[: row.index("</td>")]
    assert "has-error" in row and said in row
    assert f'value="{typed}"' in row  # what was typed stays in its box
    assert 'id="field-session-1"' in html and "2026-03-09T09:00" in html
    assert "Nothing was booked" in html
    assert not Session.objects.exists()
    course.refresh_from_db()
    assert course.status == Course.Status.PLANNED


def test_a_changed_time_that_clashes_is_refused_on_its_row(
    front_desk_client, front_desk_user, practitioner_user, clinic, acne_protocol
):
    other = clinic.screened_patient(front_desk_user, first_name="Otto")
    clinic.book(
        starts=[dt.datetime(2026, 4, 7, 13, tzinfo=dt.UTC)],  # 14:00 in London (BST)
        protocol=acne_protocol,
        planner=practitioner_user,
        desk=front_desk_user,
    )
    assert other  # a second patient, booked on Tuesday 7 April at 14:00
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(patient, protocol=acne_protocol, by=front_desk_user, sessions=3)
    boxes, rooms = _proposed(front_desk_client, course)
    boxes[1] = "2026-04-07T14:00"
    response = front_desk_client.post(
        f"/courses/{course.public_id}/book/", {"starts_at": boxes, "room": rooms}
    )
    assert response.status_code == 400
    html = response.content.decode()
    row = html[html.index('id="field-session-2"') :]
    assert "already taken" in row[: row.index("</td>")]
    assert not Session.objects.filter(course=course).exists()


def test_the_course_pages_share_the_patient_pages_layout(
    practitioner_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(patient, protocol=acne_protocol, by=front_desk_user)
    crumbs = (
        '<p class="crumbs"><a href="/patients/">Patients</a> › '
        f'<a href="/patients/{patient.public_id}/">{patient.full_name}</a></p>'
    )
    planning = practitioner_client.get(f"/courses/new/{patient.public_id}/").content.decode()
    assert crumbs in planning
    assert 'id="field-areas"' in planning  # the patient forms' field layout
    refused = practitioner_client.post(f"/courses/new/{patient.public_id}/", {})
    assert 'class="error-summary"' in refused.content.decode()
    page = practitioner_client.get(f"/courses/{course.public_id}/").content.decode()
    assert crumbs in page
    assert '<div class="page-head">' in page and '<dl class="facts">' in page
    assert '<section class="card" id="proposal"' in page
