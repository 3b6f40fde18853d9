"""Booking and proposing a series take a fixed number of queries, however long the series
and however busy the calendar (issue 13 item 3)."""

import datetime as dt
import statistics
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from clinic import tokens
from treatments.scheduling import services
from treatments.scheduling.models import Session, WorkingHours
from treatments.scheduling.tests.factories import (
    DeviceFactory,
    PractitionerFactory,
    RoomFactory,
    protocol,
)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
FIRST = dt.datetime(2026, 3, 9, 10, tzinfo=LONDON)  # a Monday


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


def series(n: int, hour: int) -> list[dt.datetime]:
    """`n` Mondays two weeks apart at `hour` on the clinic's clock."""
    return [
        dt.datetime.combine(FIRST.date() + dt.timedelta(days=14 * i), dt.time(hour), LONDON)
        for i in range(n)
    ]


def token_client(user) -> APIClient:
    """A client with a new API token of `user`: its first request also notes the token's use
    (one UPDATE a minute at most), so a count taken with it is the most a request costs."""
    _, key = tokens.token_issue(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def planned_course(clinic, desk, planner_client, n: int) -> dict:
    patient = clinic.screened_patient(desk)
    body = {
        "patient": str(patient.public_id),
        "practitioner": clinic.practitioner.pk,
        "protocol": protocol("acne_scars").pk,
        "areas": ["cheeks"],
        "sessions": n,
        "interval_days": 14,
    }
    return planner_client.post("/api/courses/", body, format="json").json()


def book(client, course: dict, starts: list[dt.datetime], room):
    sessions = [{"starts_at": s.isoformat(), "room": room.pk} for s in starts]
    return client.post(f"/api/courses/{course['id']}/book/", {"sessions": sessions}, format="json")


def booked(response, course: dict, n: int) -> bool:
    assert response.status_code == 201, response.json()
    return Session.objects.filter(course__public_id=course["id"]).count() == n


def test_booking_through_the_api_takes_at_most_15_queries_for_one_six_or_twelve_sessions(
    practitioner_client, front_desk_user, clinic, django_assert_max_num_queries
):
    # The token with its account and roles (1) and noting its use (1, once a minute); the
    # course (1); the booking: the course locked with its patient and practitioner (1), the
    # working hours (1), the rooms locked (1), the patient's other courses' sessions (1), the
    # clearance rule (1), what is taken around the slots (1), the sessions inserted, the
    # course marked booked, their messages and audit rows (4); and the SAVEPOINT pair the
    # test's own transaction turns the service's `atomic` into (2; a BEGIN and COMMIT that
    # Django does not count outside a test).
    counts = []
    for n, hour in ((1, 9), (6, 11), (12, 14)):
        course = planned_course(clinic, front_desk_user, practitioner_client, n)
        client = token_client(front_desk_user)
        with django_assert_max_num_queries(15) as queries:
            response = book(client, course, series(n, hour), clinic.rooms[0])
        assert booked(response, course, n)
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_a_logged_in_page_session_books_in_the_same_queries_for_any_series(
    front_desk_client, practitioner_client, front_desk_user, clinic
):
    counts = []
    for n, hour in ((1, 9), (6, 11), (12, 14)):
        course = planned_course(clinic, front_desk_user, practitioner_client, n)
        with CaptureQueriesContext(connection) as queries:
            response = book(front_desk_client, course, series(n, hour), clinic.rooms[0])
        assert booked(response, course, n)
        counts.append(len(queries))
    # The login session, its user and roles besides the booking (the session is saved at
    # most once a minute, not on these requests): the same however many sessions.
    assert counts[0] == counts[1] == counts[2], counts


def test_an_unknown_or_unused_room_or_device_is_a_400_on_the_slot(
    front_desk_client, practitioner_client, front_desk_user, clinic
):
    course = planned_course(clinic, front_desk_user, practitioner_client, 2)
    unused = RoomFactory(name="Store", active=False)
    stored = DeviceFactory(name="Old pen", active=False)
    starts = [s.isoformat() for s in series(2, 10)]
    for second, field in (
        ({"room": 999_999}, "sessions.1.room"),
        ({"room": unused.pk}, "sessions.1.room"),
        ({"room": clinic.rooms[0].pk, "device": 999_999}, "sessions.1.device"),
        ({"room": clinic.rooms[0].pk, "device": stored.pk}, "sessions.1.device"),
    ):
        body = {
            "sessions": [
                {"starts_at": starts[0], "room": clinic.rooms[0].pk},
                {"starts_at": starts[1], **second},
            ]
        }
        response = front_desk_client.post(f"/api/courses/{course['id']}/book/", body, format="json")
        assert response.status_code == 400, response.json()
        assert list(response.json()["error"]["fields"]) == [field]
    assert not Session.objects.filter(course__public_id=course["id"]).exists()


def statements(queries) -> list[str]:
    """The SQL a service ran, without the SAVEPOINT pair that the test's own transaction
    turns its `transaction.atomic` into (outside a test that is a BEGIN and COMMIT, which
    Django does not count)."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_the_booking_service_takes_ten_queries_for_any_series(
    front_desk_user, practitioner_user, clinic
):
    # the course, locked with its patient and practitioner (1); the working hours (1); the
    # rooms, locked (1); the patient's other courses' sessions (1); the clearance rule (1);
    # the sessions, time off, outages and devices around the slots (1); the sessions
    # inserted, the course marked booked, their messages and audit rows (4)
    acne = protocol("acne_scars")
    counts = []
    for n, hour in ((1, 9), (6, 11), (12, 14)):
        patient = clinic.screened_patient(front_desk_user)
        course = clinic.course(
            patient, protocol=acne, by=practitioner_user, sessions=n, interval_days=14
        )
        slots = [services.SlotRequest(starts_at=s, room=clinic.rooms[0]) for s in series(n, hour)]
        with CaptureQueriesContext(connection) as queries:
            services.course_book(course=course, slots=slots, by=front_desk_user)
        counts.append(len(statements(queries)))
    assert counts == [10, 10, 10], counts


def fill_calendar(clinic, desk, n: int) -> None:
    """`n` hour-long sessions of another patient for the practitioner, six a weekday from
    2 March 2026 (09:00 to 15:00 in London, leaving 15:00-17:00 free), in the two rooms."""
    patient = clinic.screened_patient(desk)
    course = clinic.course(patient, protocol=protocol("acne_scars"), by=desk)
    day, rows = dt.date(2026, 3, 2), []
    while len(rows) < n:
        if day.weekday() < 5:
            for k in range(min(6, n - len(rows))):
                at = dt.datetime.combine(day, dt.time(9 + k), LONDON)
                rows.append(
                    Session(
                        course=course,
                        patient=patient,
                        practitioner=clinic.practitioner,
                        room=clinic.rooms[k % 2],
                        number=len(rows) + 1,
                        starts_at=at,
                        ends_at=at + dt.timedelta(minutes=60),
                    )
                )
        day += dt.timedelta(days=1)
    Session.objects.bulk_create(rows)


def proposal_queries(client, clinic, desk, planner_client) -> int:
    patient = clinic.screened_patient(desk)
    body = {
        "patient": str(patient.public_id),
        "practitioner": clinic.practitioner.pk,
        "protocol": protocol("acne_scars").pk,
        "areas": ["cheeks"],
    }
    course = planner_client.post("/api/courses/", body, format="json").json()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/courses/{course['id']}/proposal/", {"start": "2026-03-09"})
    assert response.status_code == 200, response.json()
    return len(queries.captured_queries)


@pytest.mark.parametrize("busy", [1, 200])
def test_the_proposal_takes_the_same_queries_however_busy_the_practitioner_is(
    front_desk_client,
    practitioner_client,
    front_desk_user,
    clinic,
    busy,
):
    quiet = proposal_queries(front_desk_client, clinic, front_desk_user, practitioner_client)
    fill_calendar(clinic, front_desk_user, busy)
    busier = proposal_queries(front_desk_client, clinic, front_desk_user, practitioner_client)
    assert busier == quiet


def test_the_figures_for_the_issue(front_desk_user, practitioner_user, clinic):
    """Queries and median wall time of booking 1, 6 and 12 sessions and of proposing a series
    with 1,000 sessions in the window, printed (run with -s); nothing timed is asserted."""
    acne = protocol("acne_scars")
    fill_calendar(clinic, front_desk_user, 1000)
    other = PractitionerFactory(display_name="Sam Lee")
    for weekday in range(5):
        WorkingHours.objects.create(
            practitioner=other, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    for n, hour in ((1, 9), (6, 11), (12, 14)):
        times, count = [], 0
        for week in range(5):
            patient = clinic.screened_patient(front_desk_user)
            course = services.course_create(
                patient=patient,
                practitioner=other,
                protocol=acne,
                areas=["cheeks"],
                sessions=n,
                interval_days=14,
                by=practitioner_user,
            )
            starts = [s + dt.timedelta(days=week) for s in series(n, hour)]  # Mon to Fri
            # another practitioner in another room, beside the busy one's sessions
            room = RoomFactory(name=f"Room {n}-{week}")
            slots = [services.SlotRequest(starts_at=s, room=room) for s in starts]
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                services.course_book(course=course, slots=slots, by=front_desk_user)
                times.append(time.perf_counter() - began)
            count = len(statements(queries))
        print(f"book {n:2} sessions: {count} queries, p50 {statistics.median(times) * 1000:.1f} ms")
    patient = clinic.screened_patient(front_desk_user)
    course = clinic.course(patient, protocol=acne, by=practitioner_user, sessions=6)
    times = []
    for _ in range(11):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            services.course_proposal(course=course, start=dt.date(2026, 3, 9))
            times.append(time.perf_counter() - began)
    print(
        f"proposal with 1,000 sessions: {len(queries.captured_queries)} queries, "
        f"p50 {statistics.median(times) * 1000:.1f} ms"
    )
