"""A patient puts themselves on the waitlist for their course's next session from the
portal, where PORTAL_BOOKING allows (issue 15 item 2), and leaves it again.

The clock is frozen at 08:00 on Monday 2 March 2026. Pia's course (acne scars: 14 days at
least between sessions, 21 planned): session 1 done on Tuesday 24 February, sessions 2 and 3
cancelled, so session 2 is hers to book. Its window runs from Tuesday 10 March (14 days on)
to Tuesday 31 March (due on 17 March, and two weeks' slack).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from clinic.models import AuditEvent
from patients import services as patient_services
from patients.models import Hold
from patients.tests.screening_cases import clear_answers
from treatments.scheduling import services as scheduling
from treatments.waitlist import services as waitlist_services
from treatments.waitlist.models import WaitlistEntry

from .helpers import client_for, main
from .test_booking import NOW, course_of_three, local, portal_account

pytestmark = pytest.mark.django_db

ENTRY = "treatments.waitlistentry"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(front_desk_user):
    return front_desk_user


def screened_with_course(clinic, acne_protocol, desk, practitioner_user, *, name, hour=10):
    with time_machine.travel(dt.datetime(2026, 2, 20, 8, tzinfo=dt.UTC), tick=False):
        patient = clinic.screened_patient(
            desk, first_name=name, email=f"{name.lower()}@example.com"
        )
    portal_account(patient)
    patient.sessions_ = course_of_three(
        clinic,
        patient,
        protocol=acne_protocol,
        desk=desk,
        planner=practitioner_user,
        starts=[local(2, 24, hour), local(3, 17, hour), local(4, 14, hour)],
    )
    patient_services.intake_submit(
        patient=patient, answers=clear_answers(), areas=["cheeks", "forehead"], by=desk
    )
    return patient


@pytest.fixture
def pia(clinic, acne_protocol, desk, practitioner_user):
    """Pia, cleared, with session 2 of her course to book (2 and 3 were cancelled)."""
    patient = screened_with_course(clinic, acne_protocol, desk, practitioner_user, name="Pia")
    for session in patient.sessions_[1:]:
        scheduling.session_cancel(session=session, reason="Unwell", by=desk)
    return patient


@pytest.fixture
def course(pia):
    return pia.sessions_[0].course


@pytest.fixture
def client(pia):
    return client_for(pia.portal_user)


def join_url(course) -> str:
    return f"/portal/book/courses/{course.public_id}/waitlist/"


def leave_url(course) -> str:
    return f"/portal/book/courses/{course.public_id}/waitlist/leave/"


def waiting(course):
    return WaitlistEntry.objects.filter(course=course, status="waiting")


# --- Joining ----------------------------------------------------------------------------------


def test_a_cleared_patient_joins_with_the_courses_window_by_default(client, pia, course):
    page = main(client.get(join_url(course)))
    assert "from <strong>Tuesday 10 March</strong> to <strong>Tuesday 31 March</strong>" in page
    assert 'name="earliest"' in page and 'value="2026-03-10"' in page
    assert 'name="weekdays"' in page and 'type="time"' in page

    response = client.post(join_url(course), {})
    assert response.status_code == 302 and response["Location"] == "/portal/book/"
    entry = waiting(course).get()
    assert (entry.earliest, entry.latest, entry.due_on) == (
        dt.date(2026, 3, 10),
        dt.date(2026, 3, 31),
        dt.date(2026, 3, 17),
    )
    assert (entry.weekdays, entry.not_before, entry.not_after) == ([], None, None)
    # The course's own practitioner, as the times page offers only theirs.
    assert entry.practitioner == course.practitioner
    assert entry.created_by == pia.portal_user
    event = AuditEvent.objects.get(action="create", object_type=ENTRY, object_id=str(entry.pk))
    assert event.actor == pia.portal_user
    home = main(client.get("/portal/book/"))
    assert "You are on the waitlist from Tuesday 10 March to Tuesday 31 March" in home
    sessions = main(client.get("/portal/sessions/"))
    assert "on the waitlist for your atrophic acne scars course from Tuesday 10 March" in sessions


def test_staff_see_on_the_course_that_the_patient_joined_in_the_portal(
    client, course, front_desk_client
):
    client.post(join_url(course), {})
    page = main(front_desk_client.get(reverse("treatments:course", args=[course.public_id])))
    assert "(joined by the patient in the portal)" in page


def test_a_patient_narrows_the_window_and_chooses_days_times_and_any_practitioner(client, course):
    response = client.post(
        join_url(course),
        {
            "earliest": "2026-03-16",
            "latest": "2026-03-20",
            "weekdays": ["0", "2"],
            "not_before": "09:00",
            "not_after": "13:00",
            "any_practitioner": "on",
        },
    )
    assert response.status_code == 302
    entry = waiting(course).get()
    assert (entry.earliest, entry.latest, entry.weekdays) == (
        dt.date(2026, 3, 16),
        dt.date(2026, 3, 20),
        [0, 2],
    )
    assert (entry.not_before, entry.not_after) == (dt.time(9), dt.time(13))
    assert entry.practitioner is None
    assert entry.due_on == dt.date(2026, 3, 17)


@pytest.mark.parametrize(
    ("posted", "field", "words"),
    [
        ({"earliest": "next week"}, "earliest", "Enter a date, like 2026-03-09."),
        # Closer than 14 days to session 1: not the patient's to shorten.
        ({"earliest": "2026-03-05"}, "earliest", "Choose a day from Tuesday 10 March to"),
        ({"latest": "2026-05-01"}, "latest", "to Tuesday 31 March."),
        ({"earliest": "2026-03-20", "latest": "2026-03-12"}, "latest", "On or after the first"),
        ({"not_before": "13:00", "not_after": "09:00"}, "not_after", "Later than the earliest"),
        ({"not_before": "nine"}, "not_before", "Enter a time, like 09:30."),
        ({"weekdays": ["7"]}, "weekdays", "Select a valid choice."),
    ],
)
def test_bad_dates_and_times_are_a_400_naming_the_field(client, course, posted, field, words):
    response = client.post(join_url(course), posted)
    assert response.status_code == 400
    page = main(response)
    assert f'id="id_{field}_error"' in page, page
    assert words in page
    assert not WaitlistEntry.objects.exists()
    assert not AuditEvent.objects.filter(object_type=ENTRY).exists()


def test_a_patient_who_is_not_cleared_is_told_why_and_never_sees_the_form(
    client, pia, course, desk
):
    patient_services.hold_place(
        patient=pia,
        reason="A reaction after the last session has not settled.",
        source=Hold.Source.PRE_SESSION,
        source_ref="x",
        by=desk,
    )
    response = client.get(join_url(course))
    assert response.status_code == 200
    page = main(response)
    assert "Your practitioner wants to check how your skin is" in page
    assert 'name="earliest"' not in page and "Join the waitlist</button>" not in page
    assert "Join the waitlist</a>" not in main(client.get("/portal/book/"))
    assert client.post(join_url(course), {}).status_code == 409
    assert not WaitlistEntry.objects.exists()


def test_joining_twice_says_so_and_keeps_one_entry(client, course):
    assert client.post(join_url(course), {}).status_code == 302
    again = client.post(join_url(course), {"earliest": "2026-03-12"}, follow=True)
    assert "already on the waitlist" in main(again)
    assert waiting(course).get().earliest == dt.date(2026, 3, 10)


# --- Who may: another patient's course, booking off, a session to move -------------------------


def test_another_patients_course_is_a_404(clinic, acne_protocol, desk, practitioner_user, course):
    rex = screened_with_course(clinic, acne_protocol, desk, practitioner_user, name="Rex", hour=13)
    other = client_for(rex.portal_user)
    assert other.get(join_url(course)).status_code == 404
    assert other.post(join_url(course), {}).status_code == 404
    waitlist_services.entry_add(course=course, by=desk)
    assert other.post(leave_url(course)).status_code == 404
    assert waiting(course).count() == 1


def test_with_booking_off_the_waitlist_pages_are_a_404(client, course, desk, settings):
    waitlist_services.entry_add(course=course, by=desk)
    settings.PORTAL_BOOKING = "off"
    assert client.get(join_url(course)).status_code == 404
    assert client.post(join_url(course), {}).status_code == 404
    assert client.post(leave_url(course)).status_code == 404
    assert waiting(course).count() == 1


def test_next_session_only_allows_joining(client, course, settings):
    settings.PORTAL_BOOKING = "next_session_only"
    assert client.post(join_url(course), {}).status_code == 302
    assert waiting(course).exists()


def test_a_course_whose_next_session_is_booked_has_no_waitlist_page(
    clinic, acne_protocol, desk, practitioner_user
):
    # Session 2 is booked: the patient moves it on the times page; nothing to wait for.
    ned = screened_with_course(clinic, acne_protocol, desk, practitioner_user, name="Ned")
    client = client_for(ned.portal_user)
    course = ned.sessions_[0].course
    assert client.get(join_url(course)).status_code == 404
    assert "Join the waitlist" not in main(
        client.get(f"/portal/book/sessions/{ned.sessions_[1].public_id}/")
    )


# --- Seeing it and leaving ---------------------------------------------------------------------


def test_the_times_page_and_the_booking_home_link_to_the_waitlist(client, course):
    for path in (f"/portal/book/courses/{course.public_id}/", "/portal/book/"):
        page = main(client.get(path))
        assert (
            f'<a href="{join_url(course)}">None of these times suit? Join the waitlist</a>' in page
        )


def test_a_waiting_course_shows_its_dates_and_leaving_withdraws_it(client, pia, course, desk):
    entry = waitlist_services.entry_add(
        course=course, by=desk, earliest=dt.date(2026, 3, 12), latest=dt.date(2026, 3, 26)
    )
    for path in (f"/portal/book/courses/{course.public_id}/", "/portal/book/", join_url(course)):
        page = main(client.get(path))
        assert "You are on the waitlist from Thursday 12 March to Thursday 26 March" in page
        assert f'action="{leave_url(course)}"' in page
        assert "None of these times suit?" not in page and 'name="earliest"' not in page

    response = client.post(leave_url(course))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.remove_reason, entry.removed_by) == (
        "removed",
        "Left by the patient in the portal.",
        pia.portal_user,
    )
    event = AuditEvent.objects.get(action="update", object_type=ENTRY, object_id=str(entry.pk))
    assert event.actor == pia.portal_user and event.detail == {"to": "removed"}
    home = main(client.get("/portal/book/"))
    assert "You have left the waitlist" in home
    assert "None of these times suit? Join the waitlist" in home
    # Leaving again: nothing to leave, said plainly.
    again = client.post(leave_url(course), follow=True)
    assert "You are not on the waitlist for this course." in main(again)


def test_leaving_is_only_by_post(client, course, desk):
    waitlist_services.entry_add(course=course, by=desk)
    assert client.get(leave_url(course)).status_code == 405
    assert waiting(course).exists()


def test_the_page_costs_a_fixed_number_of_queries(
    client, course, desk, django_assert_max_num_queries
):
    # The login's session and account, the patient, the booked courses and their sessions
    # (two), the clearance rule (one), the patient's waiting entries, the course's window.
    with django_assert_max_num_queries(8):
        assert client.get(join_url(course)).status_code == 200
    waitlist_services.entry_add(course=course, by=desk)
    with django_assert_max_num_queries(8):
        assert "You are on the waitlist" in main(client.get(join_url(course)))
