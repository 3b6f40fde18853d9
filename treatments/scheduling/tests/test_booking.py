"""Courses, proposals and booking through the API, on PostgreSQL."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.models import AuditEvent
from treatments.scheduling.models import Course, Session

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
# A Monday in early March 2026: a 4-session series crosses the spring-forward change.
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


def local(y, m, d, h, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=LONDON)


def create_course(client, clinic, patient, protocol, **extra):
    body = {
        "patient": str(patient.public_id),
        "practitioner": clinic.practitioner.pk,
        "protocol": protocol.pk,
        "areas": ["cheeks"],
        **extra,
    }
    return client.post("/api/courses/", body, format="json")


def book(client, course_id, starts, room):
    body = {"sessions": [{"starts_at": s.isoformat(), "room": room.pk} for s in starts]}
    return client.post(f"/api/courses/{course_id}/book/", body, format="json")


@pytest.fixture
def course(practitioner_client, front_desk_user, clinic, acne_protocol):
    patient = clinic.screened_patient(front_desk_user)
    response = create_course(practitioner_client, clinic, patient, acne_protocol)
    assert response.status_code == 201, response.json()
    return response.json()


SERIES = [
    local(2026, 3, 9, 10),
    local(2026, 4, 6, 10),
    local(2026, 5, 4, 10),
    local(2026, 6, 1, 10),
]


def test_a_practitioner_creates_a_course_with_the_protocols_defaults(course, acne_protocol):
    assert course["sessions"] == 4
    assert course["interval_days"] == 28
    assert course["status"] == "planned"


def test_the_proposal_is_the_earliest_series_at_the_same_local_time_across_dst(
    practitioner_client, course
):
    response = practitioner_client.get(
        f"/api/courses/{course['id']}/proposal/", {"start": "2026-03-09"}
    )
    assert response.status_code == 200, response.json()
    starts = [dt.datetime.fromisoformat(s["starts_at"]) for s in response.json()["sessions"]]
    assert [s.astimezone(LONDON).time() for s in starts] == [dt.time(9)] * 4
    assert [s.astimezone(dt.UTC).hour for s in starts] == [9, 8, 8, 8]  # BST from 29 March
    days = [s.astimezone(LONDON).date() for s in starts]
    assert all((b - a).days >= 28 for a, b in zip(days, days[1:], strict=False))


def test_booking_the_whole_series_creates_every_session(front_desk_client, course, clinic):
    response = book(front_desk_client, course["id"], SERIES, clinic.rooms[0])
    assert response.status_code == 201, response.json()
    sessions = Session.objects.order_by("number")
    assert [s.number for s in sessions] == [1, 2, 3, 4]
    assert [s.starts_at.astimezone(LONDON).hour for s in sessions] == [10] * 4
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=120) for s in sessions)
    assert Course.objects.get().status == "booked"
    # One audit row for the series, naming each session and the patient (issue 13 item 5).
    created = AuditEvent.objects.get(object_type="treatments.session", action="create")
    assert created.object_ids == [str(s.pk) for s in sessions]
    assert created.patient_id == sessions[0].patient.public_id


def test_a_clash_books_nothing_at_all(
    front_desk_client, front_desk_user, clinic, acne_protocol, practitioner_client, course
):
    other = clinic.screened_patient(front_desk_user)
    other_course = create_course(practitioner_client, clinic, other, acne_protocol).json()
    assert book(front_desk_client, other_course["id"], SERIES, clinic.rooms[1]).status_code == 201
    # the same practitioner at the same time for the third session only
    starts = [local(2026, 3, 10, 10), local(2026, 4, 7, 10), SERIES[2], local(2026, 6, 2, 10)]
    response = book(front_desk_client, course["id"], starts, clinic.rooms[0])
    assert response.status_code == 409
    assert "already taken" in response.json()["error"]["message"]
    assert Session.objects.filter(course__public_id=course["id"]).count() == 0
    assert Course.objects.get(public_id=course["id"]).status == "planned"


def test_back_to_back_sessions_are_allowed(
    front_desk_client, front_desk_user, clinic, acne_protocol, practitioner_client, course
):
    assert book(front_desk_client, course["id"], SERIES, clinic.rooms[0]).status_code == 201
    other = clinic.screened_patient(front_desk_user)
    other_course = create_course(practitioner_client, clinic, other, acne_protocol).json()
    after = [s + dt.timedelta(hours=2) for s in SERIES]  # starts when the first ends
    assert book(front_desk_client, other_course["id"], after, clinic.rooms[0]).status_code == 201


@pytest.mark.parametrize(
    ("answers", "sign_off", "consent", "reason"),
    [
        ({"pregnant_or_breastfeeding": True}, False, True, "blocked"),
        ({"keloid_history": True}, False, True, "sign-off"),
        ({"sunburn_or_tan_last_14_days": True}, False, True, "defers treatment until"),
        ({}, False, False, "consent"),
    ],
)
def test_booking_is_refused_with_a_reason_when_screening_or_consent_do_not_allow_it(
    front_desk_client,
    practitioner_client,
    front_desk_user,
    clinic,
    acne_protocol,
    answers,
    sign_off,
    consent,
    reason,
):
    from patients.tests.helpers import clear_answers

    patient = clinic.screened_patient(
        front_desk_user, answers=clear_answers(**answers), consent=consent
    )
    # The one clearance rule refuses a course it could never book; a deferral only refuses
    # the sessions too early for it (9 March is inside the 14-day deferral from 2 March).
    response = create_course(practitioner_client, clinic, patient, acne_protocol)
    if response.status_code == 201:
        response = book(front_desk_client, response.json()["id"], SERIES, clinic.rooms[0])
    assert response.status_code == 409
    assert reason in response.json()["error"]["message"]
    assert not Session.objects.exists()


def test_a_deferred_patient_may_be_booked_after_the_defer_date(
    front_desk_client, practitioner_client, front_desk_user, clinic, acne_protocol
):
    from patients.tests.helpers import clear_answers

    patient = clinic.screened_patient(
        front_desk_user, answers=clear_answers(sunburn_or_tan_last_14_days=True)
    )
    course = create_course(practitioner_client, clinic, patient, acne_protocol).json()
    later = [local(2026, 3, 16, 10), *SERIES[1:]]  # 16 March = 2 March + 14 days
    assert book(front_desk_client, course["id"], later, clinic.rooms[0]).status_code == 201


def test_a_signed_off_review_may_be_booked(
    front_desk_client,
    practitioner_client,
    practitioner_user,
    front_desk_user,
    clinic,
    acne_protocol,
):
    from patients import services as patient_services
    from patients.tests.helpers import clear_answers

    patient = clinic.screened_patient(front_desk_user, answers=clear_answers(keloid_history=True))
    patient_services.screening_sign_off(
        screening_result=patient.screenings.get(), reason="Test spot fine.", by=practitioner_user
    )
    course = create_course(practitioner_client, clinic, patient, acne_protocol).json()
    assert book(front_desk_client, course["id"], SERIES, clinic.rooms[0]).status_code == 201


@pytest.mark.parametrize(
    ("starts", "field"),
    [
        (
            [local(2026, 3, 9, 10), local(2026, 3, 16, 10), SERIES[2], SERIES[3]],
            "sessions.1.starts_at",
        ),
        ([local(2026, 3, 9, 7), *SERIES[1:]], "sessions.0.starts_at"),  # before 09:00
        ([local(2026, 3, 9, 16), *SERIES[1:]], "sessions.0.starts_at"),  # ends after 17:00
        ([local(2026, 3, 7, 10), *SERIES[1:]], "sessions.0.starts_at"),  # a Saturday
        ([local(2026, 3, 1, 10), *SERIES[1:]], "sessions.0.starts_at"),  # in the past
        (SERIES[:3], "sessions"),  # not the whole series
    ],
)
def test_impossible_times_are_a_400_naming_the_session(
    front_desk_client, course, clinic, starts, field
):
    response = book(front_desk_client, course["id"], starts, clinic.rooms[0])
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"sessions": [{"starts_at": "2026-02-30T10:00:00+00:00", "room": 1}]},
        {"sessions": [{"starts_at": "2026-03-09T10:00:00", "room": 1}]},
        {"sessions": [{"starts_at": "tomorrow", "room": 1}]},
        {"sessions": "all"},
        {},
    ],
)
def test_malformed_bookings_are_a_400(front_desk_client, course, body):
    response = front_desk_client.post(f"/api/courses/{course['id']}/book/", body, format="json")
    assert response.status_code == 400


def test_an_unknown_room_is_a_400_and_an_unknown_course_a_404(front_desk_client, course):
    body = {"sessions": [{"starts_at": s.isoformat(), "room": 999999} for s in SERIES]}
    response = front_desk_client.post(f"/api/courses/{course['id']}/book/", body, format="json")
    assert response.status_code == 400
    assert "sessions.0.room" in response.json()["error"]["fields"]
    import uuid

    missing = front_desk_client.post(f"/api/courses/{uuid.uuid4()}/book/", body, format="json")
    assert missing.status_code == 404


def test_a_course_cannot_be_booked_twice(front_desk_client, course, clinic):
    assert book(front_desk_client, course["id"], SERIES, clinic.rooms[0]).status_code == 201
    assert book(front_desk_client, course["id"], SERIES, clinic.rooms[1]).status_code == 409


def test_a_course_for_areas_not_screened_is_refused(
    practitioner_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    response = create_course(practitioner_client, clinic, patient, acne_protocol, areas=["neck"])
    assert response.status_code == 409
    assert "did not include: Neck" in response.json()["error"]["message"]


def test_an_interval_below_the_protocols_minimum_is_refused(
    practitioner_client, front_desk_user, clinic, acne_protocol
):
    patient = clinic.screened_patient(front_desk_user)
    response = create_course(practitioner_client, clinic, patient, acne_protocol, interval_days=7)
    assert response.status_code == 400
    assert "interval_days" in response.json()["error"]["fields"]


def test_front_desk_cannot_plan_a_course(front_desk_client, front_desk_user, clinic, acne_protocol):
    patient = clinic.screened_patient(front_desk_user)
    assert create_course(front_desk_client, clinic, patient, acne_protocol).status_code == 403
