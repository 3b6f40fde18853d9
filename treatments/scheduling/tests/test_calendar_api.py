"""The calendar and reference-data API: protocols, practitioners, rooms and the session
calendar (DESIGN.md §7)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from treatments.scheduling.models import Session, WorkingHours

from .calendar_helpers import SESSIONS, at, errors, sessions_back_to_back
from .factories import PractitionerFactory, RoomFactory, session_at

pytestmark = pytest.mark.django_db


# --- Reference data ----------------------------------------------------------------------------


def test_protocols_are_listed_with_their_defaults(front_desk_client):
    response = front_desk_client.get("/api/protocols/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    acne = next(p for p in body["results"] if p["indication"] == "acne_scars")
    assert acne["default_sessions"] >= 1
    assert acne["min_interval_days"] <= acne["default_interval_days"]
    assert acne["session_minutes"] >= 15
    assert isinstance(acne["depth_ranges"], dict)


def test_practitioners_are_listed_with_their_working_hours(front_desk_client, practitioner):
    response = front_desk_client.get("/api/practitioners/")

    assert response.status_code == 200
    [listed] = response.json()["results"]
    assert listed["id"] == practitioner.pk
    assert listed["display_name"] == "Priya Shah"
    assert listed["active"] is True
    assert listed["working_hours"][0] == {"weekday": 0, "start": "09:00:00", "end": "17:00:00"}
    assert len(listed["working_hours"]) == 5


def test_the_practitioner_list_never_shows_the_calendar_token(front_desk_client, practitioner):
    response = front_desk_client.get("/api/practitioners/")

    assert practitioner.calendar_token not in response.content.decode()
    assert "calendar_token" not in response.json()["results"][0]


def test_practitioners_can_be_filtered_by_active(front_desk_client, practitioner):
    PractitionerFactory(display_name="Gone", active=False)

    active = front_desk_client.get("/api/practitioners/?active=true").json()["results"]
    inactive = front_desk_client.get("/api/practitioners/?active=false").json()["results"]
    everyone = front_desk_client.get("/api/practitioners/").json()["results"]

    assert [p["display_name"] for p in active] == ["Priya Shah"]
    assert [p["display_name"] for p in inactive] == ["Gone"]
    assert len(everyone) == 2


def test_a_malformed_active_flag_is_a_400_naming_it(front_desk_client):
    response = front_desk_client.get("/api/rooms/?active=perhaps")

    assert response.status_code == 400
    assert "active" in errors(response)


def test_the_practitioner_list_takes_the_same_queries_for_one_or_many(
    front_desk_client, practitioner, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as one:
        front_desk_client.get("/api/practitioners/")
    for n in range(10):
        other = PractitionerFactory(display_name=f"Practitioner {n}")
        WorkingHours.objects.create(
            practitioner=other, weekday=2, start=dt.time(8), end=dt.time(12)
        )

    # session, user, roles, count, page of practitioners, their working hours (prefetch)
    with django_assert_max_num_queries(len(one)):
        response = front_desk_client.get("/api/practitioners/")
    assert response.json()["count"] == 11


def test_rooms_are_listed_and_can_be_filtered_by_active(front_desk_client):
    RoomFactory(name="Room A")
    RoomFactory(name="Store", active=False)

    everything = front_desk_client.get("/api/rooms/").json()
    active = front_desk_client.get("/api/rooms/?active=1").json()

    assert [r["name"] for r in everything["results"]] == ["Room A", "Store"]
    assert [r["name"] for r in active["results"]] == ["Room A"]
    assert set(everything["results"][0]) == {"id", "name", "active"}


@pytest.mark.parametrize("url", ["/api/protocols/", "/api/practitioners/", "/api/rooms/"])
def test_reference_data_is_for_staff_only(url, patient_client, anon_client):
    assert patient_client.get(url).status_code == 404
    assert anon_client.get(url).status_code == 401


@pytest.mark.parametrize("client_name", ["practitioner_client", "manager_client"])
def test_every_staff_role_reads_reference_data(client_name, request):
    client = request.getfixturevalue(client_name)
    assert client.get("/api/rooms/").status_code == 200


# --- The session calendar ----------------------------------------------------------------------


def test_the_calendar_lists_sessions_in_the_range_with_what_a_calendar_shows(
    front_desk_client, practitioner, room
):
    session = session_at(practitioner, at(2026, 3, 3, 10), room=room)

    response = front_desk_client.get(
        SESSIONS, {"practitioner": practitioner.pk, "start": "2026-03-02", "end": "2026-03-09"}
    )

    assert response.status_code == 200
    assert response.json()["count"] == 1
    [listed] = response.json()["results"]
    assert listed == {
        "id": str(session.public_id),
        "course": str(session.course.public_id),
        "patient": str(session.patient.public_id),
        "patient_name": "Jane Doe",
        "practitioner": practitioner.pk,
        "room": room.pk,
        "room_name": "Room A",
        "device": None,
        "number": session.number,
        "starts_at": "2026-03-03T10:00:00Z",
        "ends_at": "2026-03-03T11:30:00Z",
        "status": "booked",
        "cancel_reason": "",
        "cancel_initiated_by": "",
        "dropped_reason": "",
    }


def test_the_range_is_half_open_so_back_to_back_sessions_are_outside_it(
    front_desk_client, practitioner
):
    session_at(practitioner, at(2026, 3, 3, 8, 30))  # ends 10:00 exactly
    inside = session_at(practitioner, at(2026, 3, 3, 11))
    session_at(practitioner, at(2026, 3, 3, 12, 30))  # starts 12:30 exactly

    response = front_desk_client.get(
        SESSIONS, {"start": "2026-03-03T10:00:00Z", "end": "2026-03-03T12:30:00Z"}
    )

    assert [s["id"] for s in response.json()["results"]] == [str(inside.public_id)]


def test_the_calendar_includes_sessions_of_every_status(front_desk_client, practitioner):
    session_at(practitioner, at(2026, 3, 3, 9), status=Session.Status.COMPLETED)
    session_at(
        practitioner, at(2026, 3, 3, 11), status=Session.Status.CANCELLED, cancel_reason="Ill"
    )

    response = front_desk_client.get(SESSIONS, {"start": "2026-03-03", "end": "2026-03-04"})

    assert [s["status"] for s in response.json()["results"]] == ["completed", "cancelled"]


def test_the_calendar_filters_by_practitioner(front_desk_client, practitioner):
    mine = session_at(practitioner, at(2026, 3, 3, 10))
    colleague = PractitionerFactory(display_name="Sam Lee")
    session_at(colleague, at(2026, 3, 3, 10), room=RoomFactory(name="Room B"))

    only_mine = front_desk_client.get(
        SESSIONS, {"practitioner": practitioner.pk, "start": "2026-03-03", "end": "2026-03-04"}
    )
    everyone = front_desk_client.get(SESSIONS, {"start": "2026-03-03", "end": "2026-03-04"})

    assert [s["id"] for s in only_mine.json()["results"]] == [str(mine.public_id)]
    assert everyone.json()["count"] == 2


def test_a_bare_date_means_local_midnight_in_the_clinic_zone(front_desk_client, practitioner):
    # 1 June 2026 in London opens at 2026-05-31T23:00Z (BST, UTC+1).
    after_local_midnight = session_at(practitioner, at(2026, 5, 31, 23, 15), minutes=30)
    session_at(practitioner, at(2026, 5, 31, 22, 0), minutes=30)  # 23:00 on 31 May, local

    response = front_desk_client.get(SESSIONS, {"start": "2026-06-01", "end": "2026-06-02"})

    assert [s["id"] for s in response.json()["results"]] == [str(after_local_midnight.public_id)]


def test_date_times_with_any_offset_name_the_same_instant(front_desk_client, practitioner):
    session = session_at(practitioner, at(2026, 6, 1, 9))

    response = front_desk_client.get(
        SESSIONS, {"start": "2026-06-01T10:30:00+01:00", "end": "2026-06-01T11:00:00+01:00"}
    )

    assert [s["id"] for s in response.json()["results"]] == [str(session.public_id)]


def test_an_unencoded_plus_in_an_offset_is_understood(front_desk_client, practitioner):
    session = session_at(practitioner, at(2026, 6, 1, 9))

    # A "+" typed into a URL arrives as a space.
    response = front_desk_client.get(
        SESSIONS + "?start=2026-06-01T09:30:00+01:00&end=2026-06-01T11:00:00+01:00"
    )

    assert response.status_code == 200
    assert [s["id"] for s in response.json()["results"]] == [str(session.public_id)]


def test_start_and_end_are_required(front_desk_client):
    response = front_desk_client.get(SESSIONS)

    assert response.status_code == 400
    assert set(errors(response)) == {"start", "end"}


def test_the_end_must_come_after_the_start(front_desk_client):
    response = front_desk_client.get(SESSIONS, {"start": "2026-03-09", "end": "2026-03-09"})

    assert response.status_code == 400
    assert errors(response) == {"end": ["Must be after start."]}


def test_the_range_may_cover_at_most_62_days(front_desk_client):
    ok = front_desk_client.get(SESSIONS, {"start": "2026-03-01", "end": "2026-05-02"})
    too_long = front_desk_client.get(SESSIONS, {"start": "2026-03-01", "end": "2026-05-03"})

    assert ok.status_code == 200
    assert too_long.status_code == 400
    assert "end" in errors(too_long)


def test_62_local_days_across_the_clocks_going_back_are_allowed(front_desk_client):
    # 62 calendar days that contain a 25-hour day: 62 days and an hour of real time.
    response = front_desk_client.get(SESSIONS, {"start": "2026-09-01", "end": "2026-11-02"})

    assert response.status_code == 200


def test_a_time_without_its_offset_is_refused(front_desk_client):
    response = front_desk_client.get(
        SESSIONS, {"start": "2026-03-02T09:00:00", "end": "2026-03-03"}
    )

    assert response.status_code == 400
    assert "offset" in errors(response)["start"][0]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "tomorrow", "end": "2026-03-03"}, "start"),
        ({"start": "2026-03-02", "end": "2026-02-30"}, "end"),
        ({"start": "2026-03-02", "end": "2026-03-03T25:00:00Z"}, "end"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
        ({"start": "9999-12-30", "end": "9999-12-31"}, "start"),
        ({"start": "2026-03-02", "end": "2026-03-03", "practitioner": "abc"}, "practitioner"),
        ({"start": "2026-03-02", "end": "2026-03-03", "practitioner": "0"}, "practitioner"),
        ({"start": "2026-03-02", "end": "2026-03-03", "practitioner": "9" * 30}, "practitioner"),
    ],
)
def test_malformed_values_are_a_400_naming_the_field(front_desk_client, params, field):
    response = front_desk_client.get(SESSIONS, params)

    assert response.status_code == 400
    assert field in errors(response)


def test_an_unknown_practitioner_is_a_404(front_desk_client):
    response = front_desk_client.get(
        SESSIONS, {"practitioner": 999999, "start": "2026-03-02", "end": "2026-03-03"}
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_each_session_listed_is_audited_for_its_patient(
    front_desk_client, front_desk_user, practitioner
):
    first = session_at(practitioner, at(2026, 3, 3, 9))
    second = session_at(practitioner, at(2026, 3, 4, 9))

    front_desk_client.get(SESSIONS, {"start": "2026-03-02", "end": "2026-03-09"})

    [event] = AuditEvent.objects.filter(action="list", object_type="treatments.session")
    assert event.actor_id == front_desk_user.pk
    assert event.object_ids == [str(first.pk), str(second.pk)]
    assert event.patient_ids == [str(first.patient.public_id), str(second.patient.public_id)]
    for session in (first, second):
        assert AuditEvent.objects.about(session.patient.public_id).get() == event


def test_the_calendar_takes_the_same_queries_for_one_session_or_sixty(
    front_desk_client, practitioner, django_assert_max_num_queries
):
    params = {"start": "2026-03-02", "end": "2026-03-09", "page_size": 100}
    sessions_back_to_back(practitioner, at(2026, 3, 2, 7), 1)
    with CaptureQueriesContext(connection) as one:
        assert front_desk_client.get(SESSIONS, params).json()["count"] == 1
    # login session, user, roles, count, the page (patient, course, room... joined), one audit
    # INSERT for the page, and the idle-timeout save of the login session (savepoint, update,
    # release)
    assert len(one) <= 9, [q["sql"] for q in one.captured_queries]

    sessions_back_to_back(practitioner, at(2026, 3, 3, 7), 59)
    with django_assert_max_num_queries(len(one)):
        response = front_desk_client.get(SESSIONS, params)
    assert response.json()["count"] == 60
    assert len(response.json()["results"]) == 60


def test_the_calendar_is_for_staff_only(patient_client, anon_client):
    params = {"start": "2026-03-02", "end": "2026-03-03"}
    assert patient_client.get(SESSIONS, params).status_code == 404
    assert anon_client.get(SESSIONS, params).status_code == 401


def test_a_page_of_sessions_is_written_exactly_as_drf_would_write_it(practitioner):
    """The calendar writes its rows with FastListSerializer (issue 13): same JSON, in summer
    and winter time, with and without a device, cancelled or booked."""
    from rest_framework import serializers as drf

    from treatments.scheduling.calendar_api import CalendarSessionSerializer

    session_at(practitioner, at(2026, 3, 3, 10))
    session_at(practitioner, at(2026, 6, 1, 9), status=Session.Status.COMPLETED)
    session_at(
        practitioner,
        at(2026, 3, 4, 9),
        status=Session.Status.CANCELLED,
        cancel_reason="Unwell",
        cancel_initiated_by="patient",
    )
    sessions = list(Session.objects.for_calendar().order_by("starts_at", "id"))
    fast = CalendarSessionSerializer(sessions, many=True).data
    slow = drf.ListSerializer(child=CalendarSessionSerializer()).to_representation(sessions)
    assert [dict(row) for row in fast] == [dict(row) for row in slow]
    assert {row["status"] for row in fast} == {"booked", "completed", "cancelled"}
