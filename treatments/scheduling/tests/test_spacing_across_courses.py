"""The minimum interval holds between a patient's sessions in different courses on a shared
area (issue 10 item 3; clinical-reference §2.1): in the proposal, booking and moves, with a
warning staff confirm below the usual 28 days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.errors import Conflict
from clinic.models import AuditEvent
from treatments.scheduling import selectors, services
from treatments.scheduling.models import Course, Session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("long_sessions")]
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # Monday 2 March 2026


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


def local(y, m, d, h=10, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=LONDON)


FIRST = local(2026, 3, 9)  # the first course's session: Monday 9 March 2026, 10:00
TOO_CLOSE = (
    "Too close to session 1 of the Atrophic acne scars course on 9 March 2026: "
    "at least 14 days apart on the cheeks."
)


@pytest.fixture
def patient(clinic, front_desk_user):
    return clinic.screened_patient(front_desk_user)  # screened for cheeks and forehead


@pytest.fixture
def first_course(clinic, patient, front_desk_user, practitioner_user, acne_protocol):
    """A one-session course on the cheeks, booked for 9 March 2026 at 10:00."""
    course = clinic.course(patient, protocol=acne_protocol, by=practitioner_user, sessions=1)
    services.course_book(
        course=course,
        slots=[services.SlotRequest(starts_at=FIRST, room=clinic.rooms[0])],
        by=front_desk_user,
    )
    return course


def new_course(clinic, patient, protocol, by, *, areas=("cheeks",), sessions=1):
    return services.course_create(
        patient=patient,
        practitioner=clinic.practitioner,
        protocol=protocol,
        areas=list(areas),
        sessions=sessions,
        interval_days=None,
        by=by,
    )


@pytest.fixture
def second_course(clinic, patient, practitioner_user, acne_protocol, first_course):
    """A second one-session course on the cheeks, not booked yet."""
    return new_course(clinic, patient, acne_protocol, practitioner_user)


def book(client, course, starts, room, **extra):
    body = {
        "sessions": [{"starts_at": s.isoformat(), "room": room.pk} for s in starts],
        **extra,
    }
    return client.post(f"/api/courses/{course.public_id}/book/", body, format="json")


def reschedule(client, session, starts_at, **extra):
    return client.post(
        f"/api/sessions/{session.public_id}/reschedule/",
        {"starts_at": starts_at.isoformat(), **extra},
        format="json",
    )


# --- Booking ---------------------------------------------------------------------------------


def test_a_second_course_on_the_cheeks_the_day_after_is_refused(
    second_course, clinic, front_desk_user
):
    with pytest.raises(Conflict) as refused:
        services.course_book(
            course=second_course,
            slots=[services.SlotRequest(starts_at=local(2026, 3, 10), room=clinic.rooms[0])],
            by=front_desk_user,
        )

    assert refused.value.message == TOO_CLOSE
    assert refused.value.code == "conflict"
    assert not second_course.sessions.exists()
    second_course.refresh_from_db()
    assert second_course.status == Course.Status.PLANNED


def test_the_api_refuses_it_with_a_409_naming_the_other_session(
    second_course, clinic, front_desk_client
):
    response = book(front_desk_client, second_course, [local(2026, 3, 10)], clinic.rooms[0])

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert response.json()["error"]["message"] == TOO_CLOSE
    assert Session.objects.count() == 1


def test_sessions_before_the_other_course_are_too_close_as_well(
    second_course, clinic, front_desk_client
):
    response = book(front_desk_client, second_course, [local(2026, 3, 3)], clinic.rooms[0])

    assert response.status_code == 409
    assert response.json()["error"]["message"] == TOO_CLOSE


def test_a_course_on_a_different_area_may_be_booked_the_next_day(
    clinic, patient, practitioner_user, acne_protocol, first_course, front_desk_client
):
    forehead = new_course(clinic, patient, acne_protocol, practitioner_user, areas=["forehead"])

    response = book(front_desk_client, forehead, [local(2026, 3, 10)], clinic.rooms[0])

    assert response.status_code == 201, response.json()


def test_another_patients_sessions_do_not_count(
    clinic, front_desk_user, practitioner_user, acne_protocol, first_course, front_desk_client
):
    other = clinic.screened_patient(front_desk_user)
    course = new_course(clinic, other, acne_protocol, practitioner_user)

    response = book(front_desk_client, course, [local(2026, 3, 10)], clinic.rooms[0])

    assert response.status_code == 201, response.json()


def test_cancelled_sessions_are_ignored(second_course, first_course, clinic, front_desk_user):
    services.session_cancel(
        session=first_course.sessions.get(), reason="Patient unwell", by=front_desk_user
    )

    sessions = services.course_book(
        course=second_course,
        slots=[services.SlotRequest(starts_at=local(2026, 3, 10), room=clinic.rooms[0])],
        by=front_desk_user,
    )

    assert [s.starts_at for s in sessions] == [local(2026, 3, 10)]


def test_completed_sessions_count(second_course, first_course, clinic, front_desk_client):
    # Test setup only: the status a completed chart leaves (completing needs the day to come).
    first_course.sessions.update(status=Session.Status.COMPLETED)

    response = book(front_desk_client, second_course, [local(2026, 3, 10)], clinic.rooms[0])

    assert response.status_code == 409
    assert response.json()["error"]["message"] == TOO_CLOSE


def test_days_are_counted_on_the_clinics_calendar(second_course, clinic, front_desk_client):
    # 9 March 10:00 to 23 March 09:00 is less than 14 × 24 hours, but 14 local days.
    response = book(front_desk_client, second_course, [local(2026, 3, 23, 9)], clinic.rooms[0])

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "short_interval"  # allowed once confirmed


def test_below_the_usual_interval_the_api_asks_for_confirmation_then_books(
    second_course, clinic, front_desk_client
):
    starts = [local(2026, 3, 31)]  # 22 days after the first course's session

    response = book(front_desk_client, second_course, starts, clinic.rooms[0])

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "short_interval"
    assert "confirm the short interval" in error["message"]
    assert error["fields"]["confirm_short_interval"] == [
        "22 days from session 1 of the Atrophic acne scars course on 9 March 2026: "
        "usually 28 days apart on the cheeks."
    ]
    assert not second_course.sessions.exists()

    response = book(
        front_desk_client, second_course, starts, clinic.rooms[0], confirm_short_interval=True
    )

    assert response.status_code == 201, response.json()
    session = second_course.sessions.get()
    event = AuditEvent.objects.get(action="create", object_id=str(session.pk))
    assert event.detail["short_interval_confirmed"] == error["fields"]["confirm_short_interval"]


def test_the_usual_interval_needs_no_confirmation(second_course, clinic, front_desk_client):
    response = book(front_desk_client, second_course, [local(2026, 4, 6)], clinic.rooms[0])

    assert response.status_code == 201, response.json()


def test_confirming_does_not_allow_less_than_the_minimum(second_course, clinic, front_desk_client):
    response = book(
        front_desk_client,
        second_course,
        [local(2026, 3, 10)],
        clinic.rooms[0],
        confirm_short_interval=True,
    )

    assert response.status_code == 409
    assert response.json()["error"]["message"] == TOO_CLOSE


def test_confirm_short_interval_must_be_a_boolean(second_course, clinic, front_desk_client):
    response = book(
        front_desk_client,
        second_course,
        [local(2026, 3, 31)],
        clinic.rooms[0],
        confirm_short_interval="yes",
    )

    assert response.status_code == 400
    assert "confirm_short_interval" in response.json()["error"]["fields"]


def test_within_one_course_the_courses_own_rule_still_holds(
    clinic, patient, practitioner_user, acne_protocol, front_desk_client
):
    course = new_course(clinic, patient, acne_protocol, practitioner_user, sessions=2)

    # 21 days apart in one course: above the protocol's minimum, so no confirmation
    response = book(
        front_desk_client, course, [local(2026, 3, 9), local(2026, 3, 30)], clinic.rooms[0]
    )

    assert response.status_code == 201, response.json()


# --- Rescheduling ------------------------------------------------------------------------------


@pytest.fixture
def second_session(second_course, clinic, front_desk_user):
    """The second course's session, booked 28 days after the first course's (6 April)."""
    return services.course_book(
        course=second_course,
        slots=[services.SlotRequest(starts_at=local(2026, 4, 6), room=clinic.rooms[0])],
        by=front_desk_user,
    )[0]


def test_a_move_too_close_to_the_other_course_is_refused(second_session, front_desk_client):
    response = reschedule(front_desk_client, second_session, local(2026, 3, 12))

    assert response.status_code == 409
    assert response.json()["error"]["message"] == TOO_CLOSE
    second_session.refresh_from_db()
    assert second_session.starts_at == local(2026, 4, 6)


def test_moving_the_first_courses_session_is_checked_against_the_second(
    first_course, second_session, front_desk_client
):
    response = reschedule(front_desk_client, first_course.sessions.get(), local(2026, 3, 30))

    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "Too close to session 1 of the Atrophic acne scars course on 6 April 2026: "
        "at least 14 days apart on the cheeks."
    )


def test_a_move_below_the_usual_interval_needs_confirmation(second_session, front_desk_client):
    moved_to = local(2026, 3, 25)  # 16 days after the first course's session

    response = reschedule(front_desk_client, second_session, moved_to)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "short_interval"
    second_session.refresh_from_db()
    assert second_session.starts_at == local(2026, 4, 6)

    response = reschedule(front_desk_client, second_session, moved_to, confirm_short_interval=True)

    assert response.status_code == 200, response.json()
    second_session.refresh_from_db()
    assert second_session.starts_at == moved_to
    event = AuditEvent.objects.get(action="update", object_id=str(second_session.pk))
    assert event.detail["short_interval_confirmed"]


# --- The proposal ------------------------------------------------------------------------------


def test_the_proposal_skips_dates_too_close_to_the_other_course(second_course, practitioner_client):
    response = practitioner_client.get(
        f"/api/courses/{second_course.public_id}/proposal/", {"start": "2026-03-03"}
    )

    assert response.status_code == 200, response.json()
    starts = [dt.datetime.fromisoformat(s["starts_at"]) for s in response.json()["sessions"]]
    # 3..22 March are fewer than 14 days from 9 March; 23 March is a Monday
    assert [s.astimezone(LONDON).date() for s in starts] == [dt.date(2026, 3, 23)]


def test_the_proposal_for_a_whole_series_keeps_clear_of_the_other_course(
    clinic, patient, practitioner_user, acne_protocol, front_desk_user
):
    later = new_course(clinic, patient, acne_protocol, practitioner_user, sessions=4)
    services.course_book(
        course=later,
        slots=[
            services.SlotRequest(
                starts_at=local(2026, 4, 6) + dt.timedelta(weeks=4 * i), room=clinic.rooms[0]
            )
            for i in range(4)
        ],
        by=front_desk_user,
    )
    course = new_course(clinic, patient, acne_protocol, practitioner_user, sessions=2)

    slots = services.course_proposal(course=course, start=dt.date(2026, 3, 9))

    others = [s.starts_at for s in later.sessions.all()]
    for slot in slots:
        day = slot.starts_at.astimezone(LONDON).date()
        assert all(abs((day - o.astimezone(LONDON).date()).days) >= 14 for o in others)


def test_the_patients_other_sessions_load_in_one_query(
    clinic, patient, practitioner_user, acne_protocol, front_desk_user, django_assert_num_queries
):
    booked = []
    for number in range(3):
        course = new_course(clinic, patient, acne_protocol, practitioner_user, sessions=2)
        first = local(2026, 3, 9) + dt.timedelta(days=56 * number)
        services.course_book(
            course=course,
            slots=[
                services.SlotRequest(starts_at=first, room=clinic.rooms[0]),
                services.SlotRequest(starts_at=first + dt.timedelta(days=28), room=clinic.rooms[0]),
            ],
            by=front_desk_user,
            confirm_short_interval=True,
        )
        booked.append(course)
    newest = new_course(clinic, patient, acne_protocol, practitioner_user)

    # SELECT the patient's active and completed sessions in other courses on a shared area
    with django_assert_num_queries(1):
        others = selectors.patient_other_sessions(
            patient_id=patient.pk, areas=["cheeks"], exclude_course_id=newest.pk
        )

    assert len(others) == 6
    assert [o.course_name for o in others] == ["Atrophic acne scars"] * 6
    assert (
        selectors.patient_other_sessions(
            patient_id=patient.pk, areas=["forehead"], exclude_course_id=newest.pk
        )
        == ()
    )


# --- The course page ---------------------------------------------------------------------------


def test_the_course_page_warns_and_books_once_the_box_is_ticked(
    clinic, patient, practitioner_user, acne_protocol, first_course, front_desk_client
):
    # The earliest session the proposal may offer is 14 days after the first course's.
    course = new_course(clinic, patient, acne_protocol, practitioner_user)
    page = front_desk_client.get(f"/courses/{course.public_id}/", {"start": "2026-03-03"})

    assert page.status_code == 200
    assert page.context["short_interval_warnings"] == [
        "14 days from session 1 of the Atrophic acne scars course on 9 March 2026: "
        "usually 28 days apart on the cheeks."
    ]
    assert b'name="confirm_short_interval"' in page.content
    proposal = page.context["proposal"]
    posted = {
        "starts_at": [row.starts_at.isoformat() for row in proposal],
        "room": [row.room_id for row in proposal],
    }

    refused = front_desk_client.post(f"/courses/{course.public_id}/book/", posted, follow=True)

    assert b"Nothing was booked" in refused.content
    assert b"confirm the short interval" in refused.content
    assert not course.sessions.exists()

    booked = front_desk_client.post(
        f"/courses/{course.public_id}/book/",
        {**posted, "confirm_short_interval": "on"},
        follow=True,
    )

    assert b"Booked all 1 sessions" in booked.content
    assert course.sessions.count() == 1


def test_the_course_page_shows_no_warning_at_the_usual_interval(
    clinic, patient, practitioner_user, acne_protocol, first_course, front_desk_client
):
    course = new_course(clinic, patient, acne_protocol, practitioner_user)
    page = front_desk_client.get(f"/courses/{course.public_id}/", {"start": "2026-04-06"})

    assert page.context["short_interval_warnings"] == []
    assert b'name="confirm_short_interval"' not in page.content
